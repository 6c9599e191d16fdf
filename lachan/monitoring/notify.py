"""E-mail notices of website alerts: one when an alert is confirmed (a critical one at first sight), one when a
notified alert is resolved (recovery).

Recipients: the unit's security focal point(s) and its on-duty contact(s) (``recipients_for`` reaches a unit
without contacts through its nearest ancestor that has some). Written in Vietnamese
(``templates/monitoring/email/*.txt``). Evidence comes from hostile pages: it goes into the plain-text body
only, with control characters removed, and its web addresses defanged (``hxxp://example[.]com``) so that no
mail client turns them into links.

Each notice is claimed once with a conditional UPDATE of ``Alert.notified_at`` (``recovery_notified_at``)
from NULL to now, so two workers — or the job and the periodic sweep — never send it twice. The claimed notice
goes to the notification framework (``lachan.notify.services.send``, event ``monitoring.alert:<id>`` or
``monitoring.recovery:<id>``): one delivery per address in the delivery log, sent by the worker and retried
there. Only when handing it over fails is the field put back to NULL, for the sweep
(``tasks.send_pending_notices``) to try again.

The opening notice also runs ``escalation.on_confirmed``: the incident of an attacked site and the on-duty page.
"""

import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from lachan.notify import services as notify_services
from lachan.notify.addresses import parse_address
from lachan.organizations.selectors import FOCAL_ROLE, ON_DUTY_ROLE, recipients_for

from .choices import AlertState, EventKind, FindingKind
from .models import Alert, SiteEvent
from .services import NOTIFIED_SEVERITIES, QUIET_RESOLVE_KINDS

logger = logging.getLogger("lachan.monitoring")

OPENING, RECOVERY = "opening", "recovery"
EVIDENCE_LINES_MAX = 40
_URL = re.compile(r"\b(https?)://([^\s/?#]+)", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def defang(text):
    """``http://cado.example/x`` → ``hxxp://cado[.]example/x`` (and control/bidi characters removed)."""
    text = _CONTROL.sub(" ", str(text))
    return _URL.sub(lambda m: m.group(1).lower().replace("tt", "xx", 1) + "://" + m.group(2).replace(".", "[.]"),
                    text)


def evidence_lines(evidence, prefix=""):
    """The evidence dict as indented plain-text lines (lists one item a line, at most EVIDENCE_LINES_MAX)."""
    lines = []
    for key, value in (evidence or {}).items():
        if isinstance(value, dict):
            lines.append(f"{prefix}{key}:")
            lines.extend(evidence_lines(value, prefix + "  "))
        elif isinstance(value, list | tuple):
            lines.append(f"{prefix}{key}:")
            for item in value:
                if isinstance(item, dict):
                    item = " · ".join(str(v) for v in item.values() if v not in (None, ""))
                lines.append(f"{prefix}  - {defang(item)}")
        elif value not in (None, ""):
            lines.append(f"{prefix}{key}: {defang(value)}")
    if len(lines) > EVIDENCE_LINES_MAX:
        lines = [*lines[:EVIDENCE_LINES_MAX], f"{prefix}…"]
    return lines


def recipients(unit):
    """``(emails, via)``: the unit's focal points and on-duty contacts, each reached as ``recipients_for`` does
    (a malformed address in a contact is left out, with a warning)."""
    emails, via = [], None
    for role in (FOCAL_ROLE, ON_DUTY_ROLE):
        found, found_via = recipients_for(unit, (role,))
        for email in found:
            if email in emails:
                continue
            try:
                parse_address(email)
            except ValidationError:
                logger.warning("unit %s: contact address %r is not an e-mail address; left out", unit, email)
                continue
            emails.append(email)
        via = via or found_via
    return emails, via


def _worth_notice():
    return Q(severity__in=NOTIFIED_SEVERITIES) | Q(kind=FindingKind.DOWN)


def _claim(alert_id, which):
    now = timezone.now()
    rows = Alert.objects.filter(pk=alert_id)
    if which == OPENING:
        rows = rows.filter(_worth_notice(), notified_at__isnull=True, confirmed_at__isnull=False,
                           state__in=[AlertState.CONFIRMED, AlertState.ACKNOWLEDGED])
        return rows.update(notified_at=now) == 1
    rows = rows.filter(state=AlertState.RESOLVED, notified_at__isnull=False, recovery_notified_at__isnull=True
                       ).exclude(kind__in=QUIET_RESOLVE_KINDS)
    return rows.update(recovery_notified_at=now) == 1


def _unclaim(alert_id, which):
    field = "notified_at" if which == OPENING else "recovery_notified_at"
    Alert.objects.filter(pk=alert_id).update(**{field: None})


def _context(alert, which, via):
    website = alert.site.website
    resolved_by = ""
    if which == RECOVERY:
        event = (SiteEvent.objects.filter(alert=alert, kind=EventKind.ALERT_RESOLVED).select_related("user")
                 .order_by("-at", "-pk").first())
        resolved_by = event.message if event else ""
    return {
        "alert": alert, "site": alert.site, "website": website, "unit": website.unit, "via": via,
        "kind": alert.get_kind_display(), "severity": alert.get_severity_display(),
        "page": defang(alert.url or website.url), "address": defang(website.url),
        "summary": defang(alert.summary), "evidence": "\n".join(evidence_lines(alert.evidence)),
        "resolution": defang(resolved_by),
        "site_name": getattr(settings, "SITE_NAME", "Lá Chắn"),
    }


def render_notice(alert, which, via=None):
    """``(subject, body)`` of the notice in Vietnamese (the templates of ``monitoring/email/``)."""
    with translation.override("vi"):
        context = _context(alert, which, via)
        name = "alert" if which == OPENING else "recovery"
        subject = " ".join(render_to_string(f"monitoring/email/{name}_subject.txt", context).split())[:300]
        body = render_to_string(f"monitoring/email/{name}_body.txt", context)
    return subject, body


def _on_confirmed(alert):
    from .escalation import on_confirmed

    try:
        return on_confirmed(alert)
    except Exception:  # the notice still goes out; the sweep opens the incident later
        logger.exception("monitoring alert %s: incident or on-duty page failed", alert.pk)
        return None, None


def send_notice(alert_id, which):
    """Hand one notice (``OPENING`` or ``RECOVERY``) of an alert to the notification framework if it is due and
    nobody did; True if handed over. The opening notice first opens the incident and pages the on-duty person
    (``escalation.on_confirmed``)."""
    if not _claim(alert_id, which):
        return False
    alert = Alert.objects.select_related("site__website__unit", "site__website__system").get(pk=alert_id)
    unit = alert.site.website.unit
    incident, escalation = _on_confirmed(alert) if which == OPENING else (None, None)
    extra = {"incident": incident.pk if incident else None, "escalation": escalation.pk if escalation else None}
    emails, via = recipients(unit)
    if not emails:
        logger.warning("monitoring alert %s: unit %s and its ancestors have no contact to notify", alert_id, unit)
        SiteEvent.objects.create(site=alert.site, at=timezone.now(), kind=EventKind.NOTIFIED, alert=alert,
                                 message="no recipients", data={"notice": which, "recipients": [], **extra})
        return False
    subject, body = render_notice(alert, which, via)
    event_key = f"monitoring.{'alert' if which == OPENING else 'recovery'}:{alert.pk}"
    try:
        deliveries = notify_services.send(event_key, addresses=emails, subject=subject, body=body,
                                          severity=alert.severity, unit=unit)
    except Exception:
        logger.exception("monitoring alert %s: %s notice not handed over", alert_id, which)
        _unclaim(alert_id, which)
        return False
    SiteEvent.objects.create(site=alert.site, at=timezone.now(), kind=EventKind.NOTIFIED, alert=alert,
                             message=", ".join(emails)[:500],
                             data={"notice": which, "recipients": emails, "deliveries": [d.pk for d in deliveries],
                                   **extra})
    return True


def send_alert_notices(alert_ids):
    """Every notice due for these alerts (opening and/or recovery); returns how many were sent."""
    sent = 0
    for alert_id in alert_ids:
        for which in (OPENING, RECOVERY):
            sent += send_notice(alert_id, which)
    return sent


def pending_alert_ids():
    """Alerts whose opening or recovery notice is due but not sent (a lost job, a failed delivery)."""
    opening = Alert.objects.filter(_worth_notice(), notified_at__isnull=True, confirmed_at__isnull=False,
                                   state__in=[AlertState.CONFIRMED, AlertState.ACKNOWLEDGED])
    recovery = Alert.objects.filter(state=AlertState.RESOLVED, notified_at__isnull=False,
                                    recovery_notified_at__isnull=True).exclude(kind__in=QUIET_RESOLVE_KINDS)
    return sorted(set(opening.values_list("pk", flat=True)) | set(recovery.values_list("pk", flat=True)))
