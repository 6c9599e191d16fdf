from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("", views.BoardView.as_view(), name="board"),
    # The board under the generic list name too (the menu, breadcrumbs and sweeps look for <model>_list).
    path("sites/", views.BoardView.as_view(), name="watchedsite_list"),
    path("sites/<int:pk>/", views.SiteDetailView.as_view(), name="site_detail"),
    path("sites/<int:pk>/edit/", views.SiteEditView.as_view(), name="watchedsite_edit"),
    path("sites/<int:pk>/recheck/", views.SiteRecheckView.as_view(), name="site_recheck"),
    path("sites/<int:pk>/accept-baseline/", views.SiteAcceptBaselineView.as_view(), name="site_accept_baseline"),
    path("alerts/", views.AlertListView.as_view(), name="alert_list"),
    path("alerts/<int:pk>/", views.AlertDetailView.as_view(), name="alert_detail"),
    path("alerts/incident/", views.AlertOpenIncidentView.as_view(), name="alert_open_incident"),
    path("alerts/<int:pk>/acknowledge/", views.AlertAcknowledgeView.as_view(), name="alert_acknowledge"),
    path("alerts/<int:pk>/false-positive/", views.AlertFalsePositiveView.as_view(), name="alert_false_positive"),
    path("checks/", views.CheckListView.as_view(), name="check_list"),
    path("snapshots/", views.SnapshotListView.as_view(), name="snapshot_list"),
    path("snapshots/<int:pk>/", views.SnapshotDetailView.as_view(), name="snapshot_detail"),
    path("events/", views.SiteEventListView.as_view(), name="siteevent_list"),
]
