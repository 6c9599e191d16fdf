"""Reads with the user's scope applied (issue 4 views, API and exports)."""

from datetime import timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from lachan.accounts.choices import GLOBAL_VIEW_ROLES
from lachan.core.scope import VIEW, user_role
from lachan.organizations.models import Unit

from .choices import ACTIVE_CASE_STATUSES, CaseStatus
from .models import Case, Sighting


def sees_import_reports(user):
    """Bad-row reasons, bogon lists and the unmapped queue: coordinators and auditors only."""
    return user_role(user) in GLOBAL_VIEW_ROLES


def import_unit_counts(user, feed_import):
    """``[(unit, counts)]`` of the import's per-unit figures, for the units the user may see only."""
    per_unit = feed_import.per_unit or {}
    ids = [int(k) for k in per_unit if str(k).isdigit()]
    units = Unit.objects.restrict(user, VIEW).filter(pk__in=ids).order_by("path")
    return [(unit, per_unit[str(unit.pk)]) for unit in units]


def visible_per_unit(user, feed_import):
    """``{unit_id: counts}`` limited to the user's scope (API)."""
    return {str(unit.pk): counts for unit, counts in import_unit_counts(user, feed_import)}


def case_sightings(user, case):
    return Sighting.objects.restrict(user, VIEW).filter(case=case).select_related("feed_import__feed").order_by("-seen")


def trends(user, *, unit=None, months=12, now=None):
    """Monthly sightings per family, top families and top units — within the user's scope, and within
    ``unit``'s subtree when given (the caller has checked that the user may see ``unit``)."""
    now = now or timezone.now()
    start = (now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=31 * (months - 1))
             ).replace(day=1)
    sightings = Sighting.objects.restrict(user, VIEW).filter(feed_import__started__gte=start)
    cases = Case.objects.restrict(user, VIEW)
    if unit is not None:
        sightings = sightings.filter(unit__path__startswith=unit.path)
        cases = cases.filter(unit__path__startswith=unit.path)
    rows = (sightings.annotate(month=TruncMonth("feed_import__started")).values("month", "family")
            .annotate(n=Count("id")).order_by("month", "family"))
    by_month = {}
    for row in rows:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        entry = by_month.setdefault(month, {"month": month, "total": 0, "families": []})
        entry["total"] += row["n"]
        entry["families"].append((row["family"] or "?", row["n"]))
    monthly = list(by_month.values())
    peak = max((m["total"] for m in monthly), default=0)
    for m in monthly:
        m["percent"] = round(100 * m["total"] / peak) if peak else 0
        m["families"].sort(key=lambda fn: -fn[1])
    active = Q(status__in=ACTIVE_CASE_STATUSES)
    top_families = list(cases.filter(active).values("family").annotate(n=Count("id")).order_by("-n", "family")[:10])
    top_unit_rows = list(cases.filter(active).values("unit").annotate(
        n=Count("id"), reinfected=Count("id", filter=Q(status=CaseStatus.REINFECTED))).order_by("-n")[:10])
    units = Unit.objects.restrict(user, VIEW).in_bulk([r["unit"] for r in top_unit_rows])
    top_units = [{"unit": units[r["unit"]], "n": r["n"], "reinfected": r["reinfected"]}
                 for r in top_unit_rows if r["unit"] in units]
    for collection in (top_families, top_units):
        peak = max((r["n"] for r in collection), default=0)
        for r in collection:
            r["percent"] = round(100 * r["n"] / peak) if peak else 0
    totals = cases.aggregate(
        open=Count("id", filter=Q(status=CaseStatus.OPEN)),
        cleaned=Count("id", filter=Q(status=CaseStatus.CLEANED)),
        reinfected=Count("id", filter=Q(status=CaseStatus.REINFECTED)),
        closed=Count("id", filter=Q(status=CaseStatus.CLOSED)),
    )
    return {"monthly": monthly, "top_families": top_families, "top_units": top_units, "totals": totals, "unit": unit}
