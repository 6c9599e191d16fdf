"""Feed parsers: every botnet/IoC feed format read into harmonised ``EventBatch`` objects (issue 4).

    from lachan.intel import parsers
    for batch in parsers.parse("event4_sinkhole.csv"):            # format detected
        ...
    parsers.parse(upload, format="generic", mapping={"ip": "Địa chỉ IP"}, source_tz="Asia/Ho_Chi_Minh")
    parsers.detect(first_bytes, "list.txt")                       # → "plain"

``FORMATS`` maps each format name to its module (``module.parse(source, options)``, ``module.sniff(sample)``,
``module.__doc__`` describes the format and how its columns become events):

- ``shadowserver``: Shadowserver reports (sinkhole events v4/v6 and HTTP, compromised website, legacy
  botnet drone, blocklist, others with ``timestamp``/``ip``), told from the header;
- ``spamhaus_cert``: Spamhaus CERT insight (``;`` comments, ``ip, asn, country, lastseen, botname, …``);
- ``cymru_infected``: Team Cymru CAP infected feed (``report|ip|asn|timestamp|comments|asn_name``);
- ``feodo``: abuse.ch Feodo Tracker C2 list, CSV and JSON;
- ``urlhaus``: abuse.ch URLhaus, CSV and JSON (URLs → indicators; an IP host → an event too);
- ``ctip``: Microsoft CTIP infected feed, JSON array or JSON lines (Azure and Interflow field names);
- ``plain``: one IP address or network a line, ``#``/``;`` comments (a network stays one event);
- ``generic``: CSV/TSV/XLSX with a header, columns found by (Vietnamese or English) header aliases or an
  explicit ``mapping``.

Detection (``detect``) looks at the first 64 KiB: XLSX → generic; JSON → by its keys (CTIP, Feodo, URLhaus);
text → the first of spamhaus_cert, cymru_infected, feodo, urlhaus, shadowserver, plain, generic whose
``sniff`` accepts the sample (comment banners, header lines, the shape of the first data lines). With a
``mapping`` and no ``format``, the format is ``generic``. ``ParseError`` (a ``ValueError`` with a message
for the user) when nothing fits, and for a file that is not its format: empty, binary, truncated header,
broken JSON (line and column named), a line longer than 1 MiB. Row-level problems are not errors: the
row goes to ``EventBatch.bad`` as ``(line, "Row 7: not an IP address: '10.0.0.300'")``.

Parsing streams: memory is bounded by ``batch_size`` (events per batch, plus a chunk of lines), never by
the file's size.
"""

import re

from django.utils.translation import gettext as _

from lachan.core import tabular

from . import ctip, cymru_infected, feodo, generic, plain, shadowserver, spamhaus_cert, urlhaus
from .base import HEAD_BYTES, Input, Options, ParseError, detect_encoding, head_text

__all__ = ["FORMATS", "ParseError", "detect", "parse"]

FORMATS = {
    "shadowserver": shadowserver,
    "spamhaus_cert": spamhaus_cert,
    "cymru_infected": cymru_infected,
    "feodo": feodo,
    "urlhaus": urlhaus,
    "ctip": ctip,
    "plain": plain,
    "generic": generic,
}
TEXT_ORDER = ("spamhaus_cert", "cymru_infected", "feodo", "urlhaus", "shadowserver", "plain", "generic")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_JSON_KEYS = re.compile(r'"([A-Za-z_][\w.]*)"\s*:')


class Sample:
    """The first bytes of a file, decoded, as the formats' ``sniff`` functions see them."""

    def __init__(self, head, filename=""):
        self.head = head
        self.name = (filename or "").lower()
        self.xlsx = head.startswith(b"PK\x03\x04") or self.name.endswith((".xlsx", ".xlsm"))
        self.text = "" if self.xlsx else head_text(head)
        lines = self.text.splitlines()
        if len(head) >= HEAD_BYTES and len(lines) > 1:
            lines = lines[:-1]  # possibly cut
        self.lines = lines
        self.comments = []
        for line in lines:
            stripped = line.strip()
            if not stripped:
                continue
            if stripped[0] in "#;":
                self.comments.append(stripped)
            else:
                break
        self.comments += [line.strip() for line in lines[len(self.comments):200] if line.strip()[:1] in ("#", ";")]
        self.data = [line.strip() for line in lines[:400] if line.strip() and line.strip()[0] not in "#;"]
        self.json = self.text.lstrip()[:1] in ("[", "{")


def _binary(sample):
    text = sample.text[:4096]
    if not text:
        return False
    controls = sum(1 for c in text if (ord(c) < 32 and c not in "\t\n\r\x0c") or c == "\ufffd")
    return controls > max(2, len(text) // 100)


def detect(head, filename=""):
    """The format name of a file from its first bytes (up to 64 KiB) and name; ``ParseError`` naming
    what was seen when no format fits."""
    if not head or not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise ParseError(_("The file is empty."))
    name = (filename or "").lower()
    if head.startswith(_OLE_MAGIC) or name.endswith(".xls"):
        raise ParseError(_("Old Excel 97-2003 files (.xls) are not supported: save the file as .xlsx or CSV."))
    if head.startswith(b"PK\x03\x04"):
        if b"xl/" in head[:4096] or b"[Content_Types].xml" in head[:4096] or name.endswith((".xlsx", ".xlsm")):
            return "generic"
        raise ParseError(_("A ZIP archive, not a feed: unpack it first."))
    if head.startswith(b"\x1f\x8b"):
        raise ParseError(_("A gzip-compressed file, not a feed: unpack it first."))
    try:
        sample = Sample(head, filename)
    except ParseError:
        raise ParseError(_("This is not a feed: binary data (seen: %(bytes)s).") % {"bytes": head[:16].hex(" ")}) from None
    if _binary(sample):
        raise ParseError(_("This is not a feed: binary data (seen: %(bytes)s).") % {"bytes": head[:16].hex(" ")})
    if sample.json:
        return _detect_json(sample)
    for format_name in TEXT_ORDER:
        if FORMATS[format_name].sniff(sample):
            return format_name
    first = next((line.strip() for line in sample.lines if line.strip()), "")
    raise ParseError(_("Cannot tell the feed format (Shadowserver, Spamhaus, Team Cymru, Feodo Tracker, URLhaus, "
                       "CTIP, a plain list, or a table with an IP column): the first line is %(line)s. Choose the "
                       "format, or give a column mapping.") % {"line": repr(first[:200])})


def _detect_json(sample):
    keys = set(_JSON_KEYS.findall(sample.text))
    if keys & {"SourceIp", "DataFeed", "ThreatCode", "networksourceipv4", "indicatorthreattype"}:
        return "ctip"
    if "ip_address" in keys and keys & {"malware", "first_seen", "last_online", "status"}:
        return "feodo"
    if keys & {"urlhaus_reference", "urlhaus_link"} or {"url", "url_status"} <= keys:
        return "urlhaus"
    shown = ", ".join(sorted(keys)[:12]) or "-"
    raise ParseError(_("A JSON file, but not a known feed (CTIP, Feodo Tracker or URLhaus); its keys include: "
                       "%(keys)s.") % {"keys": shown})


def parse(stream_or_path, *, format=None, source_tz=None, mapping=None, batch_size=50_000, encoding=None):
    """Stream ``EventBatch`` objects from a path, bytes, or a binary stream (an upload). ``format``:
    one of ``FORMATS`` (default: detected; ``generic`` when a ``mapping`` is given); ``source_tz``: the
    zone of naive timestamps (default UTC); ``mapping``: columns for ``generic``; ``encoding``: overrides
    detection. Raises ``ParseError`` (while iterating) for a file that is not the format."""
    options = Options(source_tz=source_tz, mapping=mapping, batch_size=batch_size, encoding=encoding)
    if format is not None and format not in FORMATS:
        raise ParseError(_("Unknown format %(format)s; known formats: %(formats)s.")
                         % {"format": format, "formats": ", ".join(sorted(FORMATS))})
    return _parse(stream_or_path, format, options)


def _parse(stream_or_path, format, options):
    source = Input(stream_or_path)
    try:
        if not source.head or not source.head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
            raise ParseError(_("The file is empty."))
        if format is None:
            format = "generic" if options.mapping else detect(source.head, source.name)
        if options.encoding is None and not (format == "generic" and source.head.startswith(b"PK\x03\x04")):
            detect_encoding(source.head)  # binary data fails here, before any batch
        try:
            yield from FORMATS[format].parse(source, options)
        except tabular.TabularError as exc:
            raise ParseError(str(exc)) from None
        except UnicodeDecodeError as exc:
            raise ParseError(_("The text is not valid %(encoding)s (%(error)s); give the file's encoding or save it "
                               "as UTF-8.") % {"encoding": exc.encoding, "error": exc.reason}) from None
    finally:
        source.close()
