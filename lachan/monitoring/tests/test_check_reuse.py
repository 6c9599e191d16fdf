"""Reusing the previous analysis of a page (``checking.analyser``): identical bytes against the same baseline
give the same findings without parsing again; other bytes, another final URL or another baseline analyse
afresh. Against real loopback servers (``servers.py``) and the real analysis — no mocks."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.utils import translation

from lachan.core.outbound import guarded_session
from lachan.monitoring.analysis import extract_features
from lachan.monitoring.checking import CheckOptions, check_site
from lachan.monitoring.checking.analyser import (
    PageAnalyser,
    PageRecord,
    analyse_page,
    body_digest,
    content_hash,
    likely_reused,
    stable_words,
)
from lachan.monitoring.tests import servers
from lachan.monitoring.tests.servers import LOOPBACK, serve
from lachan.monitoring.tests.test_engine import NEWS_ADDED, NEXT_DAY, PAGES

FAST = CheckOptions(total_timeout=3.0, connect_timeout=1.0, read_timeout=0.5)
URL = "http://127.0.0.1/"
INJECTED = servers.INJECTED_HOME.encode()
CLEAN = servers.CLEAN_HOME.encode()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def kinds(findings):
    return sorted((f.kind, f.severity) for f in findings)


# --- analyse_page -----------------------------------------------------------------------------------------

def test_identical_bytes_and_baseline_reuse_the_findings_without_parsing():
    baseline = extract_features(CLEAN, URL)
    first = analyse_page(INJECTED, URL, "utf-8", baseline, "17")
    assert not first.reused and first.features is not None
    assert kinds(first.findings) == [("gambling_injection", "high"), ("hidden_links", "medium")]
    stored = first.to_json()  # what the engine keeps in WatchedSite.analysed_pages
    again = analyse_page(INJECTED, URL, "utf-8", baseline, "17", previous=stored)
    assert again.reused and again.features is None  # not parsed
    assert kinds(again.findings) == kinds(first.findings)
    assert [f.evidence for f in again.findings] == [f.evidence for f in first.findings]
    assert (again.content_hash, again.host, again.digest) == (first.content_hash, first.host, first.digest)


def test_a_changed_baseline_invalidates_the_reuse():
    first = analyse_page(INJECTED, URL, "utf-8", None, "")
    # the operator accepted the injected page as the new baseline: snapshot 42 is the baseline now
    accepted = extract_features(INJECTED, URL)
    again = analyse_page(INJECTED, URL, "utf-8", accepted, "42", previous=first.to_json())
    assert not again.reused and again.features is not None
    assert again.baseline_key == "42"


def test_other_bytes_final_url_or_charset_analyse_afresh():
    first = analyse_page(CLEAN, URL, "utf-8", None)
    for body, url, charset in ((CLEAN + b" ", URL, "utf-8"), (CLEAN, URL + "index.php", "utf-8"),
                               (CLEAN, URL, "windows-1258")):
        record = analyse_page(body, url, charset, None, previous=first.to_json())
        assert not record.reused
    assert body_digest(CLEAN, URL, "utf-8") == first.digest
    assert body_digest(CLEAN + b" ", URL, "utf-8") != first.digest


def test_a_record_of_another_shape_is_analysed_afresh():
    record = analyse_page(CLEAN, URL, "utf-8", None, previous={"digest": "x"})  # no hash, no findings
    assert not record.reused and record.findings == []


def test_content_hash_ignores_dates_and_counters_but_not_a_hidden_link():
    page = CLEAN.decode()
    today = extract_features(page.replace("</footer>", "<p>Hôm nay 23/11/2026 - Lượt truy cập: 10523</p></footer>"), URL)
    tomorrow = extract_features(page.replace("</footer>", "<p>Hôm nay 24/11/2026 - Lượt truy cập: 10987</p></footer>"),
                                URL)
    injected = extract_features(INJECTED, URL)
    assert content_hash(today) == content_hash(tomorrow)
    assert content_hash(today) != content_hash(injected)
    assert len(content_hash(today)) == 64


def test_content_hash_of_the_portal_the_next_day_is_the_same_and_new_news_change_it():
    # the next day: another weekday ("Thứ Hai" → "Thứ Ba"), time and SA/CH, counters, session id, CSRF token
    url = "https://stttt.example.gov.vn/"
    today = extract_features((PAGES / "so_portal.html").read_bytes(), url)
    assert content_hash(today) == content_hash(extract_features(NEXT_DAY, url))
    assert content_hash(today) != content_hash(extract_features(NEWS_ADDED, url))


def test_stable_words_leave_out_dates_weekdays_and_counters_only():
    text = ("Thứ Hai, ngày 15/01/2024 - 08:32 SA. THỨ BẢY 8h30 CH. Chủ nhật. Lượt truy cập: 1.234.567 "
            "5 phút trước, Monday January 3 hours ago; thứ tương x@y.vn Hacked by")
    assert stable_words(text).decode().split() == [
        "T", "T", "h", "C", "Lượt", "truy", "cập", "thứ", "tương", "x", "y", "vn", "Hacked", "by"]
    assert stable_words(text.replace("Thứ Hai", "Thứ Sáu").replace("1.234.567", "999")) == stable_words(text)
    assert stable_words(text.replace("Hacked", "hacked")) != stable_words(text)


def test_record_json_round_trip():
    record = analyse_page(INJECTED, URL, "utf-8", None)
    back = PageRecord.from_json(record.to_json())
    assert back.reused and back.to_json() == record.to_json()


# --- check_site with an analyser --------------------------------------------------------------------------

def checks(site, rounds, *, analyser, deep=False, keys=None):
    """Check ``site`` ``len(rounds)`` times; each round's previous analyses are the last check's records."""

    async def go():
        results, previous = [], None
        async with serve(site.app(), "127.0.0.1") as base, guarded_session(allowlist=LOOPBACK) as session:
            for round_keys in rounds:
                url = base + "/"
                result = await check_site(session, url, options=FAST, deep=deep, analyser=analyser,
                                          previous_analyses=previous, baseline_keys=round_keys)
                previous = {u: r.to_json() for u, r in result.analyses.items()}
                results.append(result)
        return results

    return asyncio.run(go())


def test_check_site_reuses_the_analysis_of_an_unchanged_page_in_a_thread_pool():
    with ThreadPoolExecutor(2) as pool:
        analyser = PageAnalyser(pool, slots=2)
        first, second, third = checks(servers.injected_site(), [{}, {}, {}], analyser=analyser)
    assert first.verdict == second.verdict == third.verdict == "compromised"
    assert [f.to_json() for f in second.findings] == [f.to_json() for f in first.findings]
    assert (analyser.analysed, analyser.reused) == (1, 2)
    home = first.url
    assert set(first.pages) == {home} and second.pages == {}  # nothing parsed: no features to keep
    assert second.analyses[home].reused and second.analyses[home].content_hash == first.analyses[home].content_hash


def test_check_site_analyses_again_when_the_baseline_changes():
    analyser = PageAnalyser()  # inline, as `lachan monitor check` does
    rounds = [{}, {}, None]
    site = servers.injected_site()

    async def go():
        results, previous = [], None
        async with serve(site.app(), "127.0.0.1") as base, guarded_session(allowlist=LOOPBACK) as session:
            url = base + "/"
            for n, _ in enumerate(rounds):
                keys = {url: "9"} if n == 2 else {}
                result = await check_site(session, url, options=FAST, deep=False, analyser=analyser,
                                          previous_analyses=previous, baseline_keys=keys)
                previous = {u: r.to_json() for u, r in result.analyses.items()}
                results.append(result)
        return results

    results = asyncio.run(go())
    assert (analyser.analysed, analyser.reused) == (2, 1)
    assert results[2].analyses[results[2].url].baseline_key == "9"


def test_the_cloaking_comparison_is_skipped_for_three_identical_answers_only():
    analyser = PageAnalyser()
    [clean] = checks(servers.clean_site(), [{}], analyser=analyser, deep=True)
    assert clean.verdict == "ok" and analyser.cloaking_skipped == 1
    analyser = PageAnalyser()
    [cloaked] = checks(servers.cloaked_site("googlebot"), [{}], analyser=analyser, deep=True)
    assert analyser.cloaking_skipped == 0
    assert ("cloaking", "critical") in [(f.kind, f.severity) for f in cloaked.findings]


def test_the_cloaking_comparison_takes_the_browser_page_already_parsed():
    browser = (200, URL, CLEAN, "utf-8")
    googlebot = (200, URL, INJECTED, "utf-8")
    features = extract_features(CLEAN, URL, encoding="utf-8")

    async def compare(**kwargs):
        return await PageAnalyser().cloaking(URL, browser, googlebot, browser, **kwargs)

    given, parsed_again = asyncio.run(compare(features=features)), asyncio.run(compare())
    assert [(f.kind, f.severity, f.evidence["variant"]) for f in given] == [("cloaking", "critical", "Googlebot")]
    assert [f.to_dict() for f in given] == [f.to_dict() for f in parsed_again]


def test_a_deferred_baseline_is_loaded_only_when_the_bytes_changed():
    site = servers.clean_site()
    loads = []

    async def go():
        async with serve(site.app(), "127.0.0.1") as base, guarded_session(allowlist=LOOPBACK) as session:
            url = base + "/"

            async def loader(page_url):
                loads.append(page_url)
                return baseline

            async def one(previous, **kwargs):
                result = await check_site(session, url, options=FAST, deep=False, previous_analyses=previous,
                                          **kwargs)
                return result, {u: r.to_json() for u, r in result.analyses.items()}

            first, previous = await one(None)  # no baseline yet: judged on its own
            baseline = first.pages[url]
            second, previous = await one(previous, baselines={url: baseline}, baseline_keys={url: "7"})
            third, previous = await one(previous, baseline_keys={url: "7"}, baseline_loader=loader)
            site.pages["/"] = servers.Page(servers.DEFACED_HOME)
            fourth, _ = await one(previous, baseline_keys={url: "7"}, baseline_loader=loader)
            return url, [first, second, third, fourth]

    url, results = asyncio.run(go())
    records = [r.analyses[url] for r in results]
    assert [(r.reused, r.hits, r.baseline_key) for r in records] == [
        (False, 0, ""), (False, 0, "7"), (True, 1, "7"), (False, 0, "7")]
    assert not likely_reused(records[1].to_json(), "7") and likely_reused(records[2].to_json(), "7")
    assert not likely_reused(records[2].to_json(), "8")  # another baseline since
    assert loads == [url]  # the same bytes needed no baseline; the defaced page was judged against it
    assert results[2].verdict == "ok" and results[3].verdict == "compromised"
    assert "title_changed" in [f.signal for f in results[3].findings]
