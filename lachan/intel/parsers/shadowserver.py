"""Shadowserver reports (CSV with a header row), per Shadowserver's published report schemas.

The report type is told from the header's columns:

- ``src_ip`` → the event reports: "Sinkhole Events" (``event4_sinkhole``/``event6_sinkhole``) and, with
  ``http_host``/``http_url``, "Sinkhole HTTP Events": the infected host is ``src_ip`` (``src_port``,
  ``src_asn``, ``protocol``), the sinkhole ``dst_ip:dst_port`` is the destination, the family is the
  first non-empty of ``family``/``infection``/``tag``; ``http_host`` is a domain indicator and
  ``http_url`` (path or request line) with the host a URL indicator;
- ``ip`` with ``cc_url``/``redirect_target``/``detected_since`` → "Compromised Website": ``ip``, ``port``,
  ``asn``; family ``family`` or ``tag``; destination ``cc_url``; indicators ``hostname``/``http_host``
  (domains), ``http_host`` + ``url`` (URL, scheme from ``application``), ``cc_url``, ``redirect_target``;
- ``ip`` with ``infection`` and ``cc``/``cc_ip``/``cc_port``/``cc_dns`` → the legacy "Botnet Drone"
  report: transport in ``type``, destination ``cc``/``cc_ip`` (or ``cc_dns``) with ``cc_port``, family
  ``infection``; ``cc_dns`` is a domain indicator and ``cc_dns`` + ``url`` a URL indicator;
- ``ip`` with ``reason``/``source`` and no port → "Blocklist": ``ip`` may be a network (kept as
  "203.0.113.0/24", see ``plain``), family ``tag``;
- any other report with ``timestamp`` and ``ip``: ``ip``/``port``/``asn``/``protocol``/``family``/
  ``infection``/``tag`` as above.

Timestamps are UTC (Shadowserver writes them so) unless ``source_tz`` says otherwise; AS number 0 means
unknown; a destination address that is not an address (the sample has "148.81.111.11.12") is kept as text.

Speed (``bench/parse_speed.py``): a report of a million rows is read at about the speed of bare
``csv.reader`` over the same file, conversions included. Lines are not parsed cell by cell: each is split
only as far as needed — ``str.split(",", k)`` for the left-hand columns (time, protocol, address, port,
AS), ``str.rsplit(",", m)`` for the right-hand ones — and what lies between, "the middle" (the sinkhole's
address, port, AS, location, sector, and the family), repeats so much that it is read with ``csv`` once per
distinct value and memoised (``Plan``, ``Reader._middle_value``). Whole columns are converted with
C-level ``map`` over memoised conversions. Commas inside quotes ("Communications, Service Provider, and
Hosting Service") move the split; the middle's cells are counted from its right end, and such a line is
accepted only when its left part holds exactly one ", " per extra cell. Any row where something looks
unusual — another comma inside quotes, a quoted cell over several lines, a value that does not convert —
is read by ``csv`` alone (``Reader.exact``), which also gives the reason a row is bad: the result is the
same as reading every row with ``csv`` (``test_fast_path_equals_csv_row_by_row``).
"""

import csv
import gc
from itertools import repeat
from operator import itemgetter

from django.utils.translation import gettext as _

from .base import (
    CHUNK_CHARS,
    MAX_RECORD_LINES,
    UNSPECIFIED,
    Batches,
    Clock,
    Invalid,
    Memo,
    ParseError,
    RowError,
    asn_or_none,
    bad_value,
    balanced,
    canonical_ip,
    canonical_ip_or_network,
    check,
    check_text,
    endpoint,
    is_formula,
    is_hostname,
    no_ip,
    port_value,
    protocol_value,
    text_value,
    unquote,
    validate_ips,
    whole_record,
    wrong_columns,
)

NAME = "shadowserver"

_TYPICAL = {"asn", "src_asn", "geo", "src_geo", "infection", "tag", "hostname", "src_hostname", "naics", "sic",
            "region", "city", "family", "protocol", "port", "src_port", "sector"}


def header_cells(line, delimiter=","):
    try:
        cells = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []
    return [c.strip().strip("\ufeff").lower() for c in cells]


def sniff(sample):
    """A first line that is a Shadowserver header: ``timestamp``, ``ip``/``src_ip`` and typical columns."""
    if not sample.lines:
        return False
    first = sample.lines[0]
    for delimiter in (",", ";", "\t"):
        if delimiter not in first:
            continue
        cols = set(header_cells(first, delimiter))
        if "timestamp" in cols and ({"ip", "src_ip"} & cols) and len(_TYPICAL & cols) >= 2:
            return True
    return False


def report_kind(columns):
    cols = set(columns)
    if "src_ip" in cols:
        return "sinkhole_http" if {"http_host", "http_url"} & cols else "sinkhole"
    if "ip" not in cols:
        return None
    if {"cc_url", "redirect_target", "detected_since"} & cols:
        return "compromised_website"
    if "infection" in cols and {"cc", "cc_ip", "cc_port", "cc_dns"} & cols:
        return "botnet_drone"
    if {"reason", "source"} & cols and "port" not in cols:
        return "blocklist"
    return "other"


class Layout:
    """Which columns hold what, for one report's header."""

    def __init__(self, columns, delimiter):
        self.columns = columns
        self.delimiter = delimiter
        self.ncols = len(columns)
        self.kind = report_kind(columns)
        if self.kind is None:
            raise ParseError(_("This Shadowserver report has no ip/src_ip column; its header is: %(header)s")
                             % {"header": ", ".join(columns)[:300]})
        index = {}
        for i, name in enumerate(columns):
            index.setdefault(name, i)

        def first(*names):
            return next((index[n] for n in names if n in index), None)

        self.index = index
        self.ip = first("src_ip", "ip")
        self.seen = first("timestamp")
        self.port = first("src_port", "port")
        self.asn = first("src_asn", "asn")
        protocol_names = ("protocol", "transport", "type") if self.kind == "botnet_drone" else ("protocol", "transport")
        self.protocol = first(*protocol_names)
        family_names = {
            "compromised_website": ("family", "tag", "category"),
            "blocklist": ("tag", "family"),
        }.get(self.kind, ("family", "infection", "tag"))
        self.family = [index[n] for n in family_names if n in index]
        self.dest_hosts, self.dest_port = [], None
        if self.kind in ("sinkhole", "sinkhole_http", "other"):
            self.dest_hosts = [i for i in (first("dst_ip"),) if i is not None]
            self.dest_port = first("dst_port")
        elif self.kind == "botnet_drone":
            self.dest_hosts = [index[n] for n in ("cc_ip", "cc", "cc_dns") if n in index]
            self.dest_port = first("cc_port")
        elif self.kind == "compromised_website":
            self.dest_hosts = [i for i in (first("cc_url"),) if i is not None]
        # indicators: (kind, column, host column for a path, scheme column)
        self.indicators = []
        if self.kind == "sinkhole_http":
            self._add_indicator("domain", "http_host")
            self._add_indicator("url", "http_url", "http_host")
        elif self.kind == "botnet_drone":
            self._add_indicator("domain", "cc_dns")
            self._add_indicator("url", "url", "cc_dns")
        elif self.kind == "compromised_website":
            self._add_indicator("domain", "hostname")
            self._add_indicator("domain", "http_host")
            self._add_indicator("url", "url", "http_host", "application")
            self._add_indicator("url", "cc_url")
            self._add_indicator("url", "redirect_target")

    def _add_indicator(self, kind, name, host=None, scheme=None):
        if name in self.index:
            self.indicators.append((kind, self.index[name], self.index.get(host), self.index.get(scheme)))

    def indicator_columns(self):
        return sorted({c for _k, col, host, scheme in self.indicators for c in (col, host, scheme) if c is not None})


# --- conversions of one row --------------------------------------------------------------------------

class Converters:
    """Memoised conversions: of cell values (``csv`` rows) and of pieces of lines split by hand (quoted,
    possibly cut inside a quoted cell: such a piece converts to ``Invalid`` and its row is read by csv)."""

    def __init__(self, layout, clock):
        self.layout = layout
        self.clock = clock
        self.port = Memo(port_value)
        self.asn = Memo(asn_or_none)
        self.protocol = Memo(protocol_value)
        self.family = Memo(text_value(lower=True))
        self.dest = Memo(self._destination)
        self.network = layout.kind == "blocklist"
        self.pieces = {name: Memo(self._piece(getattr(self, name))) for name in ("port", "asn", "protocol", "family")}
        self.dest_pieces = Memo(self._dest_piece)

    @staticmethod
    def _piece(values):
        def convert(piece):
            if not balanced(piece):
                return Invalid("reparse", piece)
            return values[unquote(piece)]

        return convert

    def _dest_piece(self, key):
        if not all(balanced(piece) for piece in key if piece is not None):
            return Invalid("reparse", key)
        return self.dest[tuple(unquote(piece) if piece is not None else None for piece in key)]

    def _destination(self, key):
        """(host cells…, port cell) → destination text or Invalid."""
        *hosts, port = key
        host = None
        for cell in hosts:
            value = cell.strip()
            if value and value not in ("-", "?", UNSPECIFIED):
                host = value
                break
        if host is None:
            return None
        port = port.strip() if port is not None else ""
        for value in (host, port):
            if is_formula(value):
                return Invalid("formula", value)
        return endpoint(host, port if port not in ("", "0", "-", "?") else None)

    def ip(self, text, line):
        value = canonical_ip_or_network(text) if self.network else canonical_ip(text)
        if value is None:
            text = text.strip()
            raise RowError(no_ip(line) if not text else bad_value(line, "network" if self.network else "ip", text))
        return value

    def family_of(self, cells, line):
        for col in self.layout.family:
            value = check(self.family[cells[col]], line)
            if value is not None:
                return value
        return None

    def indicators_of(self, get, line):
        """[(kind, value)] from a row; ``get(column)`` gives a cell's text."""
        out = []
        for kind, col, host_col, scheme_col in self.layout.indicators:
            value = check_text(get(col), line)
            if value is None or value in ("-", "?"):
                continue
            if kind == "domain":
                value = value.lower().rstrip(".")
                if is_hostname(value):
                    out.append(("domain", value))
                continue
            if "://" not in value:
                host = check_text(get(host_col), line) if host_col is not None else None
                if not host:
                    continue
                path = value
                if not path.startswith("/"):  # a request line: "GET /x HTTP/1.1"
                    start = path.find("/")
                    if start < 0:
                        continue
                    path = path[start:]
                path = path.split()[0] if path.split() else path
                scheme = (get(scheme_col).strip().lower() if scheme_col is not None else "") or "http"
                value = f"{scheme if scheme in ('http', 'https') else 'http'}://{host.lower()}{path}"
            out.append(("url", value))
        return list(dict.fromkeys(out))


# --- the parser -----------------------------------------------------------------------------------------

def parse(source, options):
    reader = source.lines(options.encoding, block=4 * CHUNK_CHARS)
    _start, head = reader.chunk(1)
    if not head or not head[0].strip():
        raise ParseError(_("The file is empty."))
    header_line = head[0]
    delimiter = _delimiter(header_line)
    if header_line.count('"') % 2:
        raise ParseError(_("The header (line 1) is truncated or broken: %(line)s") % {"line": header_line[-200:]})
    columns = header_cells(header_line, delimiter)
    if len(columns) < 2:
        raise ParseError(_("Line 1 is not a CSV header: %(line)s") % {"line": header_line[:200]})
    if columns[-1] == "" and len(columns) > 2:  # a trailing delimiter
        columns = columns[:-1]
    layout = Layout(columns, delimiter)
    yield from Reader(layout, reader, options).run()


def _delimiter(line):
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=counts.get)


_IP_COLUMNS = ("dst_ip", "cc_ip", "cc")
MIDDLE_LIMIT = 20_000


class Reader:
    def __init__(self, layout, lines, options):
        self.layout = layout
        self.lines = lines
        self.batches = Batches(options.batch_size)
        self.convert = Converters(layout, Clock(options.tz))
        self.tier = 2
        self._plan()

    def _plan(self):
        """Plan the split; a middle whose memo grows past ``MIDDLE_LIMIT`` values does not repeat in this
        report: then the middle may hold fewer columns (tier 2 → 1 → none)."""
        self.plan = plan(self.layout, tier=self.tier)
        self.middle = Memo(self._middle_value) if self.plan is not None and self.plan.middle_roles else None

    # one row through csv: the reference behaviour, and every reason a row is bad
    def exact(self, line, text):
        layout, convert, batches = self.layout, self.convert, self.batches
        if not text.strip():
            return
        try:
            try:
                cells = next(csv.reader([text], delimiter=layout.delimiter, strict=False))
            except csv.Error as exc:
                raise RowError(_("Row %(row)s cannot be read as CSV: %(error)s") % {"row": line, "error": exc}) from None
            if len(cells) != layout.ncols:
                if len(cells) > layout.ncols and not any(c.strip() for c in cells[layout.ncols:]):
                    cells = cells[:layout.ncols]
                else:
                    raise RowError(wrong_columns(line, layout.ncols, len(cells)))
            ip = convert.ip(cells[layout.ip], line)
            seen = check(convert.clock(cells[layout.seen]), line) if layout.seen is not None else None
            port = check(convert.port[cells[layout.port]], line) if layout.port is not None else None
            asn = check(convert.asn[cells[layout.asn]], line) if layout.asn is not None else None
            protocol = check(convert.protocol[cells[layout.protocol]], line) if layout.protocol is not None else None
            family = convert.family_of(cells, line)
            destination = None
            if layout.dest_hosts:
                destination = check(convert.dest[self._dest_key(cells, 0)], line)
            indicators = convert.indicators_of(cells.__getitem__, line) if layout.indicators else ()
        except RowError as exc:
            batches.bad(line, exc.reason)
            return
        batches.add(ip=ip, line=line, raw=text, seen=seen, family=family, port=port, protocol=protocol, asn=asn,
                    destination=destination)
        for kind, value in indicators:
            batches.indicator(kind, value, line)

    def _dest_key(self, cells, offset):
        layout = self.layout
        port = cells[layout.dest_port - offset] if layout.dest_port is not None else None
        return (*(cells[c - offset] for c in layout.dest_hosts), port)

    def _middle_value(self, text):
        """The middle of a line (what lies between the split pieces) → (number of extra cells in front,
        the middle roles' values…).

        The middle ends where the right-hand pieces begin, so its last ``width`` cells are the middle
        columns even when commas inside quotes further left (a sector such as "Communications, Service
        Provider, and Hosting Service") made the split start it early: the extra cells in front are ignored.
        That is right only when each extra cell comes from one such comma on the left and nothing moved the
        right-hand pieces (a comma inside quotes there, or more cells than the header): the caller checks
        that the left part of such a line holds exactly that many ", ". A middle with too few cells, or whose
        address, port, AS or NAICS columns hold something else, gives Invalid: the row is then read by csv."""
        plan, layout, convert = self.plan, self.layout, self.convert
        try:
            cells = next(csv.reader([text], delimiter=layout.delimiter, strict=False))
        except (csv.Error, StopIteration):
            return Invalid("reparse", text)
        extra = len(cells) - plan.middle_width
        if extra < 0:
            return Invalid("reparse", text)
        cells = cells[extra:]
        for col in range(plan.k, plan.k + plan.middle_width):
            value = cells[col - plan.k].strip()
            name = layout.columns[col]
            if not value or value in ("-", "?"):
                continue
            if name in _IP_COLUMNS and canonical_ip(value) is None:
                return Invalid("reparse", text)
            if name.endswith(("_port", "_asn", "_naics")) and not value.isdigit():
                return Invalid("reparse", text)
        out = [extra]
        for role in plan.middle_roles:
            if role == "destination":
                value = convert.dest[self._dest_key(cells, plan.k)]
            elif role == "family":
                value = None
                for col in layout.family:
                    value = convert.family[cells[col - plan.k]]
                    if value is not None:
                        break
            else:  # protocol
                value = convert.protocol[cells[layout.protocol - plan.k]]
            if type(value) is Invalid:
                return value
            out.append(value)
        return tuple(out)

    def run(self):
        lines, batches = self.lines, self.batches
        while True:
            start, chunk = lines.chunk()
            if not chunk:
                break
            if self.plan is None:
                self._exact_chunk(start, chunk)
            else:
                enabled = gc.isenabled()
                gc.disable()  # a chunk makes many short-lived lists, none of them cyclic
                try:
                    self._fast_chunk(start, chunk)
                finally:
                    if enabled:
                        gc.enable()
                if self.middle is not None and len(self.middle) > MIDDLE_LIMIT:
                    self.tier -= 1
                    self._plan()
            if batches.full():
                yield batches.take()
        rest = batches.rest()
        if rest is not None:
            yield rest

    def _exact_chunk(self, start, chunk):
        i = 0
        while i < len(chunk):
            text = chunk[i]
            used = 1
            if text.count('"') % 2:
                text, used = self._continue(text, chunk, i)
            self.exact(start + i, text)
            i += used

    def _continue(self, text, chunk, i):
        """A line with an open quoted cell: joined with the following lines when that makes one record
        (``base.whole_record``); returns the record's text and how many lines it used (lines taken after
        the chunk included)."""
        parts, taken = [text], []
        while len(parts) < MAX_RECORD_LINES and sum(part.count('"') for part in parts) % 2:
            if i + len(parts) < len(chunk):
                parts.append(chunk[i + len(parts)])
            else:
                following = self.lines.take()
                if following is None:
                    break
                taken.append(following)
                parts.append(following)
        joined = whole_record(parts, self.layout.delimiter, self.layout.ncols) if len(parts) > 1 else None
        if joined is None:
            self.lines.give_back(taken)
            return text, 1
        return joined[0], len(parts)

    def _split(self, work, slow):
        """Heads and tails of every line; a line too short to give its pieces is marked slow and split as
        an empty row of the right width instead."""
        plan, d = self.plan, self.layout.delimiter
        k, m = plan.k, plan.m
        filler = None
        heads = tails = None
        if k:
            heads = list(map(str.split, work, repeat(d), repeat(k)))
            if min(map(len, heads)) <= k:
                filler = d * (self.layout.ncols - 1)
                for i, head in enumerate(heads):
                    if len(head) <= k:
                        slow.add(i)
                        heads[i] = filler.split(d, k)
        if m:
            tails = list(map(str.rsplit, map(itemgetter(k), heads) if k else work, repeat(d), repeat(m)))
            if min(map(len, tails)) <= m:
                filler = d * (self.layout.ncols - 1)
                for i, tail in enumerate(tails):
                    if len(tail) <= m:
                        slow.add(i)
                        if k:
                            heads[i] = filler.split(d, k)
                        tails[i] = (heads[i][k] if k else filler).rsplit(d, m)
        return heads, tails

    def _fast_chunk(self, start, chunk):
        plan, layout, convert = self.plan, self.layout, self.convert
        d = layout.delimiter
        n = len(chunk)
        work = chunk
        slow = set()
        if not plan.middle_roles:
            # no middle to check the split: a line must have exactly the header's number of cells
            want = layout.ncols - 1
            counts = list(map(str.count, chunk, repeat(d)))
            if counts.count(want) != n:
                filler = d * want
                work = list(chunk)
                for i, count in enumerate(counts):
                    if count != want:
                        slow.add(i)
                        work[i] = filler
        heads, tails = self._split(work, slow)

        def column(col):
            where, pos = plan.position(col)
            return map(itemgetter(pos), heads if where == "head" else tails)

        ips, ips_ok = validate_ips(list(map(str.strip, column(layout.ip), repeat('"'))))
        if not ips_ok:
            slow.update(i for i, ip in enumerate(ips) if ip is None)
        pieces = convert.pieces
        checks = []
        if layout.seen is not None:
            memo = convert.clock.memo
            seen = list(map(memo.__getitem__, column(layout.seen)))
            checks.append((memo, seen))
        else:
            seen = [None] * n
        if layout.port is not None:
            raw_ports = list(column(layout.port))
            try:
                port = list(map(int, raw_ports))
                if port and (min(port) < 0 or max(port) > 65535):
                    raise ValueError
            except ValueError:  # some are empty, quoted or not numbers: those through the memo
                memo = pieces["port"]
                port = [int(p) if digits and (len(p) < 5 or len(p) == 5 and p <= "65535") else memo[p]
                        for p, digits in zip(raw_ports, map(str.isdigit, raw_ports), strict=True)]
                checks.append((memo, port))
        else:
            port = [None] * n
        if layout.asn is not None:
            asn = list(map(pieces["asn"].__getitem__, column(layout.asn)))
            checks.append((pieces["asn"], asn))
        else:
            asn = [None] * n
        values = {}
        if plan.middle_roles:
            middle = list(map(self.middle.__getitem__, plan.middle_pieces(heads, tails)))
            if self.middle.invalid:
                slow.update(i for i, v in enumerate(middle) if type(v) is Invalid)
                empty = (-1,) + (None,) * len(plan.middle_roles)
                middle = [v if type(v) is tuple else empty for v in middle]
            extra = list(map(itemgetter(0), middle))
            if any(extra):
                # a line whose middle began early: the left part must hold one ", " per extra cell (the
                # part up to the middle, and the middle's first character: the space after a cut comma)
                if plan.k:
                    rests = map(itemgetter(plan.k), heads)
                    slow.update(i for i, line, rest, x in zip(range(n), chunk, rests, extra, strict=True)
                                if x and line.count(", ", 0, len(line) - len(rest) + 1) != x)
                else:  # nothing on the left: extra cells can only come from the right
                    slow.update(i for i in range(n) if extra[i] > 0)
            for position, role in enumerate(plan.middle_roles, 1):
                values[role] = list(map(itemgetter(position), middle))
        if "protocol" not in values:
            if layout.protocol is not None:
                values["protocol"] = list(map(pieces["protocol"].__getitem__, column(layout.protocol)))
                checks.append((pieces["protocol"], values["protocol"]))
            else:
                values["protocol"] = [None] * n
        if "family" not in values:
            if layout.family:
                memo = pieces["family"]
                family = list(map(memo.__getitem__, column(layout.family[0])))
                if len(layout.family) > 1 and None in family:
                    for col in layout.family[1:]:
                        missing = [i for i, v in enumerate(family) if v is None]
                        if not missing:
                            break
                        other = list(column(col))
                        for i in missing:
                            family[i] = memo[other[i]]
                checks.append((memo, family))
                values["family"] = family
            else:
                values["family"] = [None] * n
        if "destination" not in values:
            if layout.dest_hosts:
                parts = [column(c) for c in layout.dest_hosts]
                parts.append(column(layout.dest_port) if layout.dest_port is not None else repeat(None, n))
                memo = convert.dest_pieces
                values["destination"] = list(map(memo.__getitem__, zip(*parts, strict=False)))
                checks.append((memo, values["destination"]))
            else:
                values["destination"] = [None] * n
        for memo, column_values in checks:
            if memo.invalid:
                slow.update(i for i, v in enumerate(column_values) if type(v) is Invalid)
        indicators = self._fast_indicators(heads, tails, n, start, slow) if layout.indicators else None
        self._emit(start, chunk, slow, ips, seen, values, port, asn, indicators)

    def _fast_indicators(self, heads, tails, n, start, slow):
        plan = self.plan
        pieces = {}
        for col in self.layout.indicator_columns():
            where, pos = plan.position(col)
            pieces[col] = list(map(itemgetter(pos), heads if where == "head" else tails))
        primary = [pieces[col] for _kind, col, _host, _scheme in self.layout.indicators]
        found = {}
        for i in range(n):
            if i in slow or not any(p[i] and p[i] != '""' for p in primary):
                continue
            if not all(balanced(pieces[col][i]) for col in pieces):
                slow.add(i)
                continue
            try:
                found[i] = self.convert.indicators_of(lambda col, i=i: unquote(pieces[col][i]), start + i)
            except RowError:
                slow.add(i)
        return found

    def _emit(self, start, chunk, slow, ips, seen, values, port, asn, indicators):
        batch = self.batches.batch
        n = len(chunk)
        columns = ((batch.ip, ips), (batch.seen, seen), (batch.family, values["family"]), (batch.port, port),
                   (batch.protocol, values["protocol"]), (batch.asn, asn), (batch.destination, values["destination"]))
        if not slow:
            for target, source in columns:
                target.extend(source)
            batch.line.extend(range(start, start + n))
            batch.raw.extend(chunk)
            if indicators:
                for i, found in indicators.items():
                    for kind, value in found:
                        batch.indicators.append((kind, value, start + i))
            return
        i = 0
        for stop in sorted(slow) + [n]:
            if stop < i:  # a line already used by a multi-line record
                continue
            if stop > i:
                for target, source in columns:
                    target.extend(source[i:stop])
                batch.line.extend(range(start + i, start + stop))
                batch.raw.extend(chunk[i:stop])
                if indicators:
                    for j in range(i, stop):
                        for kind, value in indicators.get(j, ()):
                            batch.indicators.append((kind, value, start + j))
            if stop == n:
                break
            text = chunk[stop]
            used = 1
            if text.count('"') % 2:
                text, used = self._continue(text, chunk, stop)
            self.exact(start + stop, text)
            i = stop + used  # the lines of a multi-line record are not rows of their own


# --- the split plan -------------------------------------------------------------------------------------

class Plan:
    """Split each line into ``k`` pieces from the left (``str.split(d, k)``), then the rest into ``m``
    pieces from the right (``str.rsplit(d, m)``); what lies between is the "middle", read through a memo
    when it holds a role (its columns repeat: the sinkhole's own address, port, AS…)."""

    def __init__(self, layout, k, m, middle_roles):
        self.k, self.m = k, m
        self.ncols = layout.ncols
        self.middle_roles = middle_roles
        self.middle_width = layout.ncols - k - m

    def position(self, col):
        if col < self.k:
            return "head", col
        if self.m and col >= self.ncols - self.m:
            return "tail", col - (self.ncols - self.m) + 1
        raise LookupError(col)

    def middle_pieces(self, heads, tails):
        if self.m:
            return map(itemgetter(0), tails)
        return map(itemgetter(self.k), heads)


_REPEATING = {
    # tier 1: the sinkhole's or C&C's own columns, the data's source, the malware: a few values per report
    1: lambda name: name.startswith(("dst_", "cc_")) or name in {
        "public_source", "protocol", "transport", "type", "application", "infection", "family", "tag"},
    # tier 2: also the infected host's industry, sector and device type: tens or hundreds of values
    2: lambda name: name.startswith(("dst_", "cc_")) or name in {
        "public_source", "protocol", "transport", "type", "application", "infection", "family", "tag",
        "src_naics", "src_sector", "naics", "sic", "sector", "device_vendor", "device_type", "device_model"},
}


_NO_MIDDLE_COST = 4  # without a middle every line's delimiters are counted, and a comma inside quotes
_MIDDLE_COST = 2  # anywhere sends the row to csv; a middle costs one memo lookup


def plan(layout, *, tier):
    """The cheapest split that gives every needed column, or None (then csv throughout). ``tier``: which
    columns the middle may hold besides its roles (``_REPEATING``; 0: no middle)."""
    allow_middle = tier > 0
    repeating = _REPEATING.get(tier)
    ncols = layout.ncols
    single = [c for c in (layout.ip, layout.seen, layout.port, layout.asn) if c is not None]
    single += layout.indicator_columns()
    groups = {}
    if layout.protocol is not None:
        groups["protocol"] = [layout.protocol]
    if layout.family:
        groups["family"] = list(layout.family)
    if layout.dest_hosts:
        groups["destination"] = layout.dest_hosts + ([layout.dest_port] if layout.dest_port is not None else [])
    role_columns = {c for cols in groups.values() for c in cols}
    best = None
    for k in range(0, ncols):
        for m in range(0, ncols - k):
            if k == 0 and m == 0:
                continue
            lo, hi = k, ncols - m  # the middle: columns lo <= c < hi (at least one)
            if any(lo <= c < hi for c in single):
                continue
            middle_roles = []
            ok = True
            for role, cols in groups.items():
                inside = [lo <= c < hi for c in cols]
                if any(inside):
                    if not all(inside) or not allow_middle:
                        ok = False
                        break
                    middle_roles.append(role)
            if not ok:
                continue
            if middle_roles and not all(c in role_columns or repeating(layout.columns[c]) for c in range(lo, hi)):
                continue
            cost = (k + 1 if k else 0) + (m + 1 if m else 0)
            cost += _MIDDLE_COST if middle_roles else _NO_MIDDLE_COST
            if "destination" not in middle_roles and "destination" in groups:
                cost += len(groups["destination"]) - 1
            if best is None or cost < best[0]:
                best = (cost, k, m, middle_roles)
    if best is None:
        return None
    _cost, k, m, middle_roles = best
    return Plan(layout, k, m, middle_roles)
