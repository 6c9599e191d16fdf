"""The website watch pages: status board, site pages, alerts, history and the actions on them."""

from .actions import (
    AlertAcknowledgeView,
    AlertFalsePositiveView,
    AlertOpenIncidentView,
    SiteAcceptBaselineView,
    SiteRecheckView,
)
from .alerts import AlertDetailView, AlertListView
from .board import BoardView
from .history import CheckListView, SiteEventListView, SnapshotListView
from .sites import SiteDetailView, SiteEditView, SnapshotDetailView

__all__ = [
    "AlertAcknowledgeView", "AlertDetailView", "AlertFalsePositiveView", "AlertListView", "AlertOpenIncidentView", "BoardView",
    "CheckListView", "SiteAcceptBaselineView", "SiteDetailView", "SiteEditView", "SiteEventListView",
    "SiteRecheckView", "SnapshotDetailView", "SnapshotListView",
]
