"""What one website check returns: ``CheckResult`` with its ``CheckFinding`` list, and their JSON form.

``CheckResult.to_json()`` is the contract of ``lachan monitor check --json`` and of ``Check.findings``:
``{"url", "final_url", "http_status", "latency_ms", "tls_days_left", "verdict", "findings": [{"kind",
"severity", "evidence", "summary", "url", "signal"}], "checked_at"}`` plus ``"error": {"kind", "message"}``
when the home page could not be fetched. Evidence is plain text taken from hostile pages: whoever shows
it must escape it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

VERDICTS = ("ok", "suspicious", "compromised", "down")


@dataclass
class CheckFinding:
    """One finding of a check: ``kind`` is an issue kind (``kinds.KINDS``), ``signal`` the detail that
    produced it (the analysis kind such as ``title_changed``, or ``ns_changed``, ``http_500``, …).
    ``template % params`` is the summary to translate (``summary`` is its English text)."""

    kind: str
    severity: str
    summary: str
    evidence: dict
    url: str
    signal: str = ""
    template: str = ""
    params: dict = field(default_factory=dict)

    @property
    def rank(self) -> int:
        from .kinds import SEVERITIES

        return SEVERITIES.index(self.severity)

    def to_json(self) -> dict:
        return {"kind": self.kind, "severity": self.severity, "summary": self.summary,
                "evidence": self.evidence, "url": self.url, "signal": self.signal}


@dataclass
class CheckResult:
    """One full check of a site. ``pages`` maps each page URL fetched OK (as requested: the home URL,
    a sub-page, a sitemap URL) to its ``PageFeatures`` — what the engine keeps as baselines. ``dns`` holds
    the record types that were answered (``{"A": [...], "AAAA": [...], "NS": [...], "MX": [...]}``, each
    sorted; empty for an IP-literal host). ``pages`` holds only the pages parsed in this check: a page
    whose analysis was reused (same bytes, same baseline) is in ``analyses`` only."""

    url: str
    final_url: str
    http_status: int | None
    latency_ms: int | None
    tls_days_left: int | None
    verdict: str
    findings: list[CheckFinding]
    error_kind: str = ""
    error_message: str = ""
    redirects: list = field(default_factory=list)  # [{"status": 301, "url": "http://…"}] in order
    dns: dict = field(default_factory=dict)
    pages: dict = field(default_factory=dict)
    deep: bool = False
    analyses: dict = field(default_factory=dict)  # url → analyser.PageRecord (reused or made in this check)
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def to_json(self) -> dict:
        out = {
            "url": self.url,
            "final_url": self.final_url,
            "http_status": self.http_status,
            "latency_ms": self.latency_ms,
            "tls_days_left": self.tls_days_left,
            "verdict": self.verdict,
            "findings": [finding.to_json() for finding in self.findings],
            "checked_at": self.checked_at.isoformat(),
        }
        if self.error_kind:
            out["error"] = {"kind": self.error_kind, "message": self.error_message}
        return out
