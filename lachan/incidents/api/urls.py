from . import views

routes = [
    ("incidents", views.IncidentViewSet, "incident"),
    ("comments", views.IncidentCommentViewSet, "incidentcomment"),
    ("evidence", views.IncidentEvidenceViewSet, "incidentevidence"),
    ("rules", views.ReportingRuleViewSet, "reportingrule"),
    ("reports", views.IncidentReportViewSet, "incidentreport"),
    ("plans", views.ResponsePlanViewSet, "responseplan"),
]
