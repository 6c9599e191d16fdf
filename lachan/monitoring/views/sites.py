"""A watched site's page (state, settings, latency chart, alerts with evidence, timeline, last change),
its settings form and one snapshot compared with its baseline."""

from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from lachan.core.views import generic

from .. import forms, tables
from ..diff import side_by_side
from ..models import Snapshot, WatchedSite
from . import queries
from .chart import latency_chart


class SiteDetailView(generic.ObjectDetailView):
    model = WatchedSite
    select_related = ("website__unit", "website__system")

    def get(self, request, pk):
        site = get_object_or_404(self.get_queryset(), pk=pk)
        period = request.GET.get("period") if request.GET.get("period") in queries.PERIODS else "24h"
        now = timezone.now()
        start = queries.period_start(period, now)
        open_alerts, past_alerts = queries.site_alerts(site)
        queries.with_evidence(open_alerts)
        baseline, changed = queries.last_change(site)
        can_act = queries.may_act(request.user, site)
        context = self.base_context() | {
            "object": site, "health": tables.site_health(site),
            "chart": latency_chart(queries.latency_rows(site, start), start=start, end=now),
            "period": period, "periods": list(queries.PERIODS),
            "checks": queries.recent_checks(site), "events": queries.site_events(site),
            "open_alerts": open_alerts, "past_alerts": past_alerts,
            "baseline": baseline, "changed": changed,
            "diff": side_by_side(baseline.text, changed.text) if baseline and changed else None,
            "can_act": can_act, "can_edit": queries.may_change(request.user, site),
            "incident_create_url": queries.incident_create_url(),
            "tls_soon_days": tables.TLS_SOON_DAYS, "health_badge": tables.health_badge(tables.site_health(site)),
        }
        return render(request, "monitoring/watchedsite_detail.html", context)


class SiteEditView(generic.ObjectEditView):
    """The settings a unit's writers may change (interval, sub-pages, sitemap sample, enabled)."""

    model = WatchedSite
    form_class = forms.WatchedSiteForm
    select_related = ("website__unit",)


class SnapshotDetailView(generic.ObjectDetailView):
    """One page snapshot side by side with its URL's baseline (or, for a baseline, the version before it)."""

    model = Snapshot
    select_related = ("site__website__unit", "accepted_by")

    def get(self, request, pk):
        snapshot = get_object_or_404(self.get_queryset(), pk=pk)
        other = queries.baseline_for(snapshot)
        diff = side_by_side(other.text, snapshot.text) if other is not None else None
        context = self.base_context() | {"object": snapshot, "site": snapshot.site, "other": other, "diff": diff}
        return render(request, "monitoring/snapshot_detail.html", context)
