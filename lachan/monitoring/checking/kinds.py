"""Finding kinds of a website check, how the page analysis maps onto them, and the verdict rules.

Kinds (``KINDS``; ``CheckFinding.signal`` keeps the detail):

* ``down`` — the home page gave no usable answer: a fetch error (``signal`` = the ``FetchError`` kind:
  ``timeout``, ``connect``, ``dns``, ``tls``, ``blocked``, ``too_many_redirects``, ``http``…; ``critical``)
  or an HTTP status ≥ 400 (``signal`` = ``http_<status>``): ≥ 500 ``critical``, 4xx ``high``. 401, 403
  and 429 count as down too: the public cannot read the home page, whatever the reason (a WAF blocking
  the monitor's address shows up here, with the status in the evidence, and is fixed by allowlisting the
  monitor). A sub-page that fails is a ``down`` finding of severity ``low`` for that URL
  (``signal`` = ``subpage_<kind>`` or ``http_<status>``), never the verdict ``down``.
* ``tls_invalid`` — certificate verification failed (self-signed, unknown issuer, wrong name: ``medium``;
  expired: ``high``). The page is fetched again without verification so that its content is still judged.
* ``tls_expiring`` — the certificate expires within ``MONITOR_TLS_WARN_DAYS`` days (default 14):
  ``medium``, ``high`` within 3 days.
* ``dns_changed`` — one finding per record type whose answers (as a set) differ from ``previous_dns``:
  NS ``high`` (``ns_changed``: the domain may have been hijacked), MX ``medium``, A/AAAA ``low``
  (addresses move with hosting and CDNs). A type that could not be resolved (timeout, SERVFAIL) is not
  compared.
* From the analysis (``lachan.monitoring.analysis``; severity kept): ``defacement_suspected``,
  ``defacement_confirmed``, ``title_changed``, ``defacement_marker`` → ``defacement``;
  ``gambling_injection`` → ``gambling_injection``; ``hidden_links`` → ``hidden_links``; ``cloaking`` →
  ``cloaking``; ``new_external_script`` and the analysis' own ``malicious_script`` → ``malicious_script``
  (a script only from public-sector sites is lowered to ``low``); ``new_iframe`` → ``malicious_script``
  when a frame's host is unrelated to the page (``sites.is_unrelated``), else kept as ``new_iframe``;
  ``redirect_injection`` (meta refresh / script redirect) → ``redirect_offsite``; ``new_outbound_links``
  kept. An analysis kind not listed here keeps its own name.
* ``redirect_offsite`` also comes from the HTTP redirect chain when it ends on another site
  (``sites.site_of`` differs): no finding when the baseline already ended on that site; ``critical`` when
  the target's URL carries gambling words; ``high`` when the baseline was on another site; without a
  baseline ``medium`` (``low`` when the target is a common platform or a public-sector site).
* ``cloaking`` with severity ``info`` and ``signal`` ``probe_failed``: a Googlebot/referer probe could not
  be fetched (nothing compared).

Verdict (``verdict()``), first match wins:

1. ``down`` — the home page is down (fetch error or status ≥ 400); content is then not judged.
2. ``compromised`` — a ``critical`` or ``high`` finding of a content kind (``CONTENT_KINDS``:
   defacement, gambling_injection, cloaking, malicious_script, hidden_links, redirect_offsite).
3. ``suspicious`` — a ``medium`` finding of a content kind; a ``medium``+ ``new_outbound_links`` or
   ``new_iframe``; ``tls_invalid``; a ``dns_changed`` of the NS records.
4. ``ok`` — anything else (``tls_expiring`` alone, A/AAAA/MX changes, low/info findings, failing
   sub-pages).

A page without a baseline is judged on its own content (markers, lexicon, hidden links, scripts,
redirects): the analysis does that when ``baseline`` is None.
"""

from __future__ import annotations

from lachan.monitoring.analysis.extract import host_of
from lachan.monitoring.analysis.sites import is_unrelated

from .result import CheckFinding

KINDS = (
    "down", "tls_expiring", "tls_invalid", "dns_changed", "defacement", "gambling_injection", "hidden_links",
    "cloaking", "malicious_script", "redirect_offsite", "new_outbound_links", "new_iframe",
)
SEVERITIES = ("critical", "high", "medium", "low", "info")  # most severe first, as the analysis
CONTENT_KINDS = frozenset({"defacement", "gambling_injection", "cloaking", "malicious_script", "hidden_links",
                           "redirect_offsite"})
WATCH_KINDS = frozenset({"new_outbound_links", "new_iframe"})  # suspicious at medium+, never compromised

ANALYSIS_KINDS = {
    "defacement_suspected": "defacement",
    "defacement_confirmed": "defacement",
    "title_changed": "defacement",
    "defacement_marker": "defacement",
    "gambling_injection": "gambling_injection",
    "hidden_links": "hidden_links",
    "new_outbound_links": "new_outbound_links",
    "new_external_script": "malicious_script",
    "malicious_script": "malicious_script",
    "new_iframe": "new_iframe",  # malicious_script when a frame's host is unrelated (see from_analysis)
    "redirect_injection": "redirect_offsite",
    "cloaking": "cloaking",
}


def _hosts(evidence) -> list[str]:
    hosts = []
    for item in evidence.get("links") or ():
        href = item.get("href", "") if isinstance(item, dict) else str(item)
        hosts.append(host_of(href))
    return [h for h in hosts if h]


def from_analysis(finding, url: str, page_host: str) -> CheckFinding:
    """The check finding for an ``analysis.Finding`` of the page ``url`` (whose host is ``page_host``)."""
    kind = ANALYSIS_KINDS.get(finding.kind, finding.kind)
    severity = finding.severity
    if finding.kind == "new_iframe":
        if any(is_unrelated(host, page_host) for host in _hosts(finding.evidence)):
            kind = "malicious_script"
    elif finding.kind == "new_external_script":
        hosts = _hosts(finding.evidence)
        if hosts and not any(is_unrelated(host, page_host) for host in hosts) and severity not in ("critical", "high"):
            severity = "low"
    return CheckFinding(kind=kind, severity=severity, summary=finding.summary, evidence=dict(finding.evidence),
                        url=url, signal=finding.kind, template=finding.template, params=dict(finding.params))


def verdict(findings, *, home_down: bool) -> str:
    """``ok`` | ``suspicious`` | ``compromised`` | ``down`` (see the module docstring)."""
    if home_down:
        return "down"
    suspicious = False
    for finding in findings:
        severity = finding.severity
        if finding.kind in CONTENT_KINDS:
            if severity in ("critical", "high"):
                return "compromised"
            if severity == "medium":
                suspicious = True
        elif _raises_suspicion(finding):
            suspicious = True
    return "suspicious" if suspicious else "ok"


def _raises_suspicion(finding) -> bool:
    if finding.kind in WATCH_KINDS:
        return finding.severity in ("critical", "high", "medium")
    return finding.kind == "tls_invalid" or (finding.kind == "dns_changed" and finding.signal == "ns_changed")


def sort_findings(findings: list[CheckFinding]) -> list[CheckFinding]:
    """Most severe first; stable for equal severities (the order they were found in)."""
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))
