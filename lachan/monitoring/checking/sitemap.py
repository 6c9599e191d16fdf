"""A sample of a site's pages from its sitemap, for the deep check.

Where the sitemap is: the ``Sitemap:`` lines of ``/robots.txt`` (same-site ones), else ``/sitemap.xml``.
A sitemap index is followed one level (its first ``CheckOptions.sitemap_children`` same-site sitemaps).
Each file is size-capped (``sitemap_max_bytes``, gzip included: a ``.gz`` body is inflated only up to
the cap) and parsed with defusedxml (no DTD, no entities, no network), incrementally: a file cut at the
cap gives the URLs before the cut. Only http(s) URLs of the same site (``analysis.sites.site_of`` of the
home page's host, requested or final) are kept.
"""

from __future__ import annotations

import io
import random
import zlib
from urllib.parse import urljoin, urlsplit

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from lachan.monitoring.analysis.extract import host_of
from lachan.monitoring.analysis.sites import site_of

from .http import fetch_page
from .options import CheckOptions

ROBOTS_MAX_BYTES = 512 * 1024
URLS_MAX = 50_000  # what the sitemap protocol allows in one file


def same_site(url: str, sites: set[str]) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and site_of(parts.hostname) in sites


def robots_sitemaps(text: str, base: str, sites: set[str]) -> list[str]:
    """The same-site ``Sitemap:`` URLs of a robots.txt, in order, without repeats."""
    found = []
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "sitemap":
            url = urljoin(base, value.split("#", 1)[0].strip())
            if url and same_site(url, sites) and url not in found:
                found.append(url)
    return found


def _inflate(body: bytes, cap: int) -> bytes:
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return inflater.decompress(body, cap)
    except zlib.error:
        return b""


def parse_sitemap(body: bytes, cap: int) -> tuple[str, list[str]]:
    """``("urlset" | "sitemapindex", [loc, …])`` of a sitemap file; ``("", [])`` when it is not one. Read
    incrementally: a file cut at the size cap still gives the URLs before the cut."""
    data = _inflate(body, cap)[:cap]
    kind, locs = "", []
    try:
        for event, element in SafeET.iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True):
            tag = element.tag.rsplit("}", 1)[-1].lower()
            if event == "start":
                if not kind:
                    kind = tag
                    if kind not in ("urlset", "sitemapindex"):
                        return "", []
                continue
            if tag == "loc" and element.text and element.text.strip():
                locs.append(element.text.strip())
                if len(locs) >= URLS_MAX:
                    break
            elif tag in ("url", "sitemap"):
                element.clear()
    except (SafeET.ParseError, DefusedXmlException, ValueError):
        pass
    return (kind, locs) if kind else ("", [])


async def sitemap_urls(session, home_url: str, options: CheckOptions, *, sites: set[str], verify: bool = True
                       ) -> list[str]:
    """Same-site page URLs listed by the site's sitemap(s) (order kept, no repeats)."""
    robots = await fetch_page(session, urljoin(home_url, "/robots.txt"), options, verify=verify,
                              max_bytes=ROBOTS_MAX_BYTES)
    candidates = []
    if robots.ok:
        candidates = robots_sitemaps(robots.result.text(), robots.result.final_url, sites)
    if not candidates:
        candidates = [urljoin(home_url, "/sitemap.xml")]
    pages, seen = [], set()
    to_read, children_left = list(candidates[:options.sitemap_children]), options.sitemap_children
    depth = dict.fromkeys(to_read, 0)
    while to_read:
        url = to_read.pop(0)
        page = await fetch_page(session, url, options, verify=verify, max_bytes=options.sitemap_max_bytes)
        if not page.ok:
            continue
        kind, locs = parse_sitemap(page.result.body, options.sitemap_max_bytes)
        for loc in locs:
            loc = urljoin(page.result.final_url, loc)
            if not same_site(loc, sites) or loc in seen:
                continue
            seen.add(loc)
            if kind == "urlset":
                pages.append(loc)
            elif depth[url] == 0 and children_left > 0:  # a sitemap index: one level down
                depth[loc] = 1
                to_read.append(loc)
                children_left -= 1
    return pages


def sample(urls: list[str], count: int, *, exclude=(), seed=None) -> list[str]:
    """``count`` of ``urls`` (all of them when fewer), none of ``exclude``; order of the sitemap kept."""
    excluded = set(exclude)
    pool = [u for u in urls if u not in excluded]
    if count <= 0 or not pool:
        return []
    if len(pool) <= count:
        return pool
    chosen = set(random.Random(seed).sample(range(len(pool)), count))  # noqa: S311 — not security
    return [u for i, u in enumerate(pool) if i in chosen]


def sites_of(*urls: str) -> set[str]:
    return {site_of(host_of(url)) for url in urls if host_of(url)}
