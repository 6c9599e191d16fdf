"""Microsoft CTIP (Cyber Threat Intelligence Program) infected-host feed, JSON: an array of records or
JSON lines. Two generations of field names are read:

- Azure ("CTIP-Infected"): ``SourceIp``, ``SourcePort``, ``SourceIpInfo.SourceIpAsnNumber``,
  ``DateTimeReceivedUtc`` (Windows FILETIME ticks, or text), ``Malware`` (family; ``ThreatCode`` when
  absent), ``DestinationIp``/``DestinationPort``, ``HttpInfo.HttpHost``, ``TLP``;
- Interflow (version 1.5): ``networksourceipv4``, ``networksourceport``, ``networksourceasn``,
  ``firstreporteddatetime``, ``externalid`` (family), ``networkdestinationipv4``/``…port``, ``hostname``.

The destination is the sinkhole/C2 "ip:port"; a host name (``HttpHost``, ``hostname``) that is not the
destination IP is a ``domain`` indicator. TLP is per record in CTIP; ``EventBatch`` has no TLP column, so
the importer's TLP for the feed applies.
"""

from django.utils.translation import gettext as _

from . import jsonstream
from .base import (
    UNSPECIFIED,
    Batches,
    Clock,
    RowError,
    asn_or_none,
    bad_value,
    canonical_ip,
    check,
    check_text,
    endpoint,
    is_hostname,
    no_ip,
    port_value,
    text_value,
)

NAME = "ctip"

family_value = text_value(lower=True)


def sniff(sample):
    return False  # JSON: told apart by its keys in the package's detect()


def parse(source, options):
    clock = Clock(options.tz)
    batches = Batches(options.batch_size)
    for number, raw, record in jsonstream.records(source.text(options.encoding)):
        try:
            if not isinstance(record, dict):
                raise RowError(_("Row %(row)s: not a JSON object") % {"row": number})
            event, hosts = (_interflow if "networksourceipv4" in record else _azure)(record, number, clock)
        except RowError as exc:
            batches.bad(number, exc.reason)
            continue
        batches.add(line=number, raw=raw, **event)
        for host in hosts:
            batches.indicator("domain", host, number)
        if batches.full():
            yield batches.take()
    rest = batches.rest()
    if rest is not None:
        yield rest


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _ip(value, number):
    text = _text(value)
    if not text:
        raise RowError(no_ip(number))
    ip = canonical_ip(text)
    if ip is None:
        raise RowError(bad_value(number, "ip", text))
    return ip


def _destination(value, port, number):
    text = _text(value).split(",")[0].strip()  # "192.0.2.9, 192.0.2.9" is seen in the wild
    if not text or text == UNSPECIFIED:
        return None, None
    check_text(text, number)
    port = _text(port)
    port = check(port_value(port), number) if port else None
    return endpoint(canonical_ip(text) or text, port), text


def _hosts(values, dest_text, number):
    out = []
    for value in values:
        host = check_text(_text(value), number)
        if host and host != dest_text and is_hostname(host.lower()):
            out.append(host.lower().rstrip("."))
    return list(dict.fromkeys(out))


def _azure(record, number, clock):
    info = record.get("SourceIpInfo") if isinstance(record.get("SourceIpInfo"), dict) else {}
    http = record.get("HttpInfo") if isinstance(record.get("HttpInfo"), dict) else {}
    ip = _ip(record.get("SourceIp"), number)
    port = _text(record.get("SourcePort"))
    port = check(port_value(port), number) if port else None
    ticks = record.get("DateTimeReceivedUtc")
    if isinstance(ticks, int) and not isinstance(ticks, bool):
        seen = check(clock.from_nt(ticks), number)
    else:
        text = _text(ticks) or _text(record.get("DateTimeReceivedUtcTxt"))
        seen = check(clock(text), number) if text else None
    family = check(family_value(_text(record.get("Malware")) or _text(record.get("ThreatCode"))), number)
    asn = _text(info.get("SourceIpAsnNumber") or record.get("SourceIpAsnNumber"))
    asn = check(asn_or_none(asn), number) if asn else None
    destination, dest_text = _destination(record.get("DestinationIp"), record.get("DestinationPort"), number)
    hosts = _hosts([http.get("HttpHost"), record.get("DestinationHostname")], dest_text, number)
    return {"ip": ip, "port": port, "seen": seen, "family": family, "asn": asn, "destination": destination}, hosts


def _interflow(record, number, clock):
    ip = _ip(record.get("networksourceipv4"), number)
    port = _text(record.get("networksourceport"))
    port = check(port_value(port), number) if port else None
    when = _text(record.get("firstreporteddatetime"))
    seen = check(clock(when), number) if when else None
    family = check(family_value(_text(record.get("externalid"))), number)
    asn = _text(record.get("networksourceasn"))
    asn = check(asn_or_none(asn), number) if asn else None
    destination, dest_text = _destination(record.get("networkdestinationipv4"), record.get("networkdestinationport"),
                                          number)
    hosts = _hosts([record.get("hostname")], dest_text, number)
    return {"ip": ip, "port": port, "seen": seen, "family": family, "asn": asn, "destination": destination}, hosts
