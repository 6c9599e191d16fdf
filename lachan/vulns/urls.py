from django.urls import path

from lachan.core.urls_helpers import crud_urls

from . import views

app_name = "vulns"

urlpatterns = [
    path("summary/", views.SummaryView.as_view(), name="summary"),
    path("findings/<int:pk>/status/", views.FindingStatusView.as_view(), name="finding_status"),
    path("scans/upload/", views.ScanUploadView.as_view(), name="scanimport_upload"),
    path("scans/<int:pk>/add-host/", views.UnknownHostAddView.as_view(), name="scanimport_add_host"),
    path("advisory-imports/upload/", views.AdvisoryUploadView.as_view(), name="advisoryimport_upload"),
    path("aliases/queue/", views.AliasQueueView.as_view(), name="alias_queue"),
    path("campaigns/add/", views.WarningCampaignCreateView.as_view(), name="warningcampaign_add"),
    path("answers/<int:pk>/answer/", views.CampaignAnswerView.as_view(), name="campaignanswer_answer"),
    path("answers/<int:pk>/evidence/", views.CampaignAnswerEvidenceView.as_view(), name="campaignanswer_evidence"),
    *crud_urls("advisories", "advisory", list_view=views.AdvisoryListView, detail_view=views.AdvisoryDetailView),
    *crud_urls("advisory-imports", "advisoryimport", list_view=views.AdvisoryImportListView,
               detail_view=views.AdvisoryImportDetailView),
    *crud_urls("findings", "finding", list_view=views.FindingListView, detail_view=views.FindingDetailView),
    *crud_urls("scans", "scanimport", list_view=views.ScanImportListView, detail_view=views.ScanImportDetailView),
    *crud_urls("aliases", "softwarealias", list_view=views.SoftwareAliasListView,
               detail_view=views.SoftwareAliasDetailView),
    *crud_urls("sla", "slapolicy", list_view=views.SlaPolicyListView, detail_view=views.SlaPolicyDetailView,
               edit_view=views.SlaPolicyEditView, delete_view=views.SlaPolicyDeleteView),
    *crud_urls("campaigns", "warningcampaign", list_view=views.WarningCampaignListView,
               detail_view=views.WarningCampaignDetailView),
    *crud_urls("answers", "campaignanswer", list_view=views.CampaignAnswerListView,
               detail_view=views.CampaignAnswerDetailView),
]
