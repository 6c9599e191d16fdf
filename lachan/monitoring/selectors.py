"""Read-side questions on the website watch, each in the user's scope (``restrict``) and each a fixed
number of queries whatever the number of sites. (The pages' own queries are in ``views/queries.py``.)"""

from datetime import timedelta

from django.db.models import Avg, Count, Max, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from lachan.core.scope import VIEW

from .choices import OPEN_ALERT_STATES, SiteStatus, Verdict
from .models import Alert, Check, WatchedSite


def status_counts(user):
    """``{"total", "up", "degraded", "down", "pending", "compromised", "suspicious", "disabled", "open_alerts"}``."""
    sites = WatchedSite.objects.restrict(user, VIEW)
    counts = sites.aggregate(
        total=Count("pk"), disabled=Count("pk", filter=Q(enabled=False)),
        compromised=Count("pk", filter=Q(enabled=True, verdict=Verdict.COMPROMISED)),
        suspicious=Count("pk", filter=Q(enabled=True, verdict=Verdict.SUSPICIOUS)),
        **{status.value: Count("pk", filter=Q(enabled=True, status=status)) for status in SiteStatus})
    counts["open_alerts"] = Alert.objects.restrict(user, VIEW).filter(state__in=OPEN_ALERT_STATES).count()
    return counts


def counts_by_unit(user):
    """``{unit_id: {"total", "up", "degraded", "down", "pending", "compromised"}}`` of the enabled sites."""
    rows = (WatchedSite.objects.restrict(user, VIEW).filter(enabled=True).values("website__unit_id")
            .annotate(total=Count("pk"), compromised=Count("pk", filter=Q(verdict=Verdict.COMPROMISED)),
                      **{s.value: Count("pk", filter=Q(status=s)) for s in SiteStatus}))
    return {row.pop("website__unit_id"): row for row in rows}


def latency_series(site, *, hours=24, now=None):
    """Hourly ``[(hour, avg latency ms, max latency ms, checks, failed)]`` of the site's last ``hours`` hours."""
    now = now or timezone.now()
    rows = (Check.objects.filter(site=site, checked_at__gte=now - timedelta(hours=hours))
            .annotate(hour=TruncHour("checked_at")).values("hour")
            .annotate(avg=Avg("latency_ms"), max=Max("latency_ms"), checks=Count("pk"),
                      failed=Count("pk", filter=Q(verdict=Verdict.DOWN)))
            .order_by("hour"))
    return [(r["hour"], round(r["avg"]) if r["avg"] is not None else None, r["max"], r["checks"], r["failed"])
            for r in rows]


def open_alerts(user):
    """Open alerts the user may see, the most severe and the newest first."""
    from django.db.models import Case, IntegerField, Value, When

    from .choices import Severity

    rank = Case(*(When(severity=s, then=Value(i)) for i, s in enumerate(Severity)), output_field=IntegerField())
    return (Alert.objects.restrict(user, VIEW).filter(state__in=OPEN_ALERT_STATES)
            .select_related("site__website__unit").annotate(severity_rank=rank).order_by("severity_rank", "-opened_at"))


def backlog(now=None):
    """Operations (not user-facing): ``{"due", "claimed", "overdue_5min"}`` — how far behind the monitors are."""
    now = now or timezone.now()
    enabled = WatchedSite.objects.filter(enabled=True)
    due = Q(next_check_at__isnull=True) | Q(next_check_at__lte=now)
    return enabled.aggregate(
        due=Count("pk", filter=due & Q(claimed_by="")),
        claimed=Count("pk", filter=~Q(claimed_by="")),
        overdue_5min=Count("pk", filter=Q(next_check_at__lte=now - timedelta(minutes=5))))
