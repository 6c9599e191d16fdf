"""A blocking ``fetch()`` for jobs and the CLI: the async guarded fetch run in a private event loop."""

from __future__ import annotations

import asyncio
import concurrent.futures

from .aio import FetchResult, guarded_session
from .aio import fetch as _async_fetch


async def _fetch_once(url, *, allowlist, upstream_resolver, **options) -> FetchResult:
    async with guarded_session(allowlist=allowlist, upstream_resolver=upstream_resolver, limit=4) as session:
        return await _async_fetch(session, url, **options)


def fetch_sync(url: str, *, allowlist=None, upstream_resolver=None, **options) -> FetchResult:
    """Fetch ``url`` with the same guard and options as ``aio.fetch``; raise ``FetchError`` on failure.

    Runs ``asyncio.run`` in the calling thread, or in a worker thread when the caller is itself inside
    a running event loop (an async view), so it never nests loops.
    """
    coroutine_factory = lambda: _fetch_once(  # noqa: E731
        url, allowlist=allowlist, upstream_resolver=upstream_resolver, **options
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine_factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine_factory())).result()


fetch = fetch_sync  # the name callers of this module expect: outbound.sync.fetch(url)
