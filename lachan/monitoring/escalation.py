"""The bridge from the website watch to incidents and the duty roster.

When an alert's opening notice is claimed (``notify.send_notice``, in the worker, right after the monitor
committed the confirmation) ``on_confirmed(alert)``:

1. opens an incident through ``incidents.services.incident_from_alert`` when the alert is of a kind that means
   the site was attacked (``AUTO_INCIDENT_KINDS``) and ``MONITOR_AUTO_INCIDENT`` is on. The incident's
   ``source_ref`` is ``monitoring.alert:<id>`` — the link both ways (``incident_of(alert)``; the incident
   names its alert). ``incident_from_alert`` gives back the open incident of the same ``source_ref``, so an
   alert opens one incident however often this runs;
2. pages the on-duty person through ``oncall.services.escalate`` with the escalation policy of the unit (its
   own, else its nearest ancestor's, else the coordinator desk's): for the incident (event ``incident:<id>``),
   or for a confirmed critical alert without an incident (event ``monitoring.alert:<id>``). Without any policy
   nobody is paged: the alert notice to the unit's focal points and on-duty contacts (sent in any case) is
   all there is.

Acknowledging stops the paging (``oncall.services.acknowledge``): ``acknowledge_alert`` (the operator's
"acknowledge" on the alert, ``services.alert_acknowledge``) and ``acknowledge_incident`` (the incident's first
move by a person; ``acknowledge_worked_incidents``, a periodic sweep, finds those moves on the incidents'
timelines). Each stops the escalations of both the alert and its incident.
"""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from .choices import FindingKind, Severity

logger = logging.getLogger("lachan.monitoring")

# Alert kinds that mean the site was attacked: confirmed, they open an incident by themselves.
AUTO_INCIDENT_KINDS = frozenset({FindingKind.DEFACEMENT, FindingKind.GAMBLING_INJECTION,
                                 FindingKind.MALICIOUS_SCRIPT, FindingKind.CLOAKING})
ALERT_PREFIX = "monitoring.alert:"
INCIDENT_PREFIX = "incident:"


def alert_ref(alert):
    """``monitoring.alert:<id>``: the incident's ``source_ref`` and the alert's escalation event."""
    return f"{ALERT_PREFIX}{getattr(alert, 'pk', alert)}"


def incident_key(incident):
    return f"{INCIDENT_PREFIX}{getattr(incident, 'pk', incident)}"


def alert_id_of(source_ref):
    """The alert id in a ``source_ref`` written by ``alert_ref`` (None for any other reference)."""
    if not (source_ref or "").startswith(ALERT_PREFIX):
        return None
    tail = source_ref[len(ALERT_PREFIX):]
    return int(tail) if tail.isdigit() else None


def auto_incident(alert):
    return bool(getattr(settings, "MONITOR_AUTO_INCIDENT", True)) and alert.kind in AUTO_INCIDENT_KINDS


# --- alert ↔ incident ---------------------------------------------------------------------------------------


def incident_of(alert):
    """The incident opened from ``alert`` (the most recent one), or None."""
    from lachan.incidents.models import Incident

    return Incident.objects.filter(source_ref=alert_ref(alert)).order_by("-pk").first()


def incidents_of(alert_ids):
    """``{alert id: incident}`` for many alerts in one query (the most recent incident of each)."""
    from lachan.incidents.models import Incident

    refs = {alert_ref(pk): pk for pk in alert_ids}
    found = {}
    for incident in Incident.objects.filter(source_ref__in=refs).order_by("pk"):
        found[refs[incident.source_ref]] = incident
    return found


def _domains(alert):
    website = alert.site.website
    lines = [website.url]
    if alert.url and alert.url != website.url:
        lines.append(alert.url)
    host = urlsplit(website.url).hostname
    if host:
        lines.insert(0, host)
    return "\n".join(dict.fromkeys(lines))


def open_incident(alert, *, by=None):
    """The incident of ``alert``: the open one if there is one, else a new one from
    ``services.alert_incident_payload`` (severity of the alert, the website's address as its domains). ``by``:
    the user who asked (None: the platform)."""
    from lachan.incidents import services as incidents

    from .services import alert_incident_payload

    incident = incidents.incident_from_alert(alert_incident_payload(alert), by=by)
    if not incident.domains_ips:
        incident = incidents.incident_update(incident, by=by, version=incident.version,
                                             changes={"domains_ips": _domains(alert)})
    return incident


# --- paging -------------------------------------------------------------------------------------------------


def policy_for(unit):
    """The escalation policy answering for ``unit``: its own, else its nearest ancestor's, else the coordinator
    desk's (policies without rules are skipped); None when there is none."""
    from lachan.oncall.models import EscalationPolicy

    chain = [int(pk) for pk in (unit.path if unit else "").strip("/").split("/") if pk][::-1]
    policies = (EscalationPolicy.objects.filter(Q(unit_id__in=chain) | Q(unit__isnull=True), rules__isnull=False)
                .distinct().order_by("name", "pk"))
    by_unit = {}
    for policy in policies:
        by_unit.setdefault(policy.unit_id, policy)
    for pk in [*chain, None]:
        if pk in by_unit:
            return by_unit[pk]
    return None


def page_text(alert, incident=None):
    """``(subject, body)`` of a page: the Vietnamese alert notice, with the incident's address when there is one."""
    from .notify import OPENING, render_notice

    subject, body = render_notice(alert, OPENING)
    if incident is not None:
        body = "\n".join([body.rstrip(), "", _("Incident #%(pk)d: %(title)s — %(url)s")
                          % {"pk": incident.pk, "title": incident.title, "url": incident.get_absolute_url()}])
    return subject, body


def page(alert, incident=None, *, now=None):
    """Page the on-duty person of the alert's unit for ``incident`` (or the alert alone); returns the Escalation,
    or None when no policy answers for the unit. Idempotent: one escalation per incident (or alert), and an
    incident opened from an alert that was already paged is not paged again."""
    from lachan.oncall import services as oncall
    from lachan.oncall.models import Escalation

    unit = alert.site.website.unit
    policy = policy_for(unit)
    if policy is None:
        return None
    if incident is not None:
        earlier = Escalation.objects.filter(event_key=alert_ref(alert)).first()
        if earlier is not None:
            return earlier
    key = incident_key(incident) if incident is not None else alert_ref(alert)
    source = f"{alert_ref(alert)} · {incident_key(incident)}" if incident is not None else alert_ref(alert)
    with translation.override("vi"):
        subject, body = page_text(alert, incident)
    severity = incident.severity if incident is not None else alert.severity
    return oncall.escalate(key, policy=policy, subject=subject, body=body, unit=unit, source_ref=source,
                           severity=severity, now=now)


def on_confirmed(alert, *, now=None):
    """Open the incident of a confirmed alert (``AUTO_INCIDENT_KINDS``) and page the on-duty person for it — or
    for the alert itself when it is critical. Returns ``(incident, escalation)``, either may be None."""
    incident = open_incident(alert) if auto_incident(alert) else None
    escalation = None
    if incident is not None or alert.severity == Severity.CRITICAL:
        escalation = page(alert, incident, now=now)
    return incident, escalation


def open_pending_incidents(limit=200):
    """Incidents that ``on_confirmed`` should have opened but did not (it failed after the notice was
    claimed): every notified, still open alert of an auto kind without an incident. Returns how many opened."""
    from lachan.incidents.models import Incident

    from .choices import AlertState
    from .models import Alert

    if not getattr(settings, "MONITOR_AUTO_INCIDENT", True):
        return 0
    candidates = list(Alert.objects.filter(kind__in=AUTO_INCIDENT_KINDS, notified_at__isnull=False,
                                           state__in=[AlertState.CONFIRMED, AlertState.ACKNOWLEDGED])
                      .select_related("site__website__unit", "site__website__system").order_by("pk")[:limit])
    have = set(Incident.objects.filter(source_ref__in=[alert_ref(a) for a in candidates])
               .values_list("source_ref", flat=True))
    opened = 0
    for alert in candidates:
        if alert_ref(alert) in have:
            continue
        try:
            on_confirmed(alert)
        except Exception:
            logger.exception("monitoring alert %s: the incident could not be opened", alert.pk)
        else:
            opened += 1
    return opened


# --- acknowledging ------------------------------------------------------------------------------------------


def _stop(keys, by, note):
    from lachan.oncall import services as oncall
    from lachan.oncall.choices import EscalationStatus
    from lachan.oncall.models import Escalation

    stopped = 0
    for escalation in Escalation.objects.filter(event_key__in=keys, status=EscalationStatus.ACTIVE):
        stopped += oncall.acknowledge(escalation, by, note=note)
    return stopped


def acknowledge_alert(alert, by, *, note=""):
    """Stop the paging of the alert and of its incident; returns how many escalations were stopped."""
    keys = [alert_ref(alert)]
    incident = incident_of(alert)
    if incident is not None:
        keys.append(incident_key(incident))
    return _stop(keys, by, note or _("Alert acknowledged"))


def acknowledge_incident(incident, by, *, note=""):
    """Stop the paging of the incident and of the alert it came from; returns how many were stopped. The
    incidents app may call it on the incident's first move by a person (the sweep below does it otherwise)."""
    keys = [incident_key(incident)]
    alert_id = alert_id_of(incident.source_ref)
    if alert_id is not None:
        keys.append(alert_ref(alert_id))
    return _stop(keys, by, note or _("Incident taken in hand"))


def acknowledge_worked_incidents():
    """Stop the paging of every incident a person has moved on (a status change on its timeline). Returns how
    many escalations were stopped."""
    from lachan.incidents.choices import EventKind
    from lachan.incidents.models import Incident, IncidentEvent
    from lachan.oncall.choices import EscalationStatus
    from lachan.oncall.models import Escalation

    keys = list(Escalation.objects.filter(status=EscalationStatus.ACTIVE)
                .filter(Q(event_key__startswith=INCIDENT_PREFIX) | Q(event_key__startswith=ALERT_PREFIX))
                .values_list("event_key", flat=True))
    incident_ids = {int(k[len(INCIDENT_PREFIX):]) for k in keys
                    if k.startswith(INCIDENT_PREFIX) and k[len(INCIDENT_PREFIX):].isdigit()}
    refs = [k for k in keys if k.startswith(ALERT_PREFIX)]
    incident_ids |= set(Incident.objects.filter(source_ref__in=refs).values_list("pk", flat=True))
    if not incident_ids:
        return 0
    first_moves = {}
    for event in (IncidentEvent.objects.filter(incident_id__in=incident_ids, kind=EventKind.TRANSITION,
                                               actor__isnull=False)
                  .select_related("actor", "incident").order_by("at", "pk")):
        first_moves.setdefault(event.incident_id, event)
    stopped = 0
    for event in first_moves.values():
        stopped += acknowledge_incident(event.incident, event.actor,
                                        note=_("Incident moved to %(status)s") % {
                                            "status": event.incident.get_status_display()})
    return stopped

