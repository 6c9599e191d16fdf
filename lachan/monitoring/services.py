"""The only writers of the website watch's state: what a check result does to a site and its alerts, and
what operators do with alerts (every user action audited with ``acting_as``).

Availability (``status``): a failed check (verdict ``down``) counts ``consecutive_failures``; the site
turns DOWN after ``MONITOR_DOWN_CONFIRMATIONS`` in a row, which opens a ``down`` alert CONFIRMED at once
(and a notice); the first good check after that resolves it (and a recovery notice). A good check is
DEGRADED when the home page took more than ``MONITOR_SLOW_MS`` or a sub-page failed, else UP.

Findings: one alert per (site, kind, page URL). First sight → SUSPECTED and an early re-check
(``MONITOR_RECHECK_SECONDS``); seen again → CONFIRMED (and a notice); a critical finding is CONFIRMED at
first sight. An open alert not seen by a check that covers it (the same page fetched; cloaking and
sub-pages need a deep check; nothing is covered while the site is down) → RESOLVED (and a recovery notice
when its opening was notified). A FALSE_POSITIVE alert's ``signature`` — a hash of kind, page and the
stable part of the evidence (text and lists, normalised like the page text; numbers dropped) — keeps
the same evidence from being raised again on that site.

``dns_changed`` compares with ``WatchedSite.dns_answers``: while such an alert is only suspected the
stored answers are kept, so the re-check sees the change again and confirms it; then the new answers
become the reference and the alert resolves on the next check (no recovery notice: nothing recovered).

Every transition writes a ``SiteEvent``. Notices are sent by a background job (``tasks.send_alert_notices``)
after the transaction commits; ``notify.py`` claims each notice once. The opening notice of an attack
(``escalation.AUTO_INCIDENT_KINDS``) opens its incident, and an incident or a critical alert pages the on-duty
person (``escalation.py``).
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.choices import WRITE_ROLES, Role
from lachan.core.audit import acting_as
from lachan.core.scope import VIEW, user_role

from .analysis.similarity import normalise
from .choices import OPEN_ALERT_STATES, AlertState, EventKind, FindingKind, Severity, SiteStatus, Verdict
from .models import Alert, SiteEvent, Snapshot, WatchedSite

SEVERITY_RANK = {s.value: i for i, s in enumerate(Severity)}  # critical 0 … info 4
# Kinds whose alerts a new baseline settles (the page content is what they judge).
CONTENT_KINDS = frozenset({FindingKind.DEFACEMENT, FindingKind.GAMBLING_INJECTION, FindingKind.HIDDEN_LINKS,
                           FindingKind.NEW_OUTBOUND_LINKS, FindingKind.NEW_IFRAME, FindingKind.MALICIOUS_SCRIPT,
                           FindingKind.REDIRECT_OFFSITE})
DEEP_ONLY_KINDS = frozenset({FindingKind.CLOAKING})
QUIET_RESOLVE_KINDS = frozenset({FindingKind.DNS_CHANGED})  # resolved without a recovery notice
ALERT_MIN_SEVERITY = Severity.LOW  # info findings (a failed cloaking probe …) open no alert
NOTIFY_MIN_SEVERITY = Severity.MEDIUM  # low alerts are shown on the board, never e-mailed
NOTIFIED_SEVERITIES = tuple(s.value for s in Severity if SEVERITY_RANK[s.value] <= SEVERITY_RANK[NOTIFY_MIN_SEVERITY])
# Who may act on alerts: the writers of the unit plus the on-duty operator.
ALERT_ROLES = frozenset(WRITE_ROLES) | {Role.OPERATOR}
# Alert kind → incident type (keys of the incidents taxonomy).
INCIDENT_TYPES = {
    FindingKind.DEFACEMENT: "defacement",
    FindingKind.MALICIOUS_SCRIPT: "malware",
    FindingKind.NEW_IFRAME: "malware",
    FindingKind.GAMBLING_INJECTION: "intrusion",
    FindingKind.HIDDEN_LINKS: "intrusion",
    FindingKind.NEW_OUTBOUND_LINKS: "intrusion",
    FindingKind.CLOAKING: "intrusion",
    FindingKind.REDIRECT_OFFSITE: "intrusion",
    FindingKind.DNS_CHANGED: "intrusion",
    FindingKind.DOWN: "other",  # an outage alone is no attack (the taxonomy's DDoS is a cause, not a symptom)
}


def setting(name, default):
    return getattr(settings, name, default)


# --- signatures ----------------------------------------------------------------------------------------


def _stable(value):
    if isinstance(value, str):
        return " ".join(normalise(value).split())
    if isinstance(value, dict):
        inner = {k: _stable(v) for k, v in sorted(value.items())}
        return {k: v for k, v in inner.items() if v not in (None, "", [], {})}
    if isinstance(value, list | tuple):
        items = [_stable(v) for v in value]
        return sorted((v for v in items if v not in (None, "", [], {})), key=lambda v: json.dumps(v, sort_keys=True))
    return None  # numbers (similarities, counts) change from one check to the next


def finding_signature(kind, url, evidence):
    """SHA-256 of the kind, the page and the stable part of the evidence (see the module docstring)."""
    payload = json.dumps([str(kind), url or "", _stable(evidence or {})], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# --- applying a check result ---------------------------------------------------------------------------


@dataclass
class SiteContext:
    """What evaluating a result needs besides the site: its open alerts and its suppressed signatures."""

    open_alerts: dict = field(default_factory=dict)  # (kind, url) → Alert
    suppressed: set = field(default_factory=set)  # signatures of false positives


def load_contexts(site_ids):
    """``{site_id: SiteContext}`` in two queries whatever the number of sites."""
    contexts = {pk: SiteContext() for pk in site_ids}
    for alert in Alert.objects.filter(site_id__in=site_ids, state__in=OPEN_ALERT_STATES):
        contexts[alert.site_id].open_alerts[(alert.kind, alert.url)] = alert
    for site_id, signature in (Alert.objects.filter(site_id__in=site_ids, state=AlertState.FALSE_POSITIVE)
                               .exclude(signature="").values_list("site_id", "signature")):
        contexts[site_id].suppressed.add(signature)
    return contexts


@dataclass
class Outcome:
    """What evaluating one result decided (the site's fields are already changed in memory)."""

    events: list = field(default_factory=list)  # unsaved SiteEvent rows
    notify: list = field(default_factory=list)  # alert ids whose notice (opening or recovery) is due
    recheck: bool = False  # check again after MONITOR_RECHECK_SECONDS
    keep_dns: bool = False  # do not store the new DNS answers yet


def _rank(severity):
    return SEVERITY_RANK.get(severity, 9)


def _notify(alert, outcome):
    if alert.kind == FindingKind.DOWN or _rank(alert.severity) <= _rank(NOTIFY_MIN_SEVERITY):
        outcome.notify.append(alert.pk)


def _event(site, now, kind, message, alert=None, user=None, **data):
    return SiteEvent(site=site, at=now, kind=kind, alert=alert, user=user, message=str(message)[:500], data=data)


def _merged(findings, home):
    """``{(kind, url): finding}``: the most severe finding of each kind per page (``down`` left out)."""
    merged = {}
    for finding in findings:
        if finding.kind == FindingKind.DOWN or _rank(finding.severity) > _rank(ALERT_MIN_SEVERITY):
            continue
        key = (finding.kind, finding.url or home)
        best = merged.get(key)
        if best is None or _rank(finding.severity) < _rank(best.severity):
            merged[key] = finding
    return merged


def _set_status(site, status, now, outcome):
    if site.status == status:
        return
    outcome.events.append(_event(site, now, EventKind.STATUS_CHANGED, f"{site.status} → {status}",
                                 before=site.status, after=status))
    site.status, site.status_since = status, now


def _covered(alert, result, down):
    if down:
        return False
    if alert.kind in DEEP_ONLY_KINDS and not result.deep:
        return False
    pages = result.pages or {}
    return alert.url in ("", result.url, result.final_url) or alert.url in pages


def _resolve(alert, now, outcome, message, user=None):
    alert.state, alert.resolved_at = AlertState.RESOLVED, now
    alert.save(update_fields=["state", "resolved_at"])
    outcome.events.append(_event(alert.site, now, EventKind.ALERT_RESOLVED, message, alert=alert, user=user))
    if alert.notified_at is not None and alert.kind not in QUIET_RESOLVE_KINDS:
        outcome.notify.append(alert.pk)


def _availability(site, result, now, check, context, outcome):
    down_key = (FindingKind.DOWN, "")
    down_alert = context.open_alerts.get(down_key)
    if result.verdict == Verdict.DOWN:
        site.consecutive_failures += 1
        needed = max(1, setting("MONITOR_DOWN_CONFIRMATIONS", 3))
        if site.consecutive_failures >= needed:
            _set_status(site, SiteStatus.DOWN, now, outcome)
            if down_alert is None:
                reason = f"{result.error_kind}: {result.error_message}" if result.error_kind else \
                    f"HTTP {result.http_status}"
                down_alert = Alert.objects.create(
                    site=site, kind=FindingKind.DOWN, url="", severity=Severity.HIGH, state=AlertState.CONFIRMED,
                    summary=_("The site did not answer %(n)d checks in a row (%(reason)s).")
                    % {"n": site.consecutive_failures, "reason": reason[:300]},
                    evidence={"error_kind": result.error_kind, "error": result.error_message[:500],
                              "http_status": result.http_status, "failures": site.consecutive_failures},
                    signature=finding_signature(FindingKind.DOWN, "", {}), opened_at=now, confirmed_at=now,
                    last_seen_at=now, first_check=check)
                context.open_alerts[down_key] = down_alert
                outcome.events.append(_event(site, now, EventKind.ALERT_CONFIRMED, down_alert.summary,
                                             alert=down_alert))
                outcome.notify.append(down_alert.pk)
            else:
                down_alert.last_seen_at = now
                down_alert.save(update_fields=["last_seen_at"])
        else:
            outcome.recheck = True  # confirm (or clear) the failure soon
        return
    site.consecutive_failures = 0
    slow = result.latency_ms is not None and result.latency_ms > setting("MONITOR_SLOW_MS", 5000)
    broken_page = any(f.kind == FindingKind.DOWN for f in result.findings)
    _set_status(site, SiteStatus.DEGRADED if slow or broken_page else SiteStatus.UP, now, outcome)
    if down_alert is not None:
        del context.open_alerts[down_key]
        _resolve(down_alert, now, outcome, _("The site answers again (HTTP %(status)s).")
                 % {"status": result.http_status})


def _findings(site, result, now, check, context, outcome):
    down = result.verdict == Verdict.DOWN
    home = result.url
    seen = set()
    for key, finding in _merged(result.findings, home).items():
        kind, url = key
        signature = finding_signature(kind, url, finding.evidence)
        if signature in context.suppressed:
            continue
        seen.add(key)
        alert = context.open_alerts.get(key)
        critical = finding.severity == Severity.CRITICAL
        if alert is None:
            state = AlertState.CONFIRMED if critical else AlertState.SUSPECTED
            alert = Alert.objects.create(
                site=site, kind=kind, url=url[:2000], severity=finding.severity, state=state,
                summary=finding.summary[:500], evidence=finding.evidence, signature=signature, opened_at=now,
                confirmed_at=now if critical else None, last_seen_at=now, first_check=check)
            context.open_alerts[key] = alert
            outcome.events.append(_event(site, now, EventKind.ALERT_OPENED, alert.summary, alert=alert,
                                         severity=finding.severity))
            if critical:
                outcome.events.append(_event(site, now, EventKind.ALERT_CONFIRMED, alert.summary, alert=alert))
                _notify(alert, outcome)
            else:
                outcome.recheck = True
                if kind in DEEP_ONLY_KINDS or url not in (home, result.final_url):
                    site.deep_next = True
            if kind == FindingKind.DNS_CHANGED and not critical:
                outcome.keep_dns = True
            continue
        alert.last_seen_at = now
        alert.summary, alert.evidence, alert.signature = finding.summary[:500], finding.evidence, signature
        if _rank(finding.severity) < _rank(alert.severity):
            alert.severity = finding.severity
        if alert.state == AlertState.SUSPECTED:
            alert.state, alert.confirmed_at = AlertState.CONFIRMED, now
            outcome.events.append(_event(site, now, EventKind.ALERT_CONFIRMED, alert.summary, alert=alert))
        if alert.state in (AlertState.CONFIRMED, AlertState.ACKNOWLEDGED) and alert.notified_at is None:
            _notify(alert, outcome)  # confirmed now, or raised to a severity worth a notice
        alert.save(update_fields=["last_seen_at", "summary", "evidence", "signature", "severity", "state",
                                  "confirmed_at"])
    for key, alert in list(context.open_alerts.items()):
        if key[0] == FindingKind.DOWN or key in seen or not _covered(alert, result, down):
            continue
        del context.open_alerts[key]
        _resolve(alert, now, outcome, _("No longer seen on %(url)s.") % {"url": alert.url or home})


def evaluate(site, result, *, now, check=None, context=None):
    """Apply one check result to ``site`` (fields changed in memory, alerts written) → ``Outcome``.

    The caller saves the site and ``outcome.events`` (the engine's writer does both in bulk);
    ``record_result`` is the one-site form that does it all."""
    if context is None:
        context = load_contexts([site.pk])[site.pk]
    outcome = Outcome()
    site.check_count += 1
    site.last_checked_at = now
    site.verdict = result.verdict
    site.last_http_status = result.http_status
    site.last_latency_ms = result.latency_ms
    site.last_error = (f"{result.error_kind}: {result.error_message}" if result.error_kind else "")[:500]
    site.final_url = (result.final_url or "")[:2000]
    site.tls_days_left = result.tls_days_left
    if result.deep:
        site.deep_next = False
    _availability(site, result, now, check, context, outcome)
    _findings(site, result, now, check, context, outcome)
    if result.dns and not outcome.keep_dns and not any(
            a.kind == FindingKind.DNS_CHANGED and a.state == AlertState.SUSPECTED for a in context.open_alerts.values()):
        site.dns_answers = result.dns
    return outcome


SITE_RESULT_FIELDS = ["check_count", "last_checked_at", "verdict", "last_http_status", "last_latency_ms",
                      "last_error", "final_url", "tls_days_left", "deep_next", "consecutive_failures", "status",
                      "status_since", "dns_answers", "next_check_at", "page_hashes"]


def next_check_time(site, now, *, recheck=False):
    """``now`` + the interval ± a jitter fixed per site (``MONITOR_JITTER`` of the interval); a re-check
    after ``MONITOR_RECHECK_SECONDS`` when asked (never later than the regular time)."""
    interval = max(1, site.interval_seconds)
    fraction = setting("MONITOR_JITTER", 0.1)
    # deterministic per site: spreads sites added together over the interval, the same every time
    spread = (int(hashlib.blake2b(str(site.pk).encode(), digest_size=4).hexdigest(), 16) / 0xFFFFFFFF) * 2 - 1
    regular = now + timedelta(seconds=interval * (1 + fraction * spread))
    if recheck:
        return min(regular, now + timedelta(seconds=setting("MONITOR_RECHECK_SECONDS", 60)))
    return regular


def after_commit_notify(alert_ids):
    """Enqueue the notices of ``alert_ids`` once the current transaction commits."""
    if not alert_ids:
        return
    ids = sorted(set(alert_ids))

    def enqueue():
        from .tasks import send_alert_notices

        send_alert_notices.enqueue(ids)

    transaction.on_commit(enqueue)


def record_result(site, result, *, now=None, check=None):
    """Apply one ``CheckResult`` to ``site`` and save everything (site, alerts, events, next check time);
    returns the ``Outcome``. The engine's writer does the same for a batch at once."""
    now = now or timezone.now()
    with transaction.atomic():
        outcome = evaluate(site, result, now=now, check=check)
        site.next_check_at = next_check_time(site, now, recheck=outcome.recheck)
        site.claimed_by, site.claimed_until = "", None
        site.save(update_fields=[*SITE_RESULT_FIELDS, "claimed_by", "claimed_until"])
        SiteEvent.objects.bulk_create(outcome.events)
        after_commit_notify(outcome.notify)
    return outcome


# --- user actions ---------------------------------------------------------------------------------------


def _require(user, obj, message):
    """``user`` may act on ``obj``: sees it and has a role that may act on alerts."""
    if user is None:
        return
    if user_role(user) not in ALERT_ROLES or not type(obj).objects.restrict(user, VIEW).filter(pk=obj.pk).exists():
        raise ValidationError(message)


def _locked(alert):
    return Alert.objects.select_for_update().select_related("site").get(pk=alert.pk)


def alert_acknowledge(alert, *, by, note=""):
    """An operator takes a suspected or confirmed alert (it stays open until the condition is gone); the on-duty
    paging of the alert and of its incident stops (``escalation.acknowledge_alert``)."""
    _require(by, alert, _("You may not act on this alert."))
    with transaction.atomic(), acting_as(by):
        alert = _locked(alert)
        if alert.state not in (AlertState.SUSPECTED, AlertState.CONFIRMED):
            raise ValidationError(_("Only a suspected or confirmed alert can be acknowledged (this one is %(state)s).")
                                  % {"state": alert.get_state_display()})
        now = timezone.now()
        alert.state, alert.acknowledged_at, alert.acknowledged_by = AlertState.ACKNOWLEDGED, now, by
        if note:
            alert.note = note
        alert.save()
        SiteEvent.objects.create(site=alert.site, at=now, kind=EventKind.ALERT_ACKNOWLEDGED, alert=alert, user=by,
                                 message=(note or alert.summary)[:500])
        transaction.on_commit(lambda: _stop_paging(alert, by, note))
    return alert


def _stop_paging(alert, by, note):
    from .escalation import acknowledge_alert

    acknowledge_alert(alert, by, note=note)


def alert_false_positive(alert, *, by, note):
    """The finding is wrong: the alert closes and the same evidence is not raised again on this site."""
    _require(by, alert, _("You may not act on this alert."))
    if not (note or "").strip():
        raise ValidationError({"note": _("Say why this is a false positive.")})
    with transaction.atomic(), acting_as(by):
        alert = _locked(alert)
        if alert.state not in OPEN_ALERT_STATES:
            raise ValidationError(_("Only an open alert can be marked as a false positive (this one is %(state)s).")
                                  % {"state": alert.get_state_display()})
        if alert.kind == FindingKind.DOWN:
            raise ValidationError(_("An outage cannot be marked as a false positive; acknowledge it instead."))
        now = timezone.now()
        alert.state, alert.resolved_at, alert.note = AlertState.FALSE_POSITIVE, now, note.strip()
        if not alert.signature:
            alert.signature = finding_signature(alert.kind, alert.url, alert.evidence)
        alert.save()
        SiteEvent.objects.create(site=alert.site, at=now, kind=EventKind.FALSE_POSITIVE, alert=alert, user=by,
                                 message=note.strip()[:500])
    return alert


def baseline_accept(site, *, by, url=None):
    """The latest snapshot of ``url`` (default: the site's final URL, else its address) becomes the
    baseline; the site's open content alerts (defacement, injection …) on that page are resolved."""
    _require(by, site, _("You may not change this site."))
    url = url or site.final_url or site.website.url
    with transaction.atomic(), acting_as(by):
        snapshot = Snapshot.objects.select_for_update().filter(site=site, url=url).order_by("-taken_at", "-pk").first()
        if snapshot is None:
            raise ValidationError(_("No page of %(url)s has been kept yet; wait for a check.") % {"url": url})
        now = timezone.now()
        for old in Snapshot.objects.filter(site=site, url=url, is_baseline=True).exclude(pk=snapshot.pk):
            old.is_baseline = False
            old.save(update_fields=["is_baseline"])
        snapshot.is_baseline, snapshot.accepted_by = True, by
        snapshot.save(update_fields=["is_baseline", "accepted_by"])
        outcome = Outcome()
        SiteEvent.objects.create(site=site, at=now, kind=EventKind.BASELINE_ACCEPTED, user=by, message=url[:500],
                                 data={"snapshot": snapshot.pk})
        for alert in Alert.objects.select_for_update().filter(site=site, url=url, kind__in=CONTENT_KINDS,
                                                              state__in=OPEN_ALERT_STATES):
            alert.site = site
            _resolve(alert, now, outcome, _("The current page was accepted as the baseline."), user=by)
        SiteEvent.objects.bulk_create(outcome.events)
        after_commit_notify(outcome.notify)
    return snapshot


def site_recheck_now(site, *, by):
    """Check the site (deeply) as soon as a monitor is free."""
    _require(by, site, _("You may not change this site."))
    if not site.enabled:
        raise ValidationError(_("Monitoring of this site is disabled; enable it first."))
    with transaction.atomic(), acting_as(by):
        site.next_check_at, site.deep_next = timezone.now(), True
        site.save(update_fields=["next_check_at", "deep_next"])
    return site


def alert_incident_payload(alert):
    """What the incidents capability needs to open an incident from this alert (``incident_from_alert``)."""
    site = alert.site
    website = site.website
    description = _("%(kind)s on %(url)s: %(summary)s") % {
        "kind": alert.get_kind_display(), "url": alert.url or website.url, "summary": alert.summary}
    return {
        "title": f"{alert.get_kind_display()} — {website.name or website.url}"[:300],
        "unit": website.unit,
        "system": website.system,
        "detected_at": alert.opened_at,
        "type": INCIDENT_TYPES.get(alert.kind, "other"),
        "description": description,
        "evidence": {"alert": alert.pk, "site": site.pk, "website": website.url, "url": alert.url,
                     "kind": alert.kind, "severity": alert.severity, "state": alert.state,
                     "opened_at": alert.opened_at.isoformat(), "details": alert.evidence},
        "severity": alert.severity,
        "source": "monitor",
        "source_ref": f"monitoring.alert:{alert.pk}",
    }


def watch_missing_websites(now=None):
    """A ``WatchedSite`` for every monitored website that has none (the engine calls it before claiming;
    a website added through the UI or an import is thus watched within one claim round). Returns how many."""
    from lachan.inventory.models import Website

    missing = Website.objects.filter(monitored=True, watch__isnull=True).values_list("pk", flat=True)
    rows = [WatchedSite(website_id=pk, interval_seconds=setting("MONITOR_INTERVAL_SECONDS", 300)) for pk in missing]
    WatchedSite.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def open_alerts(site):
    return Alert.objects.filter(site=site, state__in=OPEN_ALERT_STATES)


__all__ = ["alert_acknowledge", "alert_false_positive", "alert_incident_payload", "baseline_accept", "evaluate",
           "finding_signature", "load_contexts", "next_check_time", "open_alerts", "record_result",
           "site_recheck_now", "watch_missing_websites"]
