"""Advisory readers: files that describe vulnerabilities → ``lachan.vulns.records`` (issue 7).

    from lachan.vulns.advisories import iter_advisories, parse_national, detect_format, AdvisoryParseError

    for advisory in iter_advisories("nvdcve-2.0-2024.json.gz"):     # format detected, streamed
        ...
    iter_advisories(upload, "kev")                                   # CISA KEV, JSON or CSV
    warning = parse_national("canh-bao-thang-11.docx")               # → NationalWarning
    detect_format(path)                                              # → "nvd", "kev", "cve5", "csv", …

``iter_advisories(path_or_fileobj, fmt=None)`` yields ``Advisory`` records; ``fmt`` is "nvd" (NVD CVE API
2.0: one item, ``{"cve": …}``, an API page or a year feed; ``nvd.py``), "kev" (CISA KEV catalog, JSON or
CSV; ``kev.py``), "cve5" (CVE JSON 5 records, one or a list; ``cve5.py``), or None to detect it.
``parse_national(path_or_fileobj, fmt=None, *, filename="")`` reads a national warning list ("csv",
"xlsx", "docx", "text"; ``national.py``) into one ``NationalWarning``.

``detect_format(path_or_fileobj)`` returns the format name from the first 64 KiB: "nvd", "kev", "cve5"
(for ``iter_advisories``) or "csv", "xlsx", "docx", "text" (for ``parse_national``). JSON is told by its
keys (``format: NVD_CVE``, an NVD item's ``id``/``vulnStatus``, ``catalogVersion``/``cveID``,
``cveMetadata``), wherever the records are (the top level, an array, a member holding an array).

Input: a path, bytes, or a binary file object (not closed). Gzip is recognised by its magic bytes and
decompressed while reading. JSON is streamed with ijson, one record at a time, so memory does not grow
with the file. Every problem raises ``AdvisoryParseError`` (a ``ValueError``) whose text names the line,
record or row and the field or column: an empty file, broken or truncated JSON (with the position), JSON
that is none of these formats, a record without its CVE id, a bad date or score, a formula cell. Records
before the error have been yielded already: callers that must not store half a file collect first or run
in a transaction.
"""

from django.utils.translation import gettext as _

from . import cve5, kev, national, nvd
from .base import AdvisoryParseError, json_records, json_shape, open_input

__all__ = ["ADVISORY_FORMATS", "NATIONAL_FORMATS", "AdvisoryParseError", "detect_format", "iter_advisories",
           "parse_national"]

ADVISORY_FORMATS = {"nvd": nvd, "kev": kev, "cve5": cve5}
NATIONAL_FORMATS = national.FORMATS
_NAMES = {"nvd": "NVD", "kev": "CISA KEV", "cve5": "CVE JSON 5"}


def iter_advisories(path_or_fileobj, fmt=None):
    """Yield ``Advisory`` records from an NVD, KEV or CVE 5 file (``fmt`` None: detected)."""
    if fmt is not None and fmt not in ADVISORY_FORMATS:
        raise ValueError(f"unknown advisory format {fmt!r}; one of {', '.join(ADVISORY_FORMATS)}")
    return _iter(path_or_fileobj, fmt)


def _iter(source, fmt):
    with open_input(source) as opened:
        if not opened.head.strip(b" \t\r\n\xef\xbb\xbf"):
            raise AdvisoryParseError(_("The file is empty."))
        if _is_json(opened.head):
            found, prefix = _json_format(opened.head)
            if fmt and found != fmt:
                raise AdvisoryParseError(_("This is not a %(expected)s file: it looks like %(found)s.")
                                         % {"expected": _NAMES[fmt], "found": _NAMES[found]})
            module = ADVISORY_FORMATS[found]
            for _index, where, value in json_records(opened, prefix, module.record_id):
                yield module.advisory(value, where)
            return
        text = opened.head.decode("utf-8", errors="replace")
        if fmt in (None, "kev") and kev.looks_like_csv(text):
            yield from kev.iter_csv(opened)
            return
        if fmt == "kev":
            raise AdvisoryParseError(_("This is not a CISA KEV file (JSON, or CSV with a 'cveID' column)."), line=1)
        raise AdvisoryParseError(_("This is not an NVD, CISA KEV or CVE 5 file: it is not JSON (first bytes: "
                                   "%(bytes)r).") % {"bytes": opened.head[:40]})


def parse_national(path_or_fileobj, fmt=None, *, filename=""):
    """A national warning list (CSV, XLSX, DOCX or text; ``fmt`` None: detected) → ``NationalWarning``."""
    return national.parse(path_or_fileobj, fmt, filename=filename)


def detect_format(path_or_fileobj):
    """"nvd", "kev", "cve5" (advisory files) or "csv", "xlsx", "docx", "text" (national lists)."""
    with open_input(path_or_fileobj) as opened:
        head, name = opened.head, opened.name
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise AdvisoryParseError(_("The file is empty."))
    if _is_json(head):
        return _json_format(head)[0]
    if kev.looks_like_csv(head.decode("utf-8", errors="replace")):
        return "kev"
    return national.detect(head, name)


def _is_json(head):
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def _json_format(head):
    """(format, ijson prefix of its records) from the first bytes of a JSON file."""
    shape = json_shape(head)
    keys = shape.keys
    if "CVE_Items" in keys or keys.get("CVE_data_type"):
        raise AdvisoryParseError(_("This is a legacy NVD 1.1 feed (CVE_Items), retired by NVD: use the CVE API 2.0 "
                                   "feeds (format NVD_CVE, version 2.0)."))
    if "data_type" in keys and "CVE_data_meta" in keys:
        raise AdvisoryParseError(_("This is a CVE JSON 4 record: only CVE JSON 5 records (cvelistV5) are read."))
    if "cveMetadata" in keys or keys.get("dataType") == "CVE_RECORD":
        return "cve5", ""
    if "catalogVersion" in keys:
        return "kev", "vulnerabilities.item"
    if keys.get("format") == "NVD_CVE" or ("vulnerabilities" in keys and "resultsPerPage" in keys):
        return "nvd", "vulnerabilities.item"
    if "cve" in keys or ("id" in keys and keys.keys() & {"vulnStatus", "sourceIdentifier", "descriptions"}):
        return "nvd", ""
    for prefix, item_keys in shape.lists.items():
        found = _item_format(item_keys)
        if found:
            return found, prefix
    if shape.broken:
        raise AdvisoryParseError(_("Broken JSON: %(error)s") % {"error": shape.broken})
    seen = ", ".join(list(keys)[:10]) if keys else _("an array")
    raise AdvisoryParseError(_("This is not an NVD, CISA KEV or CVE 5 file (JSON with %(seen)s).") % {"seen": seen})


def _item_format(keys):
    if "cveMetadata" in keys:
        return "cve5"
    if "cveID" in keys:
        return "kev"
    if "cve" in keys or ("id" in keys and keys.keys() & {"vulnStatus", "sourceIdentifier"}):
        return "nvd"
    return None
