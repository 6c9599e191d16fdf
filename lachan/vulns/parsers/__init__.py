"""Scanner result parsers (issue 7): every supported format streamed as ``ScanHost`` and ``ScanFinding``.

    from lachan.vulns.parsers import iter_scan, detect_format, ScanParseError, FORMATS
    for record in iter_scan("scan.nessus"):           # format detected from the first bytes
        ...                                            # ScanHost, then that host's ScanFindings
    iter_scan(upload, "trivy")                         # a path or an open binary (or text) file

``FORMATS`` = ("nessus", "openvas", "nuclei", "trivy", "nmap"); each has a module here with
``parse(source)`` and its format described in the module docstring. The ScanHost of a host is always
yielded before any finding of that host. Memory stays bounded by the largest single host (XML) or
record (JSON), never by the file: XML is streamed with lxml ``iterparse`` and each element freed once
read, JSON with ijson.

Detection (``detect_format``) reads the first 64 KiB: XML by its root element (``NessusClientData_v2``,
``report``/``get_reports_response`` with Greenbone content, ``nmaprun``), JSON by its keys (Trivy's
``SchemaVersion``/``ArtifactName``, Nuclei's ``template-id``/``templateID`` with ``info``).
``ScanParseError`` (a ``ValueError`` with ``line`` when known) for anything else and for broken files:
empty, binary, compressed, truncated or malformed XML/JSON, XML with a DTD internal subset or entity
declarations (XML bombs, external entities), a result that is not the format's.
"""

import re

from django.utils.translation import gettext as _

from . import nessus, nmap, nuclei, openvas, trivy
from .base import ScanParseError, Source, check_prolog

__all__ = ["FORMATS", "ScanParseError", "detect_format", "iter_scan"]

FORMATS = ("nessus", "openvas", "nuclei", "trivy", "nmap")
MODULES = {"nessus": nessus, "openvas": openvas, "nuclei": nuclei, "trivy": trivy, "nmap": nmap}
XML_FORMATS = ("nessus", "openvas", "nmap")

_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)", re.S | re.I)
_ROOT = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_BOMS = (b"\xef\xbb\xbf",)


def _sample(head):
    """The head as UTF-8-ish bytes for sniffing (UTF-16 files decoded), without BOM and leading blanks."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom):]
    return head.lstrip(b" \t\r\n")


def _binary(sample):
    block = sample[:4096]
    if b"\x00" in block:
        return True
    controls = sum(1 for b in block if b < 32 and b not in (9, 10, 12, 13))
    return controls > max(2, len(block) // 100)


def _root_tag(sample):
    pos = 0
    while match := _PROLOG.match(sample, pos):
        pos = match.end()
    root = _ROOT.match(sample, pos + (len(sample[pos:]) - len(sample[pos:].lstrip())))
    return root.group(2).decode("ascii") if root else ""


def detect(head):
    """The format of a file from its first bytes; ScanParseError when it is none of FORMATS."""
    sample = _sample(head)
    if not sample.strip(b"\x00"):
        raise ScanParseError(_("The file is empty."))
    if sample.startswith((b"\x1f\x8b", b"PK\x03\x04", b"BZh", b"\xfd7zXZ")):
        raise ScanParseError(_("A compressed file or archive, not a scanner report: unpack it first."))
    if _binary(sample):
        raise ScanParseError(_("This is not a known scanner format (Nessus, OpenVAS, Nuclei, Trivy, Nmap XML): "
                               "binary data (seen: %(bytes)s).") % {"bytes": sample[:16].hex(" ")})
    if sample[:1] == b"<":
        root = _root_tag(sample)
        for name in XML_FORMATS:
            if MODULES[name].sniff(root, sample):
                return name
        raise ScanParseError(_("This is not a known scanner format (Nessus, OpenVAS, Nuclei, Trivy, Nmap XML): "
                               "XML with the root element %(root)s.") % {"root": repr(root or sample[:40].decode("utf-8", "replace"))})
    if sample[:1] in (b"[", b"{"):
        if trivy.sniff_json(sample):
            return "trivy"
        if nuclei.sniff_json(sample):
            return "nuclei"
        keys = sorted(set(re.findall(rb'"([^"\\]{1,40})"\s*:', sample[:4096])))[:8]
        raise ScanParseError(_("This is not a known scanner format (Nessus, OpenVAS, Nuclei, Trivy, Nmap XML): "
                               "JSON with the keys %(keys)s.") % {"keys": ", ".join(k.decode("utf-8", "replace") for k in keys) or "—"})
    first = sample.splitlines()[0][:80].decode("utf-8", "replace")
    raise ScanParseError(_("This is not a known scanner format (Nessus, OpenVAS, Nuclei, Trivy, Nmap XML): the "
                           "file starts with %(start)s.") % {"start": repr(first)})


def detect_format(path_or_fileobj):
    """The format name of a scan file (a seekable stream is put back where it was)."""
    source = Source(path_or_fileobj)
    try:
        return detect(source.head)
    finally:
        source.restore()


def iter_scan(path_or_fileobj, fmt=None):
    """ScanHost and ScanFinding records of a scan file, streamed; each host before its findings."""
    if fmt is not None and fmt not in FORMATS:
        raise ScanParseError(_("Unknown scanner format %(format)s; known: %(known)s.")
                             % {"format": repr(fmt), "known": ", ".join(FORMATS)})
    source = Source(path_or_fileobj)
    if fmt is None:
        fmt = detect(source.head)
    elif not _sample(source.head).strip(b"\x00"):
        raise ScanParseError(_("The file is empty."))
    if fmt in XML_FORMATS:
        check_prolog(_sample(source.head))
    return _iterate(source, MODULES[fmt])


def _iterate(source, module):
    try:
        yield from module.parse(source)
    finally:
        source.close()
