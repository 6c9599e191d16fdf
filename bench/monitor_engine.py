#!/usr/bin/env python
"""The website monitor against 5,000 sites of a local server farm: sustained full checks per minute, check
latency, peak memory and CPU — the real engine with 1 and 2 processes, and a naive sequential loop.

    .venv/bin/python bench/monitor_engine.py                        # 5,000 sites, 90 s per timed engine run
    .venv/bin/python bench/monitor_engine.py --sites 500 --duration 40 --cold 30 --naive 20   # a smoke run
    .venv/bin/python bench/monitor_engine.py --database-url postgres://…/scratch    # an EMPTY database

Issue 5 target: ≥ 6,000 full checks (fetch + analysis) per minute, ≤ 1 GB, on the 2-core machine.

1. Starts ``bench/monitor_farm.py`` (a subprocess; 5,000 virtual sites on 127.1.x.y, 0–2 s delays, 50–200 KB
   pages, a few percent defaced / injected / cloaked / down; ``--dynamic`` (50 %) of the sites change their bytes
   on every request — a visit counter and a token — the others send the same bytes all day).
2. Creates a throwaway database (SQLite under a temp dir, or ``--database-url``), migrates it, and seeds one
   unit tree (a root and 50 units) with 5,000 monitored websites and their ``WatchedSite`` rows: interval
   ``--interval`` s (30: shorter than a round at the target rate, so work is always due), the model's
   defaults for deep checks (every ``deep_every``-th check adds the Googlebot/referer fetches and a
   sitemap sample; ``check_count`` seeded so that one site in ``deep_every`` is due for a deep check, as
   in a steady state, rather than every site's first check being deep). ``OUTBOUND_ALLOWLIST=127.0.0.0/8`` for this run only.
3. **Naive loop** (``--naive`` s, a subprocess): one site after the other, ``fetch_sync`` (the same guarded
   fetch) + ``extract_features`` + ``analyse``: the requests-style way.
4. **Engine, first round (cold start)** (``--cold`` s, 1 process): an empty history — every page is seen for the
   first time, analysed without a baseline, and its baseline snapshot written. Printed, clearly labelled, but
   not what a running monitor does.
5. **Warm-up** (``--warm-rounds``, 2): rounds of the real engine (2 processes, ``once``: every site due at the
   round's start checked once) over all sites, each round's duration and rate printed — after them the
   database is what a running monitor's is: baselines, snapshots, ``page_hashes``, and ``analysed_pages``
   records made against the baselines (a page's analysis is reused from its third check: the first has no
   baseline, the second is the first against it). "Sites in steady state" counts the sites whose home page
   has a baseline and a record made against it. Nothing is written by hand.
6. **Engine, steady state**, 1 process then 2 processes (subprocesses running
   ``lachan.monitoring.engine.run(duration=…)``, all due again before each run), ``--duration`` s each.
   Figures from the ``Check`` rows written between ``--warmup`` s after the start and the end of the
   duration: checks per minute (and how many of them of dynamic / static sites), deep checks, verdicts;
   full-check latency (``check_site`` wall time, timed inside each worker) and home-page fetch latency
   (``Check.latency_ms``); pages analysed and reused per kind of site (dynamic: new bytes on every request,
   never reused; static: reused when the bytes and baseline are the same); per process: peak RSS (VmHWM),
   CPU seconds and cores used; the farm's CPU over the same window; the total RSS of the monitor processes
   sampled every 0.5 s (its maximum); how long ``run()`` took (the shutdown overrun); the event loop's lag
   and the adaptive number of checks in flight. Detection over all engine runs: misbehaving sites judged
   right, clean sites flagged or judged down.
   ``--profile``: each timed engine process (and its DB and analysis threads) under cProfile, CPU per check
   by part.
Exit status 0 when the best steady-state engine run meets both targets, 1 otherwise.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import monitor_farm  # noqa: E402

TARGET_PER_MIN = 6000
TARGET_MB = 1024
TICKS = os.sysconf("SC_CLK_TCK")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=5000)
    parser.add_argument("--duration", type=float, default=90.0, help="seconds per engine run")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds at the start of a run not counted")
    parser.add_argument("--naive", type=float, default=60.0, help="seconds of the naive loop (0: skip)")
    parser.add_argument("--processes", default="1,2", help="engine runs: numbers of monitor processes")
    parser.add_argument("--concurrency", type=int, default=200, help="checks in flight per monitor process")
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--interval", type=int, default=30, help="WatchedSite.interval_seconds")
    parser.add_argument("--port", type=int, default=0, help="the farm's port (default: a free one)")
    parser.add_argument("--max-delay", type=float, default=2.0)
    parser.add_argument("--dynamic", type=float, default=0.5,
                        help="share of the farm's sites whose pages change on every request")
    parser.add_argument("--database-url", help="an EMPTY scratch database (default: SQLite in a temp dir)")
    parser.add_argument("--profile", action="store_true",
                        help="run each engine process under cProfile (its DB threads too) and print where the "
                             "CPU goes per check (slower: profiling costs CPU itself)")
    parser.add_argument("--cold", type=float, default=60.0,
                        help="seconds of the first-round (cold start) engine run, 1 process (0: skip)")
    parser.add_argument("--warm-rounds", type=int, default=2,
                        help="rounds of the real engine (2 processes, once) over every site before the timed "
                             "steady-state runs")
    parser.add_argument("--warm-db", metavar="FILE",
                        help="SQLite only, for trying changes: after the warm-up keep a copy of the database in "
                             "FILE; when FILE exists, start from it instead of seeding and warming up (give the "
                             "same --port and --sites)")
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=("engine", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--name", default="bench", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.port:
        with socket.socket() as probe:  # free on the first address; the farm fails loudly if not on the others
            probe.bind((monitor_farm.site_address(0), 0))
            args.port = probe.getsockname()[1]
    return args


# --------------------------------------------------------------------------------------------------
# /proc readings (psutil is not installed)
# --------------------------------------------------------------------------------------------------

def proc_status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except OSError:
        return 0.0


def load_average():
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))]


# --------------------------------------------------------------------------------------------------
# Workers (subprocesses): print one JSON line at the end
# --------------------------------------------------------------------------------------------------

def self_figures(started_cpu, started_wall):
    usage = os.times()
    return {"peak_rss_kb": proc_status_kb("self", "VmHWM"),
            "cpu_s": usage.user + usage.system - started_cpu, "wall_s": time.monotonic() - started_wall}


def engine_worker(args):
    import django

    django.setup()
    from lachan.monitoring import checking
    from lachan.monitoring.engine import run

    cpu0, wall0 = sum(os.times()[:2]), time.monotonic()
    timings = {"deep": [], "shallow": []}
    dynamic = {monitor_farm.site_url(i, args.port) for i in monitor_farm.dynamic_sites(args.sites, args.dynamic)}
    # per kind of site (dynamic: new bytes on every request; static): checks, pages analysed, pages reused
    pages = {kind: {"checks": 0, "analysed": 0, "reused": 0} for kind in ("dynamic", "static")}
    real_check_site = checking.check_site

    async def timed_check_site(session, url, **kw):  # the engine imports check_site from the package each check
        start = time.monotonic()
        try:
            result = await real_check_site(session, url, **kw)
        finally:
            timings["deep" if kw.get("deep") else "shallow"].append(time.monotonic() - start)
        counts = pages["dynamic" if url in dynamic else "static"]
        counts["checks"] += 1
        for record in result.analyses.values():
            counts["reused" if record.reused else "analysed"] += 1
        return result

    checking.check_site = timed_check_site
    profiles = start_profiles() if args.profile else None
    run_start = time.monotonic()
    stats = run(concurrency=args.concurrency, per_host=args.per_host, name=args.name,
                **({"once": True} if args.once else {"duration": args.duration}))
    stats["run_s"] = time.monotonic() - run_start
    extra = {"profile": profile_summary(profiles, stats.get("checked", 0))} if profiles else {}
    print(json.dumps({"stats": stats, "timings": timings, "pages": pages, **extra, **self_figures(cpu0, wall0)}),
          flush=True)


# Where the CPU of a check goes: cumulative seconds of these functions (file suffix, function name).
PROFILE_PARTS = (
    ("fetch (guarded aiohttp fetch, body read)", "core/outbound/aio.py", "fetch"),
    ("decode (bytes → text)", "analysis/extract.py", "decode_html"),
    ("analysis: extract_features", "analysis/extract.py", "extract_features"),
    ("analysis: analyse (against baseline)", "analysis/__init__.py", "analyse"),
    ("analysis: compare_cloaking (the probes parsed)", "analysis/cloaking.py", "compare_cloaking"),
    ("DB writer: persist (whole batch)", "engine/writer.py", "persist"),
    ("  writer: Snapshot rows (features JSON)", "engine/writer.py", "_snapshots"),
    ("  writer: services.evaluate", "monitoring/services.py", "evaluate"),
    ("  writer: Check rows (findings JSON)", "engine/writer.py", "_check_row"),
    ("  writer: load_contexts (open alerts)", "monitoring/services.py", "load_contexts"),
    ("claiming (claim_jobs + baselines)", "engine/loop.py", "claim_jobs"),
    ("JSON encode (json.dumps)", "json/__init__.py", "dumps"),
    ("JSON decode (json.loads)", "json/__init__.py", "loads"),
    ("  baselines: PageFeatures.from_dict", "analysis/extract.py", "from_dict"),
    ("analysis: analyse_page (digest, reuse or parse + analyse)", "checking/analyser.py", "analyse_page"),
    ("  content_hash (words of the page)", "checking/analyser.py", "content_hash"),
)


def start_profiles():
    """A cProfile (CPU time of its own thread) for the main thread and for each thread running the engine's
    DB calls (``loop._db``) or page analyses (``analyser.analyse_page``, ``analysis.compare_cloaking``)."""
    import cProfile

    from lachan.monitoring import analysis
    from lachan.monitoring.checking import analyser
    from lachan.monitoring.engine import loop

    profiles = {"main": cProfile.Profile(time.thread_time)}

    def profiled(fn):
        def wrapper(*args, **kwargs):
            name = threading.current_thread().name
            prof = profiles.setdefault(name, cProfile.Profile(time.thread_time))
            prof.enable()
            try:
                return fn(*args, **kwargs)
            finally:
                prof.disable()
        return wrapper

    loop._db = profiled(loop._db)
    analyser.analyse_page = profiled(analyser.analyse_page)
    analysis.compare_cloaking = profiled(analysis.compare_cloaking)
    profiles["main"].enable()
    return profiles


def profile_summary(profiles, checks):
    import pstats

    profiles["main"].disable()
    stats = pstats.Stats(*profiles.values())
    total = sum(row[2] for row in stats.stats.values())  # tottime of everything profiled
    parts = {"total profiled CPU": total}
    for label, suffix, name in PROFILE_PARTS:
        parts[label] = sum(row[3] for (path, _line, func), row in stats.stats.items()
                           if func == name and path.endswith(suffix))
    by_package = {}
    for (path, _line, _func), row in stats.stats.items():
        key = ("aiohttp" if "/aiohttp/" in path else "asyncio" if "/asyncio/" in path
               else "django" if "/django/" in path else "lachan" if "/lachan/" in path
               else "builtins/C" if path == "~" else "other")
        by_package[key] = by_package.get(key, 0.0) + row[2]
    return {"checks": checks, "parts": parts, "by_package": by_package}


def print_profile(results):
    for r in results:
        prof = r.get("profile")
        if not prof:
            continue
        n = max(1, prof["checks"])
        print(f"  profile of one process ({prof['checks']:,} checks; cumulative CPU, ms per check):")
        for label, seconds in prof["parts"].items():
            print(f"    {label:<50} {seconds:8.1f} s {seconds * 1000 / n:8.1f} ms")
        print("    own time by package: " + ", ".join(
            f"{k} {v * 1000 / n:.1f} ms" for k, v in sorted(prof["by_package"].items(), key=lambda kv: -kv[1])))


def naive_worker(args):
    import django

    django.setup()
    from lachan.core.outbound import FetchError, fetch_sync
    from lachan.monitoring.analysis import analyse, extract_features

    cpu0, wall0 = sum(os.times()[:2]), time.monotonic()
    latencies, verdicts, i = [], {}, 0
    deadline = time.monotonic() + args.duration
    while time.monotonic() < deadline:
        url = monitor_farm.site_url(i % args.sites, args.port)
        start = time.monotonic()
        try:
            result = fetch_sync(url, timeout=30)
            if result.status >= 500:
                verdict = "down"
            else:
                findings = analyse(extract_features(result.body, result.final_url))
                verdict = "flagged" if any(f.severity in ("critical", "high") for f in findings) else "ok"
        except FetchError:
            verdict = "down"
        latencies.append(time.monotonic() - start)
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
        i += 1
    print(json.dumps({"latencies": latencies, "verdicts": verdicts, **self_figures(cpu0, wall0)}), flush=True)


# --------------------------------------------------------------------------------------------------
# The bench
# --------------------------------------------------------------------------------------------------

def configure(args, tmp):
    url = args.database_url or f"sqlite:///{tmp}/monitor-bench.sqlite3"
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "lachan.settings", "DATABASE_URL": url, "LACHAN_DATA_DIR": str(tmp),
        "LOG_LEVEL": "WARNING", "OUTBOUND_ALLOWLIST": "127.0.0.0/8", "LACHAN_MANIFEST_STATIC": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend", "TASKS_BACKEND": "db",
        "PYTHONUNBUFFERED": "1",
    })
    (Path(tmp) / "static").mkdir(exist_ok=True)


def seed(args):
    from auditlog.context import disable_auditlog
    from django.db import transaction
    from django.utils import timezone

    from lachan.inventory.models import Website
    from lachan.monitoring.models import WatchedSite
    from lachan.organizations.models import Unit

    now = timezone.now()
    with disable_auditlog(), transaction.atomic():
        units = [Unit(id=1, code="ROOT", name="Sở TTTT", path="/1/", depth=0)]
        units += [Unit(id=k, code=f"U{k:03d}", name=f"Đơn vị {k}", parent_id=1, path=f"/1/{k}/", depth=1)
                  for k in range(2, 52)]
        Unit.objects.bulk_create(units)
        Website.objects.bulk_create([
            Website(unit_id=2 + i % 50, url=monitor_farm.site_url(i, args.port), name=f"Site {i}", monitored=True)
            for i in range(args.sites)], batch_size=1000)
        every = WatchedSite().deep_every  # spread the deep checks as in a steady state, not all first
        sites = [WatchedSite(website_id=w, interval_seconds=args.interval, next_check_at=now, check_count=k % every)
                 for k, w in enumerate(Website.objects.order_by("pk").values_list("pk", flat=True))]
        WatchedSite.objects.bulk_create(sites, batch_size=1000)
    return WatchedSite()


def start_farm(args):
    farm = subprocess.Popen([sys.executable, str(ROOT / "bench" / "monitor_farm.py"), "--sites", str(args.sites),
                             "--port", str(args.port), "--max-delay", str(args.max_delay),
                             "--dynamic", str(args.dynamic)],
                            stdout=subprocess.PIPE, text=True)
    for line in farm.stdout:
        print("  " + line.rstrip())
        if line.startswith("READY"):
            break
    else:
        raise SystemExit("the farm did not start")
    threading.Thread(target=lambda: [print("  " + x.rstrip()) for x in farm.stdout], daemon=True).start()
    return farm


def spawn_worker(args, kind, name, duration, *, once=False, profile=None):
    profile = args.profile if profile is None else profile
    argv = [sys.executable, __file__, "--worker", kind, "--name", name, "--duration", str(duration),
            "--sites", str(args.sites), "--port", str(args.port), "--concurrency", str(args.concurrency),
            "--per-host", str(args.per_host), "--dynamic", str(args.dynamic), *(["--once"] if once else []),
            *(["--profile"] if profile else [])]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)


def collect(procs, farm):
    """Wait for the workers while sampling their summed RSS; returns (results, max total RSS KB)."""
    peak_total = 0
    while any(p.poll() is None for p in procs):
        peak_total = max(peak_total, sum(proc_status_kb(p.pid, "VmRSS") for p in procs))
        time.sleep(0.5)
    results = []
    for p in procs:
        out = p.stdout.read().strip().splitlines()
        if p.returncode or not out:
            raise SystemExit(f"worker {p.pid} failed ({p.returncode})")
        results.append(json.loads(out[-1]))
    return results, peak_total


def run_naive(args, farm):
    print(f"\nnaive sequential loop, {args.naive:.0f} s (fetch_sync + extract_features + analyse, home page only; "
          f"load average {load_average()})")
    farm_cpu0 = proc_cpu_seconds(farm.pid)
    proc = spawn_worker(args, "naive", "naive", args.naive)
    [result], _ = collect([proc], farm)
    n = len(result["latencies"])
    per_min = n / result["wall_s"] * 60
    print(f"  checks: {n:,} in {result['wall_s']:.0f} s = {per_min:,.0f} checks/min; verdicts {result['verdicts']}")
    print(f"  check latency p50 {percentile(result['latencies'], 50) * 1000:,.0f} ms, "
          f"p95 {percentile(result['latencies'], 95) * 1000:,.0f} ms")
    print(f"  peak RSS {result['peak_rss_kb'] / 1024:,.0f} MB; CPU {result['cpu_s']:.1f} s "
          f"({result['cpu_s'] / result['wall_s']:.2f} cores); farm CPU {proc_cpu_seconds(farm.pid) - farm_cpu0:.1f} s; "
          f"load average {load_average()}")
    return per_min


def steady_sites(args):
    """How many sites are as a running monitor has them: the home page has a baseline snapshot and an
    analysis record (``analysed_pages``) made against that very baseline, with its content hash the one in
    ``page_hashes``; and how many of all page records there are."""
    from lachan.monitoring.models import Snapshot, WatchedSite

    baselines = {(site_id, url): str(pk) for site_id, url, pk in
                 Snapshot.objects.filter(is_baseline=True).values_list("site_id", "url", "pk")}
    steady = records = 0
    for pk, url, analysed, hashes in WatchedSite.objects.values_list("pk", "website__url", "analysed_pages",
                                                                     "page_hashes"):
        analysed, hashes = analysed or {}, hashes or {}
        records += len(analysed)
        home = analysed.get(url) or {}
        key = baselines.get((pk, url))
        steady += bool(key) and home.get("baseline") == key and hashes.get(url) == home.get("hash")
    return steady, records


def warm_up(args, farm):
    """``--warm-rounds`` rounds of the real engine (2 processes, ``once``: every site due at the start of the
    round checked once) — the database then holds what a running monitor's does: baselines, snapshots,
    ``page_hashes`` and ``analysed_pages`` made against the baselines."""
    from django.utils import timezone

    from lachan.monitoring.models import Check, WatchedSite

    print(f"\nwarm-up: {args.warm_rounds} rounds of the real engine over all {args.sites:,} sites (2 processes, "
          f"once each round; load average {load_average()})")
    total_checks, total_s = 0, 0.0
    for round_no in range(1, args.warm_rounds + 1):
        WatchedSite.objects.update(next_check_at=timezone.now(), claimed_by="", claimed_until=None)
        since, start = timezone.now(), time.monotonic()
        procs = [spawn_worker(args, "engine", f"warm{round_no}-{k + 1}", 0, once=True, profile=False)
                 for k in range(2)]
        results, peak_total = collect(procs, farm)
        seconds = time.monotonic() - start
        checks = Check.objects.filter(checked_at__gte=since).count()
        total_checks, total_s = total_checks + checks, total_s + seconds
        analysed = sum(r["stats"].get("analysed", 0) for r in results)
        reused = sum(r["stats"].get("reused", 0) for r in results)
        steady, records = steady_sites(args)
        print(f"  round {round_no}: {checks:,} checks in {seconds:.0f} s = {checks / seconds * 60:,.0f} checks/min; "
              f"pages analysed {analysed:,}, reused {reused:,}; peak RSS {peak_total / 1024:,.0f} MB; sites in "
              f"steady state {steady:,} of {args.sites:,} ({records:,} page records); load average {load_average()}")
    print(f"  warm-up: {total_checks:,} checks in {total_s:.0f} s = {total_checks / max(total_s, 1e-9) * 60:,.0f} "
          f"checks/min")


def run_engine(args, farm, processes, run_no, label, duration):
    from django.db.models import Count
    from django.utils import timezone

    from lachan.monitoring.models import Check, WatchedSite

    WatchedSite.objects.update(next_check_at=timezone.now(), claimed_by="", claimed_until=None)
    print(f"\nengine — {label}: {processes} process(es) × concurrency {args.concurrency}, per-host {args.per_host}, "
          f"{duration:.0f} s (load average {load_average()})")
    started = timezone.now()
    farm_cpu0 = proc_cpu_seconds(farm.pid)
    procs = [spawn_worker(args, "engine", f"bench{run_no}-{k + 1}", duration) for k in range(processes)]
    results, peak_total = collect(procs, farm)
    farm_cpu = proc_cpu_seconds(farm.pid) - farm_cpu0
    window = Check.objects.filter(checked_at__gte=started + timezone.timedelta(seconds=args.warmup),
                                  checked_at__lt=started + timezone.timedelta(seconds=duration))
    counted = window.count()
    per_min = counted / (duration - args.warmup) * 60
    dynamic = {monitor_farm.site_url(i, args.port) for i in monitor_farm.dynamic_sites(args.sites, args.dynamic)}
    counted_dynamic = sum(url in dynamic for url in window.values_list("url", flat=True))
    every = Check.objects.filter(checked_at__gte=started)
    deep = every.filter(deep=True).count()
    verdicts = dict(every.values_list("verdict").annotate(n=Count("id")).order_by())
    home_ms = list(window.exclude(latency_ms=None).values_list("latency_ms", flat=True))
    timings = {kind: [t for r in results for t in r["timings"][kind]] for kind in ("deep", "shallow")}
    both = timings["deep"] + timings["shallow"]
    print(f"  sustained ({label}): {counted:,} checks between {args.warmup:.0f} s and {duration:.0f} s = "
          f"{per_min:,.0f} checks/min (target ≥ {TARGET_PER_MIN:,}); of them dynamic sites {counted_dynamic:,}, "
          f"static {counted - counted_dynamic:,}")
    for kind in ("dynamic", "static"):
        n = {k: sum(r["pages"][kind][k] for r in results) for k in ("checks", "analysed", "reused")}
        pages = n["analysed"] + n["reused"]
        print(f"    {kind} sites: {n['checks']:,} checks, pages analysed {n['analysed']:,}, previous analysis reused "
              f"{n['reused']:,} ({n['reused'] / max(pages, 1):.0%} of pages)")
    print(f"  whole run: {every.count():,} checks written, {deep:,} deep; verdicts {verdicts}")
    print(f"  full check (check_site) p50 {percentile(both, 50) * 1000:,.0f} ms, p95 {percentile(both, 95) * 1000:,.0f}"
          f" ms; shallow p50 {percentile(timings['shallow'], 50) * 1000:,.0f} ms, deep p50 "
          f"{percentile(timings['deep'], 50) * 1000:,.0f} ms; home page fetch p50 {percentile(home_ms, 50):,.0f} ms, "
          f"p95 {percentile(home_ms, 95):,.0f} ms")
    for r, p in zip(results, procs, strict=True):
        s = r["stats"]
        checked = max(1, s.get("checked", 0))
        print(f"  process {p.pid}: peak RSS {r['peak_rss_kb'] / 1024:,.0f} MB, CPU {r['cpu_s']:.1f} s over "
              f"{r['wall_s']:.0f} s ({r['cpu_s'] / r['wall_s']:.2f} cores, {r['cpu_s'] / checked * 1000:.0f} ms a "
              f"check); run() took {s.get('run_s', 0):.1f} s for a duration of {duration:.0f} s; checked "
              f"{s.get('checked', 0):,} (deep {s.get('deep', 0):,}), timeouts {s.get('timeouts', 0)}, errors "
              f"{s.get('errors', 0)}")
        print(f"    pages analysed {s.get('analysed', 0):,}, previous analysis reused {s.get('reused', 0):,} "
              f"(same bytes, same baseline), cloaking comparisons skipped {s.get('cloaking_skipped', 0):,} (three "
              f"identical answers); event-loop lag ms {s.get('loop_lag_ms')}; checks in flight {s.get('in_flight')}")
    print_profile(results)
    total_mb = peak_total / 1024
    print(f"  monitor processes together: peak RSS {total_mb:,.0f} MB sampled (sum of peaks "
          f"{sum(r['peak_rss_kb'] for r in results) / 1024:,.0f} MB; target ≤ {TARGET_MB:,}); farm CPU "
          f"{farm_cpu:.1f} s; load average {load_average()}")
    return per_min, sum(r["peak_rss_kb"] for r in results) / 1024, started


def detection(args, since):
    from lachan.monitoring.models import Check

    kinds = monitor_farm.site_kinds(args.sites)
    index = {monitor_farm.site_url(i, args.port): i for i in range(args.sites)}
    expect = {"defaced": {"compromised", "suspicious"}, "injected": {"compromised", "suspicious"},
              "down": {"down"}}
    right, wrong, clean_flagged, clean_down, clean_seen = {}, {}, set(), set(), set()
    for url, verdict, deep in Check.objects.filter(checked_at__gte=since).values_list("url", "verdict", "deep"):
        i = index.get(url)
        kind = kinds.get(i)
        if kind is None:
            clean_seen.add(i)
            if verdict == "down":
                clean_down.add(i)
            elif verdict != "ok":
                clean_flagged.add(i)
        elif kind in expect or deep:
            ok = verdict in expect.get(kind, {"compromised", "suspicious"})
            (right if ok else wrong).setdefault(kind, set()).add(i)
    print("\ndetection over all engine checks: " + "; ".join(
        f"{kind} {len(right.get(kind, ()))} sites right, {len(wrong.get(kind, ()))} wrong"
        for kind in monitor_farm.KINDS) + " (cloaked: deep checks only)")
    print(f"  clean sites flagged suspicious/compromised: {len(clean_flagged)}, judged down (a timeout: the farm "
          f"answers within {args.max_delay:g} s): {len(clean_down)}, of {len(clean_seen):,} clean sites checked")


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lachan.settings")
        return engine_worker(args) if args.worker == "engine" else naive_worker(args)
    with tempfile.TemporaryDirectory(prefix="monitor-bench-") as tmp:
        configure(args, tmp)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        print(f"Lá Chắn monitor bench — {args.sites:,} sites, {os.cpu_count()} CPUs, Python "
              f"{sys.version.split()[0]}, {connection.vendor}, load average {load_average()}")
        started = time.perf_counter()
        reuse = bool(args.warm_db and Path(args.warm_db).exists())
        if reuse:
            shutil.copyfile(args.warm_db, Path(tmp) / "monitor-bench.sqlite3")
            args.warm_rounds = 0
            print(f"database copied from {args.warm_db} (warmed up before; port {args.port})")
        else:
            call_command("migrate", verbosity=0)
            defaults = seed(args)
            print(f"migrated and seeded {args.sites:,} watched sites (interval {args.interval} s, deep every "
                  f"{defaults.deep_every} checks, sitemap sample {defaults.sitemap_sample}) in "
                  f"{time.perf_counter() - started:.1f} s")
        farm = start_farm(args)
        try:
            naive = run_naive(args, farm) if args.naive > 0 else None
            cold, first_start = None, None
            if args.cold > 0:
                cold, _mb, first_start = run_engine(
                    args, farm, 1, 0, "FIRST ROUND, cold start (no baselines: every page seen for the first "
                    "time, its baseline and first snapshot written)", args.cold)
            if args.warm_rounds > 0:
                warm_up(args, farm)
                if args.warm_db:
                    with connection.cursor() as cursor:
                        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    connection.close()
                    shutil.copyfile(Path(tmp) / "monitor-bench.sqlite3", args.warm_db)
            best = None
            for run_no, processes in enumerate(int(p) for p in args.processes.split(",")):
                per_min, mb, run_start = run_engine(args, farm, processes, run_no + 1, "STEADY STATE", args.duration)
                first_start = first_start or run_start
                if best is None or per_min > best[0]:
                    best = (per_min, mb, processes)
            detection(args, first_start)
        finally:
            farm.terminate()
            farm.wait(timeout=30)
        if cold is not None:
            print(f"\nfirst round (cold start), 1 process: {cold:,.0f} checks/min")
        print(f"best steady-state engine run: {best[0]:,.0f} checks/min with {best[2]} process(es), {best[1]:,.0f} MB "
              f"(targets ≥ {TARGET_PER_MIN:,}/min, ≤ {TARGET_MB:,} MB)"
              + (f"; naive loop {naive:,.0f} checks/min = {best[0] / naive:,.0f}× slower" if naive else ""))
        return 0 if best[0] >= TARGET_PER_MIN and best[1] <= TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
