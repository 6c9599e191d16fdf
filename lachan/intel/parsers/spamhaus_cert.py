"""Spamhaus CERT "insight" feed (infected hosts / botnet list for a national CERT).

Lines ``ip, asn, country, lastseen, botname, domain, remote_ip, remote_port, local_port, protocol``
(the header is a ``;`` comment; every ``;`` line is a comment). ``lastseen`` is epoch seconds (UTC),
``asn`` is "AS12635", "?" or "-" mean "unknown". The family is the bot name; the port is the infected
host's ``local_port``; the destination is ``remote_ip:remote_port``, or the C&C ``domain`` (a host name,
"ip:port" or a URL) when there is no remote IP. A C&C domain is a ``domain`` indicator, a URL a ``url``
indicator.
"""

import re

from .base import (
    Batches,
    Clock,
    RowError,
    asn_value,
    bad_value,
    canonical_ip,
    check,
    check_text,
    endpoint,
    is_formula,
    is_hostname,
    no_ip,
    port_value,
    protocol_value,
    text_value,
)

NAME = "spamhaus_cert"

_HEADER = re.compile(r"^;\s*ip\s*,\s*asn\s*,\s*country\s*,\s*lastseen\s*,\s*botname", re.I)
_ROW = re.compile(r"^[0-9a-fA-F:.]+,(AS\d+|\?|-)?,[A-Z?-]{0,2},\d{9,11},[^,]*")
_EMPTY = ("", "-", "?")

family_value = text_value(lower=True)


def sniff(sample):
    if any(_HEADER.match(line) for line in sample.comments) or any("spamhaus" in c.lower() for c in sample.comments):
        return True
    rows = sample.data[:50]
    return bool(rows) and all(_ROW.match(line) for line in rows)


def parse(source, options):
    clock = Clock(options.tz)
    batches = Batches(options.batch_size)
    for number, line in source.lines(options.encoding):
        text = line.strip()
        if not text or text.startswith(";"):
            continue
        cells = [cell.strip() for cell in text.split(",")]
        cells += [""] * (10 - len(cells))
        try:
            if not cells[0]:
                raise RowError(no_ip(number))
            ip = canonical_ip(cells[0])
            if ip is None:
                raise RowError(bad_value(number, "ip", cells[0]))
            asn = None if cells[1] in _EMPTY else check(asn_value(cells[1]), number)
            seen = None
            if cells[3] not in _EMPTY:
                if not (cells[3].isascii() and cells[3].isdigit()):
                    raise RowError(bad_value(number, "formula" if is_formula(cells[3]) else "time", cells[3]))
                seen = check(clock.from_epoch(int(cells[3])), number)
            family = check(family_value(cells[4]), number)
            domain = check_text(cells[5], number)
            remote_ip = check_text(cells[6], number)
            remote_port = check(port_value(cells[7]), number) if cells[7] not in _EMPTY else None
            local = cells[8]
            port = port_value(local) if local not in _EMPTY else None
            if port is not None and not isinstance(port, int):
                port = None  # e.g. "192.0.2.8:1660:darkmailer2" for l_spamlink: not a port
            check_text(local, number)
            protocol = check(protocol_value(cells[9]), number)
        except RowError as exc:
            batches.bad(number, exc.reason)
            continue
        domain = None if domain in _EMPTY else domain
        remote = canonical_ip(remote_ip) if remote_ip not in _EMPTY else None
        if remote is not None:
            destination = endpoint(remote, remote_port)
        elif domain is not None:
            host = domain
            destination = endpoint(host, remote_port) if (canonical_ip(host) is not None) else host
        else:
            destination = None
        batches.add(ip=ip, line=number, raw=line, seen=seen, family=family, port=port, protocol=protocol, asn=asn,
                    destination=destination)
        if domain is not None:
            if "://" in domain:
                batches.indicator("url", domain, number)
            elif is_hostname(domain.lower()):
                batches.indicator("domain", domain.lower().rstrip("."), number)
        if batches.full():
            yield batches.take()
    rest = batches.rest()
    if rest is not None:
        yield rest
