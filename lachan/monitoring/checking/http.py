"""Fetching one page for a check, through the SSRF guard (``lachan.core.outbound``).

``fetch_page`` never raises for a network failure: a ``FetchError`` is kept in ``Page.error``. When TLS
verification fails the page is fetched once more without verification, so that its content can still
be judged; the verification error is kept in ``Page.tls_error``.
"""

from __future__ import annotations

from dataclasses import dataclass

from lachan.core.outbound import FetchError, FetchResult, fetch

from .options import CheckOptions

HTML_TYPES = ("html", "xml", "text/plain")


@dataclass
class Page:
    url: str  # as requested
    result: FetchResult | None = None
    error: FetchError | None = None
    tls_error: str = ""  # the verification failure when the page was fetched without verification

    @property
    def ok(self) -> bool:
        """A response under 400 (a page to judge)."""
        return self.result is not None and self.result.status < 400

    @property
    def redirects(self) -> list[dict]:
        hops = self.result.redirects if self.result is not None else (self.error.redirects if self.error else ())
        return [{"status": status, "url": url} for status, url in hops]

    def failure(self) -> tuple[str, str] | None:
        """``(signal, message)`` when the page is down: the fetch error kind, or ``http_<status>``."""
        if self.error is not None:
            return self.error.kind, self.error.message
        if self.result is not None and self.result.status >= 400:
            return f"http_{self.result.status}", f"HTTP {self.result.status}"
        return None

    def is_html(self) -> bool:
        """Whether the body is a page to analyse (HTML, XHTML, text; or no Content-Type at all)."""
        if self.result is None:
            return False
        content_type = (self.result.headers.get("Content-Type") or "").lower()
        return not content_type or any(t in content_type for t in HTML_TYPES)


async def fetch_page(session, url: str, options: CheckOptions, *, googlebot: bool = False, referer: bool = False,
                     verify: bool = True, max_bytes: int | None = None) -> Page:
    """Fetch ``url`` as a browser (or as Googlebot / coming from a search engine)."""
    kwargs = options.fetch_kwargs()
    if max_bytes is not None:
        kwargs["max_bytes"] = max_bytes
    headers = options.headers(googlebot=googlebot, referer=referer)
    try:
        result = await fetch(session, url, headers=headers, ssl=options.ssl if verify else False, **kwargs)
        return Page(url, result)
    except FetchError as exc:
        if exc.kind != "tls" or not verify:
            return Page(url, error=exc)
        tls_error = exc.message
    try:
        result = await fetch(session, url, headers=headers, ssl=False, **kwargs)
        return Page(url, result, tls_error=tls_error)
    except FetchError as exc:
        return Page(url, error=exc, tls_error=tls_error)
