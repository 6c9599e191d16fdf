from django.urls import path

from lachan.core.urls_helpers import crud_urls

from . import views, views_statistics

app_name = "incidents"

urlpatterns = [
    path("phone/", views.IncidentPhoneView.as_view(), name="incident_phone"),
    path("statistics/", views_statistics.StatisticsView.as_view(), name="statistics"),
    path("<int:pk>/transition/", views.IncidentTransitionView.as_view(), name="incident_transition"),
    path("<int:pk>/comment/", views.IncidentCommentView.as_view(), name="incident_comment"),
    path("<int:pk>/evidence/", views.IncidentEvidenceUploadView.as_view(), name="incident_evidence_upload"),
    path("<int:pk>/indicator/", views.IncidentIndicatorView.as_view(), name="incident_indicator"),
    path("<int:pk>/serious/", views.IncidentSeriousView.as_view(), name="incident_serious"),
    path("<int:pk>/reported/", views.IncidentReportedView.as_view(), name="incident_reported"),
    path("<int:pk>/escalate/", views.IncidentEscalateView.as_view(), name="incident_escalate"),
    path("<int:pk>/playbook/", views.IncidentPlaybookAttachView.as_view(), name="incident_playbook_attach"),
    path("<int:pk>/playbook/step/", views.IncidentPlaybookStepView.as_view(), name="incident_playbook_step"),
    path("evidence/<int:pk>/download/", views.IncidentEvidenceDownloadView.as_view(),
         name="incidentevidence_download"),
    path("reports/<int:pk>/download/", views.IncidentReportDownloadView.as_view(), name="incidentreport_download"),
    path("plans/<int:pk>/download/", views.ResponsePlanDownloadView.as_view(), name="responseplan_download"),
    *crud_urls("comments", "incidentcomment", list_view=views.IncidentCommentListView,
               detail_view=views.IncidentCommentDetailView, delete_view=views.IncidentCommentDeleteView),
    *crud_urls("evidence", "incidentevidence", list_view=views.IncidentEvidenceListView,
               detail_view=views.IncidentEvidenceDetailView, delete_view=views.IncidentEvidenceDeleteView),
    *crud_urls("reports", "incidentreport", list_view=views.IncidentReportListView,
               detail_view=views.IncidentReportDetailView),
    *crud_urls("plans", "responseplan", list_view=views.ResponsePlanListView,
               detail_view=views.ResponsePlanDetailView, edit_view=views.ResponsePlanEditView,
               delete_view=views.ResponsePlanDeleteView),
    *crud_urls("rules", "reportingrule", list_view=views.ReportingRuleListView,
               detail_view=views.ReportingRuleDetailView, edit_view=views.ReportingRuleEditView),
    path("", views.IncidentListView.as_view(), name="incident_list"),
    path("add/", views.IncidentEditView.as_view(), name="incident_add"),
    path("<int:pk>/", views.IncidentDetailView.as_view(), name="incident_detail"),
    path("<int:pk>/edit/", views.IncidentEditView.as_view(), name="incident_edit"),
    path("<int:pk>/delete/", views.IncidentDeleteView.as_view(), name="incident_delete"),
]
