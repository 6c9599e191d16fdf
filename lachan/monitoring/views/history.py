"""Plain lists of the watch's history (checks, page snapshots, timeline events) across the user's sites."""

from lachan.core.views import generic

from .. import filtersets, tables
from ..models import Check, SiteEvent, Snapshot


class HistoryListView(generic.ObjectListView):
    def base_context(self):
        return super().base_context() | {"can_change": False}  # written by the monitor only


class CheckListView(HistoryListView):
    model = Check
    filterset_class = filtersets.CheckFilterSet
    table_class = tables.CheckTable
    select_related = ("site__website",)


class SnapshotListView(HistoryListView):
    model = Snapshot
    filterset_class = filtersets.SnapshotFilterSet
    table_class = tables.SnapshotTable
    select_related = ("site__website", "accepted_by")

    def get_queryset(self, action=None):
        return super().get_queryset(action).defer("text", "features")


class SiteEventListView(HistoryListView):
    model = SiteEvent
    filterset_class = filtersets.SiteEventFilterSet
    table_class = tables.SiteEventTable
    select_related = ("site__website", "alert", "user")
