"""The website monitor engine (``lachan monitor`` / ``lachan monitor run``).

    from lachan.monitoring.engine import run
    stats = run(concurrency=200, per_host=4, once=False, name="mon-1")

``claim.py`` shares due sites between any number of monitor processes (conditional UPDATE),
``loop.py`` is the asyncio loop (claimer → checkers → batched writer, graceful shutdown),
``writer.py`` persists a batch of results in one transaction (checks, snapshots and baselines, the
state machine of ``monitoring.services``). New monitored websites get their ``WatchedSite`` from the
claimer (``services.watch_missing_websites`` every minute) and from the periodic job
``tasks.watch_new_websites`` — no signal handler on ``inventory.Website``.
"""

import asyncio
import ctypes
import os

from .claim import claim_due, release, worker_token
from .loop import Engine

__all__ = ["Engine", "claim_due", "release", "run", "worker_token"]

ENGINE_OPTIONS = ("concurrency", "per_host", "once", "name", "duration", "grace", "batch_size", "check_timeout",
                  "options", "analysis_threads")


def run(**options):
    """Run the monitor until SIGINT/SIGTERM, ``duration`` seconds, or — with ``once`` — until every site
    due at start was checked. Options: ``concurrency`` (MONITOR_CONCURRENCY), ``per_host``
    (MONITOR_PER_HOST), ``once``, ``name`` (prefix of the worker token), ``duration`` (seconds),
    ``grace`` (seconds given to in-flight checks at shutdown, 10), ``batch_size`` (MONITOR_WRITE_BATCH),
    ``check_timeout`` (MONITOR_CHECK_TIMEOUT: the network part of a check; time in analysis is not counted),
    ``analysis_threads`` (pages analysed at once, 1), ``options`` (a ``checking.CheckOptions``). Unknown keys
    (a management command's verbosity …) are ignored. ``concurrency`` is a ceiling: the checks in flight
    adapt to the event loop's lag and the analysis backlog. Returns the run's figures as a dict (claimed,
    checked, deep, written, timeouts, errors, released, verdicts, analysed, reused, cloaking_skipped,
    loop_lag_ms, in_flight)."""
    limit_malloc_arenas()
    engine = Engine(**{k: v for k, v in options.items() if k in ENGINE_OPTIONS and v is not None})
    return asyncio.run(engine.main())


MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter


def limit_malloc_arenas(arenas=MALLOC_ARENAS):
    """At most ``arenas`` glibc malloc arenas in this process (unless ``MALLOC_ARENA_MAX`` is set). glibc
    gives each thread that allocates its own arena, up to eight per core; the analysis threads allocate and
    free page-sized buffers all the time and each arena keeps its own free memory: measured with the bench,
    a monitor process with 400 checks in flight held 590 MB with the default and 486 MB with two arenas, at
    the same speed. Does nothing where there is no glibc."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, int(arenas)))
    except (OSError, AttributeError):
        return False
