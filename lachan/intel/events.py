"""Harmonised events: what every feed parser produces and the matcher and importer consume.

Parsers stream ``EventBatch`` objects — columns, not one object per row — so a national list of a
million rows moves through parse → match → write without a Python object per event. All columns of
a batch have the same length; ``None`` where a source has no value.

Column meanings (issue 4, "Harmonised events"):
- ``ip``: canonical text of the source address (IPv4 dotted quad, IPv6 compressed lower-case);
- ``seen``: time seen, timezone-aware UTC ``datetime`` (naive timestamps are UTC unless the source
  says otherwise);
- ``family``: malware family / bot name / report tag, lower-case;
- ``port``, ``protocol``: source port (int) and transport ("tcp", "udp", …);
- ``asn``: the source address's AS number (int);
- ``destination``: the C2 / sinkhole / target as text ("ip:port", a host name or a URL);
- ``line``: the 1-based line number in the file (header = 1 for CSV), for error reports and evidence;
- ``raw``: the raw line (or row re-joined), kept as evidence.

Rows a parser cannot read go to ``bad`` as ``(line, reason)`` — never dropped silently.
Indicators that are not IPs (domains, URLs, hashes) go to ``indicators`` as
``(kind, value, line)`` with kind in {"domain", "url", "md5", "sha1", "sha256"}.
"""

from dataclasses import dataclass, field

COLUMNS = ("ip", "seen", "family", "port", "protocol", "asn", "destination", "line", "raw")


@dataclass
class EventBatch:
    ip: list = field(default_factory=list)
    seen: list = field(default_factory=list)
    family: list = field(default_factory=list)
    port: list = field(default_factory=list)
    protocol: list = field(default_factory=list)
    asn: list = field(default_factory=list)
    destination: list = field(default_factory=list)
    line: list = field(default_factory=list)
    raw: list = field(default_factory=list)
    bad: list = field(default_factory=list)  # [(line, reason)]
    indicators: list = field(default_factory=list)  # [(kind, value, line)]

    def __len__(self):
        return len(self.ip)

    def append(self, *, ip, line, raw, seen=None, family=None, port=None, protocol=None, asn=None, destination=None):
        self.ip.append(ip)
        self.seen.append(seen)
        self.family.append(family)
        self.port.append(port)
        self.protocol.append(protocol)
        self.asn.append(asn)
        self.destination.append(destination)
        self.line.append(line)
        self.raw.append(raw)

    def rows(self):
        """Row dicts, for tests and small outputs (not for the hot path)."""
        for i in range(len(self)):
            yield {name: getattr(self, name)[i] for name in COLUMNS}
