"""The status board: every watched site the user may see, worst first, with the figures at the top;
the table and the figures reload every 30 s (htmx) and on every filter change."""

from django.db.models import Count, Max, Q
from django.http import Http404
from django.shortcuts import render
from django_tables2 import RequestConfig

from lachan.core.exports import Exporter
from lachan.core.imports import Column
from lachan.core.scope import VIEW
from lachan.core.views import generic

from .. import filtersets, tables
from ..choices import SiteStatus, Verdict
from ..filtersets import TLS_SOON_DAYS
from ..models import WatchedSite
from . import queries

REFRESH_SECONDS = 30

SITE_EXPORTER = Exporter(
    [
        Column("url", export=lambda s: s.website.url), Column("name", export=lambda s: s.website.name),
        Column("unit", export=lambda s: s.website.unit.code), Column("unit_name", export=lambda s: s.website.unit.name),
        Column("health", export=lambda s: tables.site_health(s)),
        Column("status", export=lambda s: s.get_status_display()),
        Column("verdict", export=lambda s: s.get_verdict_display()),
        Column("open_alerts", field="open_alert_count"), Column("last_checked_at"),
        Column("http_status", field="last_http_status"), Column("latency_ms", field="last_latency_ms"),
        Column("tls_days_left"), Column("final_url"), Column("last_error"), Column("enabled"),
        Column("interval_seconds"),
    ],
    title="Websites", file_stem="giam-sat-website",
)


def board_counts(queryset):
    """The figures at the top of the board over the (filtered, un-annotated) ``queryset``: one query."""
    enabled = Q(enabled=True)
    flagged = Q(verdict__in=[Verdict.COMPROMISED, Verdict.SUSPICIOUS])
    return queryset.order_by().aggregate(
        total=Count("pk"),
        up=Count("pk", filter=enabled & Q(status=SiteStatus.UP) & ~flagged),
        down=Count("pk", filter=enabled & Q(status=SiteStatus.DOWN)),
        compromised=Count("pk", filter=enabled & Q(verdict=Verdict.COMPROMISED)),
        suspicious=Count("pk", filter=enabled & Q(verdict=Verdict.SUSPICIOUS)),
        tls_expiring=Count("pk", filter=enabled & Q(tls_days_left__isnull=False, tls_days_left__lte=TLS_SOON_DAYS)),
        latest=Max("last_checked_at"),
    )


class BoardView(generic.ObjectListView):
    model = WatchedSite
    filterset_class = filtersets.WatchedSiteFilterSet
    table_class = tables.SiteTable
    exporter = SITE_EXPORTER

    def base_context(self):
        return super().base_context() | {"can_change": False}  # sites come from the inventory: nothing to add

    def get_queryset(self, action=None):
        return WatchedSite.objects.restrict(self.request.user, action or VIEW)

    def get(self, request):
        filterset = self.get_filterset()
        filtered = filterset.qs if filterset.is_bound else self.get_queryset()
        queryset = queries.annotate_board(filtered)
        export = request.GET.get("export")
        if export:
            if export not in ("csv", "xlsx"):
                raise Http404
            return self.exporter(queryset, export)
        table = self.table_class(queryset, request=request)
        RequestConfig(request, paginate={"per_page": generic._per_page(request)}).configure(table)
        context = self.base_context() | {
            "table": table, "filterset": filterset, "can_export": True, "counts": board_counts(filtered),
            "refresh_seconds": REFRESH_SECONDS, "tls_soon_days": TLS_SOON_DAYS,
        }
        partial = request.htmx and request.htmx.target == "object-table"
        return render(request, "monitoring/board_body.html" if partial else "monitoring/board.html", context)
