from . import views

routes = [
    ("incidents", views.IncidentViewSet, "incident"),
    ("comments", views.IncidentCommentViewSet, "incidentcomment"),
    ("evidence", views.IncidentEvidenceViewSet, "incidentevidence"),
    ("rules", views.ReportingRuleViewSet, "reportingrule"),
]
