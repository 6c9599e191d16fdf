"""The pure parts of a check: verdict rules, the analysis → check kind mapping, sitemap and robots.txt parsing."""

import gzip

import pytest

from lachan.monitoring.analysis import Finding
from lachan.monitoring.checking import CheckFinding, verdict
from lachan.monitoring.checking.kinds import ANALYSIS_KINDS, KINDS, from_analysis
from lachan.monitoring.checking.sitemap import parse_sitemap, robots_sitemaps, same_site, sample


def finding(kind, severity, signal=""):
    return CheckFinding(kind=kind, severity=severity, summary="", evidence={}, url="u", signal=signal)


# --- verdict ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("findings, expected", [
    ([], "ok"),
    ([finding("tls_expiring", "high")], "ok"),
    ([finding("dns_changed", "low", "a_changed"), finding("dns_changed", "medium", "mx_changed")], "ok"),
    ([finding("down", "low", "http_404")], "ok"),  # a failing sub-page
    ([finding("defacement", "low", "title_changed")], "ok"),
    ([finding("cloaking", "info", "probe_failed")], "ok"),
    ([finding("hidden_links", "medium")], "suspicious"),
    ([finding("tls_invalid", "medium", "unverified")], "suspicious"),
    ([finding("dns_changed", "high", "ns_changed")], "suspicious"),
    ([finding("new_outbound_links", "medium")], "suspicious"),
    ([finding("new_outbound_links", "high")], "suspicious"),  # never compromised on its own
    ([finding("new_iframe", "low")], "ok"),
    ([finding("defacement", "critical", "defacement_confirmed")], "compromised"),
    ([finding("tls_invalid", "medium"), finding("gambling_injection", "high")], "compromised"),
    ([finding("redirect_offsite", "high")], "compromised"),
    ([finding("malicious_script", "high")], "compromised"),
])
def test_verdict_rules(findings, expected):
    assert verdict(findings, home_down=False) == expected


def test_down_wins():
    assert verdict([finding("defacement", "critical")], home_down=True) == "down"


# --- mapping ------------------------------------------------------------------------------------------------

def test_every_analysis_kind_maps_to_a_check_kind():
    from lachan.monitoring.analysis import KINDS as ANALYSIS

    assert set(ANALYSIS) <= set(ANALYSIS_KINDS)
    assert set(ANALYSIS_KINDS.values()) <= set(KINDS)


@pytest.mark.parametrize("analysis_kind, kind", [
    ("defacement_suspected", "defacement"), ("defacement_confirmed", "defacement"),
    ("title_changed", "defacement"), ("defacement_marker", "defacement"),
    ("redirect_injection", "redirect_offsite"), ("new_external_script", "malicious_script"),
    ("gambling_injection", "gambling_injection"), ("hidden_links", "hidden_links"), ("cloaking", "cloaking"),
])
def test_analysis_kinds_map(analysis_kind, kind):
    mapped = from_analysis(Finding(analysis_kind, "high", "s", {"links": ["https://evil.example/x.js"]}),
                           "https://a.gov.vn/", "a.gov.vn")
    assert (mapped.kind, mapped.severity, mapped.signal, mapped.url) == (kind, "high", analysis_kind,
                                                                         "https://a.gov.vn/")


def test_new_iframe_is_a_malicious_script_only_from_an_unrelated_host():
    unrelated = Finding("new_iframe", "medium", "s", {"links": [{"href": "https://ads.example/f", "text": ""}]})
    public = Finding("new_iframe", "medium", "s", {"links": [{"href": "https://dichvucong.hoabinh.gov.vn/f"}]})
    assert from_analysis(unrelated, "u", "a.gov.vn").kind == "malicious_script"
    assert from_analysis(public, "u", "a.gov.vn").kind == "new_iframe"


def test_new_script_from_a_public_sector_site_is_lowered():
    script = Finding("new_external_script", "medium", "s", {"links": ["https://cdn.hoabinh.gov.vn/a.js"]})
    mapped = from_analysis(script, "u", "a.gov.vn")
    assert (mapped.kind, mapped.severity) == ("malicious_script", "low")


# --- sitemap and robots.txt -----------------------------------------------------------------------------------

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc> https://a.gov.vn/tin-tuc/1 </loc><lastmod>2026-11-01</lastmod></url>
<url><loc>https://www.a.gov.vn/tin-tuc/2</loc></url>
</urlset>"""


def test_urlset_and_gzip():
    assert parse_sitemap(URLSET, 10_000) == ("urlset", ["https://a.gov.vn/tin-tuc/1", "https://www.a.gov.vn/tin-tuc/2"])
    assert parse_sitemap(gzip.compress(URLSET), 10_000) == parse_sitemap(URLSET, 10_000)


def test_hostile_sitemaps_give_nothing():
    bomb = b"""<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>
<urlset><url><loc>https://a.gov.vn/&b;</loc></url></urlset>"""
    external = b"""<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<urlset><url><loc>&x;</loc></url></urlset>"""
    assert parse_sitemap(bomb, 10_000) == ("", [])
    assert parse_sitemap(external, 10_000) == ("", [])
    assert parse_sitemap(b"<html><body>not a sitemap</body></html>", 10_000) == ("", [])
    assert parse_sitemap(b"\x1f\x8bnot gzip at all", 10_000) == ("", [])


def test_size_cap_applies_after_gunzip():
    big = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + b"<url><loc>https://a.gov.vn/p</loc></url>" * 50_000 + b"</urlset>"
    kind, locs = parse_sitemap(gzip.compress(big), 100_000)  # inflated only up to the cap
    assert kind == "urlset" and 2_000 < len(locs) < 2_500  # the URLs before the cut (~40 bytes each)
    assert set(locs) == {"https://a.gov.vn/p"}


def test_robots_sitemap_lines():
    robots = "User-agent: *\nsitemap: /sitemap.xml # main\nSITEMAP:https://www.a.gov.vn/news.xml\n" \
             "Sitemap: https://spam.example/s.xml\nDisallow: /admin\nSitemap: /sitemap.xml\n"
    assert robots_sitemaps(robots, "https://a.gov.vn/robots.txt", {"a.gov.vn"}) == [
        "https://a.gov.vn/sitemap.xml", "https://www.a.gov.vn/news.xml"]


def test_same_site_and_sample():
    sites = {"a.gov.vn"}
    assert same_site("https://tuyensinh.a.gov.vn/x", sites)
    assert not same_site("https://b.gov.vn/x", sites) and not same_site("ftp://a.gov.vn/x", sites)
    urls = [f"https://a.gov.vn/{i}" for i in range(10)]
    picked = sample(urls, 3, exclude={"https://a.gov.vn/0"}, seed=1)
    assert len(picked) == 3 and "https://a.gov.vn/0" not in picked
    assert picked == sorted(picked, key=urls.index)  # sitemap order kept
    assert picked == sample(urls, 3, exclude={"https://a.gov.vn/0"}, seed=1)
    assert sample(urls[:2], 5) == urls[:2] and sample(urls, 0) == []
