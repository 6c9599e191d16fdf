"""DNS answers of a watched host (A, AAAA, NS, MX) and their comparison with the last ones.

``DnsLookup`` wraps dnspython's async resolver with its TTL cache (``dns.resolver.Cache``, negative
answers included), using ``settings.MONITOR_DNS_NAMESERVERS`` (empty: the system's resolvers). One
lookup per process is enough (``default_lookup()``); a fast check reads the cache, a deep check
(``fresh=True``) drops the cached answers of the host first.

* A and AAAA are the host's own answers (CNAMEs followed).
* NS: the host's zone is found by asking NS for the host, then for each parent, down to the registrable
  site (``analysis.sites.site_of``): the first name with NS records is the zone.
* MX: the zone's (mail goes to the domain, not to ``www``).

Values are sorted lists of lowercase text without the final dot (MX as ``"10 mail.example.vn"``). A type
whose query failed (timeout, SERVFAIL, no nameserver) is left out of the dict, so it is not compared;
NXDOMAIN and "no records" give an empty list. ``lookup.aiohttp_resolver()`` lets ``guarded_session``
resolve through the same servers and cache (pass it as ``upstream_resolver``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.resolver
from aiohttp.abc import AbstractResolver, ResolveResult
from django.utils.translation import gettext_noop as N_

from lachan.monitoring.analysis.sites import site_of

from .result import CheckFinding

RECORD_TYPES = ("A", "AAAA", "NS", "MX")
SEVERITY = {"NS": "high", "MX": "medium", "A": "low", "AAAA": "low"}
_FAILED = object()


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


class DnsLookup:
    """Cached async DNS lookups. ``nameservers`` None reads the setting; an empty list means the system's."""

    def __init__(self, nameservers=None, *, port: int = 53, timeout: float = 3.0):
        if nameservers is None:
            from django.conf import settings

            nameservers = list(getattr(settings, "MONITOR_DNS_NAMESERVERS", None) or ())
        self.cache = dns.resolver.Cache()
        try:
            resolver = dns.asyncresolver.Resolver(configure=not nameservers)
        except dns.resolver.NoResolverConfiguration:
            resolver = None
        if resolver is not None:
            if nameservers:
                resolver.nameservers = [str(ns).strip() for ns in nameservers]
            resolver.port = port
            resolver.timeout = timeout
            resolver.lifetime = timeout
            resolver.cache = self.cache
        self.resolver = resolver

    def _forget(self, name: dns.name.Name, rdtype) -> None:
        self.cache.flush((name, rdtype, dns.rdataclass.IN))
        self.cache.flush((name, dns.rdatatype.ANY, dns.rdataclass.IN))  # where NXDOMAIN is cached

    async def query(self, name: str, rdtype: str, *, fresh: bool = False):
        """Sorted answers as text; [] for NXDOMAIN or no records; ``_FAILED`` when the query failed."""
        if self.resolver is None:
            return _FAILED
        qname = dns.name.from_text(name)
        kind = dns.rdatatype.from_text(rdtype)
        if fresh:
            self._forget(qname, kind)
        try:
            answer = await self.resolver.resolve(qname, kind, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            return []
        except (dns.exception.DNSException, OSError):
            return _FAILED
        if answer.rrset is None:
            return []
        return sorted({_text(rdata, kind) for rdata in answer.rrset})

    async def records(self, host: str, *, fresh: bool = False) -> dict:
        """``{"A": [...], "AAAA": [...], "NS": [...], "MX": [...]}`` of ``host`` ({} for an IP literal)."""
        host = (host or "").strip().rstrip(".").lower()
        if not host or is_ip_literal(host) or self.resolver is None:
            return {}
        a, aaaa, (zone, ns) = await asyncio.gather(
            self.query(host, "A", fresh=fresh), self.query(host, "AAAA", fresh=fresh), self._zone_ns(host, fresh))
        mx = await self.query(zone, "MX", fresh=fresh) if zone else _FAILED
        out = {}
        for rdtype, values in (("A", a), ("AAAA", aaaa), ("NS", ns), ("MX", mx)):
            if values is not _FAILED:
                out[rdtype] = values
        return out

    async def _zone_ns(self, host: str, fresh: bool):
        """``(zone, NS answers)``: the first of host, its parents … its site with NS records."""
        stop = site_of(host)
        name = host
        while True:
            answers = await self.query(name, "NS", fresh=fresh)
            if answers is _FAILED or answers:
                return name, answers
            if name == stop or name.count(".") < 1:
                return stop, []
            name = name.split(".", 1)[1]

    async def addresses(self, host: str, family=socket.AF_UNSPEC) -> list[str]:
        types = {socket.AF_INET: ("A",), socket.AF_INET6: ("AAAA",)}.get(family, ("A", "AAAA"))
        found = []
        for rdtype in types:
            values = await self.query(host, rdtype)
            if values is not _FAILED:
                found.extend(values)
        return found

    def aiohttp_resolver(self) -> AbstractResolver:
        return _AiohttpResolver(self)


class _AiohttpResolver(AbstractResolver):
    """aiohttp's resolver interface over a ``DnsLookup`` (same servers, same cache)."""

    def __init__(self, lookup: DnsLookup):
        self.lookup = lookup

    async def resolve(self, host: str, port: int = 0, family=socket.AF_INET) -> list[ResolveResult]:
        addresses = await self.lookup.addresses(host, family)
        if not addresses:
            raise OSError(f"{host} has no address")
        return [{"hostname": host, "host": ip, "port": port,
                 "family": socket.AF_INET6 if ":" in ip else socket.AF_INET,
                 "proto": 0, "flags": socket.AI_NUMERICHOST} for ip in addresses]

    async def close(self) -> None:
        return None


def _text(rdata, kind) -> str:
    if kind == dns.rdatatype.MX:
        return f"{rdata.preference} {rdata.exchange.to_text(omit_final_dot=True).lower()}"
    if kind == dns.rdatatype.NS:
        return rdata.target.to_text(omit_final_dot=True).lower()
    return rdata.to_text().lower()


_default = None


def default_lookup() -> DnsLookup:
    """The process-wide lookup (settings read once)."""
    global _default
    if _default is None:
        _default = DnsLookup()
    return _default


def compare(previous: dict | None, current: dict, url: str) -> list[CheckFinding]:
    """``dns_changed`` findings: one per record type answered both times whose set of answers differs."""
    if not previous:
        return []
    findings = []
    for rdtype in RECORD_TYPES:
        if rdtype not in previous or rdtype not in current:
            continue
        before, after = set(previous[rdtype] or ()), set(current[rdtype] or ())
        if before == after:
            continue
        template = N_("The %(record)s records changed.")
        findings.append(CheckFinding(
            kind="dns_changed", severity=SEVERITY[rdtype], summary=template % {"record": rdtype},
            evidence={"record": rdtype, "before": sorted(before), "after": sorted(after),
                      "added": sorted(after - before), "removed": sorted(before - after)},
            url=url, signal=f"{rdtype.lower()}_changed", template=template, params={"record": rdtype}))
    return findings
