"""What every feed parser shares: opening the input, reading lines in chunks, field conversions, batches.

Input is a path or a binary stream (an upload). The first ``HEAD_BYTES`` are read once for format and
encoding detection and then served again, so a pipe or an upload that cannot seek works too. Text is
decoded incrementally (``core.tabular.detect_encoding`` on the head: UTF-8, UTF-8 with BOM, UTF-16 with
BOM, cp1258/cp1252) and read in chunks of whole lines: memory stays bounded whatever the file's size,
and a "line" longer than ``MAX_LINE`` characters ends the parse with a ``ParseError`` (binary data, or
one huge line, is not a feed).

Field conversions are strict and give the reason a row is bad: ``Row 7: not an IP address: '10.0.0.300'``.
Several columns repeat a lot (timestamps, ports, AS numbers, families), so their conversions are
memoised in bounded dictionaries (``Memo``), which also run the formula check once per distinct value.
"""

import codecs
import csv
import datetime
import io
import ipaddress
import operator
import os
import socket
import unicodedata
import zoneinfo
from functools import partial
from itertools import compress, repeat

from django.utils.translation import gettext as _

from lachan.core import tabular
from lachan.core.streams import ReplayStream
from lachan.intel.events import EventBatch

HEAD_BYTES = 1 << 16
CHUNK_CHARS = 1 << 18  # text read at a time (the Shadowserver fast path reads 4 times more)
MAX_LINE = 1 << 20  # characters; a longer line is not a feed line
CHUNK_LINES = 2048  # lines handed to a format's chunk parser at a time
MEMO_LIMIT = 200_000  # distinct values remembered per memo before it starts again
UTC = datetime.UTC

_pton = socket.inet_pton
_ntop = socket.inet_ntop
_AF4 = socket.AF_INET
_AF6 = socket.AF_INET6
pton4 = partial(_pton, _AF4)


class ParseError(ValueError):
    """The file is not (or no longer) the format being read; the message is meant for the user."""


class Options:
    """Parse options shared by every format."""

    def __init__(self, *, source_tz=None, mapping=None, batch_size=50_000, encoding=None):
        if source_tz in (None, "", "UTC"):
            self.tz = UTC
        elif isinstance(source_tz, datetime.tzinfo):
            self.tz = source_tz
        else:
            try:
                self.tz = zoneinfo.ZoneInfo(str(source_tz))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ParseError(_("Unknown time zone: %(zone)s.") % {"zone": source_tz}) from None
        self.mapping = mapping
        self.batch_size = max(1, int(batch_size))
        self.encoding = encoding


# --- messages ------------------------------------------------------------------------------------

def show(value, limit=60):
    """A value quoted for a message: control characters made visible, long text cut."""
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return f"'{text}'"


def bad_value(line, what, value):
    """``Row 7: not an IP address: '10.0.0.300'`` — ``what`` is one of WHAT's keys."""
    return _("Row %(row)s: %(what)s: %(value)s") % {"row": line, "what": WHAT[what](), "value": show(value)}


WHAT = {
    "ip": lambda: _("not an IP address"),
    "network": lambda: _("not an IP address or network"),
    "time": lambda: _("not a date/time"),
    "port": lambda: _("not a port number"),
    "asn": lambda: _("not an AS number"),
    "formula": lambda: _("a spreadsheet formula, refused"),
}


def no_ip(line):
    return _("Row %(row)s: no IP address") % {"row": line}


def wrong_columns(line, expected, found):
    return _("Row %(row)s: expected %(expected)s columns, found %(found)s (truncated line, or another delimiter?)") % {
        "row": line, "expected": expected, "found": found}


# --- input ---------------------------------------------------------------------------------------

class Input:
    """An opened feed: ``head`` (the first bytes), ``name`` (file name, for detection) and the stream."""

    def __init__(self, source):
        self._close = None
        if isinstance(source, str | os.PathLike):
            self.name = os.fspath(source)
            try:
                stream = open(source, "rb")  # noqa: SIM115 — closed by close()
            except OSError as exc:
                raise ParseError(_("Cannot read %(path)s: %(error)s") % {"path": self.name, "error": exc.strerror}) from None
            self._close = stream.close
        elif isinstance(source, bytes | bytearray | memoryview):
            self.name = ""
            stream = io.BytesIO(source)
        elif hasattr(source, "read"):
            self.name = str(getattr(source, "name", "") or "")
            stream = source
        else:
            raise ParseError(_("Nothing to read."))
        self.stream = stream
        self.head = _read_head(stream)
        self.seekable = _seekable(stream)
        self._start = stream.tell() - len(self.head) if self.seekable else None
        self.encoding = None

    def close(self):
        if self._close:
            self._close()

    def binary(self):
        """The whole binary stream from its start."""
        if self.seekable:
            self.stream.seek(self._start)
            return self.stream
        return io.BufferedReader(ReplayStream(self.head, self.stream), buffer_size=HEAD_BYTES)

    def seekable_binary(self):
        """A seekable binary file (openpyxl needs one): the stream itself, or a spooled copy."""
        if self.seekable:
            self.stream.seek(self._start)
            return self.stream
        import tempfile

        spool = tempfile.SpooledTemporaryFile(max_size=32 << 20)  # noqa: SIM115 — lives as long as the parse
        spool.write(self.head)
        while block := self.stream.read(1 << 20):
            spool.write(block)
        spool.seek(0)
        return spool

    def text(self, encoding=None):
        """A text stream over the whole input, decoded incrementally, universal newlines."""
        self.encoding = encoding or detect_encoding(self.head)
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise ParseError(_("Unknown text encoding: %(encoding)s.") % {"encoding": self.encoding}) from None
        return io.TextIOWrapper(self.binary(), encoding=self.encoding, errors="strict", newline=None)

    def lines(self, encoding=None, block=CHUNK_CHARS):
        return LineReader(self.text(encoding), self.encoding, block)


def _read_head(stream):
    head = b""
    while len(head) < HEAD_BYTES:
        block = stream.read(HEAD_BYTES - len(head))
        if not block:
            break
        if isinstance(block, str):
            raise ParseError(_("The feed must be opened in binary mode."))
        head += block
    return head


def _seekable(stream):
    try:
        return bool(stream.seekable()) and stream.tell() >= 0
    except (AttributeError, OSError, ValueError):
        return False


def detect_encoding(head):
    if not head:
        return "utf-8"
    try:
        return tabular.detect_encoding(head, partial=len(head) >= HEAD_BYTES)
    except tabular.TabularError as exc:
        raise ParseError(str(exc)) from None


def head_text(head, encoding=None):
    """The head decoded for detection: lossy at a cut multi-byte character, NFC, without BOM."""
    encoding = encoding or detect_encoding(head)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(head, final=len(head) < HEAD_BYTES)
    return tabular.normalise_text(text.removeprefix("\ufeff"))


class LineReader:
    """Whole lines (without their newline) from a text stream, in chunks; counts lines from 1.

    ``chunk(n)`` returns ``(number of the first line, [lines])``; ``take()`` returns the line right after
    the last one handed out (for a quoted field that goes on over several lines), or None at the end."""

    def __init__(self, text, encoding="utf-8", block=CHUNK_CHARS):
        self._text = text
        self._block = block
        self._normalise = encoding not in ("utf-8", "utf-8-sig", "ascii")
        self._lines = []
        self._pos = 0
        self._carry = ""
        self._eof = False
        self.next_line = 1  # number of the next line handed out

    def _fill(self):
        while self._pos >= len(self._lines) and not self._eof:
            try:
                block = self._text.read(self._block)
            except UnicodeDecodeError as exc:
                raise ParseError(_("Line %(line)s: the text is not valid %(encoding)s (%(error)s); give the file's "
                                   "encoding or save it as UTF-8.")
                                 % {"line": self.next_line + len(self._lines) - self._pos, "encoding": exc.encoding,
                                    "error": exc.reason}) from None
            if not block:
                self._eof = True
                text, self._carry = self._carry, ""
                if not text:
                    break
                lines = text.split("\n")
            else:
                text = block
                lines = block.split("\n")
                if self._carry:  # the end of the previous block's last line
                    lines[0] = self._carry + lines[0]
                self._carry = lines.pop()
                if not lines:
                    if len(self._carry) > MAX_LINE:
                        raise ParseError(_("Line %(line)s is longer than %(limit)s characters: this is not a feed "
                                           "(binary data, or a damaged file).")
                                         % {"line": self.next_line, "limit": MAX_LINE})
                    continue
            if self._normalise or not text.isascii() or not lines[0].isascii():
                lines = [line if line.isascii() else unicodedata.normalize("NFC", line) for line in lines]
            # only the first line can be longer than a block: it began in the previous one
            if len(lines[0]) > MAX_LINE or (len(text) > MAX_LINE and max(map(len, lines)) > MAX_LINE):
                number = self.next_line + next(i for i, line in enumerate(lines) if len(line) > MAX_LINE)
                raise ParseError(_("Line %(line)s is longer than %(limit)s characters: this is not a feed "
                                   "(binary data, or a damaged file).") % {"line": number, "limit": MAX_LINE})
            self._lines = lines
            self._pos = 0

    def give_back(self, lines):
        """Lines taken with ``take()`` and not used: they are handed out again, first."""
        if lines:
            self._lines = list(lines) + self._lines[self._pos:]
            self._pos = 0
            self.next_line -= len(lines)

    def chunk(self, size=CHUNK_LINES):
        self._fill()
        start = self.next_line
        lines = self._lines[self._pos:self._pos + size]
        self._pos += len(lines)
        self.next_line += len(lines)
        if self._pos >= len(self._lines):
            self._lines = []
            self._pos = 0
        return start, lines

    def take(self):
        self._fill()
        if self._pos >= len(self._lines):
            return None
        line = self._lines[self._pos]
        self._pos += 1
        self.next_line += 1
        return line

    def __iter__(self):
        """``(line number, line)`` for every remaining line."""
        while True:
            start, lines = self.chunk()
            if not lines:
                return
            yield from enumerate(lines, start)


MAX_RECORD_LINES = 20  # a quoted cell may go on over this many lines


def csv_cells(text, delimiter):
    """The cells of one CSV record (raises ``csv.Error``)."""
    for cells in csv.reader([text], delimiter=delimiter, strict=False):
        return cells
    return []


def whole_record(parts, delimiter, width):
    """Lines joined into one record when their quotes close and the record has no more than ``width``
    cells (empty trailing cells aside): (text, cells), else None — a quote left open by a damaged line must
    not swallow the lines after it."""
    if sum(part.count('"') for part in parts) % 2:
        return None
    text = "\n".join(parts)
    try:
        cells = csv_cells(text, delimiter)
    except csv.Error:
        return None
    if width is not None and len(cells) > width and any(c.strip() for c in cells[width:]):
        return None
    return text, cells


class CsvRecords:
    """``(line number, raw text, cells, error)`` for each record of numbered lines (``(number, line)``),
    ``cells`` None and ``error`` set when csv cannot read it. A quoted cell may run over at most
    ``MAX_RECORD_LINES`` lines (see ``whole_record``)."""

    def __init__(self, numbered_lines, delimiter, width=None):
        self.source = iter(numbered_lines)
        self.back = []
        self.delimiter = delimiter
        self.width = width

    def _next(self):
        if self.back:
            return self.back.pop()
        return next(self.source, None)

    def __iter__(self):
        while True:
            item = self._next()
            if item is None:
                return
            number, text = item
            if text.count('"') % 2:
                taken, parts = [], [text]
                while len(parts) < MAX_RECORD_LINES and sum(part.count('"') for part in parts) % 2:
                    following = self._next()
                    if following is None:
                        break
                    taken.append(following)
                    parts.append(following[1])
                joined = whole_record(parts, self.delimiter, self.width) if taken else None
                if joined is not None:
                    yield number, joined[0], joined[1], None
                    continue
                self.back.extend(reversed(taken))
            try:
                yield number, text, csv_cells(text, self.delimiter), None
            except csv.Error as exc:
                yield number, text, None, str(exc)


# --- conversions ---------------------------------------------------------------------------------

def canonical_ip(text):
    """Canonical text of an IPv4/IPv6 address (IPv6 compressed, lower-case), or None."""
    try:
        _pton(_AF4, text)
        return text
    except (OSError, ValueError, TypeError):
        pass
    if not isinstance(text, str):
        return None
    text = text.strip().strip('"').strip()
    if not text:
        return None
    try:
        _pton(_AF4, text)
        return text
    except (OSError, ValueError):
        pass
    if ":" not in text:
        return None
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        out = _ntop(_AF6, _pton(_AF6, text))
    except (OSError, ValueError):
        return None
    if "." in out:  # IPv4-mapped / -compatible: the ipaddress spelling, as other modules print it
        return str(ipaddress.IPv6Address(out))
    return out


def canonical_ip_or_network(text):
    """An address, or a network "203.0.113.0/24" (host bits cleared; /32 and /128 become the address)."""
    ip = canonical_ip(text)
    if ip is not None or "/" not in text:
        return ip
    text = text.strip()
    address, _slash, length = text.partition("/")
    if not length.isdigit() or canonical_ip(address) is None:
        return None
    try:
        network = ipaddress.ip_network(f"{canonical_ip(address)}/{int(length)}", strict=False)
    except ValueError:
        return None
    if network.num_addresses == 1:
        return str(network.network_address)
    return str(network)


def validate_ips(values):
    """``values`` (list of text) → (list of canonical text with None where invalid, all valid?). Fast when
    all are well-formed IPv4: one C-level pass; IPv6 addresses among them are converted one by one, and a
    bad value costs a pass over its block of 64 only."""
    try:
        for _x in map(pton4, values):
            pass
        return values, True
    except (OSError, ValueError, TypeError):
        pass
    n = len(values)
    out = list(values)
    ok = True
    v6 = list(map(str.__contains__, values, repeat(":")))
    for i in compress(range(n), v6):
        try:
            text = _ntop(_AF6, _pton(_AF6, values[i]))
        except (OSError, ValueError):
            text = None
        if text is None or "." in text:
            text = canonical_ip(values[i])
            ok = ok and text is not None
        out[i] = text
    where = list(compress(range(n), map(operator.not_, v6)))
    others = list(map(values.__getitem__, where))
    for start in range(0, len(others), 64):
        try:
            for _x in map(pton4, others[start:start + 64]):
                pass
            continue
        except (OSError, ValueError, TypeError):
            pass
        for j in range(start, min(start + 64, len(others))):
            try:
                _pton(_AF4, others[j])
            except (OSError, ValueError, TypeError):
                out[where[j]] = text = canonical_ip(others[j])
                ok = ok and text is not None
    return out, ok


def unquote(text):
    """A cell as csv would read it (for pieces of a line split by hand): outer quotes removed, "" → "."""
    if text[:1] == '"' and len(text) >= 2 and text[-1] == '"':
        text = text[1:-1]
        if '"' in text:
            text = text.replace('""', '"')
    return text


def balanced(piece):
    """Whether a piece of a line split at every delimiter is a whole CSV cell: unquoted without quotes,
    or quoted from end to end (a piece cut inside a quoted cell is not)."""
    if '"' not in piece:
        return True
    return len(piece) >= 2 and piece[0] == '"' and piece[-1] == '"' and piece.count('"') % 2 == 0


def is_formula(text):
    return tabular.is_formula(text)


class Invalid:
    """A conversion that failed: ``what`` (a WHAT key) and the offending value."""

    __slots__ = ("what", "value")

    def __init__(self, what, value):
        self.what = what
        self.value = value

    def reason(self, line):
        return bad_value(line, self.what, self.value)


class Memo(dict):
    """Memoised conversion of cell text: ``memo[text]`` → value, None (empty) or an ``Invalid``.
    ``invalid`` turns true once a conversion failed (so that callers look for ``Invalid`` values only then)."""

    def __init__(self, convert):
        super().__init__()
        self.convert = convert
        self.invalid = False

    def __missing__(self, text):
        if len(self) >= MEMO_LIMIT:
            self.clear()
        value = self[text] = self.convert(text)
        if type(value) is Invalid:
            self.invalid = True
        return value


def text_value(what="formula", lower=False):
    """A text conversion: unquoted, stripped, None when empty or a placeholder, Invalid for a formula."""

    def convert(text):
        value = unquote(text).strip()
        if not value or value in ("-", "?", "null", "None"):
            return None
        if is_formula(value):
            return Invalid("formula", value)
        return value.lower() if lower else value

    return convert


def int_value(what, low=0, high=None, prefix=""):
    def convert(text):
        value = unquote(text).strip() if isinstance(text, str) else text
        shown = value
        if value is None or value == "" or value in ("-", "?"):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int):
            number = value
        else:
            if prefix and value[:len(prefix)].upper() == prefix:
                value = value[len(prefix):]
            if value.endswith(".0"):
                value = value[:-2]
            if not (value.isascii() and value.isdigit()):
                return Invalid("formula" if is_formula(shown) else what, shown)
            number = int(value)
        if number < low or (high is not None and number > high):
            return Invalid(what, shown)
        return number

    return convert


port_value = int_value("port", 0, 65535)
asn_value = int_value("asn", 0, 4294967295, prefix="AS")


def asn_or_none(text):
    """An AS number where 0 means "unknown" (Shadowserver, Team Cymru)."""
    value = asn_value(text)
    return None if value == 0 else value


UNSPECIFIED = "0.0.0.0"  # noqa: S104 — "no address" in some feeds, not a bind

PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "ipv6-icmp"}


def protocol_value(text):
    value = text_value(lower=True)(text)
    if isinstance(value, str):
        return PROTOCOLS.get(value, value)
    return value


_NT_EPOCH = datetime.datetime(1601, 1, 1, tzinfo=UTC)
_fromisoformat = datetime.datetime.fromisoformat
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)


class _Stamps(Memo):
    """The clock's memo, with the common case ("2021-03-04 00:00:00", quoted or not, naive) inline."""

    def __init__(self, clock):
        super().__init__(clock._convert)
        self.utc = clock.tz is UTC

    def __missing__(self, text):
        if self.utc and type(text) is str and len(text) in (19, 21):
            try:
                value = _fromisoformat(text[1:-1] if text[0] == '"' and text[-1] == '"' else text)
            except ValueError:
                pass
            else:
                if value.tzinfo is None:
                    if len(self) >= MEMO_LIMIT:
                        self.clear()
                    value = self[text] = value.replace(tzinfo=UTC)
                    return value
        return super().__missing__(text)


class Clock:
    """Time text → aware UTC datetime. ISO 8601 (naive = ``tz``, default UTC; "Z", offsets, " UTC"/" GMT"
    suffixes honoured), dd/mm/yyyy [HH:MM[:SS]] (Vietnamese order: day first, also with "-" or "."),
    epoch seconds (9–10 digits) or milliseconds (13 digits). Returns None for empty text, an ``Invalid``
    when unreadable."""

    def __init__(self, tz=UTC):
        self.tz = tz
        self.memo = _Stamps(self)

    def __call__(self, text):
        return self.memo[text]

    def from_datetime(self, value):
        if isinstance(value, datetime.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=self.tz)
            return value.astimezone(UTC)
        if isinstance(value, datetime.date):
            return datetime.datetime(value.year, value.month, value.day, tzinfo=self.tz).astimezone(UTC)
        return self.memo[value]

    def from_epoch(self, seconds):
        try:
            return _EPOCH + datetime.timedelta(seconds=seconds)
        except (OverflowError, ValueError, TypeError):
            return Invalid("time", seconds)

    def from_nt(self, ticks):
        """Windows FILETIME: 100-nanosecond ticks since 1601 (Microsoft CTIP)."""
        try:
            return _NT_EPOCH + datetime.timedelta(microseconds=int(ticks) // 10)
        except (OverflowError, ValueError, TypeError):
            return Invalid("time", ticks)

    def _convert(self, text):
        if type(text) is str and len(text) in (19, 21):  # "2021-03-04 00:00:00", quoted or not
            try:
                moment = _fromisoformat(text[1:-1] if text[0] == '"' and text[-1] == '"' else text)
            except ValueError:
                pass
            else:
                if moment.tzinfo is not None:
                    return moment.astimezone(UTC)
                if self.tz is UTC:
                    return moment.replace(tzinfo=UTC)
                return moment.replace(tzinfo=self.tz).astimezone(UTC)
        raw = text
        value = unquote(text).strip() if isinstance(text, str) else text
        if value is None or value == "" or value in ("-", "?"):
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self._epoch_number(value, raw)
        if not isinstance(value, str):
            return Invalid("time", raw)
        if is_formula(value):
            return Invalid("formula", value)
        tz = self.tz
        upper = value.upper()
        for suffix in (" UTC", " GMT", "UTC", "GMT"):
            if upper.endswith(suffix) and len(value) > len(suffix) + 5:
                value = value[:-len(suffix)].strip()
                tz = UTC
                break
        if value.isascii() and value.isdigit() and len(value) != 8:  # 8 digits: yyyymmdd
            return self._epoch_number(int(value), raw)
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            moment = _day_first(value)
            if moment is None:
                return Invalid("time", raw)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
        return moment.astimezone(UTC)

    def _epoch_number(self, number, raw):
        if 100_000_000 <= number < 10_000_000_000:
            return self.from_epoch(number)
        if 100_000_000_000 <= number < 10_000_000_000_000:
            return self.from_epoch(number / 1000)
        return Invalid("time", raw)


def _day_first(text):
    """dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, optionally followed by HH:MM[:SS] (or with "T")."""
    date, _sep, time = text.replace("T", " ").partition(" ")
    for separator in "/-.":
        parts = date.split(separator)
        if len(parts) == 3:
            break
    else:
        return None
    if not all(p.isascii() and p.isdigit() for p in parts) or len(parts[2]) != 4:
        return None
    day, month, year = (int(p) for p in parts)
    hour = minute = second = 0
    time = time.strip()
    if time:
        pieces = time.split(":")
        if not 2 <= len(pieces) <= 3 or not all(p.isascii() and p.isdigit() for p in pieces):
            return None
        hour, minute = int(pieces[0]), int(pieces[1])
        second = int(pieces[2]) if len(pieces) == 3 else 0
    try:
        return datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def endpoint(host, port):
    """Destination text: "ip:port", "[v6]:port", the host alone without a port."""
    if not host:
        return None
    if port is None or port == "":
        return host
    if ":" in host and not host.startswith("["):
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def is_hostname(text):
    """A DNS name worth keeping as a domain indicator (not an IP, has a dot, sane characters)."""
    if not text or len(text) > 253 or "." not in text or canonical_ip(text) is not None:
        return False
    if ":" in text or "/" in text or " " in text:
        return False
    labels = text.rstrip(".").split(".")
    return all(label and len(label) <= 63 and all(c.isalnum() or c in "-_" for c in label) for label in labels) \
        and not labels[-1].isdigit()


# --- batches -------------------------------------------------------------------------------------

class Batches:
    """Collects events, bad rows and indicators; ``full()`` tells when a batch is to be yielded."""

    def __init__(self, size):
        self.size = size
        self.batch = EventBatch()

    def full(self):
        batch = self.batch
        return len(batch.ip) + len(batch.bad) + len(batch.indicators) >= self.size

    def take(self):
        batch, self.batch = self.batch, EventBatch()
        return batch

    def rest(self):
        """The last batch, if it holds anything."""
        batch = self.batch
        if len(batch.ip) or batch.bad or batch.indicators:
            self.batch = EventBatch()
            return batch
        return None

    def add(self, *, ip, line, raw, seen=None, family=None, port=None, protocol=None, asn=None, destination=None):
        self.batch.append(ip=ip, line=line, raw=raw, seen=seen, family=family, port=port, protocol=protocol,
                          asn=asn, destination=destination)

    def bad(self, line, reason):
        self.batch.bad.append((line, reason))

    def indicator(self, kind, value, line):
        self.batch.indicators.append((kind, value, line))


class RowError(Exception):
    """Raised while reading one row: the row is bad for ``reason`` (already "Row N: …")."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def check(value, line):
    """A converted value, or RowError for an ``Invalid``."""
    if type(value) is Invalid:
        raise RowError(value.reason(line))
    return value


def check_text(value, line):
    """Free text (a host, a URL): stripped, None when empty, RowError for a formula."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    if is_formula(value):
        raise RowError(bad_value(line, "formula", value))
    return value
