"""Alerts: the list (filters, export) and one alert with its evidence (always escaped)."""

from django.shortcuts import get_object_or_404, render

from lachan.core.exports import Exporter
from lachan.core.imports import Column
from lachan.core.views import generic

from .. import filtersets, tables
from ..choices import OPEN_ALERT_STATES, FindingKind
from ..diff import side_by_side
from ..models import Alert
from . import queries

ALERT_EXPORTER = Exporter(
    [
        Column("opened_at"), Column("site", export=lambda a: a.site.website.url),
        Column("unit", export=lambda a: a.site.website.unit.code),
        Column("kind", export=lambda a: a.get_kind_display()), Column("severity", export=lambda a: a.get_severity_display()),
        Column("state", export=lambda a: a.get_state_display()), Column("summary"), Column("url"),
        Column("confirmed_at"), Column("last_seen_at"), Column("acknowledged_at"),
        Column("acknowledged_by", export=lambda a: str(a.acknowledged_by or "")), Column("resolved_at"), Column("note"),
    ],
    title="Alerts", file_stem="canh-bao-website",
    prepare=lambda qs: qs.select_related("site__website__unit", "acknowledged_by"),
)

DIFF_KINDS = {FindingKind.DEFACEMENT, FindingKind.GAMBLING_INJECTION, FindingKind.HIDDEN_LINKS}


class AlertListView(generic.ObjectListView):
    model = Alert
    filterset_class = filtersets.AlertFilterSet
    table_class = tables.AlertTable
    exporter = ALERT_EXPORTER
    select_related = ("site__website__unit",)

    def base_context(self):
        return super().base_context() | {"can_change": False}  # alerts are raised by the monitor, not added


class AlertDetailView(generic.ObjectDetailView):
    model = Alert
    select_related = ("site__website__unit", "acknowledged_by", "first_check")

    def get(self, request, pk):
        alert = get_object_or_404(self.get_queryset(), pk=pk)
        site = alert.site
        queries.with_evidence([alert])
        diff = baseline = changed = None
        if alert.kind in DIFF_KINDS:
            baseline, changed = queries.last_change(site)
            diff = side_by_side(baseline.text, changed.text) if baseline and changed else None
        can_act = alert.state in OPEN_ALERT_STATES and queries.may_act(request.user, alert)
        context = self.base_context() | {
            "object": alert, "site": site, "can_act": can_act, "health_badge": tables.health_badge(tables.site_health(site)),
            "events": list(alert.events.select_related("user").order_by("-at", "-pk")[:50]),
            "baseline": baseline, "changed": changed, "diff": diff,
            "incident_create_url": queries.incident_create_url(), "incident": queries.alert_incident(alert),
        }
        return render(request, "monitoring/alert_detail.html", context)
