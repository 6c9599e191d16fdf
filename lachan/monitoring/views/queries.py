"""Read-only queries of the website watch pages, each in the user's scope (``restrict``) and each a
constant number of SQL queries whatever the number of sites or checks."""

import datetime

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from lachan.core.scope import CHANGE, VIEW, user_role

from ..choices import OPEN_ALERT_STATES, SiteStatus, Verdict
from ..models import Alert, Check, SiteEvent, Snapshot
from ..tables import HEALTH_ORDER

PERIODS = {"24h": datetime.timedelta(hours=24), "7d": datetime.timedelta(days=7)}


def health_rank():
    """The board's colour as a number (0 worst), for ordering in SQL; the same rule as ``site_health``."""
    rank = {name: n for n, name in enumerate(HEALTH_ORDER)}
    return Case(
        When(enabled=False, then=Value(rank["disabled"])),
        When(verdict=Verdict.COMPROMISED, then=Value(rank["compromised"])),
        When(status=SiteStatus.DOWN, then=Value(rank["down"])),
        When(verdict=Verdict.SUSPICIOUS, then=Value(rank["suspicious"])),
        When(status=SiteStatus.DEGRADED, then=Value(rank["degraded"])),
        When(status=SiteStatus.UP, then=Value(rank["up"])),
        default=Value(rank["pending"]), output_field=IntegerField(),
    )


def annotate_board(queryset):
    """Watched sites with their website and unit joined, their open alert count, worst first."""
    open_alerts = Count("alerts", filter=Q(alerts__state__in=OPEN_ALERT_STATES))
    return (queryset.select_related("website__unit")
            .annotate(open_alert_count=open_alerts, health_rank=health_rank())
            .order_by("health_rank", "-open_alert_count", "website__url"))


def latency_rows(site, since):
    """``(checked_at, latency_ms, down)`` of the site's checks since ``since``, oldest first (one query)."""
    rows = (Check.objects.filter(site=site, checked_at__gte=since).order_by("checked_at")
            .values_list("checked_at", "latency_ms", "verdict"))
    return [(at, latency, verdict == Verdict.DOWN) for at, latency, verdict in rows]


def recent_checks(site, limit=20):
    return list(Check.objects.filter(site=site).order_by("-checked_at")[:limit])


def site_events(site, limit=50):
    return list(SiteEvent.objects.filter(site=site).select_related("user", "alert").order_by("-at", "-pk")[:limit])


def site_alerts(site, *, past_limit=20):
    """(open alerts, the most recent closed ones)."""
    alerts = Alert.objects.filter(site=site).select_related("acknowledged_by")
    open_ = list(alerts.filter(state__in=OPEN_ALERT_STATES).order_by("-opened_at"))
    past = list(alerts.exclude(state__in=OPEN_ALERT_STATES).order_by("-opened_at")[:past_limit])
    return open_, past


def last_change(site):
    """(baseline, changed) snapshots of the last change of the site: the most recent snapshot that differs
    from its URL's baseline and was taken after it, and that baseline. (None, None) when there is none."""
    latest = (Snapshot.objects.filter(site=site, is_baseline=False).order_by("-taken_at", "-pk")
              .defer("features").first())
    if latest is None:
        return None, None
    baseline = Snapshot.objects.filter(site=site, url=latest.url, is_baseline=True).defer("features").first()
    if baseline is None or baseline.content_hash == latest.content_hash or baseline.taken_at > latest.taken_at:
        return baseline, None
    return baseline, latest


def baseline_for(snapshot):
    """The baseline of ``snapshot``'s URL, or, when ``snapshot`` is the baseline, the snapshot before it."""
    others = Snapshot.objects.filter(site_id=snapshot.site_id, url=snapshot.url).exclude(pk=snapshot.pk)
    if snapshot.is_baseline:
        return others.filter(taken_at__lte=snapshot.taken_at).order_by("-taken_at", "-pk").defer("features").first()
    return others.filter(is_baseline=True).defer("features").first()


def checked_urls(site, limit=50):
    """The URLs of the site that have a snapshot (the choices of "accept as baseline")."""
    urls = Snapshot.objects.filter(site=site).order_by("url").values_list("url", flat=True).distinct()
    return list(urls[:limit])


def may_act_at_all(user):
    """Whether the user's role may act on alerts and sites (acknowledge, false positive, baseline, check now):
    the unit's writers and the on-duty operators (``services.ALERT_ROLES``); never auditors."""
    from lachan.monitoring.services import ALERT_ROLES

    return user_role(user) in ALERT_ROLES


def actionable(user, queryset):
    """``queryset`` limited to the objects ``user`` may act on: those in the user's view scope, for a role
    that may act at all (the rule ``services`` applies)."""
    if not may_act_at_all(user):
        return queryset.none()
    return queryset.restrict(user, VIEW)


def may_act(user, obj):
    return actionable(user, type(obj).objects.filter(pk=obj.pk)).exists()


def may_change(user, obj):
    """Whether ``user`` may change ``obj``'s settings: the change scope of its model."""
    return type(obj).objects.restrict(user, CHANGE).filter(pk=obj.pk).exists()


def incident_create_url():
    """The "create incident" page for an alert (``?alert=<id>`` is added per alert): the one-click action of
    this app (``monitoring:alert_open_incident``, ``actions.AlertOpenIncidentView``) when it is routed, else the
    incidents app's form; None when neither exists."""
    for name in ("monitoring:alert_open_incident", "incidents:incident_add"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def alert_incident(alert):
    """The incident opened from ``alert`` (automatically or with the button), or None."""
    from lachan.monitoring.escalation import incident_of

    return incident_of(alert)


def period_start(period, now=None):
    return (now or timezone.now()) - PERIODS[period]


def evidence_rows(evidence):
    """An alert's evidence as ``(key, kind, value)`` rows for the template (kind: text, list or mapping);
    list items that are mappings become "key: value" strings. Values stay plain text (escaped when shown)."""
    rows = []
    if not isinstance(evidence, dict):
        return [("evidence", "text", str(evidence))] if evidence else []
    for key, value in evidence.items():
        if isinstance(value, dict):
            rows.append((str(key), "mapping", [(str(k), _plain(v)) for k, v in value.items()]))
        elif isinstance(value, list | tuple):
            rows.append((str(key), "list", [_plain(item) for item in value]))
        else:
            rows.append((str(key), "text", _plain(value)))
    return rows


def _plain(value):
    if isinstance(value, dict):
        return " · ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    return "" if value is None else str(value)


def with_evidence(alerts):
    for alert in alerts:
        alert.evidence_rows = evidence_rows(alert.evidence)
    return alerts
