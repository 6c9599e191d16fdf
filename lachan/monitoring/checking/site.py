"""``check_site``: one full check of a website — HTTP, TLS, DNS, content analysis, and in deep mode the
cloaking probes, the configured sub-pages and a sample of the sitemap.

Order: the home page and the DNS answers are fetched together; if the home page is down the check stops
there (verdict ``down``). Otherwise its content is analysed against its baseline, and a deep check then
runs the probes, sub-pages and sitemap sample concurrently (``CheckOptions.page_concurrency`` at a time).
One bad page never fails the check: a sub-page that fails is a ``down`` finding of that URL, a probe that
fails is an ``info`` finding, and an exception in the analysis of a page is reported in
``error_message`` without losing the other findings. Each page is parsed once (``extract_features``);
the cloaking comparison is given the browser page's features when its analysis parsed them (a reused
analysis has none: the body is parsed again) and parses the probes' bodies, unless all three are the same
bytes. The analysis runs through a ``PageAnalyser`` (``analyser.py``: inline by default, in a
thread pool in the engine) and a page whose bytes are those of its previous check, against the same
baseline, reuses that check's analysis (``previous_analyses``).
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urljoin

from django.utils.translation import gettext_noop as N_

from lachan.monitoring import analysis
from lachan.monitoring.analysis import lexicon
from lachan.monitoring.analysis.extract import host_of
from lachan.monitoring.analysis.sites import is_unrelated, site_of

from . import dns as dns_checks
from . import kinds, sitemap
from .analyser import INLINE, PageAnalyser
from .http import Page, fetch_page
from .options import DEFAULT_OPTIONS, CheckOptions
from .result import CheckFinding, CheckResult

log = logging.getLogger(__name__)


def _finding(kind, severity, template, params=None, *, url, signal="", **evidence) -> CheckFinding:
    params = params or {}
    return CheckFinding(kind=kind, severity=severity, summary=template % params if params else template,
                        evidence=evidence, url=url, signal=signal, template=template, params=params)


def _features(value):
    if value is None or isinstance(value, analysis.PageFeatures):
        return value
    return analysis.PageFeatures.from_dict(value)


class _Check:
    """The state of one check while it runs (not kept afterwards)."""

    def __init__(self, session, url, *, baselines, options, deep, analyser=None, previous=None, baseline_keys=None,
                 clock=None, baseline_loader=None):
        self.session = session
        self.url = url
        self.baselines = baselines or {}
        self.loader = baseline_loader  # async url → the baseline's features, for the URLs not in baselines
        self.analyser: PageAnalyser = analyser or INLINE
        self.previous = previous or {}  # url → PageRecord JSON of the previous check
        self.baseline_keys = baseline_keys or {}  # url → identity of the baseline (reuse is per baseline)
        self.clock = clock
        self.analyses: dict = {}  # url → PageRecord of this check
        self.options = options
        self.deep = deep
        self.findings: list[CheckFinding] = []
        self.pages: dict = {}
        self.errors: list[str] = []
        self.verify = True  # False once the site's certificate failed: later pages are judged all the same
        self._baselines: dict = {}  # url → PageFeatures converted from the caller's dicts, once
        self.semaphore = asyncio.Semaphore(max(1, options.page_concurrency))

    def baseline(self, url):
        if url in self._baselines:
            return self._baselines[url]
        try:
            features = _features(self.baselines.get(url))
        except (TypeError, KeyError, ValueError) as exc:
            self.errors.append(f"baseline of {url}: {type(exc).__name__}: {exc}")
            features = None
        self._baselines[url] = features
        return features

    def deferred(self, url) -> bool:
        """Whether ``url`` has a baseline the caller left to be loaded when needed (``baseline_loader``)."""
        return (self.loader is not None and url in self.baseline_keys and url not in self.baselines
                and url not in self._baselines)

    async def load_baseline(self, url):
        """Load a deferred baseline (once); a failure is noted and the page judged without it."""
        try:
            features = _features(await self.loader(url))
        except Exception as exc:
            log.exception("loading the baseline of %s failed", url)
            self.errors.append(f"baseline of {url}: {type(exc).__name__}: {exc}")
            features = None
        self._baselines[url] = features
        return features

    def baseline_source(self, url):
        """The baseline for the analysis: its features, or — deferred — a coroutine function loading it."""
        if self.deferred(url):
            return lambda: self.load_baseline(url)
        return self.baseline(url)

    async def gather(self, jobs):
        """Run ``jobs`` together; one that fails is noted in ``errors`` and never stops the others."""
        for outcome in await asyncio.gather(*jobs, return_exceptions=True):
            if isinstance(outcome, Exception):
                log.error("part of a check failed", exc_info=outcome)
                self.errors.append(f"{type(outcome).__name__}: {outcome}")

    async def fetch(self, url, **kwargs) -> Page:
        async with self.semaphore:
            return await fetch_page(self.session, url, self.options, verify=self.verify, **kwargs)

    async def dns(self, lookup, host) -> dict:
        try:
            return await lookup.records(host, fresh=self.deep)
        except Exception as exc:  # DNS answers are a side finding: never a reason to lose the check
            log.exception("DNS lookup of %s failed", host)
            self.errors.append(f"DNS: {type(exc).__name__}: {exc}")
            return {}

    # --- home page ------------------------------------------------------------------------------------

    def tls(self, page: Page):
        if page.tls_error:
            self.verify = False
        tls = page.result.tls if page.result is not None else None
        days_left = tls.get("days_left") if tls else None
        facts = {k: tls[k] for k in ("not_after", "issuer", "subject") if tls and k in tls}
        if page.tls_error:
            expired = days_left is not None and days_left < 0
            self.findings.append(_finding(
                "tls_invalid", "high" if expired else "medium",
                N_("The TLS certificate has expired.") if expired else
                N_("The TLS certificate could not be verified: %(error)s"),
                None if expired else {"error": page.tls_error},
                url=page.url, signal="expired" if expired else "unverified", error=page.tls_error, **facts))
        elif days_left is not None and days_left <= self.options.warn_days():
            self.findings.append(_finding(
                "tls_expiring", "high" if days_left <= 3 else "medium",
                N_("The TLS certificate expires in %(days)s days."), {"days": days_left},
                url=page.url, signal="expiring", days_left=days_left, **facts))
        return days_left

    async def analyse(self, page: Page):
        """Content findings of a page fetched OK; its ``PageRecord`` kept in ``analyses`` and, when it was
        parsed in this check, its features in ``pages``. Returns the record (None: not analysed)."""
        result = page.result
        if result.redirects and self.deferred(page.url):
            await self.load_baseline(page.url)  # where the page went when it was judged good
        self.redirect_offsite(page)
        if not page.is_html():
            return None
        try:
            record = await self.analyser.page(
                result.body, result.final_url, result.charset, self.baseline_source(page.url),
                self.baseline_keys.get(page.url, ""), self.previous.get(page.url), clock=self.clock)
        except Exception as exc:  # a hostile page must not stop the check
            log.exception("analysis of %s failed", page.url)
            self.errors.append(f"analysis of {page.url}: {type(exc).__name__}: {exc}")
            return None
        self.analyses[page.url] = record
        if record.features is not None:
            self.pages[page.url] = record.features
        self.findings.extend(kinds.from_analysis(f, page.url, record.host) for f in record.findings)
        return record

    def redirect_offsite(self, page: Page):
        """``redirect_offsite`` when the HTTP redirects end on another site than the one asked for."""
        result = page.result
        if not result.redirects:
            return
        start, end = host_of(page.url), host_of(result.final_url)
        if site_of(start) == site_of(end):
            return
        baseline = self.baseline(page.url)
        if baseline is not None and site_of(host_of(baseline.url)) == site_of(end):
            return  # the page already went there when it was judged good
        if lexicon.score(lexicon.url_hits(result.final_url)) >= lexicon.SPAM_SCORE:
            severity = "critical"
        elif baseline is not None:
            severity = "high"
        else:
            severity = "medium" if is_unrelated(end, start) else "low"
        self.findings.append(_finding(
            "redirect_offsite", severity, N_("The page redirects to another site: %(target)s"),
            {"target": result.final_url}, url=page.url, signal="http_redirect",
            chain=[f"{status} {url}" for status, url in result.redirects] + [f"{result.status} {result.final_url}"]))

    # --- deep extras ----------------------------------------------------------------------------------

    async def probe(self, page: Page, record=None):
        """Cloaking: the page again as Googlebot and with a search-engine referer (``record``: the page's
        ``PageRecord``, whose features, if parsed in this check, spare a second parse)."""
        googlebot, referer = await asyncio.gather(self.fetch(page.url, googlebot=True),
                                                  self.fetch(page.url, referer=True))
        failed = [(label, p) for label, p in (("Googlebot", googlebot), ("search-engine referer", referer))
                  if p.result is None]
        for label, p in failed:
            self.findings.append(_finding(
                "cloaking", "info", N_("The %(variant)s probe could not be fetched: %(error)s"),
                {"variant": label, "error": p.error.message}, url=page.url, signal="probe_failed",
                variant=label, error_kind=p.error.kind))
        if failed:
            return
        result = page.result
        try:
            found = await self.analyser.cloaking(
                page.url, *((r.status, r.final_url, r.body, r.charset) for r in (result, googlebot.result, referer.result)),
                features=record.features if record is not None else None,
                stable=record.stable if record is not None else None, clock=self.clock)
        except Exception as exc:
            log.exception("cloaking comparison of %s failed", page.url)
            self.errors.append(f"cloaking of {page.url}: {type(exc).__name__}: {exc}")
            return
        host = host_of(result.final_url)
        self.findings.extend(kinds.from_analysis(f, page.url, host) for f in found)

    async def subpage(self, url: str, *, probe: bool):
        page = await self.fetch(url)
        failure = page.failure()
        if failure is not None:
            signal, message = failure
            self.findings.append(_finding(
                "down", "low", N_("A sub-page could not be read: %(error)s"), {"error": message},
                url=url, signal=signal if signal.startswith("http_") else f"subpage_{signal}",
                error_kind=signal, error=message))
            return
        record = await self.analyse(page)
        if record is not None and probe:
            await self.probe(page, record)

    async def sitemap_sample(self, home: Page, count: int, exclude):
        final = home.result.final_url
        sites = sitemap.sites_of(self.url, final)
        try:
            urls = await sitemap.sitemap_urls(self.session, final, self.options, sites=sites, verify=self.verify)
        except Exception as exc:
            log.exception("sitemap of %s failed", self.url)
            self.errors.append(f"sitemap: {type(exc).__name__}: {exc}")
            return
        chosen = sitemap.sample(urls, count, exclude=exclude, seed=self.options.sample_seed)
        await self.gather([self.subpage(u, probe=self.options.cloak_subpages) for u in chosen])


def subpage_urls(home_url: str, subpages) -> list[str]:
    """The configured sub-pages (paths or URLs) as URLs of the home page's site, without repeats."""
    sites = sitemap.sites_of(home_url)
    out = []
    for entry in subpages or ():
        url = urljoin(home_url, str(entry).strip())
        if url != home_url and url not in out and sitemap.same_site(url, sites):
            out.append(url)
    return out


async def check_site(session, url, *, baselines: dict | None = None, previous_dns: dict | None = None,
                     subpages=(), sitemap_sample: int = 0, deep: bool = True, options: CheckOptions | None = None,
                     dns_resolver=None, analyser: PageAnalyser | None = None, previous_analyses: dict | None = None,
                     baseline_keys: dict | None = None, clock=None, baseline_loader=None) -> CheckResult:
    """One full check of the site at ``url`` through ``session`` (a ``guarded_session()``).

    ``baselines`` maps page URLs (as requested: the home URL, sub-page URLs, sitemap URLs) to the
    ``PageFeatures`` (or its dict) of the last good version; ``previous_dns`` is the last
    ``CheckResult.dns``; ``dns_resolver`` a ``checking.dns.DnsLookup`` (default: the process-wide one).
    ``deep=False`` checks the home page only (DNS from the cache); ``deep=True`` adds the cloaking
    probes, ``subpages`` and ``sitemap_sample`` URLs of the sitemap, and asks DNS afresh.

    ``analyser`` runs the page analysis (default: inline); ``previous_analyses`` maps page URLs to the
    ``PageRecord`` JSON of the previous check and ``baseline_keys`` page URLs to an identity of their
    baseline (the engine: the baseline snapshot's id): a page with the same bytes and the same baseline key
    reuses its previous analysis. ``clock`` (with ``pause()``/``resume()``) is paused while a page waits for
    and is in analysis. ``baseline_loader`` (a coroutine function: URL → features or None) loads the baseline
    of a URL that has a key in ``baseline_keys`` but none in ``baselines``, only when it is needed: the page's
    bytes are not those of its previous analysis, or it was redirected.
    ``CheckResult.analyses`` holds this check's records.
    """
    options = options or DEFAULT_OPTIONS
    lookup = dns_resolver or dns_checks.default_lookup()
    check = _Check(session, url, baselines=baselines, options=options, deep=deep, analyser=analyser,
                   previous=previous_analyses, baseline_keys=baseline_keys, clock=clock,
                   baseline_loader=baseline_loader)
    home, dns_answers = await asyncio.gather(check.fetch(url), check.dns(lookup, host_of(url)))
    check.findings.extend(dns_checks.compare(previous_dns, dns_answers, url))

    result = home.result
    tls_days_left = check.tls(home) if result is not None else None
    failure = home.failure()
    if failure is not None:
        signal, message = failure
        severity = "high" if signal.startswith("http_4") else "critical"
        evidence = {"error_kind": signal, "error": message}
        if result is not None:
            evidence["http_status"] = result.status
        check.findings.append(_finding("down", severity, N_("The home page is down: %(error)s"), {"error": message},
                                       url=url, signal=signal, **evidence))
    else:
        record = await check.analyse(home)
        if deep:
            extra = subpage_urls(url, subpages)
            jobs = [check.subpage(u, probe=options.cloak_subpages) for u in extra]
            if record is not None:
                jobs.append(check.probe(home, record))
            if sitemap_sample > 0:
                jobs.append(check.sitemap_sample(home, sitemap_sample, exclude={url, result.final_url, *extra}))
            await check.gather(jobs)

    findings = kinds.sort_findings(check.findings)
    error_kind, error_message = "", ""
    if failure is not None:
        error_kind, error_message = failure[0], failure[1][:500]
    elif check.errors:
        error_message = "; ".join(check.errors)[:500]  # the size of Check.error_message
    return CheckResult(
        url=url,
        final_url=result.final_url if result is not None else (home.error.url if home.error else url),
        http_status=result.status if result is not None else None,
        latency_ms=round(result.elapsed_ms) if result is not None else None,
        tls_days_left=tls_days_left,
        verdict=kinds.verdict(findings, home_down=failure is not None),
        findings=findings,
        error_kind=error_kind,
        error_message=error_message,
        redirects=home.redirects,
        dns=dns_answers,
        pages=check.pages,
        deep=deep,
        analyses=check.analyses,
    )
