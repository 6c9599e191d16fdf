"""The monitor engine end to end: real aiohttp servers on loopback, the real check, the real database.

The engine's database work runs in its own threads, so these tests use ``transactional_db`` (committed
data every thread can see). ``run(once=True)`` checks what is due and returns; between rounds a test
makes sites due again (what the clock would do)."""

import asyncio
import os
import signal
import threading
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web
from django.core import mail
from django.db import transaction
from django.utils import timezone

from lachan.monitoring.choices import AlertState, EventKind, SiteStatus
from lachan.monitoring.engine import claim as claiming
from lachan.monitoring.engine import run
from lachan.monitoring.models import Alert, Check, SiteEvent, Snapshot, WatchedSite
from lachan.monitoring.services import alert_false_positive, baseline_accept
from lachan.testing.factories import ContactFactory, WebsiteFactory

PAGES = Path(__file__).resolve().parent / "pages"
CLEAN = (PAGES / "so_portal.html").read_text(encoding="utf-8")
NEXT_DAY = (PAGES / "so_portal_next_day.html").read_text(encoding="utf-8")
NEWS_ADDED = (PAGES / "so_portal_news_added.html").read_text(encoding="utf-8")
INJECTED = (PAGES / "so_portal_hidden_display_none.html").read_text(encoding="utf-8")
DEFACED = (PAGES / "defaced_hacked_by.html").read_text(encoding="utf-8")
HANG = "hang"


class Farm:
    """One aiohttp server in a thread; ``/<key>/…`` answers ``pages[key]``: (status, html) or HANG."""

    def __init__(self):
        self.pages = {}
        self.hits = Counter()
        self.port = None
        self._ready = threading.Event()
        self._loop = None

    async def _handle(self, request):
        key = request.path.strip("/").split("/")[0]
        if request.path.rstrip("/") == f"/{key}":
            self.hits[key] += 1
        spec = self.pages.get(key, (404, "<html><body>not found</body></html>"))
        if spec == HANG:
            await asyncio.sleep(3600)
        status, body = spec
        return web.Response(status=status, text=body, content_type="text/html", charset="utf-8")

    def _serve(self):
        self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self._runner = runner
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()

    def start(self):
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self._ready.wait(5)
        return self

    def stop(self):
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def url(self, key):
        return f"http://127.0.0.1:{self.port}/{key}/"


@pytest.fixture
def farm():
    server = Farm().start()
    yield server
    server.stop()


@pytest.fixture
def engine_settings(settings):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.0/8"]
    settings.MONITOR_DOWN_CONFIRMATIONS = 3
    settings.MONITOR_CHECK_TIMEOUT = 20
    settings.MONITOR_SLOW_MS = 60_000
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


@pytest.fixture
def env(transactional_db, engine_settings, tree, users, farm):
    ContactFactory(unit=tree["a"], emails="focal.a@example.vn", roles="security_focal")
    ContactFactory(unit=tree["a"], emails="truc.a@example.vn", roles="on_duty")
    ContactFactory(unit=tree["b"], emails="focal.b@example.vn", roles="security_focal,on_duty")
    return {"farm": farm, "tree": tree, "users": users}


def watch(farm, key, unit, page=CLEAN, **fields):
    farm.pages[key] = page if page == HANG else (200, page) if isinstance(page, str) else page
    website = WebsiteFactory(unit=unit, url=farm.url(key), monitored=True)
    fields.setdefault("sitemap_sample", 0)
    return WatchedSite.objects.create(website=website, **fields)


def make_due():
    WatchedSite.objects.update(next_check_at=None)


def once(**options):
    options.setdefault("concurrency", 8)
    options.setdefault("grace", 2)
    return run(once=True, **options)


# --- claiming ----------------------------------------------------------------------------------------------


def test_conditional_update_gives_each_site_to_one_worker(env):
    for i in range(6):
        watch(env["farm"], f"s{i}", env["tree"]["a"])
    now = timezone.now()
    with transaction.atomic():  # FOR UPDATE SKIP LOCKED on PostgreSQL needs a transaction
        ids = claiming.candidates(now, 10)
    assert len(ids) == 6
    # two workers read the same candidates; the UPDATE re-tests "due", so the second gets nothing
    assert claiming.take(ids, "worker-a", now) == 6
    assert claiming.take(ids, "worker-b", now) == 0
    assert claiming.claim_due("worker-b", 10, now) == []
    # a lease that ran out (a dead monitor) makes the site claimable again
    later = now + timezone.timedelta(seconds=3600)
    taken = claiming.claim_due("worker-b", 10, later)
    assert sorted(s.pk for s in taken) == sorted(ids)
    assert set(WatchedSite.objects.values_list("claimed_by", flat=True)) == {"worker-b"}


def test_two_engines_at_once_never_check_a_site_twice(env):
    farm = env["farm"]
    sites = [watch(farm, f"site{i}", env["tree"]["a"] if i % 2 else env["tree"]["b"]) for i in range(40)]
    stats = []
    threads = [threading.Thread(target=lambda n=n: stats.append(
        asyncio.run(_engine_main(name=n)))) for n in ("mon-a", "mon-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(stats) == 2
    per_site = Counter(Check.objects.values_list("site_id", flat=True))
    assert per_site == {site.pk: 1 for site in sites}
    assert sum(s["written"] for s in stats) == 40
    assert sum(farm.hits[f"site{i}"] >= 1 for i in range(40)) == 40
    workers = set(Check.objects.values_list("worker", flat=True))
    assert all(w.startswith(("mon-a:", "mon-b:")) for w in workers)
    assert not WatchedSite.objects.exclude(claimed_by="").exists()


async def _engine_main(**options):
    from lachan.monitoring.engine import Engine

    return await Engine(once=True, concurrency=6, **options).main()


# --- availability ----------------------------------------------------------------------------------------


def test_down_after_three_failures_then_recovery_notice(env):
    farm, a = env["farm"], env["tree"]["a"]
    site = watch(farm, "broken", a, page=(500, "<html><body>Internal error</body></html>"))
    for round_ in (1, 2):
        once()
        site.refresh_from_db()
        assert site.consecutive_failures == round_
        assert site.status == SiteStatus.PENDING
        assert not Alert.objects.exists()
        # a failure is re-checked soon, not after the whole interval
        assert site.next_check_at <= timezone.now() + timezone.timedelta(seconds=61)
        make_due()
    once()
    site.refresh_from_db()
    assert site.status == SiteStatus.DOWN
    alert = Alert.objects.get()
    assert (alert.kind, alert.state) == ("down", AlertState.CONFIRMED)
    # notify.send: one message per address (the unit's focal point and its on-duty contact)
    assert len(mail.outbox) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["focal.a@example.vn", "truc.a@example.vn"]
    assert all(len(m.to) == 1 and m.subject == mail.outbox[0].subject for m in mail.outbox)
    once()  # not due: nothing happens
    assert Check.objects.count() == 3
    make_due()
    farm.pages["broken"] = (200, CLEAN)
    once()
    site.refresh_from_db()
    alert.refresh_from_db()
    assert site.status == SiteStatus.UP and site.consecutive_failures == 0
    assert alert.state == AlertState.RESOLVED and alert.recovery_notified_at is not None
    assert len(mail.outbox) == 4
    recovery = mail.outbox[2:]
    assert all("Đã hết" in m.subject for m in recovery) and "Đã hết" not in mail.outbox[1].subject
    assert sorted(m.to[0] for m in recovery) == ["focal.a@example.vn", "truc.a@example.vn"]
    kinds = list(SiteEvent.objects.filter(site=site).order_by("at", "pk").values_list("kind", flat=True))
    assert kinds.count(EventKind.STATUS_CHANGED) == 2  # pending → down, down → up
    assert EventKind.ALERT_RESOLVED in kinds


# --- content alerts ----------------------------------------------------------------------------------------


def test_injection_suspected_then_confirmed_mails_only_the_unit(env):
    farm, a, b = env["farm"], env["tree"]["a"], env["tree"]["b"]
    site = watch(farm, "portal", a)
    watch(farm, "other", b)
    once()
    baseline = Snapshot.objects.get(site=site)
    assert baseline.is_baseline and baseline.url == site.website.url
    assert not Alert.objects.exists()

    farm.pages["portal"] = (200, INJECTED)
    make_due()
    once()
    alert = Alert.objects.get(site=site, kind="gambling_injection")
    assert alert.state == AlertState.SUSPECTED
    assert mail.outbox == []
    site.refresh_from_db()
    assert site.next_check_at <= timezone.now() + timezone.timedelta(seconds=61)  # early re-check

    make_due()
    once()
    alert.refresh_from_db()
    assert alert.state == AlertState.CONFIRMED
    sent = [m for m in mail.outbox if "portal" in m.body.replace("[.]", ".")]
    assert len(sent) >= 1
    recipients = {r for m in mail.outbox for r in m.to}
    assert recipients == {"focal.a@example.vn", "truc.a@example.vn"}
    assert "focal.b@example.vn" not in recipients
    body = sent[0].body
    assert "hxxp://" in body and "<" not in body.split("Bằng chứng")[1][:50]
    # the defaced snapshot is kept, the baseline is still the clean page
    assert Snapshot.objects.filter(site=site).count() == 2
    assert Snapshot.objects.get(site=site, is_baseline=True).pk == baseline.pk


def test_false_positive_suppresses_the_same_evidence(env):
    farm, a = env["farm"], env["tree"]["a"]
    site = watch(farm, "fp", a)
    once()
    farm.pages["fp"] = (200, INJECTED)
    make_due()
    once()
    alert = Alert.objects.get(site=site, kind="gambling_injection")
    alert_false_positive(alert, by=env["users"]["admin_a"], note="Quảng cáo của đối tác, đã kiểm tra")
    for _ in range(2):
        make_due()
        once()
    assert not Alert.objects.filter(site=site, kind="gambling_injection").exclude(pk=alert.pk).exists()
    assert Check.objects.filter(site=site).count() == 4


def test_defacement_is_confirmed_at_once_and_baseline_accept_resolves_it(env):
    farm, a = env["farm"], env["tree"]["a"]
    site = watch(farm, "school", a)
    once()
    farm.pages["school"] = (200, DEFACED)
    make_due()
    once()
    alert = Alert.objects.get(site=site, kind="defacement")
    assert alert.state == AlertState.CONFIRMED and alert.severity == "critical"
    assert len(mail.outbox) == 2 and all("KHẨN" in m.subject for m in mail.outbox)
    assert sorted(m.to[0] for m in mail.outbox) == ["focal.a@example.vn", "truc.a@example.vn"]

    snapshot = baseline_accept(site, by=env["users"]["admin_a"])
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED
    assert snapshot.is_baseline and "hacked" in snapshot.text.lower()
    assert Snapshot.objects.filter(site=site, is_baseline=True).count() == 1
    assert SiteEvent.objects.filter(site=site, kind=EventKind.BASELINE_ACCEPTED).exists()
    assert len(mail.outbox) == 4  # the recovery notice, to each address, names the reason
    recovery = mail.outbox[2:]
    assert all("KHẨN" not in m.subject for m in recovery)
    assert all("baseline" in m.body or "Lý do" in m.body for m in recovery)
    assert sorted(m.to[0] for m in recovery) == ["focal.a@example.vn", "truc.a@example.vn"]


# --- snapshots ----------------------------------------------------------------------------------------------


def test_snapshot_only_when_the_normalised_content_changes(env):
    farm, a = env["farm"], env["tree"]["a"]
    site = watch(farm, "news", a)
    once()
    farm.pages["news"] = (200, NEXT_DAY)  # only the date, the time and the counters differ
    make_due()
    once()
    assert Snapshot.objects.filter(site=site).count() == 1
    farm.pages["news"] = (200, NEWS_ADDED)
    make_due()
    once()
    assert Snapshot.objects.filter(site=site).count() == 2
    assert SiteEvent.objects.filter(site=site, kind=EventKind.CONTENT_CHANGED).count() == 1
    assert list(Check.objects.filter(site=site).order_by("checked_at").values_list("deep", flat=True)) == \
        [True, False, False]  # deep on the first of every deep_every (6) checks


# --- robustness --------------------------------------------------------------------------------------------


def test_a_hanging_site_does_not_stall_the_others(env):
    farm, a = env["farm"], env["tree"]["a"]
    hanging = watch(farm, "tarpit", a, page=HANG)
    others = [watch(farm, f"ok{i}", a) for i in range(5)]
    stats = once(check_timeout=1.5, concurrency=3)
    assert stats["written"] == 6 and stats["timeouts"] == 1
    check = Check.objects.get(site=hanging)
    assert (check.verdict, check.error_kind) == ("down", "timeout")
    assert set(Check.objects.filter(site__in=others).values_list("verdict", flat=True)) == {"ok"}


def test_sigterm_stops_claiming_and_releases_claims(env):
    farm, a = env["farm"], env["tree"]["a"]
    stuck = [watch(farm, f"slow{i}", a, page=HANG) for i in range(3)]
    fine = watch(farm, "fine", a)
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    stats = run(concurrency=4, grace=0.3, name="mon-term")  # runs until the signal
    timer.join()
    assert not WatchedSite.objects.exclude(claimed_by="").exists()
    assert stats["released"] >= 3
    assert Check.objects.filter(site=fine).count() == 1
    assert not Check.objects.filter(site__in=stuck).exists()
    # the cancelled sites are still due: the next monitor checks them at once
    assert set(WatchedSite.objects.filter(pk__in=[s.pk for s in stuck]).values_list("next_check_at", flat=True)) \
        == {None}


def test_a_new_monitored_website_is_watched_and_checked(env):
    farm, a = env["farm"], env["tree"]["a"]
    farm.pages["fresh"] = (200, CLEAN)
    website = WebsiteFactory(unit=a, url=farm.url("fresh"), monitored=True)
    WebsiteFactory(unit=a, url=farm.url("ignored"), monitored=False)
    once()
    site = WatchedSite.objects.get(website=website)
    assert site.status == SiteStatus.UP and site.check_count == 1
    assert WatchedSite.objects.count() == 1
