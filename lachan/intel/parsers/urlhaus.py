"""abuse.ch URLhaus, CSV and JSON.

CSV (``csv_recent``/``csv_online``): a ``#`` comment block whose last line is the header
``# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter`` (older dumps have no
``last_online``), then quoted rows. JSON: the dump keyed by id (``{"3061213": [{"dateadded", "url",
"url_status", "threat", "tags", …}]}``), a list of such records, or an API reply (``{"urls": [{"url",
"host", "date_added", "threat", "tags", "payloads": [...]}]}``).

Every URL is a ``url`` indicator; its host a ``domain`` indicator when it is a name; payload hashes
(``md5_hash``/``sha256_hash``) are hash indicators. When the host is an IP address (in the URL, or the
record's ``host``), the row is also an event: that IP serves malware — ``port`` is the URL's port, the
destination is the URL, the family the first tag that names malware (not a file type or architecture),
else the threat ("malware_download"). Rows without an IP give indicators only.
"""

import csv
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from . import jsonstream
from .base import Batches, Clock, RowError, canonical_ip, check, check_text, is_hostname, text_value

NAME = "urlhaus"

_DEFAULT = ["id", "dateadded", "url", "url_status", "threat", "tags", "urlhaus_link", "reporter"]
_GENERIC_TAGS = {
    "32-bit", "64-bit", "elf", "exe", "dll", "doc", "docx", "xls", "xlsx", "pdf", "zip", "rar", "js", "vbs", "hta",
    "ps1", "sh", "bat", "msi", "apk", "jar", "iso", "lnk", "arm", "arm4", "arm5", "arm6", "arm7", "mips", "mipsel",
    "mpsl", "x86", "x86_64", "x86-64", "i686", "sh4", "sparc", "m68k", "ppc", "powerpc", "aarch64", "opendir",
    "ascii", "html", "txt", "encrypted", "password-protected", "None".lower(),
}

family_value = text_value(lower=True)


def _header(line):
    text = line.lstrip("#").strip()
    names = [c.strip().lower() for c in text.split(",")]
    return names if "url" in names and ("dateadded" in names or "url_status" in names) else None


def sniff(sample):
    if any("urlhaus" in c.lower() for c in sample.comments):
        return True
    return any(_header(line) for line in sample.lines[:20])


def parse(source, options):
    if source.head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{"):
        yield from parse_json(source, options)
        return
    clock = Clock(options.tz)
    batches = Batches(options.batch_size)
    names = None
    for number, line in source.lines(options.encoding):
        text = line.strip()
        if not text:
            continue
        if text.startswith("#") or names is None and _header(text):
            header = _header(text)
            if header is not None:
                names = header
            continue
        if names is None:
            names = _DEFAULT
        try:
            try:
                cells = next(csv.reader([text]))
            except csv.Error as exc:
                raise RowError(_("Row %(row)s cannot be read as CSV: %(error)s") % {"row": number, "error": exc}) from None
            record = dict(zip(names, cells, strict=False))
            _record(batches, record, number, line, clock)
        except RowError as exc:
            batches.bad(number, exc.reason)
        if batches.full():
            yield batches.take()
    rest = batches.rest()
    if rest is not None:
        yield rest


def parse_json(source, options):
    clock = Clock(options.tz)
    batches = Batches(options.batch_size)
    for number, raw, record in jsonstream.records(source.text(options.encoding)):
        try:
            if not isinstance(record, dict):
                raise RowError(_("Row %(row)s: not a JSON object") % {"row": number})
            _record(batches, record, number, raw, clock)
        except RowError as exc:
            batches.bad(number, exc.reason)
        if batches.full():
            yield batches.take()
    rest = batches.rest()
    if rest is not None:
        yield rest


def _record(batches, record, number, raw, clock):
    url = check_text(_text(record.get("url")), number)
    if not url:
        raise RowError(_("Row %(row)s: no URL") % {"row": number})
    try:
        parts = urlsplit(url if "://" in url else "http://" + url)
        host = (parts.hostname or "").strip()
        port = parts.port
    except ValueError:
        raise RowError(_("Row %(row)s: not a URL: %(value)s") % {"row": number, "value": url[:200]}) from None
    stated = check_text(_text(record.get("host")), number)
    ip = canonical_ip(host) if host else None
    if ip is None and stated:
        ip = canonical_ip(stated)
    when = _text(record.get("dateadded") or record.get("date_added"))
    seen = check(clock(when), number) if when else None
    tags = record.get("tags")
    if isinstance(tags, str):
        tags = tags.split(",")
    tags = [check_text(_text(t), number) for t in (tags or []) if _text(t)]
    family = next((t.lower() for t in tags if t and t.lower() not in _GENERIC_TAGS), None)
    if family is None:
        family = check(family_value(_text(record.get("threat"))), number)
    indicators = [("url", url)]
    for name in (host, stated):
        if name and canonical_ip(name) is None and is_hostname(name.lower()):
            indicators.append(("domain", name.lower().rstrip(".")))
    for payload in record.get("payloads") or ():
        if isinstance(payload, dict):
            for key, kind in (("md5_hash", "md5"), ("sha256_hash", "sha256"), ("sha1_hash", "sha1"),
                              ("response_md5", "md5"), ("response_sha256", "sha256")):
                value = check_text(_text(payload.get(key)), number)
                if value and value.isalnum():
                    indicators.append((kind, value.lower()))
    if ip is not None:
        batches.add(ip=ip, line=number, raw=raw, seen=seen, family=family, port=port, destination=url)
    for kind, value in dict.fromkeys(indicators):
        batches.indicator(kind, value, number)


def _text(value):
    if value is None:
        return None
    return value.strip() if isinstance(value, str) else str(value)
