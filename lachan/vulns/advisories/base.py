"""What every advisory reader shares: the error, opening a path or file (gzip told by its magic bytes),
telling the shape of a JSON file from its first bytes, and streaming its records with ijson.

Streaming: ``json_records`` walks the file with ``ijson.items`` (the C yajl2 backend), so only one record
is in memory at a time; a 300 MB NVD year feed never sits in memory whole. When the JSON is broken, the
error names the record (its index and the last good CVE id) and the position: the exact line and column
when the file is small enough to keep what was read (``KEEP_BYTES``), otherwise the line and byte the
reader had reached.
"""

import datetime
import gzip
import io
import json
import os
import re
import zlib
from dataclasses import dataclass, field

import ijson
from django.utils.translation import gettext as _

from lachan.core.streams import ReplayStream

HEAD_BYTES = 64 * 1024
READ_BYTES = 64 * 1024
KEEP_BYTES = 1024 * 1024  # a broken file up to this size gets an exact line/column
CVE_ID = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)
_GZIP_MAGIC = b"\x1f\x8b"
_NO_ISSUE = object()


class AdvisoryParseError(ValueError):
    """A file that cannot be read as an advisory source; ``str()`` is meant for the user and names the
    line or record (``line``: a line number, or a text such as "record 3 (CVE-2024-0001)" or "row 7") and
    the field (a JSON field) or the column (a table's header as the file writes it)."""

    def __init__(self, message, *, line=None, field=None, column=None):
        super().__init__(message)
        self.message = str(message)
        self.line = line
        self.field = field
        self.column = column

    def __str__(self):
        where = []
        if self.line is not None and self.line != "":
            where.append(_("line %(line)s") % {"line": self.line} if isinstance(self.line, int) else str(self.line))
        if self.field:
            where.append(_("field '%(field)s'") % {"field": self.field})
        if self.column:
            where.append(_("column '%(column)s'") % {"column": self.column})
        return f"{', '.join(where)}: {self.message}" if where else self.message


# --- opening ---------------------------------------------------------------------------------------


def _read(stream, size):
    try:
        return stream.read(size)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise AdvisoryParseError(_("The gzip data is damaged or cut short: %(error)s") % {"error": exc}) from None


@dataclass
class Opened:
    """An input ready to read: ``stream`` (binary, decompressed, from its first byte), ``head`` (its first
    bytes, up to ``HEAD_BYTES``), ``name`` (the file name when known, lower case), ``gzip``."""

    stream: io.BufferedReader
    head: bytes
    name: str = ""
    gzip: bool = False
    _close: list = field(default_factory=list)

    def close(self):
        for closable in reversed(self._close):
            closable.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_input(source, filename=""):
    """A path (str/PathLike), bytes, or a binary file object → ``Opened``. Gzip is recognised by its magic
    bytes and decompressed as it is read. The caller's file object is not closed."""
    to_close = []
    if isinstance(source, str | os.PathLike):
        raw = open(source, "rb")  # noqa: SIM115 - closed by Opened.close
        to_close.append(raw)
        filename = filename or os.fspath(source)
    elif isinstance(source, bytes | bytearray | memoryview):
        raw = io.BytesIO(bytes(source))
    elif hasattr(source, "read"):
        raw = source
        if isinstance(source, io.TextIOBase):
            raw = getattr(source, "buffer", None)
            if raw is None:
                raise AdvisoryParseError(_("Open the file in binary mode."))
        filename = filename or str(getattr(source, "name", "") or "")
    else:
        raise TypeError(f"expected a path, bytes or a binary file, not {type(source).__name__}")
    try:
        magic = _read_exactly(raw, 2)
        compressed = magic == _GZIP_MAGIC
        stream = io.BufferedReader(ReplayStream(magic, raw, _read), READ_BYTES)
        if compressed:
            stream = gzip.GzipFile(fileobj=stream, mode="rb")
            to_close.append(stream)
        head = _read_exactly(stream, HEAD_BYTES)
        stream = io.BufferedReader(ReplayStream(head, stream, _read), READ_BYTES)
    except BaseException:
        for closable in reversed(to_close):
            closable.close()
        raise
    return Opened(stream, head, os.path.basename(filename).lower(), compressed, to_close)


def _read_exactly(stream, size):
    """Up to ``size`` bytes (fewer only at the end of the file), however the stream splits its reads."""
    blocks, left = [], size
    while left > 0:
        block = _read(stream, left)
        if not block:
            break
        blocks.append(block)
        left -= len(block)
    return b"".join(blocks)


# --- the shape of a JSON file ----------------------------------------------------------------------


@dataclass
class Shape:
    """What the first bytes of a JSON file tell: the top-level keys (and their string values), and for
    top-level arrays of objects (the file itself, or a member) the keys of their first object."""

    top: str = ""  # "map" | "array" | "" (not JSON)
    keys: dict = field(default_factory=dict)  # top-level key → its value when a string, else None
    lists: dict = field(default_factory=dict)  # "item" / "member.item" → keys of its objects (as a dict)
    broken: str = ""  # the JSON error met within the head, if any


def json_shape(head):
    """The ``Shape`` of a JSON document from its first bytes (the head may end anywhere)."""
    shape = Shape()
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] not in (b"{", b"["):
        return shape
    shape.top = "map" if text[:1] == b"{" else "array"
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(text)):
            depth = prefix.count(".") + 1 if prefix else 0
            if event == "map_key":
                if depth == 0:
                    shape.keys.setdefault(value, None)
                elif prefix.endswith("item") and depth <= 2:
                    shape.lists.setdefault(prefix, {}).setdefault(value, None)
            elif event == "string" and depth == 1 and prefix in shape.keys:
                shape.keys[prefix] = value
    except ijson.JSONError as exc:
        if len(head) < HEAD_BYTES:  # the whole file was seen: it is broken
            shape.broken = first_line(exc)
    return shape


def first_line(exc):
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1].encode().decode("unicode_escape")
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


# --- streaming -------------------------------------------------------------------------------------


class _Counting:
    """Counts the bytes and lines the JSON parser has read; keeps them while the total is small."""

    def __init__(self, stream):
        self.stream = stream
        self.bytes = 0
        self.lines = 0
        self.kept = []

    def read(self, size=-1):
        data = _read(self.stream, size)
        if self.kept is not None:
            if self.bytes + len(data) <= KEEP_BYTES:
                self.kept.append(data)
            else:
                self.kept = None
        self.bytes += len(data)
        self.lines += data.count(b"\n")
        return data


def json_records(opened, prefix, label):
    """Yield ``(index, where, value)`` for every JSON value at the ijson ``prefix`` ("" = the whole
    document, "vulnerabilities.item" = each element of that array). ``where`` is "record N" for
    messages; ``label(value)`` gives a record's name (its CVE id) for the error after it."""
    reader = _Counting(opened.stream)
    index = 0
    last = ""
    try:
        for index, value in enumerate(ijson.items(reader, prefix, use_float=True), 1):  # noqa: B007
            yield index, _("record %(index)s") % {"index": index}, value
            last = label(value) or last
    except ijson.JSONError as exc:
        raise broken_json(reader, exc, index + 1, last) from None
    except UnicodeDecodeError:
        raise AdvisoryParseError(_("The file is not UTF-8 text (JSON must be UTF-8)."),
                                 line=reader.lines + 1) from None


def broken_json(reader, exc, index, last):
    """AdvisoryParseError for an ijson error: exact line/column from Python's json when the bytes read are
    kept, else the line and byte the reader had reached."""
    record = _("record %(index)s") % {"index": index}
    if last:
        record = _("record %(index)s (after %(cve)s)") % {"index": index, "cve": last}
    message = first_line(exc)
    if reader.kept is not None:
        data = b"".join(reader.kept)
        try:
            json.loads(data.decode("utf-8", errors="replace"))
        except json.JSONDecodeError as error:
            return AdvisoryParseError(
                _("Broken JSON at line %(line)s, column %(column)s (%(record)s): %(error)s")
                % {"line": error.lineno, "column": error.colno, "record": record, "error": error.msg}
            )
    return AdvisoryParseError(
        _("Broken JSON before line %(line)s (byte %(byte)s, %(record)s): %(error)s")
        % {"line": reader.lines + 1, "byte": reader.bytes, "record": record, "error": message}
    )


# --- values ----------------------------------------------------------------------------------------


def cve_id(value, *, line=None, field="id"):
    """A CVE id, upper-case; AdvisoryParseError when missing or malformed."""
    if not isinstance(value, str) or not value.strip():
        raise AdvisoryParseError(_("the record has no CVE id"), line=line, field=field)
    text = value.strip().upper()
    if not CVE_ID.fullmatch(text):
        raise AdvisoryParseError(_("%(value)r is not a CVE id") % {"value": value}, line=line, field=field)
    return text


def timestamp(value, *, line=None, field=""):
    """ISO 8601 text → aware UTC datetime (naive = UTC, as NVD writes it); None when empty."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise AdvisoryParseError(_("%(value)r is not a date and time") % {"value": value},
                                 line=line, field=field) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def iso_date(value, *, line=None, field=""):
    """ISO date text ("2025-08-25") checked and returned as text; "" when empty."""
    if value in (None, ""):
        return ""
    text = str(value).strip()
    try:
        return datetime.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise AdvisoryParseError(_("%(value)r is not a date (yyyy-mm-dd)") % {"value": value},
                                 line=line, field=field) from None


def score(value, *, line=None, field="baseScore"):
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise AdvisoryParseError(_("%(value)r is not a CVSS score") % {"value": value}, line=line, field=field)
    try:
        number = float(value)
    except ValueError:
        raise AdvisoryParseError(_("%(value)r is not a CVSS score") % {"value": value},
                                 line=line, field=field) from None
    if not 0.0 <= number <= 10.0:
        raise AdvisoryParseError(_("%(value)r is not a CVSS score") % {"value": value}, line=line, field=field)
    return number


def severity(value):
    """"CRITICAL" → "critical"; CVSS's "NONE" → "info"; anything else → "" (the score decides)."""
    text = str(value or "").strip().lower()
    if text == "none":
        return "info"
    return text if text in ("critical", "high", "medium", "low") else ""


_CWE = re.compile(r"CWE-\d+")


def cwe_ids(values):
    """CWE ids in order, without repeats; NVD's placeholders (NVD-CWE-noinfo, NVD-CWE-Other) left out."""
    seen = {}
    for value in values:
        for cwe in _CWE.findall(str(value or "").upper()):
            seen.setdefault(cwe, None)
    return list(seen)


def unique(values):
    return list(dict.fromkeys(v for v in values if v))


def text(value):
    return value.strip() if isinstance(value, str) else ""


def mapping(value, *, line=None, field=""):
    """A JSON object (dict), or AdvisoryParseError naming the field."""
    if not isinstance(value, dict):
        raise AdvisoryParseError(_("expected an object, found %(found)s") % {"found": type(value).__name__},
                                 line=line, field=field)
    return value


def items(value, *, line=None, field=""):
    """A JSON array (list; missing = empty), or AdvisoryParseError naming the field."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise AdvisoryParseError(_("expected a list, found %(found)s") % {"found": type(value).__name__},
                                 line=line, field=field)
    return value
