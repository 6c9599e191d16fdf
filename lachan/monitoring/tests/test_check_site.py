"""``check_site`` against real aiohttp servers on loopback (``servers.py``): verdicts, findings, TLS, redirects,
failures, sub-pages and the sitemap sample. No mocked responses; short timeouts keep the suite fast."""

import asyncio

import pytest
from django.utils import translation

from lachan.core.outbound import guarded_session
from lachan.monitoring.analysis import PageFeatures, extract_features
from lachan.monitoring.checking import KINDS, CheckOptions, check_site
from lachan.monitoring.tests import servers
from lachan.monitoring.tests.servers import LOOPBACK, Page, serve

FAST = CheckOptions(total_timeout=3.0, connect_timeout=1.0, read_timeout=0.5)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def check(site, *, path="/", host="127.0.0.1", ssl_context=None, baseline_html=None, options=FAST, **kwargs):
    """Serve ``site``, check ``path`` (baseline: ``baseline_html`` as it was at that URL); (result, base URL)."""

    async def go():
        async with serve(site.app(), host, ssl_context=ssl_context) as base, \
                guarded_session(allowlist=LOOPBACK) as session:
            url = base + path
            if baseline_html is not None:
                kwargs["baselines"] = {url: extract_features(baseline_html, url)}
            return await check_site(session, url, options=options, **kwargs), base

    return asyncio.run(go())


def signals(result):
    return [(f.kind, f.severity, f.signal) for f in result.findings]


# --- verdicts on the home page ----------------------------------------------------------------------------

def test_clean_page_is_ok_and_its_features_are_kept():
    result, base = check(servers.clean_site(), deep=True, subpages=["/gioi-thieu"])
    assert result.verdict == "ok"
    assert result.findings == []
    assert result.http_status == 200 and result.final_url == base + "/"
    assert result.latency_ms is not None and result.latency_ms >= 0
    assert result.tls_days_left is None and result.dns == {}  # plain http, IP literal
    assert set(result.pages) == {base + "/", base + "/gioi-thieu"}
    assert result.pages[base + "/"].title == "Trường THPT Nguyễn Du - Cổng thông tin điện tử"
    assert result.to_json()["findings"] == []


def test_clean_page_against_its_own_baseline_is_ok():
    result, _ = check(servers.clean_site(), baseline_html=servers.CLEAN_HOME, deep=False)
    assert result.verdict == "ok" and result.findings == []


def test_defaced_page_with_markers_is_compromised():
    result, base = check(servers.defaced_site("marker"), baseline_html=servers.CLEAN_HOME, deep=False)
    assert result.verdict == "compromised"
    assert ("defacement", "critical", "defacement_confirmed") in signals(result)
    title = next(f for f in result.findings if f.signal == "title_changed")
    assert title.kind == "defacement" and title.url == base + "/"
    assert title.evidence["after"] == "Hacked by Shadow Team"
    assert title.evidence["before"] == "Trường THPT Nguyễn Du - Cổng thông tin điện tử"


def test_page_replaced_by_a_marquee_page_is_compromised():
    result, _ = check(servers.defaced_site("marquee"), baseline_html=servers.CLEAN_HOME, deep=False)
    assert result.verdict == "compromised"
    assert ("defacement", "high", "defacement_suspected") in signals(result)
    assert "title_changed" in [f.signal for f in result.findings]


def test_defaced_page_without_baseline_is_judged_on_its_own():
    result, _ = check(servers.defaced_site("marker"), deep=False)
    assert result.verdict == "compromised"
    confirmed = next(f for f in result.findings if f.signal == "defacement_confirmed")
    assert "hacked by" in confirmed.evidence["markers"]


def test_gambling_injection_with_hidden_links():
    result, base = check(servers.injected_site(), deep=False)
    assert result.verdict == "compromised"
    kinds = {f.kind: f for f in result.findings}
    gambling = kinds["gambling_injection"]
    assert gambling.severity == "high" and gambling.url == base + "/"
    hrefs = {link["href"] for link in gambling.evidence["links"]}
    assert {"https://nhacaiuytin.example/", "https://w88vn.example/"} <= hrefs
    hidden = kinds["hidden_links"]
    assert {link["href"] for link in hidden.evidence["links"]} == {
        "https://vaytiennhanh.example/", "https://thuocgiamcan.example/", "https://seo-backlink.example/"}
    assert all(f.kind in KINDS for f in result.findings)


def test_baselines_may_be_feature_dicts():
    async def go():
        site = servers.defaced_site("marker")
        async with serve(site.app()) as base, guarded_session(allowlist=LOOPBACK) as session:
            url = base + "/"
            stored = extract_features(servers.CLEAN_HOME, url).to_dict()  # as the engine keeps it (JSON)
            return await check_site(session, url, baselines={url: stored}, deep=False, options=FAST)

    result = asyncio.run(go())
    assert "title_changed" in [f.signal for f in result.findings]


# --- cloaking ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("by, variant", [("googlebot", "googlebot"), ("referer", "referer")])
def test_cloaking_is_found_in_deep_mode_only(by, variant):
    site = servers.cloaked_site(by)
    fast, _ = check(site, deep=False)
    assert fast.verdict == "ok" and fast.findings == []
    assert site.hits[("/", variant)] == 0  # the fast path sends no probe

    deep, base = check(site, deep=True)
    assert site.hits[("/", variant)] == 1
    assert deep.verdict == "compromised"
    cloaking = [f for f in deep.findings if f.kind == "cloaking"]
    assert len(cloaking) == 1 and cloaking[0].severity == "critical" and cloaking[0].url == base + "/"
    expected = {"googlebot": "Googlebot", "referer": "search-engine referer"}[by]
    assert cloaking[0].evidence["variant"] == expected


# --- redirects ---------------------------------------------------------------------------------------------

def test_redirect_chain_to_another_site():
    async def go(with_baseline):
        other = servers.clean_site()
        async with serve(other.app(), "127.0.0.2") as other_base:
            site = servers.redirect_site(other_base + "/", via=2)
            async with serve(site.app()) as base, guarded_session(allowlist=LOOPBACK) as session:
                url = base + "/"
                baselines = {url: extract_features(servers.CLEAN_HOME, url)} if with_baseline else None
                return await check_site(session, url, baselines=baselines, deep=False, options=FAST), base, other_base

    result, base, other_base = asyncio.run(go(False))
    assert result.final_url == other_base + "/"
    assert result.redirects == [{"status": 302, "url": base + "/"}, {"status": 302, "url": base + "/hop1"}]
    offsite = next(f for f in result.findings if f.kind == "redirect_offsite")
    assert (offsite.severity, offsite.signal) == ("medium", "http_redirect")
    assert offsite.evidence["chain"] == [f"302 {base}/", f"302 {base}/hop1", f"200 {other_base}/"]
    assert result.verdict == "suspicious"

    result, _, _ = asyncio.run(go(True))  # the page used to be served by its own site
    assert [f.severity for f in result.findings if f.kind == "redirect_offsite"] == ["high"]
    assert result.verdict == "compromised"


def test_redirect_within_the_site_is_no_finding():
    site = servers.clean_site()
    site.pages["/"] = servers.redirect("/trang-chu", 301)
    site.pages["/trang-chu"] = Page(servers.CLEAN_HOME)
    result, base = check(site, deep=False)
    assert result.verdict == "ok" and result.findings == []
    assert result.final_url == base + "/trang-chu"
    assert set(result.pages) == {base + "/"}  # kept under the URL that was asked for


# --- down --------------------------------------------------------------------------------------------------

def test_server_error_is_down():
    result, _ = check(servers.error_site(500), deep=True, subpages=["/gioi-thieu"])
    assert result.verdict == "down"
    assert (result.http_status, result.error_kind) == (500, "http_500")
    assert signals(result) == [("down", "critical", "http_500")]
    assert result.pages == {}  # content of a down page is not judged, nothing else fetched


def test_not_found_home_is_down_high():
    site = servers.clean_site()
    del site.pages["/"]
    result, _ = check(site, deep=False)
    assert result.verdict == "down" and signals(result) == [("down", "high", "http_404")]


def test_refused_port_is_down_with_connect_error():
    async def go():
        async with guarded_session(allowlist=LOOPBACK) as session:
            return await check_site(session, f"http://127.0.0.1:{servers.free_port()}/", deep=True, options=FAST)

    result = asyncio.run(go())
    assert result.verdict == "down"
    assert result.error_kind == "connect" and result.http_status is None and result.latency_ms is None
    assert result.to_json()["error"]["kind"] == "connect"
    assert result.findings[0].evidence["error_kind"] == "connect"


def test_slow_server_is_down_with_timeout():
    result, _ = check(servers.slow_site(delay=3.0), deep=False)
    assert result.verdict == "down"
    assert result.error_kind == "timeout"
    assert signals(result) == [("down", "critical", "timeout")]


def test_blocked_target_is_down_with_the_reason():
    async def go():
        async with guarded_session(allowlist=()) as session:
            return await check_site(session, "http://127.0.0.1:9/", deep=False, options=FAST)

    result = asyncio.run(go())
    assert (result.verdict, result.error_kind) == ("down", "blocked")
    assert "loopback" in result.error_message


# --- sub-pages and the sitemap -----------------------------------------------------------------------------

def test_failing_subpage_is_a_finding_not_down():
    result, base = check(servers.clean_site(), deep=True, subpages=["/khong-co", "gioi-thieu", "https://other.example/x"])
    assert result.verdict == "ok"
    assert signals(result) == [("down", "low", "http_404")]
    assert result.findings[0].url == base + "/khong-co"
    assert set(result.pages) == {base + "/", base + "/gioi-thieu"}  # the off-site entry was never fetched


def test_slow_subpage_is_a_finding_and_the_rest_is_judged():
    site = servers.injected_site()
    site.pages["/cham"] = Page(servers.CLEAN_HOME, delay=3.0)
    result, base = check(site, deep=True, subpages=["/cham", "/gioi-thieu"])
    assert ("down", "low", "subpage_timeout") in signals(result)
    assert "gambling_injection" in {f.kind for f in result.findings}
    assert result.verdict == "compromised" and base + "/gioi-thieu" in result.pages


def test_unreadable_baseline_is_noted_and_the_page_judged_without_it():
    async def go():
        site = servers.defaced_site("marker")
        async with serve(site.app()) as base, guarded_session(allowlist=LOOPBACK) as session:
            url = base + "/"
            return await check_site(session, url, baselines={url: {"title": "no url"}}, deep=False, options=FAST)

    result = asyncio.run(go())
    assert result.verdict == "compromised"  # the markers alone
    assert "title_changed" not in {f.signal for f in result.findings}
    assert result.error_kind == "" and result.error_message.startswith("baseline of http://127.0.0.1:")


def test_subpages_are_only_checked_in_deep_mode():
    site = servers.clean_site()
    site.pages["/tin-tuc"] = Page(servers.GAMBLING_PAGE)
    fast, _ = check(site, deep=False, subpages=["/tin-tuc"])
    assert fast.verdict == "ok" and site.hits[("/tin-tuc", "browser")] == 0
    deep, base = check(site, deep=True, subpages=["/tin-tuc"])
    assert deep.verdict == "compromised"
    assert {f.url for f in deep.findings if f.kind == "gambling_injection"} == {base + "/tin-tuc"}


def test_sitemap_sample_picks_same_site_urls_and_finds_a_gambling_subpage():
    site = servers.sitemap_site()
    result, base = check(site, deep=True, sitemap_sample=10)
    assert set(result.pages) == {base + "/", base + "/tin-tuc/le-20-11", base + "/tin-tuc/tuyen-sinh",
                                 base + "/tin-tuc/bai-cu"}
    assert result.verdict == "compromised"
    gambling = [f for f in result.findings if f.kind == "gambling_injection"]
    assert gambling and {f.url for f in gambling} == {base + "/tin-tuc/bai-cu"}
    assert site.hits[("/robots.txt", "browser")] == 1
    assert site.hits[("/sitemap_index.xml", "browser")] == 1 and site.hits[("/sitemap-posts.xml", "browser")] == 1
    assert site.hits[("/", "browser")] == 3  # home + 2 probes: the home page listed in the sitemap is not re-fetched


def test_sitemap_sample_size_is_respected():
    site = servers.sitemap_site()
    result, base = check(site, deep=True, sitemap_sample=2, options=CheckOptions(
        total_timeout=3.0, connect_timeout=1.0, read_timeout=0.5, sample_seed=7))
    sampled = set(result.pages) - {base + "/"}
    assert len(sampled) == 2
    assert sampled <= {base + "/tin-tuc/le-20-11", base + "/tin-tuc/tuyen-sinh", base + "/tin-tuc/bai-cu"}


def test_sitemap_xml_is_used_without_robots():
    site = servers.clean_site()
    site.pages["/sitemap.xml"] = Page(servers.SITEMAP_POSTS.replace("/tin-tuc/bai-cu", "/gioi-thieu"),
                                      content_type="application/xml")
    result, base = check(site, deep=True, sitemap_sample=5)
    assert base + "/gioi-thieu" in result.pages
    assert site.hits[("/robots.txt", "browser")] == 1 and site.hits[("/sitemap.xml", "browser")] == 1


# --- TLS ---------------------------------------------------------------------------------------------------

def test_self_signed_certificate_is_tls_invalid_and_content_still_judged():
    server_ctx, _client = servers.make_cert(days_after=90)
    result, base = check(servers.injected_site(), ssl_context=server_ctx, deep=True, subpages=["/gioi-thieu"])
    assert base.startswith("https://")
    invalid = next(f for f in result.findings if f.kind == "tls_invalid")
    assert (invalid.severity, invalid.signal) == ("medium", "unverified")
    assert "certificate verify failed" in invalid.evidence["error"]
    assert "gambling_injection" in {f.kind for f in result.findings}  # fetched again without verification
    assert result.verdict == "compromised"
    assert result.tls_days_left == 90
    assert base + "/gioi-thieu" in result.pages  # later pages fetched without verification too


def test_self_signed_certificate_alone_is_suspicious():
    server_ctx, _client = servers.make_cert(days_after=90)
    result, _ = check(servers.clean_site(), ssl_context=server_ctx, deep=False)
    assert result.verdict == "suspicious"
    assert signals(result) == [("tls_invalid", "medium", "unverified")]


def test_expired_certificate_is_tls_invalid_high():
    server_ctx, client_ctx = servers.make_cert(days_before=30, days_after=-2)
    options = CheckOptions(total_timeout=3.0, connect_timeout=1.0, read_timeout=0.5, ssl=client_ctx)
    result, _ = check(servers.clean_site(), ssl_context=server_ctx, deep=False, options=options)
    assert signals(result) == [("tls_invalid", "high", "expired")]
    assert result.tls_days_left == -2 and result.verdict == "suspicious"


@pytest.mark.parametrize("days, severity", [(5, "medium"), (2, "high")])
def test_certificate_expiring_soon(days, severity):
    server_ctx, client_ctx = servers.make_cert(days_after=days)
    options = CheckOptions(total_timeout=3.0, connect_timeout=1.0, read_timeout=0.5, ssl=client_ctx)
    result, _ = check(servers.clean_site(), ssl_context=server_ctx, deep=False, options=options)
    assert result.tls_days_left == days
    assert signals(result) == [("tls_expiring", severity, "expiring")]
    assert result.findings[0].evidence["days_left"] == days
    assert result.verdict == "ok"  # an expiring certificate alone is not a compromise


def test_certificate_far_from_expiry_is_no_finding(settings):
    settings.MONITOR_TLS_WARN_DAYS = 30
    server_ctx, client_ctx = servers.make_cert(days_after=45)
    options = CheckOptions(total_timeout=3.0, connect_timeout=1.0, read_timeout=0.5, ssl=client_ctx)
    result, _ = check(servers.clean_site(), ssl_context=server_ctx, deep=False, options=options)
    assert result.tls_days_left == 45 and result.findings == []
    settings.MONITOR_TLS_WARN_DAYS = 60
    result, _ = check(servers.clean_site(), ssl_context=server_ctx, deep=False, options=options)
    assert signals(result) == [("tls_expiring", "medium", "expiring")]


# --- the JSON form -----------------------------------------------------------------------------------------

def test_to_json_keys():
    result, base = check(servers.injected_site(), deep=False)
    data = result.to_json()
    assert {"url", "final_url", "http_status", "latency_ms", "tls_days_left", "verdict", "findings"} <= set(data)
    assert set(data) <= {"url", "final_url", "http_status", "latency_ms", "tls_days_left", "verdict", "findings",
                         "checked_at", "error"}
    assert data["url"] == base + "/" and data["verdict"] == "compromised"
    for finding in data["findings"]:
        assert {"kind", "severity", "evidence"} <= set(finding) <= {"kind", "severity", "evidence", "summary", "url",
                                                                     "signal"}
    assert isinstance(result.pages[base + "/"], PageFeatures)
