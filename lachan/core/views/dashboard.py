"""Dashboards per role.

* Unit users (unit admin, member, on-duty operator) see the open items of their unit and sub-units.
* Coordinators and auditors see the whole picture: totals, systems by security level, coverage of focal
  points / IP prefixes / systems by unit kind and by appendix group, and the units missing most data.

Every queryset goes through ``restrict(user)``. Figures are computed with aggregates and ``Exists``
sub-queries, so the number of queries does not grow with the number of units.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Value, When
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse

from lachan.core.scope import VIEW
from lachan.inventory.choices import SecurityLevel, SystemStatus
from lachan.inventory.models import Domain, Host, InformationSystem, IPPrefix, Software, Website
from lachan.organizations.choices import ContactRole, UnitKind
from lachan.organizations.models import Contact, Unit, UnitGroup

OPEN_ITEMS_SHOWN = 10
TOP_UNITS_SHOWN = 10
COUNTED_MODELS = (Unit, Contact, InformationSystem, Host, IPPrefix, Domain, Website, Software)


def _list_url(model, query=""):
    url = reverse(f"{model._meta.app_label}:{model._meta.model_name}_list")
    return f"{url}?{query}" if query else url


def units_with_coverage(user):
    """Active units in the user's scope, annotated with has_focal / has_prefix / has_system / has_website."""
    def exists(model, **filters):
        return Exists(model.objects.restrict(user, VIEW).filter(unit=OuterRef("pk"), **filters))

    return (
        Unit.objects.restrict(user, VIEW)
        .filter(is_active=True)
        .annotate(
            has_focal=exists(Contact, roles__contains=ContactRole.SECURITY_FOCAL),
            has_prefix=exists(IPPrefix),
            has_system=exists(InformationSystem),
            has_website=exists(Website),
        )
    )


def _coverage_aggregates():
    return {
        "total": Count("pk", distinct=True),
        "focal": Count("pk", filter=Q(has_focal=True), distinct=True),
        "prefix": Count("pk", filter=Q(has_prefix=True), distinct=True),
        "system": Count("pk", filter=Q(has_system=True), distinct=True),
    }


def _counts(user):
    return [
        {
            "label": model._meta.verbose_name_plural,
            "value": model.objects.restrict(user, VIEW).count(),
            "url": _list_url(model),
            "key": model._meta.model_name,
        }
        for model in COUNTED_MODELS
    ]


def _open_items(user):
    """What the user's scope still has to fix; each entry: count, the first items and a link."""
    systems = (
        InformationSystem.objects.restrict(user, VIEW)
        .exclude(status=SystemStatus.DECOMMISSIONED)
        .filter(Q(security_level__isnull=True) | Q(approval_number=""))
        .select_related("unit")
        .order_by("security_level", "unit__path", "name")
    )
    units = units_with_coverage(user).order_by("path")
    no_focal = units.filter(has_focal=False)
    no_prefix = units.filter(has_prefix=False)
    websites = Website.objects.restrict(user, VIEW).filter(monitored=False).select_related("unit").order_by("url")
    return {
        "systems_unapproved": {"count": systems.count(), "items": list(systems[:OPEN_ITEMS_SHOWN]),
                               "url": _list_url(InformationSystem)},
        "units_without_focal": {"count": no_focal.count(), "items": list(no_focal[:OPEN_ITEMS_SHOWN]),
                                "url": _list_url(Contact, f"role={ContactRole.SECURITY_FOCAL}")},
        "units_without_prefix": {"count": no_prefix.count(), "items": list(no_prefix[:OPEN_ITEMS_SHOWN]),
                                 "url": _list_url(IPPrefix)},
        "websites_unmonitored": {"count": websites.count(), "items": list(websites[:OPEN_ITEMS_SHOWN]),
                                 "url": _list_url(Website, "monitored=false")},
    }


def _systems_by_level(user):
    """Operating/planned systems per security level, with how many have an approval decision."""
    rows = (
        InformationSystem.objects.restrict(user, VIEW)
        .exclude(status=SystemStatus.DECOMMISSIONED)
        .values("security_level")
        .annotate(total=Count("pk"), approved=Count("pk", filter=~Q(approval_number="")))
    )
    by_level = {row["security_level"]: row for row in rows}
    total = sum(row["total"] for row in by_level.values())
    levels = []
    for level in [*SecurityLevel.values, None]:
        row = by_level.get(level, {"total": 0, "approved": 0})
        levels.append({"level": level, "total": row["total"], "approved": row["approved"] if level else 0})
    return {"levels": levels, "total": total}


def _coverage_by_kind(units):
    labels = dict(UnitKind.choices)
    rows = units.order_by().values("kind").annotate(**_coverage_aggregates()).order_by("-total", "kind")
    return [row | {"label": labels.get(row["kind"], row["kind"])} for row in rows]


def _coverage_by_group(user, units):
    """One row per appendix group (all groups, also the empty ones), in the groups' own order."""
    rows = {
        row["groups"]: row
        for row in units.filter(groups__isnull=False).order_by().values("groups").annotate(**_coverage_aggregates())
    }
    empty = {"total": 0, "focal": 0, "prefix": 0, "system": 0}
    return [
        {"group": group} | rows.get(group.pk, empty)
        for group in UnitGroup.objects.restrict(user, VIEW).order_by("order", "name")
    ]


def _top_missing(units):
    def flag(name):
        return Case(When(**{name: False}, then=Value(1)), default=Value(0), output_field=IntegerField())

    missing = flag("has_focal") + flag("has_prefix") + flag("has_system") + flag("has_website")
    return list(
        units.annotate(missing=missing)
        .filter(missing__gt=0)
        .order_by("-missing", "depth", "path")[:TOP_UNITS_SHOWN]
    )


@login_required
def dashboard(request):
    """One page per role: unit users see their unit's open items; coordinators and auditors the whole picture."""
    user = request.user
    from lachan.oncall.context import on_duty_panel

    context = {"counts": _counts(user), "open": _open_items(user), "overview": user.sees_everything}
    context |= on_duty_panel(user)
    if user.sees_everything:
        units = units_with_coverage(user)
        context |= {
            "by_level": _systems_by_level(user),
            "coverage_total": units.aggregate(**_coverage_aggregates()),
            "by_kind": _coverage_by_kind(units),
            "by_group": _coverage_by_group(user, units),
            "top_missing": _top_missing(units),
        }
    else:
        context |= {"by_level": _systems_by_level(user), "my_unit": user.unit}
    return render(request, "core/dashboard.html", context)


def healthz(request):
    return JsonResponse({"status": "ok"})


@login_required
def search_view(request):
    from lachan.core.search import search

    query = request.GET.get("q", "")
    return render(request, "core/search.html", {"query": query, "groups": search(request.user, query, request)})
