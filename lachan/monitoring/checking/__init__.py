"""One full website check (issue 5): HTTP, TLS, DNS, defacement, injection, cloaking — for the monitor
engine (``check_site`` for every due site) and ``lachan monitor check URL``.

    async with guarded_session() as session:
        result = await check_site(session, url, baselines={url: features}, previous_dns=last_dns,
                                  subpages=["/tin-tuc"], sitemap_sample=3, deep=True)
    result.verdict            # "ok" | "suspicious" | "compromised" | "down"
    result.to_json()          # the JSON of `lachan monitor check --json`

Kinds, mapping from the page analysis and verdict rules: ``kinds.py``. Page fetching: ``http.py``
(through ``lachan.core.outbound``); DNS: ``dns.py``; sitemap: ``sitemap.py``; the check: ``site.py``.
"""

from .dns import DnsLookup, default_lookup
from .kinds import CONTENT_KINDS, KINDS, SEVERITIES, verdict
from .options import CheckOptions
from .result import VERDICTS, CheckFinding, CheckResult
from .site import check_site

__all__ = ["CONTENT_KINDS", "KINDS", "SEVERITIES", "VERDICTS", "CheckFinding", "CheckOptions", "CheckResult",
           "DnsLookup", "check_site", "default_lookup", "verdict"]
