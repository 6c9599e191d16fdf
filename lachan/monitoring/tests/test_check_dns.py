"""DNS answers and ``dns_changed`` against a real DNS server on 127.0.0.1 (``servers.serve_dns``), with the
website itself fetched through the same resolver (``DnsLookup.aiohttp_resolver``)."""

import asyncio

import pytest
from django.utils import translation

from lachan.core.outbound import guarded_session
from lachan.monitoring.checking import CheckOptions, DnsLookup, check_site
from lachan.monitoring.checking.dns import compare
from lachan.monitoring.tests import servers
from lachan.monitoring.tests.servers import LOOPBACK, Zone, serve, serve_dns

FAST = CheckOptions(total_timeout=3.0, connect_timeout=1.0, read_timeout=0.5)
SOA = ["ns1.school.test. admin.school.test. 1 3600 600 86400 60"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def school_zone():
    return Zone({
        "school.test": {"SOA": SOA, "NS": ["ns1.school.test.", "ns2.school.test."],
                        "MX": ["10 mail.school.test.", "20 mail2.school.test."], "A": ["127.0.0.1"]},
        "www.school.test": {"A": ["127.0.0.1"]},
    })


def test_records_change_seen_by_a_deep_check_and_cached_for_a_fast_one():
    zone = school_zone()

    async def go():
        async with serve_dns(zone) as dns_port, serve(servers.clean_site().app()) as base:
            lookup = DnsLookup(["127.0.0.1"], port=dns_port, timeout=1.0)
            port = base.rsplit(":", 1)[1]
            url = f"http://www.school.test:{port}/"
            async with guarded_session(allowlist=LOOPBACK, upstream_resolver=lookup.aiohttp_resolver()) as session:
                first = await check_site(session, url, deep=True, dns_resolver=lookup, options=FAST)
                asked = sum(zone.queries.values())
                zone.records["school.test"]["NS"] = ["ns1.hijacked.test.", "ns2.hijacked.test."]
                zone.records["school.test"]["MX"] = ["10 mail.school.test.", "10 mx.hijacked.test."]
                fast = await check_site(session, url, deep=False, previous_dns=first.dns, dns_resolver=lookup,
                                        options=FAST)
                asked_fast = sum(zone.queries.values()) - asked
                deep = await check_site(session, url, deep=True, previous_dns=first.dns, dns_resolver=lookup,
                                        options=FAST)
                return first, fast, asked_fast, deep

    first, fast, asked_fast, deep = asyncio.run(go())
    assert first.verdict == "ok" and first.http_status == 200
    assert first.dns == {"A": ["127.0.0.1"], "AAAA": [], "NS": ["ns1.school.test", "ns2.school.test"],
                         "MX": ["10 mail.school.test", "20 mail2.school.test"]}
    # NS asked for www.school.test first (no data there), then for its parent zone
    assert zone.queries[("www.school.test", "NS")] >= 1 and zone.queries[("school.test", "NS")] >= 1

    assert asked_fast == 0  # everything from the TTL cache
    assert fast.dns == first.dns and fast.findings == []

    changed = {f.signal: f for f in deep.findings if f.kind == "dns_changed"}
    assert set(changed) == {"ns_changed", "mx_changed"}
    ns = changed["ns_changed"]
    assert ns.severity == "high"
    assert ns.evidence["added"] == ["ns1.hijacked.test", "ns2.hijacked.test"]
    assert ns.evidence["removed"] == ["ns1.school.test", "ns2.school.test"]
    mx = changed["mx_changed"]
    assert mx.severity == "medium" and mx.evidence["added"] == ["10 mx.hijacked.test"]
    assert mx.evidence["removed"] == ["20 mail2.school.test"]
    assert deep.verdict == "suspicious"


def test_unknown_name_is_down_with_a_dns_error_and_no_records():
    zone = school_zone()

    async def go():
        async with serve_dns(zone) as dns_port:
            lookup = DnsLookup(["127.0.0.1"], port=dns_port, timeout=1.0)
            async with guarded_session(allowlist=LOOPBACK, upstream_resolver=lookup.aiohttp_resolver()) as session:
                return await check_site(session, "http://nowhere.school.test/", deep=True, dns_resolver=lookup,
                                        previous_dns={"A": ["127.0.0.1"]}, options=FAST)

    result = asyncio.run(go())
    assert result.verdict == "down" and result.error_kind == "dns"
    assert result.dns["A"] == [] and result.dns["NS"] == ["ns1.school.test", "ns2.school.test"]
    assert ("dns_changed", "low", "a_changed") in [(f.kind, f.severity, f.signal) for f in result.findings]


def test_unanswered_queries_are_not_compared():
    async def go():
        # a UDP port with nothing behind it: every query fails
        lookup = DnsLookup(["127.0.0.1"], port=servers.free_port(), timeout=0.3)
        return await lookup.records("www.school.test")

    records = asyncio.run(go())
    assert records == {}
    assert compare({"A": ["127.0.0.1"], "NS": ["ns1.school.test"]}, records, "http://www.school.test/") == []


def test_compare_is_order_free_and_per_type():
    previous = {"A": ["192.0.2.1", "192.0.2.2"], "AAAA": [], "NS": ["a.ns.vn", "b.ns.vn"], "MX": ["10 mx.vn"]}
    same = {"A": ["192.0.2.2", "192.0.2.1"], "AAAA": [], "NS": ["b.ns.vn", "a.ns.vn"], "MX": ["10 mx.vn"]}
    assert compare(previous, same, "u") == []
    moved = dict(same, A=["198.51.100.7"], AAAA=["2001:db8::1"])
    found = compare(previous, moved, "u")
    assert [(f.signal, f.severity) for f in found] == [("a_changed", "low"), ("aaaa_changed", "low")]
    assert found[0].summary == "The A records changed."
    assert compare(None, moved, "u") == [] and compare({}, moved, "u") == []


def test_ip_literal_has_no_records():
    lookup = DnsLookup(["127.0.0.1"], port=9, timeout=0.2)
    assert asyncio.run(lookup.records("127.0.0.1")) == {}
    assert asyncio.run(lookup.records("[::1]")) == {}
