from . import views

routes = [
    ("sites", views.WatchedSiteViewSet, "watchedsite"),
    ("alerts", views.AlertViewSet, "alert"),
    ("checks", views.CheckViewSet, "check"),
    ("snapshots", views.SnapshotViewSet, "snapshot"),
    ("events", views.SiteEventViewSet, "siteevent"),
]
