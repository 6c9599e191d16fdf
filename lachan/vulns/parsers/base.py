"""What the scanner parsers share: the input (path or stream, read again when a format needs two
passes), the error, hardened streaming XML, text/IP/CVE clean-up and severity mapping.

XML is read with ``lxml.etree.iterparse`` (``resolve_entities=False``, ``no_network=True``,
``huge_tree=False``, no DTD loading) and refused when the document declares a DTD with an internal
subset or entities, or names an external DTD: scanner reports never do, XML bombs (billion laughs) and
external-entity reads (XXE) always do. The prolog is checked on the raw bytes before lxml starts, and the
parsed DTD is checked again at the first element (that catches other encodings and long prologs).
"""

import io
import ipaddress
import os
import re
import shutil
import tempfile

from django.utils.translation import gettext as _
from lxml import etree

from lachan.core.streams import ReplayStream
from lachan.vulns.records import SEVERITIES, severity_from_score

HEAD_BYTES = 1 << 16
EVIDENCE_LIMIT = 8192  # characters of evidence kept per finding
SPOOL_MEMORY = 16 << 20  # a non-seekable upload read twice is spooled to disk beyond this

__all__ = [
    "EVIDENCE_LIMIT", "ScanParseError", "Source", "canonical_ip", "cap", "check_prolog", "child_text", "clean",
    "cve_list", "hosts_once", "iter_xml", "release", "severity_from_label", "severity_from_nessus",
    "severity_from_score", "to_float", "to_port",
]


class ScanParseError(ValueError):
    """The file is not (or stops being) the scanner format being read. ``line`` names where, if known."""

    def __init__(self, message, *, line=None):
        self.message = str(message)
        self.line = line
        if line:
            message = _("Line %(line)s: %(message)s") % {"line": line, "message": message}
        super().__init__(message)


# --- input -------------------------------------------------------------------------------------------


class _Encoded(io.RawIOBase):
    """A text stream (``io.StringIO``, a text-mode file) read as UTF-8 bytes."""

    def __init__(self, text_stream):
        self._text = text_stream
        self._pending = b""

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self._pending:
            text = self._text.read(max(1, len(buffer) // 4))
            if not text:
                return 0
            self._pending = text.encode("utf-8")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


class Source:
    """A scan file to parse: ``head`` (its first bytes, for detection) and ``open()`` (a binary stream
    from the start; may be called again to read the file a second time)."""

    def __init__(self, source):
        self.name = ""
        self._path = None
        self._owned = None
        self._start = None
        if isinstance(source, str | os.PathLike):
            self.name = self._path = os.fspath(source)
            try:
                with open(self._path, "rb") as stream:
                    self.head = stream.read(HEAD_BYTES)
            except OSError as exc:
                raise ScanParseError(_("Cannot read %(path)s: %(error)s") % {"path": self.name, "error": exc.strerror}) from None
            return
        if isinstance(source, bytes | bytearray | memoryview):
            source = io.BytesIO(bytes(source))
        if not hasattr(source, "read"):
            raise ScanParseError(_("Nothing to read: give a file path or an open file."))
        self.name = str(getattr(source, "name", "") or "")
        self._stream = source
        if _seekable(source):
            self._start = source.tell()
        head = source.read(HEAD_BYTES)
        self._text = isinstance(head, str)  # a text-mode stream: read as UTF-8
        if self._text:
            head = head.encode("utf-8")
        self.head = bytes(head or b"")
        self._fresh = True  # the stream's position is right after the head

    def open(self):
        """A binary stream over the whole file from its start."""
        if self._path is not None:
            stream = open(self._path, "rb")  # noqa: SIM115 — closed by the caller
            return stream
        if self._owned is not None:
            self._owned.seek(0)
            return io.BufferedReader(_Unclosable(self._owned), buffer_size=HEAD_BYTES)
        if self._start is not None:
            self._stream.seek(self._start)
            raw = _Encoded(self._stream) if self._text else _Unclosable(self._stream)
            return io.BufferedReader(raw, buffer_size=HEAD_BYTES)
        if not self._fresh:
            raise ScanParseError(_("This stream cannot be read twice."))
        self._fresh = False
        rest = _Encoded(self._stream) if self._text else self._stream
        return io.BufferedReader(ReplayStream(self.head, rest), buffer_size=HEAD_BYTES)

    def rewindable(self):
        """Make ``open()`` callable more than once (a pipe or an upload without ``seek`` is spooled)."""
        if self._path is not None or self._start is not None or self._owned is not None:
            return
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115 — closed by close()
        with self.open() as stream:
            shutil.copyfileobj(stream, spool, 1 << 20)
        self._owned = spool

    def restore(self):
        """Put a caller's seekable stream back where it was handed over (after detection)."""
        if self._start is not None and self._path is None:
            self._stream.seek(self._start)

    def close(self):
        if self._owned is not None:
            self._owned.close()
            self._owned = None


class _Unclosable(io.RawIOBase):
    """A caller's stream handed to a parser that closes what it reads: reading passes through, closing
    does not close the caller's object."""

    def __init__(self, stream):
        self._s = stream

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._s.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n


def _seekable(stream):
    try:
        return bool(stream.seekable()) and stream.tell() >= 0
    except (AttributeError, OSError, ValueError):
        return False


# --- XML -----------------------------------------------------------------------------------------------

_PROLOG_ITEM = re.compile(rb"\s*(<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(\[)?[^>]*>)", re.S | re.I)


def check_prolog(head):
    """Refuse a DTD internal subset or an entity declaration before the root element (raw bytes)."""
    text = head.lstrip(b"\xef\xbb\xbf")
    pos = 0
    while True:
        match = _PROLOG_ITEM.match(text, pos)
        if not match:
            break
        item = match.group(1).upper()
        if match.group(2) or b"<!ENTITY" in item or (item.startswith(b"<!DOCTYPE") and (b"SYSTEM" in item or b"PUBLIC" in item)):
            raise ScanParseError(_("XML with a DTD internal subset or entity declarations is refused "
                                   "(scanner reports have none; XML bombs and external entities do)."),
                                 line=text.count(b"\n", 0, match.start(1)) + 1)
        pos = match.end()
    if b"<!ENTITY" in text[:pos + 1024].upper():
        raise ScanParseError(_("XML with entity declarations is refused."))


def _check_dtd(elem):
    docinfo = elem.getroottree().docinfo
    dtd = docinfo.internalDTD
    if (dtd is not None and (any(True for _e in dtd.iterentities()) or dtd.system_url or dtd.external_id)) \
            or docinfo.system_url or docinfo.public_id:
        raise ScanParseError(_("XML with a DTD internal subset or entity declarations is refused "
                               "(scanner reports have none; XML bombs and external entities do)."))


def iter_xml(stream, tags):
    """``(element)`` at the end of every element named in ``tags``, streamed. The caller frees memory with
    ``release(elem)`` once done with an element. XML errors become ``ScanParseError`` with the line."""
    parser = etree.iterparse(
        stream, events=("end",), tag=tags, resolve_entities=False, no_network=True, huge_tree=False,
        load_dtd=False, dtd_validation=False, remove_comments=True, remove_pis=True)
    checked = False
    try:
        for _event, elem in parser:
            if not checked:
                _check_dtd(elem)
                checked = True
            yield elem
        if not checked and parser.root is not None:
            _check_dtd(parser.root)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno and exc.lineno > 0 else None
        message = exc.msg or str(exc)
        raise ScanParseError(_("Broken XML: %(error)s") % {"error": message}, line=line) from None


def release(elem):
    """Free a processed element and the siblings before it (keeps memory bounded while streaming)."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def child_text(elem, path):
    """Stripped text of the first ``path`` under ``elem`` ("" when missing)."""
    found = elem.find(path)
    if found is None:
        return ""
    return clean("".join(found.itertext()) if len(found) else found.text)


# --- values ----------------------------------------------------------------------------------------------

_CVE = re.compile(r"CVE-\d{4}-\d{4,}", re.I)


def clean(text):
    """Plain text, surrounding whitespace stripped ("" for None). Never unescaped or interpreted."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    return text.strip()


def cap(text, limit=EVIDENCE_LIMIT):
    """Text cut to ``limit`` characters (marked with "…")."""
    text = clean(text)
    if len(text) > limit:
        return text[:limit - 1] + "…"
    return text


def cve_list(values):
    """CVE ids found in ``values`` (strings or lists of strings), upper-case, first occurrence order."""
    seen = {}
    stack = [values]
    while stack:
        value = stack.pop()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            stack.extend(reversed(value))
            continue
        for match in _CVE.findall(str(value)):
            seen.setdefault(match.upper(), None)
    return list(seen)


def canonical_ip(text):
    """Canonical text of an IPv4/IPv6 address ("" when ``text`` is not one)."""
    text = clean(text)
    if not text:
        return ""
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return ""


def to_float(value):
    try:
        number = float(clean(value)) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    if number != number or number < 0 or number > 10:  # NaN, out of the CVSS range
        return None
    return number


def to_port(value):
    """A port 1–65535, or None (0, "general", missing)."""
    try:
        number = int(clean(value)) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= 65535 else None


# --- severity ------------------------------------------------------------------------------------------

_NESSUS = {"0": "info", "1": "low", "2": "medium", "3": "high", "4": "critical"}
_LABELS = {
    "critical": "critical", "urgent": "critical", "high": "high", "important": "high", "medium": "medium",
    "moderate": "medium", "low": "low", "info": "info", "informational": "info", "none": "info",
    "log": "info", "debug": "info", "unknown": "info", "negligible": "info", "false positive": "info",
}


def severity_from_nessus(value, risk_factor=""):
    """Nessus ``severity`` 0–4, else its ``risk_factor`` label."""
    severity = _NESSUS.get(clean(value))
    return severity or severity_from_label(risk_factor)


def severity_from_label(label, score=None):
    """A scanner's label (any case; "Log", "UNKNOWN", "Moderate", …) as one of SEVERITIES; the CVSS score
    decides when the label is missing or unknown."""
    severity = _LABELS.get(clean(label).lower())
    if severity is None:
        severity = severity_from_score(score)
    assert severity in SEVERITIES
    return severity


# --- hosts ---------------------------------------------------------------------------------------------


def hosts_once():
    """A function ``seen(host) -> bool`` telling whether a ScanHost with the same ip/hostname was already
    yielded (parsers that learn hosts along the way yield each one once, before its first finding)."""
    seen = set()

    def first_time(host):
        identity = (host.ip, host.hostname.lower())
        if identity in seen:
            return False
        seen.add(identity)
        return True

    return first_time
