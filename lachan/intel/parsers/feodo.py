"""abuse.ch Feodo Tracker botnet C2 lists, CSV and JSON.

CSV: a ``#`` comment block, then the header ``"first_seen_utc","dst_ip","dst_port","c2_status",
"last_online","malware"`` (older files: ``# Firstseen,DstIP,DstPort,LastOnline,Malware`` as a comment),
then quoted rows; "# END (n) entries" closes the file. JSON (``ipblocklist.json``): an array of
``{"ip_address", "port", "status", "hostname", "as_number", "as_name", "country", "first_seen",
"last_online", "malware"}``.

The listed IP is a botnet C2 server: ``ip`` is the C2's address, ``port`` its port, the family the malware,
the time its first sighting (UTC); ``hostname`` is a domain indicator. There is no destination.
"""

import csv

from django.utils.translation import gettext as _

from . import jsonstream
from .base import (
    Batches,
    Clock,
    ParseError,
    RowError,
    asn_or_none,
    bad_value,
    canonical_ip,
    check,
    check_text,
    is_hostname,
    no_ip,
    port_value,
    text_value,
    wrong_columns,
)

NAME = "feodo"

_ALIASES = {
    "ip": ("dst_ip", "dstip", "ip_address", "ip"),
    "port": ("dst_port", "dstport", "port"),
    "seen": ("first_seen_utc", "firstseen", "first_seen"),
    "family": ("malware",),
    "asn": ("as_number",),
    "hostname": ("hostname",),
}

family_value = text_value(lower=True)


def _header(line):
    text = line.lstrip("#").strip()
    try:
        cells = next(csv.reader([text]))
    except (csv.Error, StopIteration):
        return None
    names = [c.strip().lower() for c in cells]
    if not ({"dst_ip", "dstip"} & set(names)):
        return None
    return names


def sniff(sample):
    if any("feodo tracker" in c.lower() for c in sample.comments) and any(_header(line) for line in sample.lines[:40]):
        return True
    return any(_header(line) and "malware" in _header(line) for line in sample.lines[:40])


def _columns(names):
    found = {}
    for role, aliases in _ALIASES.items():
        found[role] = next((names.index(a) for a in aliases if a in names), None)
    return found


def parse(source, options):
    if source.head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{"):
        yield from parse_json(source, options)
        return
    clock = Clock(options.tz)
    batches = Batches(options.batch_size)
    columns = None
    width = 0
    reader = source.lines(options.encoding)
    for number, line in reader:
        text = line.strip()
        if not text:
            continue
        if columns is None:
            names = _header(text)
            if names is not None:
                columns, width = _columns(names), len(names)
                continue
            if text.startswith("#"):
                continue
            raise ParseError(_("Line %(line)s: expected the Feodo Tracker header (first_seen_utc, dst_ip, …), found %(found)s")
                             % {"line": number, "found": text[:200]})
        if text.startswith("#"):
            continue
        try:
            try:
                cells = next(csv.reader([text]))
            except csv.Error as exc:
                raise RowError(_("Row %(row)s cannot be read as CSV: %(error)s") % {"row": number, "error": exc}) from None
            if len(cells) < width:
                raise RowError(wrong_columns(number, width, len(cells)))
            event = _event(cells.__getitem__, columns, number, clock)
        except RowError as exc:
            batches.bad(number, exc.reason)
            continue
        _add(batches, event, number, line)
        if batches.full():
            yield batches.take()
    if columns is None:
        raise ParseError(_("No Feodo Tracker header (first_seen_utc, dst_ip, …) in the file."))
    rest = batches.rest()
    if rest is not None:
        yield rest


def _event(get, columns, number, clock):
    def cell(role):
        col = columns.get(role)
        value = get(col) if col is not None else None
        return value.strip() if isinstance(value, str) else value

    raw_ip = cell("ip")
    if raw_ip in (None, ""):
        raise RowError(no_ip(number))
    ip = canonical_ip(str(raw_ip))
    if ip is None:
        raise RowError(bad_value(number, "ip", raw_ip))
    port = check(port_value(cell("port")), number) if cell("port") not in (None, "") else None
    seen = check(clock(cell("seen")), number) if cell("seen") not in (None, "") else None
    family = check(family_value(cell("family")), number) if cell("family") else None
    asn = check(asn_or_none(cell("asn")), number) if cell("asn") not in (None, "") else None
    hostname = check_text(cell("hostname"), number)
    return {"ip": ip, "port": port, "seen": seen, "family": family, "asn": asn, "hostname": hostname}


def _add(batches, event, number, raw):
    batches.add(ip=event["ip"], line=number, raw=raw, seen=event["seen"], family=event["family"],
                port=event["port"], asn=event["asn"])
    hostname = event["hostname"]
    if hostname and is_hostname(hostname.lower()):
        batches.indicator("domain", hostname.lower().rstrip("."), number)


def parse_json(source, options):
    clock = Clock(options.tz)
    batches = Batches(options.batch_size)
    columns = {"ip": "ip_address", "port": "port", "seen": "first_seen", "family": "malware", "asn": "as_number",
               "hostname": "hostname"}
    for number, raw, record in jsonstream.records(source.text(options.encoding)):
        try:
            if not isinstance(record, dict):
                raise RowError(_("Row %(row)s: not a JSON object") % {"row": number})
            event = _event(lambda key, record=record: _scalar(record.get(key)), columns, number, clock)
        except RowError as exc:
            batches.bad(number, exc.reason)
            continue
        _add(batches, event, number, raw)
        if batches.full():
            yield batches.take()
    rest = batches.rest()
    if rest is not None:
        yield rest


def _scalar(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value)
