from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View

from lachan.core.scope import VIEW
from lachan.core.views import generic

from . import filtersets, forms, selectors, services, tables
from .models import Escalation, EscalationPolicy, EscalationRule, Handover, Override, Rotation, Schedule


def crud(model_, form_class_, filterset_class_, table_class_, related=()):
    """List, detail, edit and delete views of one roster model."""

    class List(generic.ObjectListView):
        model = model_
        filterset_class = filterset_class_
        table_class = table_class_
        select_related = related

    class Detail(generic.ObjectDetailView):
        model = model_
        select_related = related

    class Edit(generic.ObjectEditView):
        model = model_
        form_class = form_class_

    class Delete(generic.ObjectDeleteView):
        model = model_

    return List, Detail, Edit, Delete


ScheduleListView, _ScheduleDetail, ScheduleEditView, ScheduleDeleteView = crud(
    Schedule, forms.ScheduleForm, filtersets.ScheduleFilterSet, tables.ScheduleTable, ("unit",))
RotationListView, _RotationDetail, RotationEditView, RotationDeleteView = crud(
    Rotation, forms.RotationForm, filtersets.RotationFilterSet, tables.RotationTable, ("schedule",))
OverrideListView, OverrideDetailView, OverrideEditView, OverrideDeleteView = crud(
    Override, forms.OverrideForm, filtersets.OverrideFilterSet, tables.OverrideTable, ("schedule", "user"))
HandoverListView, HandoverDetailView, HandoverEditView, HandoverDeleteView = crud(
    Handover, forms.HandoverForm, filtersets.HandoverFilterSet, tables.HandoverTable, ("schedule",))
PolicyListView, _PolicyDetail, PolicyEditView, PolicyDeleteView = crud(
    EscalationPolicy, forms.EscalationPolicyForm, filtersets.EscalationPolicyFilterSet, tables.EscalationPolicyTable,
    ("unit",))
RuleListView, RuleDetailView, RuleEditView, RuleDeleteView = crud(
    EscalationRule, forms.EscalationRuleForm, filtersets.EscalationRuleFilterSet, tables.EscalationRuleTable,
    ("policy",))


class ScheduleDetailView(_ScheduleDetail):
    """Who is on duty now, the next seven days, rotations, overrides and the latest handover notes."""

    def get_extra_context(self, obj):
        user = self.request.user
        return {
            "week": selectors.week_table(obj),
            "rotations": Rotation.objects.restrict(user, VIEW).filter(schedule=obj).prefetch_related("members__user"),
            "overrides": Override.objects.restrict(user, VIEW).filter(schedule=obj).select_related("user")[:20],
            "handovers": Handover.objects.restrict(user, VIEW).filter(schedule=obj)
            .select_related("from_user", "to_user")[:10],
            "on_duty": services.on_duty(obj),
        }


class RotationDetailView(_RotationDetail):
    def get_extra_context(self, obj):
        return {"participants": obj.ordered_participants()}


class PolicyDetailView(_PolicyDetail):
    def get_extra_context(self, obj):
        return {"rules": EscalationRule.objects.restrict(self.request.user, VIEW).filter(policy=obj)
                .select_related("schedule", "user").order_by("position", "pk")}


class EscalationListView(generic.ObjectListView):
    model = Escalation
    filterset_class = filtersets.EscalationFilterSet
    table_class = tables.EscalationTable
    select_related = ("unit", "policy", "acknowledged_by")

    def base_context(self):
        return super().base_context() | {"can_change": False}


class EscalationDetailView(generic.ObjectDetailView):
    model = Escalation
    select_related = ("unit", "policy", "acknowledged_by")

    def base_context(self):
        return super().base_context() | {"can_change": False}

    def get_extra_context(self, obj):
        return {"steps": obj.steps.prefetch_related("notified").order_by("at", "pk"),
                "can_ack": obj.status == "active" and services.can_acknowledge(self.request.user, obj),
                "ack_form": forms.AcknowledgeForm()}


class EscalationAckView(LoginRequiredMixin, View):
    """POST: acknowledge the escalation (stops it). GET goes back to the escalation."""

    model = Escalation

    def get_object(self, pk):
        return get_object_or_404(Escalation.objects.restrict(self.request.user, VIEW), pk=pk)

    def get(self, request, pk):
        return redirect(self.get_object(pk).get_absolute_url())

    def post(self, request, pk):
        escalation = self.get_object(pk)
        if not services.can_acknowledge(request.user, escalation):
            raise PermissionDenied
        form = forms.AcknowledgeForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        if services.acknowledge(escalation, request.user, note=note):
            messages.success(request, _("Acknowledged: the escalation is stopped."))
        else:
            messages.info(request, _("This escalation was no longer active."))
        return redirect(escalation.get_absolute_url())
