from . import views

routes = [
    ("advisories", views.AdvisoryViewSet, "advisory"),
    ("findings", views.FindingViewSet, "finding"),
    ("scans", views.ScanImportViewSet, "scanimport"),
    ("campaigns", views.WarningCampaignViewSet, "warningcampaign"),
    ("answers", views.CampaignAnswerViewSet, "campaignanswer"),
    ("advisory-imports", views.AdvisoryImportViewSet, "advisoryimport"),
    ("aliases", views.SoftwareAliasViewSet, "softwarealias"),
    ("sla", views.SlaPolicyViewSet, "slapolicy"),
]
