"""Team Cymru CAP "infected" feed: ``#`` comments, then ``report|ip|asn|timestamp|comments|asn_name``.

Timestamps are GMT. The family is the report type ("bruteforce", "phishing", "proxy", "spam", …) except
for bots, whose malware type is the family. Two comment styles exist:

- the older, space separated: ``srcport 1337 mwtype Conficker destaddr 172.16.0.22`` (the malware type
  may contain spaces; text after the destination address is a free comment), ``HTTP CONNECT (8080)`` for
  proxies, the service name for brute force, the URL for phishing;
- the newer (files "generated on …"), ``key: value`` pairs separated by ``;``: ``family``, ``dest_addr``,
  ``dest_port``, ``protocol`` (IP protocol number), ``proxy_type: http-8080``, ``hostname``…

The port is the listed host's (``srcport``, the proxy port); the destination is ``destaddr`` (with its port
when one is given). Phishing and malware URLs are ``url`` indicators.
"""

import re

from .base import (
    Batches,
    Clock,
    RowError,
    asn_or_none,
    bad_value,
    canonical_ip,
    check,
    check_text,
    endpoint,
    no_ip,
    port_value,
    protocol_value,
)

NAME = "cymru_infected"

_FORMAT = re.compile(r"^#.*\b(report|category)\|ip\|asn\|timestamp", re.I)
_ROW = re.compile(r"^[\w-]+\|[0-9a-fA-F:.]+\|\d*\|\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d\|[^|]*\|")
_KEYS = ("srcport", "mwtype", "destaddr")
_PROXY_PORT = re.compile(r"\((\d{1,5})\)")


def sniff(sample):
    if any(_FORMAT.match(line) for line in sample.comments):
        return True
    rows = sample.data[:50]
    return bool(rows) and all(_ROW.match(line) for line in rows)


def _old_comment(report, comment):
    """(family, port, destination host, destination port, protocol, urls) from an old-style comment."""
    family = port = dest = dest_port = protocol = None
    urls = []
    if report == "bots":
        values = {}
        key = None
        words = []
        free = []
        for part in comment.split() + [None]:
            if part in _KEYS or part is None:
                if key and words:
                    values[key] = " ".join(words)
                key, words = part, []
            elif key == "destaddr" and len(words) == 1:
                free.append(part)  # "destaddr 172.16.0.22 Some Botnet": the rest is a comment
            else:
                words.append(part)
        family = values.get("mwtype", "").lower() or None
        port = values.get("srcport")
        dest = values.get("destaddr")
    elif report == "proxy":
        match = _PROXY_PORT.search(comment)
        port = match.group(1) if match else None
    elif report in ("phishing", "malwareurl", "spreaders", "defacement") and comment:
        first = comment.split()[0]
        if "://" in first:
            urls.append(first)
    elif report in ("scanners", "toxbot"):
        digits = comment.split()[-1] if comment.split() else ""
        port = digits if digits.isdigit() else None
    return family, port, dest, dest_port, protocol, urls


def _new_comment(report, comment):
    family = port = dest = dest_port = protocol = None
    urls = []
    notes = [note.strip() for note in comment.split(";") if note.strip()]
    if report == "phishing" and len(notes) == 1 and ": " not in notes[0]:
        return None, None, None, None, None, [notes[0]] if "://" in notes[0] else []
    for note in notes:
        key, _colon, value = note.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not _colon:
            key, value = ("proxy_type", key) if report == "proxy" else ("", "")
        if key == "family":
            family = value.lower() or None
        elif key == "dest_addr":
            dest = value
        elif key in ("dest_port", "ports_scanned", "honeypot_port", "darknet_port"):
            dest_port = value if "," not in value else None
        elif key == "protocol":
            protocol = value
        elif key == "proxy_type" and "-" in value:
            _app, _dash, port = value.rpartition("-")
        elif key == "url" and "://" in value:
            urls.append(value)
    return family, port, dest, dest_port, protocol, urls


def parse(source, options):
    clock = Clock(options.tz)
    batches = Batches(options.batch_size)
    new_style = False
    for number, line in source.lines(options.encoding):
        text = line.strip()
        if not text:
            continue
        if text.startswith("#"):
            if "generated on" in text.lower():
                new_style = True
            continue
        cells = text.split("|")
        try:
            if len(cells) < 4:
                raise RowError(bad_value(number, "ip", text) if len(cells) < 2 else no_ip(number))
            cells += [""] * (6 - len(cells))
            report = cells[0].strip().lower()
            check_text(report, number)
            if not cells[1].strip():
                raise RowError(no_ip(number))
            ip = canonical_ip(cells[1])
            if ip is None:
                raise RowError(bad_value(number, "ip", cells[1]))
            asn = check(asn_or_none(cells[2]), number)
            stamp = cells[3].strip()
            seen = check(clock(stamp if stamp.upper().endswith(("GMT", "UTC", "Z")) or not stamp else stamp + " GMT"),
                         number)
            comment = check_text(cells[4], number) or ""
            check_text(cells[5], number)
            parse_comment = _new_comment if new_style or ": " in comment else _old_comment
            family, port, dest, dest_port, protocol, urls = parse_comment(report, comment)
            port = check(port_value(port), number) if port is not None else None
            protocol = check(protocol_value(protocol), number) if protocol is not None else None
            for value in (family, dest, dest_port, *urls):
                check_text(value, number)
        except RowError as exc:
            batches.bad(number, exc.reason)
            continue
        if dest is not None:
            dest = endpoint(canonical_ip(dest) or dest, dest_port)
        batches.add(ip=ip, line=number, raw=line, seen=seen, family=family or report or None, port=port,
                    protocol=protocol, asn=asn, destination=dest)
        for url in urls:
            batches.indicator("url", url, number)
        if batches.full():
            yield batches.take()
    rest = batches.rest()
    if rest is not None:
        yield rest
