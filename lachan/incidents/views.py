from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from lachan.accounts.choices import ADMIN_ROLES, Role
from lachan.core.scope import CHANGE, VIEW, user_role
from lachan.core.views import generic

from . import deadlines, filtersets, forms, lifecycle, listing, plans, playbooks, reporting, services, tables
from .choices import Source
from .exports import incident_exporter
from .models import Incident, IncidentComment, IncidentEvidence, IncidentReport, ReportingRule, ResponsePlan


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
            "may_escalate": writable and reporting.may_escalate(user, obj),
            "reports": reporting.reports_for(obj),
            "playbooks": playbooks.attached(obj),
            "playbook_progress": playbooks.progress(obj),
            "playbook_attach_form": forms.PlaybookAttachForm(),
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


# --- escalation to the national bodies ------------------------------------------------------------------------


class IncidentEscalateView(LoginRequiredMixin, View):
    """The "Report to the national bodies" form: recipients, evidence, note; "Preview" downloads the DOCX as it
    would be sent, "Send" escalates. 404 outside the user's change scope, 403 for a role that may not escalate."""

    model = Incident

    def get_incident(self, pk):
        incident = get_object_or_404(Incident.objects.restrict(self.request.user, CHANGE).select_related("unit"), pk=pk)
        if not reporting.may_escalate(self.request.user, incident):
            raise PermissionDenied(_("Only coordinators, the unit's administrators and the operator on duty may "
                                     "send reports to the national bodies."))
        return incident

    def render(self, incident, form, status=200):
        context = {"object": incident, "form": form, "reports": reporting.reports_for(incident),
                   "model_meta": Incident._meta, "verbose_name": Incident._meta.verbose_name,
                   "verbose_name_plural": Incident._meta.verbose_name_plural, "url_prefix": "incidents:incident",
                   "max_bytes": reporting.escalation.max_attachment_bytes()}
        return render(self.request, "incidents/incident_escalate.html", context, status=status)

    def get(self, request, pk):
        incident = self.get_incident(pk)
        form = forms.EscalationForm(incident=incident, user=request.user, initial={"version": incident.version})
        return self.render(incident, form)

    def post(self, request, pk):
        incident = self.get_incident(pk)
        form = forms.EscalationForm(request.POST, incident=incident, user=request.user)
        if not form.is_valid():
            return self.render(incident, form, status=400)
        data = form.cleaned_data
        evidence = [e.pk for e in data["attachments"]]
        try:
            if "preview" in request.POST:
                name, content = reporting.report_preview(incident, by=request.user, recipients=form.recipient_list(),
                                                         note=data["note"], attachments=evidence)
                response = HttpResponse(content, content_type=reporting.form03.CONTENT_TYPE)
                response["Content-Disposition"] = f'attachment; filename="{name}"'
                return response
            report = reporting.incident_escalate(incident, by=request.user, recipients=form.recipient_list(),
                                                 note=data["note"], attachments=evidence, version=data["version"])
        except services.VersionConflict as exc:
            form.add_error(None, exc.message)
            return self.render(incident, form, status=409)
        except ValidationError as exc:
            for error in _errors(exc):
                form.add_error(None, error)
            return self.render(incident, form, status=400)
        messages.success(request, _("Report sent to %(recipients)s.") % {"recipients": ", ".join(report.recipient_emails)})
        return redirect(incident.get_absolute_url())


class IncidentReportListView(ReadOnlyMixin, generic.ObjectListView):
    model = IncidentReport
    filterset_class = listing.IncidentReportFilterSet
    table_class = listing.IncidentReportTable
    select_related = ("incident", "sent_by")


class IncidentReportDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    model = IncidentReport
    select_related = ("incident__unit", "sent_by")

    def get_extra_context(self, obj):
        return {"deliveries": obj.deliveries()}


class TypedFileView(generic.ObjectFileView):
    """``ObjectFileView`` answering with the content type the object records (not one guessed from a name)."""

    file_field = "file"

    def content_type(self, obj):
        return getattr(obj, "content_type", "") or "application/octet-stream"

    def get(self, request, pk):
        response = super().get(request, pk)
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        response["Content-Type"] = self.content_type(obj)
        return response


class IncidentReportDownloadView(TypedFileView):
    """The DOCX as it was sent, to users who see its incident (each download in the audit trail)."""

    model = IncidentReport

    def file_name(self, obj):
        return obj.file_name or "bao-cao.docx"

    def content_type(self, obj):
        return reporting.form03.CONTENT_TYPE


# --- playbooks -----------------------------------------------------------------------------------------------


class IncidentPlaybookAttachView(IncidentAction):
    form_class = forms.PlaybookAttachForm

    def perform(self, incident, data, form):
        playbook = playbooks.playbook_attach(incident, by=self.request.user, key=data["key"])
        return _("Playbook attached: %(title)s.") % {"title": playbook.title}


class IncidentPlaybookStepView(IncidentAction):
    form_class = forms.PlaybookStepForm

    def perform(self, incident, data, form):
        step = playbooks.step_tick(incident, by=self.request.user, step_id=data["step"], done=data["done"],
                                   note=data["note"])
        return _("Step %(order)s: %(state)s.") % {"order": step.order,
                                                  "state": _("done") if step.done_at else _("not done")}


# --- emergency response plans --------------------------------------------------------------------------------


class ResponsePlanListView(generic.ObjectListView):
    model = ResponsePlan
    filterset_class = listing.ResponsePlanFilterSet
    table_class = listing.ResponsePlanTable
    select_related = ("unit",)


class ResponsePlanDetailView(generic.ObjectDetailView):
    model = ResponsePlan
    select_related = ("unit", "uploaded_by")

    def get_extra_context(self, obj):
        writable = ResponsePlan.objects.restrict(self.request.user, CHANGE).filter(pk=obj.pk).exists()
        return {"can_change": False, "writable": writable, "may_delete": writable and _may_delete(self.request.user),
                "overdue": obj.review_overdue()}


class ResponsePlanEditView(generic.ObjectEditView):
    model = ResponsePlan
    form_class = forms.ResponsePlanForm

    def save_form(self, form):
        try:
            return plans.plan_save(form.instance, by=self.request.user, file=form.cleaned_data.get("document"))
        except PermissionDenied as exc:
            raise ValidationError(str(exc)) from None


class ResponsePlanDeleteView(NoDeleteForUnitUsers, generic.ObjectDeleteView):
    """Coordinators and unit administrators delete a plan (audited); its document goes with it."""

    model = ResponsePlan

    def post(self, request, pk):
        name = get_object_or_404(self.get_queryset(), pk=pk).file.name
        response = super().post(request, pk)
        if not ResponsePlan.objects.filter(pk=pk).exists():
            transaction.on_commit(lambda: services._delete_files([name]))
        return response


class ResponsePlanDownloadView(TypedFileView):
    model = ResponsePlan

    def file_name(self, obj):
        return obj.file_name or "ke-hoach-ung-cuu"
