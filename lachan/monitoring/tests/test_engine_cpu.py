"""The engine and its own CPU: a busy analysis never makes a live site "down", unchanged pages reuse their
analysis until the bytes or the baseline change, the adaptive number of checks in flight, and leases that
run from the real time of a claim. Real loopback servers and the real database (``test_engine.py``'s farm)."""

import time
from urllib.parse import urljoin

from django.utils import timezone

from lachan.monitoring.analysis import extract_features
from lachan.monitoring.checking import analyser
from lachan.monitoring.engine import claim as claiming
from lachan.monitoring.engine import limit_malloc_arenas
from lachan.monitoring.engine.loop import Throttle, claim_jobs
from lachan.monitoring.models import Check, Snapshot, WatchedSite
from lachan.monitoring.services import baseline_accept
from lachan.monitoring.tests import test_engine as base
from lachan.monitoring.tests.test_engine import CLEAN, HANG, NEWS_ADDED, make_due, once, watch

# the fixtures of test_engine.py: a loopback farm, the engine's settings, units, users and contacts
farm, engine_settings, env = base.farm, base.engine_settings, base.env


def test_slow_analysis_does_not_count_against_the_check_timeout(env, monkeypatch):
    farm, a = env["farm"], env["tree"]["a"]
    live = watch(farm, "live", a)
    hung = watch(farm, "hung", a, page=HANG)
    real = analyser.analyse_page

    def busy_cpu(*args, **kwargs):  # our CPU is busy: each page takes 1.5 s to analyse
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(analyser, "analyse_page", busy_cpu)
    stats = once(check_timeout=0.8)
    live_check, hung_check = Check.objects.get(site=live), Check.objects.get(site=hung)
    # 1.5 s of analysis > 0.8 s check timeout, but the network part took milliseconds: the site is up
    assert live_check.verdict == "ok" and live_check.error_kind == ""
    # the site that never answers still times out
    assert hung_check.verdict == "down" and hung_check.error_kind == "timeout"
    assert stats["timeouts"] == 1 and stats["analysed"] == 1


def test_unchanged_page_reuses_its_analysis_until_bytes_or_baseline_change(env):
    farm, a = env["farm"], env["tree"]["a"]
    site = watch(farm, "portal", a, deep_every=100, check_count=1)  # shallow checks only
    url = farm.url("portal")
    first = once()
    assert (first["analysed"], first["reused"]) == (1, 0)
    site.refresh_from_db()
    baseline = Snapshot.objects.get(site=site, is_baseline=True)
    record = site.analysed_pages[url]
    assert record["baseline"] == "" and record["hash"] == site.page_hashes[url] == baseline.content_hash

    make_due()  # same bytes; the page became its own baseline, so the key changed: analysed once more
    second = once()
    assert (second["analysed"], second["reused"]) == (1, 0)
    site.refresh_from_db()
    assert site.analysed_pages[url]["baseline"] == str(baseline.pk)

    make_due()  # same bytes, same baseline: reused
    third = once()
    assert (third["analysed"], third["reused"]) == (0, 1)
    assert list(Check.objects.filter(site=site).order_by("checked_at").values_list("verdict", flat=True)) == [
        "ok", "ok", "ok"]
    assert Snapshot.objects.filter(site=site).count() == 1
    site.refresh_from_db()
    assert site.analysed_pages[url]["hits"] == 1

    # the page kept its bytes: its next claim does not load the baseline's features, only its key
    make_due()
    [job] = claim_jobs("probe", 10, timezone.now())
    assert (job.baselines, job.baseline_keys) == ({}, {url: str(baseline.pk)})
    claiming.release("probe")

    farm.pages["portal"] = (200, NEWS_ADDED)  # new bytes: the baseline loaded then, the page analysed against it
    fourth = once()
    assert (fourth["analysed"], fourth["reused"]) == (1, 0)
    site.refresh_from_db()
    assert Snapshot.objects.filter(site=site).count() == 2
    assert Snapshot.objects.get(site=site, is_baseline=True).pk == baseline.pk  # the new page is no baseline
    assert site.analysed_pages[url]["hits"] == 0 and site.analysed_pages[url]["baseline"] == str(baseline.pk)

    # the operator accepts the new page as the baseline: same bytes, but another baseline → analysed again
    accepted = baseline_accept(site, by=env["users"]["coordinator"], url=url)
    assert accepted.pk != baseline.pk
    make_due()
    fifth = once()
    assert (fifth["analysed"], fifth["reused"]) == (1, 0)
    site.refresh_from_db()
    assert site.analysed_pages[url]["baseline"] == str(accepted.pk)


def test_a_down_home_page_keeps_the_previous_records(env):
    farm, a = env["farm"], env["tree"]["a"]
    site = watch(farm, "flaky", a, deep_every=100, check_count=1)
    once()
    site.refresh_from_db()
    records = dict(site.analysed_pages)
    assert list(records) == [farm.url("flaky")]
    farm.pages["flaky"] = (503, "<html><body>busy</body></html>")
    make_due()
    once()
    site.refresh_from_db()
    assert site.analysed_pages == records and site.last_http_status == 503


def test_throttle_shrinks_on_lag_and_grows_back_while_few_pages_wait():
    throttle = Throttle(200)
    assert throttle.limit == 200 and throttle.floor == 20
    assert throttle.update(0.3, 0.4, 0) == 160  # the loop lags (median)
    assert throttle.update(0.01, 2.5, 0) == 128  # one look two and a half seconds late
    assert throttle.update(0.2, 0.5, 500) == 128  # a backlog and a little lag: kept (the CPU has work)
    for _ in range(30):
        throttle.update(0.5, 3.0, 0)
    assert throttle.limit == 20  # never under the floor
    throttle.update(0.1, 0.2, 0)  # neither lagging nor idle: kept
    assert throttle.limit == 20
    throttle.update(0.01, 0.02, 11)  # an idle loop, but pages of over half the checks in flight wait: kept
    assert throttle.limit == 20
    for _ in range(60):
        throttle.update(0.001, 0.002, 1)
    assert throttle.limit == 200 and (throttle.low, throttle.high) == (20, 200)


def test_a_once_round_leases_from_the_time_of_the_claim(env, settings):
    settings.MONITOR_LEASE_SECONDS = 300
    site = watch(env["farm"], "late", env["tree"]["a"])
    start = timezone.now()
    WatchedSite.objects.filter(pk=site.pk).update(next_check_at=start - timezone.timedelta(seconds=1))
    later = start + timezone.timedelta(seconds=200)  # a long round: claimed 200 s after it started
    [claimed] = claiming.claim_due("w", 10, later, due_at=start)
    claimed.refresh_from_db()
    assert claimed.claimed_until == later + timezone.timedelta(seconds=300)
    # a site rescheduled after the round's start is not taken again by the same round
    WatchedSite.objects.filter(pk=site.pk).update(claimed_by="", claimed_until=None,
                                                  next_check_at=start + timezone.timedelta(seconds=30))
    assert claiming.claim_due("w", 10, later, due_at=start) == []
    assert [s.pk for s in claiming.claim_due("w", 10, later)] == [site.pk]


def test_a_deep_claim_loads_the_baselines_of_the_home_and_configured_pages_not_of_the_sitemap(env):
    farm, a = env["farm"], env["tree"]["a"]
    site = watch(farm, "deep", a, deep_next=True, subpages="/gioi-thieu")
    home = farm.url("deep")
    urls = [home, urljoin(home, "/gioi-thieu"), urljoin(home, "/tin-tuc/bai-1.html")]  # the last: from the sitemap
    features = extract_features(CLEAN, home).to_dict()
    snapshots = [Snapshot.objects.create(site=site, url=url, taken_at=timezone.now(), content_hash=f"h{k}",
                                         title="t", text="x", features=features, is_baseline=True)
                 for k, url in enumerate(urls)]
    [job] = claim_jobs("probe", 10, timezone.now())
    assert job.deep
    assert job.baseline_keys == {url: str(s.pk) for url, s in zip(urls, snapshots, strict=True)}
    assert set(job.baselines) == set(urls[:2])  # the sitemap page's baseline is loaded by the check if needed
    claiming.release("probe")
    WatchedSite.objects.filter(pk=site.pk).update(deep_next=False, check_count=1, deep_every=100)
    [job] = claim_jobs("probe", 10, timezone.now())
    assert not job.deep and set(job.baselines) == {home}  # a shallow check reads the home page only
    claiming.release("probe")


def test_the_engine_limits_malloc_arenas_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas() is True  # glibc (Debian): mallopt accepted the limit
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False  # the operator's setting stands
