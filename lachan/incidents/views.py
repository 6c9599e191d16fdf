from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View

from lachan.accounts.choices import ADMIN_ROLES, Role
from lachan.core.scope import CHANGE, VIEW, user_role
from lachan.core.views import generic

from . import deadlines, filtersets, forms, lifecycle, services, tables
from .choices import Source
from .exports import incident_exporter
from .models import Incident, IncidentComment, IncidentEvidence, ReportingRule


def _errors(exc):
    return exc.messages if isinstance(exc, ValidationError) else [str(exc)]


def _may_delete(user):
    return user_role(user) in ADMIN_ROLES


class NoDeleteForUnitUsers:
    """Write-but-no-delete: the delete pages exist for coordinators and unit administrators only (404 otherwise,
    as for an object outside the scope)."""

    def get_queryset(self, action=None):
        queryset = super().get_queryset(action)
        return queryset if _may_delete(self.request.user) else queryset.none()


# --- incidents ----------------------------------------------------------------------------------------------------


class IncidentListView(generic.ObjectListView):
    model = Incident
    filterset_class = filtersets.IncidentFilterSet
    table_class = tables.IncidentTable
    exporter = incident_exporter
    select_related = ("unit", "system")

    def get_queryset(self, action=None):
        return super().get_queryset(action).annotate(is_overdue=deadlines.overdue_q())

    def base_context(self):
        user = self.request.user
        return super().base_context() | {
            "upcoming_reports": deadlines.next_periodic(),
            "can_phone": user_role(user) in (Role.OPERATOR, Role.COORDINATOR) and super().base_context()["can_change"],
        }


class IncidentDetailView(generic.ObjectDetailView):
    model = Incident
    select_related = ("unit", "system__unit", "system__operator_unit", "created_by")

    def get_extra_context(self, obj):
        user = self.request.user
        writable = Incident.objects.restrict(user, CHANGE).filter(pk=obj.pk).exists()
        return {
            "can_change": False,  # the page shows its own actions (no delete link for unit users)
            "writable": writable,
            "may_delete": writable and _may_delete(user),
            "is_coordinator": user_role(user) == Role.COORDINATOR,
            "clocks": deadlines.clocks(obj),
            "events": obj.events.select_related("actor"),
            "comments": obj.comments.select_related("author"),
            "evidence": obj.evidence.select_related("uploaded_by"),
            "indicators": obj.indicators.all(),
            "next_statuses": [(s, s.label) for s in lifecycle.next_statuses(obj.status)],
            "transition_form": forms.TransitionForm(initial={"version": obj.version}),
            "comment_form": forms.CommentForm(),
            "evidence_form": forms.EvidenceForm(),
            "indicator_form": forms.IndicatorForm(),
            "serious_form": forms.SeriousOverrideForm(initial={
                "version": obj.version, "reason": obj.serious_override_reason,
                "value": {None: "auto", True: "yes", False: "no"}[obj.serious_override]}),
            "system_visible": obj.system_id is not None and type(obj.system).objects.restrict(user, VIEW).filter(
                pk=obj.system_id).exists(),
        }


class IncidentEditView(generic.ObjectEditView):
    """File (unit users for their units) or edit an incident; an edit carries the version it read."""

    model = Incident
    form_class = forms.IncidentForm
    source = Source.WEB

    def save_form(self, form):
        data = form.cleaned_data
        fields = {name: data[name] for name in form.fields if name in services.EDITABLE_FIELDS}
        if form.instance.pk is None:
            return services.incident_create(by=self.request.user, unit=data["unit"], source=self.source, **fields)
        try:
            return services.incident_update(form.instance, by=self.request.user, version=data.get("version"),
                                            changes=fields)
        except services.VersionConflict as exc:
            raise ValidationError(exc.message) from None


class IncidentPhoneView(IncidentEditView):
    """The operator's "log a phone call" variant of the report form."""

    form_class = forms.PhoneIncidentForm
    source = Source.PHONE

    def get(self, request, pk=None):
        return super().get(request, None)

    def post(self, request, pk=None):
        return super().post(request, None)


class IncidentDeleteView(NoDeleteForUnitUsers, generic.ObjectDeleteView):
    model = Incident

    def post(self, request, pk):
        incident = get_object_or_404(self.get_queryset(), pk=pk)
        services.incident_delete(incident, by=request.user)
        messages.success(request, _("Deleted %(object)s.") % {"object": incident})
        return redirect("incidents:incident_list")


class IncidentAction(LoginRequiredMixin, View):
    """A POST on one incident the user may change (404 outside the scope); GET leads back to the incident."""

    model = Incident
    form_class = None

    def get_object(self, pk):
        return get_object_or_404(Incident.objects.restrict(self.request.user, CHANGE).select_related("unit"), pk=pk)

    def get(self, request, pk):
        return redirect(self.get_object(pk).get_absolute_url())

    def post(self, request, pk):
        incident = self.get_object(pk)
        form = self.form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                message = self.perform(incident, form.cleaned_data, form)
            except services.VersionConflict as exc:
                messages.error(request, exc.message)
            except (ValidationError, PermissionDenied) as exc:
                for error in _errors(exc):
                    messages.error(request, error)
            else:
                messages.success(request, message)
        else:
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{label}: {error}" if label else error)
        return redirect(incident.get_absolute_url())


class IncidentTransitionView(IncidentAction):
    form_class = forms.TransitionForm

    def perform(self, incident, data, form):
        stored = services.incident_transition(incident, by=self.request.user, to=data["to"], version=data["version"],
                                              note=data["note"], lessons_learned=data["lessons_learned"] or None)
        return _("Status: %(status)s.") % {"status": stored.get_status_display()}


class IncidentCommentView(IncidentAction):
    form_class = forms.CommentForm

    def perform(self, incident, data, form):
        services.comment_add(incident=incident, by=self.request.user, body=data["body"])
        return _("Comment added.")


class IncidentEvidenceUploadView(IncidentAction):
    form_class = forms.EvidenceForm

    def perform(self, incident, data, form):
        evidence = services.evidence_add(incident=incident, by=self.request.user, file=data["file"],
                                         description=data["description"])
        return _("Evidence kept: %(name)s (SHA-256 %(sha)s).") % {"name": evidence.file_name, "sha": evidence.sha256}


class IncidentIndicatorView(IncidentAction):
    form_class = forms.IndicatorForm

    def perform(self, incident, data, form):
        indicator = services.indicator_add(incident=incident, by=self.request.user, kind=data["kind"],
                                           value=data["value"], note=data["note"])
        return _("Indicator added: %(value)s.") % {"value": indicator.value}


class IncidentSeriousView(IncidentAction):
    form_class = forms.SeriousOverrideForm

    def perform(self, incident, data, form):
        stored = services.serious_override(incident, by=self.request.user, value=form.override(),
                                           reason=data["reason"], version=data["version"])
        return _("Serious incident: %(value)s.") % {"value": _("yes") if stored.serious else _("no")}


class IncidentReportedView(IncidentAction):
    form_class = forms.ReportedForm

    def perform(self, incident, data, form):
        deadline = services.deadline_mark_done(incident, by=self.request.user, rule=data["rule"], note=data["note"])
        return _("Recorded as reported: %(rule)s.") % {"rule": deadline.rule}


# --- comments and evidence -------------------------------------------------------------------------------------


class ReadOnlyMixin:
    def base_context(self):
        return super().base_context() | {"can_change": False}


class IncidentCommentListView(ReadOnlyMixin, generic.ObjectListView):
    model = IncidentComment
    filterset_class = filtersets.IncidentCommentFilterSet
    table_class = tables.IncidentCommentTable
    select_related = ("incident", "author")


class IncidentCommentDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    model = IncidentComment
    select_related = ("incident__unit", "author")

    def get_extra_context(self, obj):
        return {"may_delete": _may_delete(self.request.user)
                and IncidentComment.objects.restrict(self.request.user, CHANGE).filter(pk=obj.pk).exists()}


class IncidentCommentDeleteView(NoDeleteForUnitUsers, generic.ObjectDeleteView):
    model = IncidentComment

    def post(self, request, pk):
        comment = get_object_or_404(self.get_queryset(), pk=pk)
        incident = comment.incident
        services.comment_delete(comment, by=request.user)
        messages.success(request, _("Comment deleted."))
        return redirect(incident.get_absolute_url())


class IncidentEvidenceListView(ReadOnlyMixin, generic.ObjectListView):
    model = IncidentEvidence
    filterset_class = filtersets.IncidentEvidenceFilterSet
    table_class = tables.IncidentEvidenceTable
    select_related = ("incident", "uploaded_by")


class IncidentEvidenceDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    model = IncidentEvidence
    select_related = ("incident__unit", "uploaded_by")

    def get_extra_context(self, obj):
        return {"may_delete": _may_delete(self.request.user)
                and IncidentEvidence.objects.restrict(self.request.user, CHANGE).filter(pk=obj.pk).exists()}


class IncidentEvidenceDownloadView(generic.ObjectFileView):
    """The evidence file, to users who see its incident; every download is in the audit trail."""

    model = IncidentEvidence
    file_field = "file"

    def file_name(self, obj):
        return obj.file_name or "evidence"


class IncidentEvidenceDeleteView(NoDeleteForUnitUsers, generic.ObjectDeleteView):
    model = IncidentEvidence

    def post(self, request, pk):
        evidence = get_object_or_404(self.get_queryset(), pk=pk)
        incident = evidence.incident
        services.evidence_delete(evidence, by=request.user)
        messages.success(request, _("Evidence deleted."))
        return redirect(incident.get_absolute_url())


# --- reporting rules -----------------------------------------------------------------------------------------------


class ReportingRuleListView(generic.ObjectListView):
    model = ReportingRule
    filterset_class = filtersets.ReportingRuleFilterSet
    table_class = tables.ReportingRuleTable


class ReportingRuleDetailView(generic.ObjectDetailView):
    model = ReportingRule

    def get_extra_context(self, obj):
        # Rules are deactivated, never deleted (their clocks keep the record of what was reported).
        return {"can_change": False, "may_edit": ReportingRule.objects.restrict(self.request.user, CHANGE).exists()}


class ReportingRuleEditView(generic.ObjectEditView):
    model = ReportingRule
    form_class = forms.ReportingRuleForm

    def save_form(self, form):
        from .tasks import resync_deadlines  # not at import time: loading the URLs registers no periodic job

        rule = form.save()
        transaction.on_commit(resync_deadlines.enqueue)
        return rule
