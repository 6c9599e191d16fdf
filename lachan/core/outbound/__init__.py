"""The one guard every outbound HTTP fetch goes through (website monitor, feed URLs, webhooks).

* ``check_address(ip)`` / ``check_url(url)`` — the policy (``policy.py``), raising ``BlockedAddress``;
* ``guarded_session()`` + ``await fetch(session, url)`` — aiohttp with the resolved address checked and
  pinned, redirects re-checked, body capped (``aio.py``);
* ``fetch_sync(url)`` — the same for blocking callers (``sync.py``).

The setting ``OUTBOUND_ALLOWLIST`` (CIDRs, e.g. ``127.0.0.0/8,::1/128`` in the demo) lets a deployment
reach internal networks on purpose.
"""

from .aio import FETCH_ERROR_KINDS, FetchError, FetchResult, GuardedResolver, fetch, guarded_session
from .policy import BlockedAddress, check_address, check_url
from .sync import fetch_sync

__all__ = [
    "FETCH_ERROR_KINDS",
    "BlockedAddress",
    "FetchError",
    "FetchResult",
    "GuardedResolver",
    "check_address",
    "check_url",
    "fetch",
    "fetch_sync",
    "guarded_session",
]
