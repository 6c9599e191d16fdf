"""Pages that send new bytes on every request (a visit counter, a CSRF token, the time): their stable digest
(``checking.stable``) lets a check reuse the previous analysis and skip the cloaking comparison, while any
change a visitor or a search engine would see is analysed afresh. Real loopback servers, the real analysis."""

import asyncio

import pytest
from django.utils import translation

from lachan.core.outbound import guarded_session
from lachan.monitoring.checking import CheckOptions, check_site
from lachan.monitoring.checking.analyser import (
    STABLE_RUNS_MAX,
    PageAnalyser,
    analyse_page,
    likely_reused,
    same_answers,
    stable_digest,
)
from lachan.monitoring.checking.stable import ipv4_hosts, stable_bytes
from lachan.monitoring.tests import servers
from lachan.monitoring.tests.servers import LOOPBACK, serve

FAST = CheckOptions(total_timeout=3.0, connect_timeout=1.0, read_timeout=0.5)
URL = "http://127.0.0.1/"

# what a Laravel/Django/ASP.NET portal sends a cookie-less visitor: a counter, the time, a token per request
VOLATILE = """<meta name="csrf-token" content="{token}">
<script nonce="{token}">var started = {visits};</script>
<form method="post" action="/tim-kiem;jsessionid={token}"><input type="hidden" name="_token" value="{token}">
<input type="hidden" name="__VIEWSTATE" value='{token}'><input name="q"></form>
<p>Lượt truy cập: {visits} - Trang tạo lúc 23/11/2026 {visits}</p>
<a href="/tin-tuc?PHPSESSID={token}">Tin tức</a>"""
DYNAMIC_HOME = servers.CLEAN_HOME.replace("</footer>", VOLATILE + "</footer>")
DYNAMIC_INJECTED = servers.INJECTED_HOME.replace("</footer>", VOLATILE + "</footer>")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def page(template=DYNAMIC_HOME, visits=10523, token="c2f1e0d9b8a7"):
    return template.replace("{visits}", str(visits)).replace("{token}", token).encode()


# --- what the stable bytes leave out, and what they keep ------------------------------------------------

def test_counters_times_tokens_and_session_ids_are_left_out():
    assert stable_bytes(page()) == stable_bytes(page(visits=98765, token="Zk3_q-9xYwV1uTs0rQpOnMlKjIh"))
    assert stable_digest(page(), URL, "utf-8") == stable_digest(page(visits=1, token="x"), URL, "utf-8")


@pytest.mark.parametrize("change", [
    ("</main>", servers.HIDDEN_SPAM + "</main>"),  # hidden gambling links
    ("Trường THPT Nguyễn Du</h1>", "Hacked by Anonymous</h1>"),  # a defacement
    ('src="/static/site.js"', 'src="https://cdn.example/x.js"'),  # another script
    ('<a href="/tin-tuc?', '<a href="https://nhacai.example/?'),  # a link moved off the site
    ("Trường THPT", "TRƯỜNG THPT"),  # a word put in capitals
])
def test_any_change_a_visitor_or_an_engine_sees_changes_the_stable_digest(change):
    before = page()
    after = page(DYNAMIC_HOME.replace(*change), visits=10524, token="other")
    assert after != before
    assert stable_digest(after, URL, "utf-8") != stable_digest(before, URL, "utf-8")


def test_a_link_moved_from_one_ip_address_to_another_is_a_change():
    one = page(DYNAMIC_HOME.replace("</main>", '<a href="http://203.0.113.5/">x</a></main>'))
    other = page(DYNAMIC_HOME.replace("</main>", '<a href="http://198.51.100.7/">x</a></main>'))
    assert stable_bytes(one) == stable_bytes(other)  # the digits alone are left out
    assert ipv4_hosts(one) == b"//203.0.113.5"
    assert stable_digest(one, URL, "utf-8") != stable_digest(other, URL, "utf-8")


def test_the_final_url_and_the_charset_are_part_of_the_stable_digest():
    body = page()
    assert stable_digest(body, URL, "utf-8") != stable_digest(body, URL + "index.php", "utf-8")
    assert stable_digest(body, URL, "utf-8") != stable_digest(body, URL, "windows-1258")


# --- reuse -------------------------------------------------------------------------------------------

def test_a_dynamic_page_reuses_its_analysis_then_is_parsed_again_after_the_limit():
    first = analyse_page(page(DYNAMIC_INJECTED), URL, "utf-8", None, "5")
    assert not first.reused and {f.kind for f in first.findings} >= {"gambling_injection", "hidden_links"}
    record, reused = first.to_json(), 0
    for n in range(1, STABLE_RUNS_MAX + 2):
        again = analyse_page(page(DYNAMIC_INJECTED, visits=10523 + n, token=f"t{n}"), URL, "utf-8", None, "5",
                             previous=record)
        assert [f.to_dict() for f in again.findings] == [f.to_dict() for f in first.findings]
        reused += again.reused
        record = again.to_json()
        if not again.reused:
            break
    assert reused == STABLE_RUNS_MAX and n == STABLE_RUNS_MAX + 1  # then analysed afresh
    assert (again.runs, again.hits) == (0, 1) and again.features is not None
    assert likely_reused(record, "5")  # the engine still need not load its baseline beforehand


def test_the_same_bytes_reuse_without_counting_towards_the_limit():
    body = page()
    first = analyse_page(body, URL, "utf-8", None)
    again = analyse_page(body, URL, "utf-8", None, previous=first.to_json())
    assert again.reused and (again.runs, again.hits) == (0, 1)


def test_a_dynamic_page_injected_after_its_analysis_is_analysed_afresh():
    clean = analyse_page(page(), URL, "utf-8", None, "5")
    assert clean.findings == []
    injected = analyse_page(page(DYNAMIC_INJECTED, visits=10600, token="n"), URL, "utf-8", None, "5",
                            previous=clean.to_json())
    assert not injected.reused and "gambling_injection" in {f.kind for f in injected.findings}
    assert injected.hits == 0


def test_another_baseline_is_never_reused_on_the_stable_digest():
    first = analyse_page(page(), URL, "utf-8", None, "5")
    again = analyse_page(page(visits=1, token="t"), URL, "utf-8", None, "6", previous=first.to_json())
    assert not again.reused


def test_answers_differing_in_volatile_bits_only_are_the_same_for_the_cloaking_comparison():
    browser = (200, URL, page(), "utf-8")
    googlebot = (200, URL, page(visits=2, token="g"), "utf-8")
    cloaked = (200, URL, page(DYNAMIC_INJECTED, visits=3, token="r"), "utf-8")
    assert same_answers(browser, googlebot, googlebot)
    assert not same_answers(browser, googlebot, cloaked)
    assert not same_answers(browser, (301, URL, page(), "utf-8"), browser)
    assert not same_answers(browser, (200, URL + "x", page(), "utf-8"), browser)


# --- check_site against a real server that sends new bytes on every request -------------------------

def _checks(site, count, *, deep):
    analyser = PageAnalyser()

    async def go():
        results, previous = [], None
        async with serve(site.app(), "127.0.0.1") as base, guarded_session(allowlist=LOOPBACK) as session:
            for _ in range(count):
                result = await check_site(session, base + "/", options=FAST, deep=deep, analyser=analyser,
                                          previous_analyses=previous)
                previous = {u: r.to_json() for u, r in result.analyses.items()}
                results.append(result)
        return results

    return asyncio.run(go()), analyser


def test_check_site_reuses_the_analysis_of_a_page_with_a_counter_and_a_token():
    site = servers.Site({**servers.clean_site().pages, "/": servers.Page(DYNAMIC_HOME, dynamic=True)})
    results, analyser = _checks(site, 3, deep=True)
    assert [r.verdict for r in results] == ["ok"] * 3
    assert (analyser.analysed, analyser.reused) == (1, 2)
    assert analyser.cloaking_skipped == 3  # Googlebot and the referer get the same page but for the token
    assert site.hits[("/", "browser")] == 9  # each check really fetched three answers


def test_check_site_still_sees_cloaking_behind_the_volatile_bits():
    home = servers.Page(DYNAMIC_HOME, dynamic=True,
                        googlebot=servers.Page(servers.GAMBLING_PAGE.replace("</body>", VOLATILE + "</body>"),
                                               dynamic=True))
    site = servers.Site({**servers.clean_site().pages, "/": home})
    [result], analyser = _checks(site, 1, deep=True)
    assert analyser.cloaking_skipped == 0
    assert ("cloaking", "critical") in [(f.kind, f.severity) for f in result.findings]
