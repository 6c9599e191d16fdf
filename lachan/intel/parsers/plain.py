"""Plain lists: one IP address or network a line.

``#`` or ``;`` start a comment, at the start of a line or after the value ("192.0.2.1  # seen twice",
"198.51.100.0/24 ; SBL123"); blank lines are skipped. Whatever follows the value on its line after blanks
is kept in ``raw`` only.

A network is not expanded: it is one event whose ``ip`` is the network's canonical text
("203.0.113.0/24", host bits cleared, so "203.0.113.7/24" is read as "203.0.113.0/24"); "/32" and "/128"
give the plain address. The matcher treats a network by its network address (the first address), so a
network is attributed to the unit that owns its first address. Ranges ("192.0.2.1-192.0.2.9") are bad rows.
"""

import re

from .base import Batches, bad_value, canonical_ip, canonical_ip_or_network, is_formula, validate_ips

NAME = "plain"

_SEPARATORS = ",;|\t"


def _value(line):
    """(value, rest) of a line without its comment, or (None, None) for a blank/comment line."""
    text = line.strip()
    if not text or text[0] in "#;":
        return None, None
    for mark in ("#", ";"):
        cut = text.find(mark)
        if cut >= 0:
            text = text[:cut].rstrip()
    value, _space, rest = text.partition(" ")
    if "\t" in value:
        value, _tab, more = value.partition("\t")
        rest = (more + " " + rest).strip()
    return value, rest.strip()


_ADDRESS_LIKE = re.compile(r"[0-9A-Fa-f:./-]+")


def sniff(sample):
    """The data lines (at least one valid) are single values that look like addresses or networks; a few
    (a fifth) may be something else."""
    values = []
    for line in sample.data[:200]:
        value, rest = _value(line)
        if value is None:
            continue
        if any(s in value for s in _SEPARATORS):
            return False
        values.append((value, rest))
    if not values or not any(canonical_ip_or_network(value) is not None for value, _rest in values):
        return False
    looks = sum(1 for value, rest in values if not rest and _ADDRESS_LIKE.fullmatch(value))
    return looks >= 0.8 * len(values)


def parse(source, options):
    reader = source.lines(options.encoding)
    batches = Batches(options.batch_size)
    while True:
        start, chunk = reader.chunk()
        if not chunk:
            break
        stripped = list(map(str.strip, chunk))
        ips, ok = validate_ips(stripped)
        if ok:  # every line a well-formed IPv4 address: no comments, no blanks
            batch = batches.batch
            n = len(chunk)
            batch.ip.extend(ips)
            batch.line.extend(range(start, start + n))
            batch.raw.extend(chunk)
            for column in (batch.seen, batch.family, batch.port, batch.protocol, batch.asn, batch.destination):
                column.extend([None] * n)
        else:
            for number, (line, ip) in enumerate(zip(chunk, ips, strict=True), start):
                if ip is not None:
                    batches.add(ip=ip, line=number, raw=line)
                    continue
                value, rest = _value(line)
                if value is None:
                    continue
                if is_formula(value) or (rest and is_formula(rest)):
                    batches.bad(number, bad_value(number, "formula", value if is_formula(value) else rest))
                    continue
                ip = canonical_ip(value) if "/" not in value else canonical_ip_or_network(value)
                if ip is None:
                    batches.bad(number, bad_value(number, "network" if "/" in value else "ip", value))
                    continue
                batches.add(ip=ip, line=number, raw=line)
        if batches.full():
            yield batches.take()
    rest = batches.rest()
    if rest is not None:
        yield rest
