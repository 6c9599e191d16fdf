from django.urls import path

from lachan.core.urls_helpers import crud_urls

from . import views

app_name = "oncall"

urlpatterns = [
    *crud_urls("schedules", "schedule", list_view=views.ScheduleListView, detail_view=views.ScheduleDetailView,
               edit_view=views.ScheduleEditView, delete_view=views.ScheduleDeleteView),
    *crud_urls("rotations", "rotation", list_view=views.RotationListView, detail_view=views.RotationDetailView,
               edit_view=views.RotationEditView, delete_view=views.RotationDeleteView),
    *crud_urls("overrides", "override", list_view=views.OverrideListView, detail_view=views.OverrideDetailView,
               edit_view=views.OverrideEditView, delete_view=views.OverrideDeleteView),
    *crud_urls("handovers", "handover", list_view=views.HandoverListView, detail_view=views.HandoverDetailView,
               edit_view=views.HandoverEditView, delete_view=views.HandoverDeleteView),
    *crud_urls("policies", "escalationpolicy", list_view=views.PolicyListView, detail_view=views.PolicyDetailView,
               edit_view=views.PolicyEditView, delete_view=views.PolicyDeleteView),
    *crud_urls("rules", "escalationrule", list_view=views.RuleListView, detail_view=views.RuleDetailView,
               edit_view=views.RuleEditView, delete_view=views.RuleDeleteView),
    *crud_urls("escalations", "escalation", list_view=views.EscalationListView,
               detail_view=views.EscalationDetailView),
    path("escalations/<int:pk>/acknowledge/", views.EscalationAckView.as_view(), name="escalation_ack"),
]
