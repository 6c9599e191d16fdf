from . import views

routes = [
    ("feeds", views.FeedViewSet, "feed"),
    ("unmapped", views.UnmappedIPViewSet, "unmappedip"),
    ("cases", views.CaseViewSet, "case"),
    ("imports", views.FeedImportViewSet, "feedimport"),
    ("uploads", views.FeedUploadViewSet, "feedupload"),
    ("indicators", views.IndicatorViewSet, "indicator"),
    ("sightings", views.SightingViewSet, "sighting"),
    ("asns", views.AsnAssignmentViewSet, "asnassignment"),
    ("notifications", views.NotificationViewSet, "notification"),
]
