"""The monitor's event loop: a claimer keeps a queue of due sites filled, N workers check them through one
guarded aiohttp session (global and per-host connection limits, DNS cache), a writer persists the results
in batches. Every database call runs in a small thread pool (``DB_THREADS``), so the event loop never waits
on the database; the page analysis (CPU work) runs in another (``analysis_threads``, at most that many
pages at once: ``checking.analyser.PageAnalyser``), so the event loop stays free to read the sockets and
its timers (connect/read timeouts) measure the network.

* Our own CPU never makes a live site "down": the event loop only does I/O; a check's timeout
  (``MONITOR_CHECK_TIMEOUT``) is paused while its pages wait for and are in analysis (``CheckClock``);
  and the number of checks in flight adapts (``Throttle``): it shrinks when the event loop lags, and grows
  back up to ``concurrency`` when the loop is idle and few pages queue for analysis.
* A page whose bytes are those of its previous check (same baseline) reuses that check's analysis
  (``WatchedSite.analysed_pages``); the baseline of a page that keeps its bytes is not even loaded unless
  its bytes changed after all (``claim_jobs``, ``load_baseline``).
* One bad site never stalls the loop: each check is bounded by ``MONITOR_CHECK_TIMEOUT`` (a timeout is a
  failed check: the site may be down); an exception of the engine itself is logged and recorded as a
  failed check that leaves the site's state alone.
* Deep checks: every ``site.deep_every``-th check (rotating with ``check_count``), or when ``deep_next`` is
  set (a re-check of a finding only a deep check sees, an operator's "check now").
* Shutdown (SIGINT/SIGTERM, ``duration`` elapsed, or ``once`` with nothing left due): stop claiming, give
  queued sites back, let in-flight checks finish within ``grace`` seconds then cancel them and give their
  sites back (a check that finished while being cancelled is written, not given back), flush the writer,
  release whatever this worker still holds.
* ``once``: check every site due at start once, then stop (tests, the bench, cron-style use).
"""

import asyncio
import contextlib
import logging
import random
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import OperationalError, close_old_connections, connections
from django.utils import timezone

from lachan.core.outbound import guarded_session

from ..analysis import PageFeatures
from ..checking.analyser import PageAnalyser, likely_reused
from ..checking.site import subpage_urls
from ..models import Snapshot
from ..services import watch_missing_websites
from . import claim as claiming
from .writer import Done, persist

logger = logging.getLogger("lachan.monitoring")

DB_THREADS = 2
ANALYSIS_THREADS = 1  # pages analysed at once per process: the analysis is mostly Python, and a second thread
# fights the event loop for the interpreter lock — run more processes instead (bench, 3 processes on 2 cores:
# 5,148 checks/min with one analysis thread each, 4,836 with two)
LAG_EVERY = 0.1  # seconds between two looks at the event loop's lag
DB_ATTEMPTS = 8  # tries of a claim or a batch write that met a transient lock (≈ 25 s in all)
IDLE_SLEEP = 2.0  # seconds between claim rounds when nothing is due
WRITE_LINGER = 0.5  # seconds the writer waits to fill a batch
WATCH_EVERY = 60.0  # seconds between looks for monitored websites without a WatchedSite


@dataclass
class Job:
    site: object
    baselines: dict
    deep: bool
    baseline_keys: dict = field(default_factory=dict)  # url → id of the baseline snapshot


@dataclass
class Stats:
    claimed: int = 0
    checked: int = 0
    deep: int = 0
    written: int = 0
    timeouts: int = 0
    errors: int = 0
    released: int = 0
    verdicts: dict = field(default_factory=dict)
    analysed: int = 0  # pages parsed and analysed
    reused: int = 0  # pages whose previous analysis was reused (same bytes, same baseline)
    cloaking_skipped: int = 0  # cloaking comparisons skipped (the three answers were the same bytes)
    loop_lag_ms: dict = field(default_factory=dict)  # p50, p95, max of the event loop's lag
    in_flight: dict = field(default_factory=dict)  # the adaptive limit: min, max, last

    def as_dict(self):
        return dict(self.__dict__)


class CheckClock:
    """The deadline of one check (an entered ``asyncio.timeout``), paused while the check's pages wait for
    and are in analysis: the time our own CPU takes is added to the deadline. Pauses nest (pages analysed
    together)."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.when = timeout.when()
        self.paused_for = 0.0
        self._paused = 0
        self._since = 0.0

    def pause(self):
        if self._paused == 0:
            self._since = asyncio.get_running_loop().time()
            if not self.timeout.expired():
                self.timeout.reschedule(None)
        self._paused += 1

    def resume(self):
        self._paused -= 1
        if self._paused == 0:
            paused = asyncio.get_running_loop().time() - self._since
            self.paused_for += paused
            self.when += paused
            if not self.timeout.expired():
                self.timeout.reschedule(self.when)


class Throttle:
    """The number of checks in flight, adapted to what this process can do. Every half second it is given
    the event loop's lag over the last looks (median and worst) and the number of pages waiting for
    analysis: lowered by a fifth when the loop lags (median over ``LAG_HIGH`` s, or a look over ``LAG_WORST``
    s: late timers would blur the network's timings); raised by a tenth (up to ``ceiling``) when the median
    lag is under ``LAG_LOW`` s and pages of at most ``BACKLOG`` of the checks in flight wait for analysis.
    A backlog alone never lowers it: those pages are fetched already, their checks' clocks are paused while
    they wait (``CheckClock``), and the ceiling bounds the memory they hold — lowering the limit on a backlog
    left the CPU idle between bursts of deep checks (bench, 3 processes: 5,000 checks/min with, 6,059
    without)."""

    LAG_HIGH = 0.25
    LAG_WORST = 2.0
    LAG_LOW = 0.05
    BACKLOG = 0.5  # share of the checks in flight with a page waiting for analysis

    def __init__(self, ceiling, *, floor=None):
        self.ceiling = max(1, int(ceiling))
        self.floor = max(1, min(self.ceiling, floor or max(4, self.ceiling // 10)))
        self.limit = self.ceiling
        self.low = self.high = self.limit

    def update(self, lag, worst, waiting):
        if lag > self.LAG_HIGH or worst > self.LAG_WORST:
            self.limit = max(self.floor, int(self.limit * 0.8))
        elif lag < self.LAG_LOW and waiting <= self.BACKLOG * self.limit:
            self.limit = min(self.ceiling, self.limit + max(1, self.limit // 10))
        self.low, self.high = min(self.low, self.limit), max(self.high, self.limit)
        return self.limit


def _transient(exc):
    """A lock or deadlock the same transaction may get through if tried again (SQLite under concurrent
    writers, PostgreSQL deadlock/serialization failures)."""
    text = str(exc).lower()
    return isinstance(exc, OperationalError) and any(w in text for w in ("locked", "deadlock", "serializ"))


def _db(fn, *args, **kwargs):
    """Run ``fn`` in a pool thread: stale connections closed, transient lock errors retried with backoff."""
    close_old_connections()
    try:
        for attempt in range(DB_ATTEMPTS):
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                if attempt == DB_ATTEMPTS - 1 or not _transient(exc):
                    raise
                time.sleep(0.05 * 2 ** attempt * (1 + random.random()))
    finally:
        close_old_connections()


def _close_db():
    connections.close_all()


def claim_jobs(worker, limit, now, due_at=None):
    """Claim due sites and load the baselines their checks need → ``Job`` list. Every baseline's id (the
    key under which a previous analysis may be reused) in one query; the features (large JSON) in a second,
    only of the pages the check will read (the home page; in a deep check the configured sub-pages too)
    and whose analysis will likely not be reused (``analyser.likely_reused``: a page that keeps its bytes
    needs no baseline). Any other baseline — a page whose bytes changed after all, the pages of the sitemap
    sample — is loaded by the check when it needs it (``load_baseline``)."""
    sites = claiming.claim_due(worker, limit, now, due_at=due_at)
    if not sites:
        return []
    deep = {site.pk: site.deep_next or site.check_count % max(1, site.deep_every) == 0 for site in sites}
    home = {site.pk: site.website.url for site in sites}
    # the pages every check of the site reads: the home page, and in a deep check the configured sub-pages
    # (a sitemap sample is drawn during the check: its baselines are loaded then, if needed)
    pages = {site.pk: {home[site.pk], *(subpage_urls(home[site.pk], site.subpage_list()) if deep[site.pk] else ())}
             for site in sites}
    records = {site.pk: site.analysed_pages if isinstance(site.analysed_pages, dict) else {} for site in sites}
    keys, wanted = {}, {}
    rows = Snapshot.objects.filter(site_id__in=list(home), is_baseline=True).values_list("site_id", "pk", "url")
    for site_id, pk, url in rows:
        keys.setdefault(site_id, {})[url] = str(pk)
        if url in pages[site_id] and not likely_reused(records[site_id].get(url), pk):
            wanted[pk] = (site_id, url)
    baselines = {}
    for pk, features in Snapshot.objects.filter(pk__in=list(wanted)).values_list("pk", "features"):
        site_id, url = wanted[pk]
        baselines.setdefault(site_id, {})[url] = PageFeatures.from_dict(features)
    return [Job(site, baselines.get(site.pk, {}), deep[site.pk], keys.get(site.pk, {})) for site in sites]


def load_baseline(key):
    """The features of the baseline snapshot ``key`` (None if it is gone: an operator accepted another)."""
    row = Snapshot.objects.filter(pk=int(key), is_baseline=True).values_list("features", flat=True).first()
    return PageFeatures.from_dict(row) if row is not None else None


def failure_result(url, kind, message):
    from ..checking import CheckFinding, CheckResult

    finding = CheckFinding("down", "critical", f"The home page is down: {message}",
                           {"error_kind": kind, "error": message}, url=url, signal=kind)
    return CheckResult(url=url, final_url="", http_status=None, latency_ms=None, tls_days_left=None,
                       verdict="down", findings=[finding], error_kind=kind, error_message=message[:500])


class Engine:
    def __init__(self, *, concurrency=None, per_host=None, once=False, name="", duration=None, grace=None,
                 batch_size=None, check_timeout=None, options=None, analysis_threads=None):
        self.concurrency = max(1, int(concurrency or settings.MONITOR_CONCURRENCY))
        self.per_host = max(0, int(per_host if per_host is not None else settings.MONITOR_PER_HOST))
        self.once = bool(once)
        self.duration = float(duration) if duration else None
        self.grace = float(grace if grace is not None else 10.0)
        self.batch_size = max(1, int(batch_size or settings.MONITOR_WRITE_BATCH))
        self.check_timeout = float(check_timeout or settings.MONITOR_CHECK_TIMEOUT)
        self.analysis_threads = max(1, int(analysis_threads or ANALYSIS_THREADS))
        self.options = options
        self.worker = claiming.worker_token(name)
        self.stats = Stats()
        self.throttle = Throttle(self.concurrency)
        self.stopping = None  # asyncio.Event, made inside the loop
        self.interrupted = False  # a signal or the duration, not the end of a ``once`` round
        self.active = 0  # checks in flight
        self._inflight = {}  # task → Job
        self._given_back = []  # ids of sites whose check was cancelled at shutdown
        self._lags = []

    # --- database calls, in the pool ---------------------------------------------------------------

    async def db(self, fn, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(self.pool, lambda: _db(fn, *args, **kwargs))

    # --- the parts -----------------------------------------------------------------------------------

    def room(self, queue):
        """How many more sites to claim: the adaptive limit less the checks in flight and queued."""
        return self.throttle.limit - self.active - queue.qsize()

    async def claimer(self, queue):
        """Keep ``queue`` filled with claimed sites until stopping (or, with ``once``, nothing is due)."""
        start = timezone.now()
        last_watch = 0.0
        while not self.stopping.is_set():
            if time.monotonic() - last_watch > WATCH_EVERY:
                last_watch = time.monotonic()
                try:
                    created = await self.db(watch_missing_websites)
                    if created:
                        logger.info("watching %d new websites", created)
                except Exception:
                    logger.exception("could not add watched sites for new websites")
            room = self.room(queue)
            if room < max(1, self.throttle.limit // 8):
                await self._sleep(0.05)
                continue
            try:
                jobs = await self.db(claim_jobs, self.worker, room, timezone.now(), start if self.once else None)
            except Exception:
                logger.exception("claiming due sites failed")
                jobs = []
            self.stats.claimed += len(jobs)
            for job in jobs:
                queue.put_nowait(job)
            if not jobs:
                if self.once:
                    return
                await self._sleep(IDLE_SLEEP)

    async def _sleep(self, seconds):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def watch_lag(self):
        """Measure how late the event loop wakes up (its lag) and adapt the checks in flight to it."""
        loop = asyncio.get_running_loop()
        recent = []
        while True:
            before = loop.time()
            await asyncio.sleep(LAG_EVERY)
            lag = max(0.0, loop.time() - before - LAG_EVERY)
            self._lags.append(lag)
            recent.append(lag)
            if len(recent) >= 5:  # every half second
                recent.sort()
                self.throttle.update(recent[len(recent) // 2], recent[-1], self.analyser.waiting)
                recent.clear()

    async def check(self, session, job):
        from ..checking import check_site

        site = job.site
        url = site.website.url
        checked = frozenset(job.baseline_keys)  # the pages with a baseline (loaded now or when needed)

        async def baseline_loader(page_url):
            return await self.db(load_baseline, job.baseline_keys[page_url])

        try:
            async with asyncio.timeout(self.check_timeout) as timeout:
                result = await check_site(
                    session, url, baselines=job.baselines, previous_dns=site.dns_answers or None,
                    subpages=site.subpage_list(), sitemap_sample=site.sitemap_sample if job.deep else 0,
                    deep=job.deep, options=self.options, analyser=self.analyser,
                    previous_analyses=site.analysed_pages or None, baseline_keys=job.baseline_keys,
                    clock=CheckClock(timeout), baseline_loader=baseline_loader)
            done = Done(site, result, timezone.now(), checked)
        except TimeoutError:
            self.stats.timeouts += 1
            done = Done(site, failure_result(url, "timeout", f"the check took more than {self.check_timeout:g} s"),
                        timezone.now(), checked)
        except Exception as exc:
            logger.exception("checking %s failed inside the engine", url)
            self.stats.errors += 1
            done = Done(site, failure_result(url, "engine", f"{type(exc).__name__}: {exc}"), timezone.now(),
                        checked, failed=True)
        self.stats.checked += 1
        self.stats.deep += bool(job.deep)
        self.stats.verdicts[done.result.verdict] = self.stats.verdicts.get(done.result.verdict, 0) + 1
        return done

    async def checker(self, session, queue, results):
        while True:
            job = await queue.get()
            if job is None:
                return
            task = asyncio.current_task()
            self._inflight[task] = job
            self.active += 1
            try:
                done = await self.check(session, job)
            except asyncio.CancelledError:
                self._given_back.append(job.site.pk)  # only a check that did not finish is given back
                raise
            finally:
                self.active -= 1
                self._inflight.pop(task, None)
            results.put_nowait(done)

    async def writer(self, results):
        """Batch results into transactions until it receives ``None``."""
        finished = False
        while not finished:
            item = await results.get()
            if item is None:
                return
            batch = [item]
            deadline = time.monotonic() + WRITE_LINGER
            while len(batch) < self.batch_size:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    break
                try:
                    item = await asyncio.wait_for(results.get(), timeout)
                except TimeoutError:
                    break
                if item is None:
                    finished = True
                    break
                batch.append(item)
            await self.write(batch)

    async def write(self, batch):
        try:
            written, _ = await self.db(persist, batch, self.worker)
            self.stats.written += written
        except Exception:
            logger.exception("writing %d check results failed; their sites are given back", len(batch))
            with contextlib.suppress(Exception):
                self.stats.released += await self.db(claiming.release, self.worker, [d.site.pk for d in batch])

    # --- the whole run -------------------------------------------------------------------------------

    def _install_signals(self, loop):
        if threading.current_thread() is not threading.main_thread():
            return []
        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self.stop)
                installed.append(sig)
            except (NotImplementedError, RuntimeError):
                pass
        return installed

    def stop(self):
        self.interrupted = True
        if self.stopping is not None and not self.stopping.is_set():
            logger.info("monitor %s stopping", self.worker)
            self.stopping.set()

    async def main(self):
        loop = asyncio.get_running_loop()
        self.stopping = asyncio.Event()
        installed = self._install_signals(loop)
        self.pool = ThreadPoolExecutor(DB_THREADS, thread_name_prefix="monitor-db")
        analysis_pool = ThreadPoolExecutor(self.analysis_threads, thread_name_prefix="monitor-analysis")
        self.analyser = PageAnalyser(analysis_pool, slots=self.analysis_threads)
        queue = asyncio.Queue()  # claimed ahead: what the adaptive limit leaves room for (``room``)
        results = asyncio.Queue()
        logger.info("monitor %s: at most %d checks in flight, %d per host, %d analysis threads", self.worker,
                    self.concurrency, self.per_host, self.analysis_threads)
        lag = asyncio.create_task(self.watch_lag())
        try:
            async with guarded_session(limit=self.concurrency, limit_per_host=self.per_host,
                                       ttl_dns_cache=300) as session:
                checkers = [asyncio.create_task(self.checker(session, queue, results)) for _ in range(self.concurrency)]
                writer = asyncio.create_task(self.writer(results))
                claimer = asyncio.create_task(self.claimer(queue))
                timer = asyncio.create_task(self._timer()) if self.duration else None
                await asyncio.wait([claimer, asyncio.create_task(self.stopping.wait())],
                                   return_when=asyncio.FIRST_COMPLETED)
                self.stopping.set()
                await claimer
                if timer:
                    timer.cancel()
                await self._drain(queue, checkers, wait_all=self.once and not self.interrupted)
                await results.put(None)
                await writer
        finally:
            lag.cancel()
            analysis_pool.shutdown(wait=True, cancel_futures=True)
            with contextlib.suppress(Exception):
                self.stats.released += await self.db(claiming.release, self.worker)
            for sig in installed:
                loop.remove_signal_handler(sig)
            await loop.run_in_executor(self.pool, _close_db)
            self.pool.shutdown(wait=True)
        self._figures()
        logger.info("monitor %s stopped: %s", self.worker, self.stats.as_dict())
        return self.stats.as_dict()

    def _figures(self):
        a = self.analyser
        self.stats.analysed, self.stats.reused, self.stats.cloaking_skipped = a.analysed, a.reused, a.cloaking_skipped
        lags = sorted(self._lags)
        if lags:
            self.stats.loop_lag_ms = {"p50": round(lags[len(lags) // 2] * 1000, 1),
                                      "p95": round(lags[int(len(lags) * 0.95)] * 1000, 1),
                                      "max": round(lags[-1] * 1000, 1)}
        t = self.throttle
        self.stats.in_flight = {"min": t.low, "max": t.high, "last": t.limit}

    async def _timer(self):
        await asyncio.sleep(self.duration)
        self.stop()

    async def _drain(self, queue, checkers, *, wait_all):
        """Queued sites back to the pool (unless ``wait_all``), in-flight checks within the grace period."""
        unstarted = []
        if not wait_all:
            while not queue.empty():
                job = queue.get_nowait()
                if job is not None:
                    unstarted.append(job.site.pk)
        for _ in checkers:
            await queue.put(None)
        if unstarted:
            self.stats.released += await self.db(claiming.release, self.worker, unstarted)
        timeout = None if wait_all else self.grace
        _, pending = await asyncio.wait(checkers, timeout=timeout)
        if pending:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            # the checks that really were cancelled (a check may finish while being cancelled: its result
            # is written and its site is not given back)
            cancelled, self._given_back = self._given_back, []
            logger.warning("%d checks cancelled at shutdown; their sites are given back", len(cancelled))
            self.stats.released += await self.db(claiming.release, self.worker, cancelled)
