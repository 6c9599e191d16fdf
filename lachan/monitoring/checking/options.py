"""``CheckOptions``: timeouts, size caps and the identities a check fetches with."""

from __future__ import annotations

import ssl as ssl_module
from dataclasses import dataclass

BROWSER_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0.0.0 Safari/537.36")
GOOGLEBOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SEARCH_REFERER = "https://www.google.com.vn/"


@dataclass(frozen=True)
class CheckOptions:
    """Limits of one check. Timeouts are per page fetch (``total_timeout`` bounds a fetch with its
    redirects); ``max_bytes`` caps each page body (the rest is not downloaded), ``sitemap_max_bytes`` a
    sitemap (after gunzip). ``ssl`` is the verification context (None: the system's CAs).
    ``tls_warn_days`` None means ``settings.MONITOR_TLS_WARN_DAYS`` (14 when unset). ``page_concurrency``
    bounds the extra fetches of a deep check (probes, sub-pages, sitemap). ``sample_seed`` makes the
    sitemap sample repeatable (None: a new sample each check, so deep checks cover the site over time)."""

    connect_timeout: float = 10.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 5
    sitemap_max_bytes: int = 5 * 1024 * 1024
    sitemap_children: int = 3  # child sitemaps of a sitemap index that are read
    user_agent: str = BROWSER_UA
    googlebot_user_agent: str = GOOGLEBOT_UA
    search_referer: str = SEARCH_REFERER
    accept_language: str = "vi-VN,vi;q=0.9,en;q=0.8"
    tls_warn_days: int | None = None
    ssl: ssl_module.SSLContext | None = None
    page_concurrency: int = 4
    cloak_subpages: bool = False  # also probe sub-pages as Googlebot / with a search referer
    sample_seed: int | None = None

    def warn_days(self) -> int:
        if self.tls_warn_days is not None:
            return self.tls_warn_days
        from django.conf import settings

        return int(getattr(settings, "MONITOR_TLS_WARN_DAYS", 14))

    def fetch_kwargs(self) -> dict:
        return {"max_bytes": self.max_bytes, "timeout": self.total_timeout, "connect_timeout": self.connect_timeout,
                "read_timeout": self.read_timeout, "max_redirects": self.max_redirects}

    def headers(self, *, googlebot: bool = False, referer: bool = False) -> dict:
        headers = {"User-Agent": self.googlebot_user_agent if googlebot else self.user_agent,
                   "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                   "Accept-Language": self.accept_language}
        if referer:
            headers["Referer"] = self.search_referer
        return headers


DEFAULT_OPTIONS = CheckOptions()
