from django.urls import path

from lachan.core.urls_helpers import crud_urls

from . import views

app_name = "directives"

urlpatterns = [
    path("import/", views.DirectiveImportView.as_view(), name="directive_import"),
    path("<int:pk>/review/", views.DirectiveReviewView.as_view(), name="directive_review"),
    path("<int:pk>/recipients/", views.DirectiveRecipientsView.as_view(), name="directive_recipients"),
    path("<int:pk>/dispatch/", views.DirectiveDispatchView.as_view(), name="directive_dispatch"),
    path("<int:pk>/matrix/", views.DirectiveMatrixView.as_view(), name="directive_matrix"),
    path("<int:pk>/report/", views.DirectiveReportView.as_view(), name="directive_report"),
    path("<int:pk>/reissue/", views.DirectiveReissueView.as_view(), name="directive_reissue"),
    path("inbox/<int:pk>/acknowledge/", views.DispatchAcknowledgeView.as_view(), name="dispatch_acknowledge"),
    path("answers/<int:pk>/answer/", views.TaskAnswerEditView.as_view(), name="taskanswer_answer"),
    path("answers/<int:pk>/evidence/", views.TaskAnswerEvidenceView.as_view(), name="taskanswer_evidence"),
    *crud_urls("inbox", "dispatch", list_view=views.DispatchListView, detail_view=views.DispatchDetailView),
    *crud_urls("answers", "taskanswer", list_view=views.TaskAnswerListView, detail_view=views.TaskAnswerDetailView),
    path("", views.DirectiveListView.as_view(), name="directive_list"),
    path("<int:pk>/", views.DirectiveDetailView.as_view(), name="directive_detail"),
]
