from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from lachan.core.exports import Exporter
from lachan.core.imports import Column
from lachan.core.scope import CHANGE, VIEW, can
from lachan.core.views import generic
from lachan.organizations.models import Unit

from . import filtersets, forms, selectors, services, tables
from .choices import TRANSITIONS
from .models import (
    Advisory,
    AdvisoryImport,
    CampaignAnswer,
    Finding,
    ScanImport,
    SlaPolicy,
    SoftwareAlias,
    WarningCampaign,
)


class ReadOnlyMixin:
    """Objects written by the services only: no add/edit/delete links."""

    def base_context(self):
        return super().base_context() | {"can_change": False}


def _coordinator_only(request, model):
    if request.user.is_authenticated and not can(request.user, model, CHANGE):
        raise PermissionDenied


# --- advisories ----------------------------------------------------------------------------------------------


class AdvisoryListView(ReadOnlyMixin, generic.ObjectListView):
    model = Advisory
    filterset_class = filtersets.AdvisoryFilterSet
    table_class = tables.AdvisoryTable

    def get_queryset(self, action=None):
        return super().get_queryset(action).defer("parts", "applicability", "metrics", "references")


class AdvisoryDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    """An advisory; the units with findings of it (within the user's scope: all of them for coordinators)."""

    model = Advisory

    def get_extra_context(self, obj):
        return {"unit_rows": selectors.advisory_units(self.request.user, obj),
                "sees_all": selectors.sees_all_units(self.request.user)}


class AdvisoryImportListView(ReadOnlyMixin, generic.ObjectListView):
    model = AdvisoryImport
    filterset_class = filtersets.AdvisoryImportFilterSet
    table_class = tables.AdvisoryImportTable

    def base_context(self):
        return super().base_context() | {"can_upload": can(self.request.user, AdvisoryImport, CHANGE)}


class AdvisoryImportDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    model = AdvisoryImport


class AdvisoryUploadView(LoginRequiredMixin, View):
    """Upload an advisory file (coordinators): imported at once, then the changed CVEs are matched."""

    model = AdvisoryImport

    def dispatch(self, request, *args, **kwargs):
        _coordinator_only(request, AdvisoryImport)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, "vulns/upload.html", {"form": forms.AdvisoryUploadForm(), "kind": "advisory"})

    def post(self, request):
        form = forms.AdvisoryUploadForm(request.POST, request.FILES)
        if form.is_valid():
            from .advisories import AdvisoryParseError

            try:
                result = services.advisories_import(form.cleaned_data["file"], fmt=form.cleaned_data["format"] or None,
                                                    by=request.user, file_name=form.cleaned_data["file"].name)
            except AdvisoryParseError as exc:
                form.add_error("file", _("The file could not be read: %(error)s. Nothing was imported.") % {"error": exc})
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if result.duplicate:
                    messages.info(request, _("This file was already imported: nothing changed."))
                else:
                    messages.success(request, _("Imported %(file)s.") % {"file": result.file_name})
                return redirect(result.get_absolute_url())
        return render(request, "vulns/upload.html", {"form": form, "kind": "advisory"})


# --- findings -------------------------------------------------------------------------------------------------

FINDING_EXPORTER = Exporter(
    [
        Column("cve", field="cve_id"), Column("title"), Column("severity"), Column("cvss"), Column("kev"),
        Column("status", export=lambda f: f.get_status_display()), Column("unit", export=lambda f: f.unit.code),
        Column("system", export=lambda f: f.system.name if f.system else ""),
        Column("host", export=lambda f: f.host.hostname if f.host else f.address),
        Column("software", export=lambda f: str(f.software) if f.software else ""),
        Column("source"), Column("rule", field="rule_id"), Column("port"), Column("component"),
        Column("installed_version"), Column("fixed_version"), Column("first_seen"), Column("last_seen"),
        Column("due_date"), Column("overdue"), Column("fixed_at"),
    ],
    title="Findings", file_stem="lo-hong", prepare=lambda qs: qs.select_related("unit", "system", "host", "software"),
)


class FindingListView(ReadOnlyMixin, generic.ObjectListView):
    model = Finding
    filterset_class = filtersets.FindingFilterSet
    table_class = tables.FindingTable
    exporter = FINDING_EXPORTER

    select_related = ("unit", "host")

    def get_queryset(self, action=None):
        return super().get_queryset(action).defer("evidence", "solution", "timeline")


class FindingDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    model = Finding

    select_related = ("unit", "system", "host", "software", "advisory", "owner", "risk_approver")

    def get_extra_context(self, obj):
        may_change = Finding.objects.restrict(self.request.user, CHANGE).filter(pk=obj.pk).exists()
        return {"may_change": may_change, "next_statuses": sorted(TRANSITIONS.get(obj.status, ())),
                "status_form": forms.FindingStatusForm(initial={"status": ""}) if may_change else None}


class FindingStatusView(LoginRequiredMixin, View):
    """POST a status change (``services.finding_transition``); GET goes back to the finding."""

    model = Finding

    def get_finding(self, pk):
        return get_object_or_404(Finding.objects.restrict(self.request.user, CHANGE), pk=pk)

    def get(self, request, pk):
        return redirect(self.get_finding(pk).get_absolute_url())

    def post(self, request, pk):
        finding = self.get_finding(pk)
        form = forms.FindingStatusForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.finding_transition(finding, data["status"], by=request.user, reason=data["reason"],
                                            expires_on=data["expires_on"])
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(request, _("Status changed to %(status)s.") % {"status": finding.get_status_display()})
        else:
            messages.error(request, _("Choose a valid status."))
        return redirect(finding.get_absolute_url())


class SummaryView(LoginRequiredMixin, View):
    """Open findings per unit and per system, and the chart of open findings by severity over time."""

    model = Finding

    def get(self, request):
        unit = None
        if request.GET.get("unit", "").isdigit():
            unit = get_object_or_404(Unit.objects.restrict(request.user, VIEW), pk=request.GET["unit"])
        context = selectors.summary(request.user, unit=unit) | {"chart": selectors.open_by_severity_over_time(request.user)}
        return render(request, "vulns/summary.html", context)


# --- scans ------------------------------------------------------------------------------------------------------


class ScanImportListView(ReadOnlyMixin, generic.ObjectListView):
    model = ScanImport
    filterset_class = filtersets.ScanImportFilterSet
    table_class = tables.ScanImportTable

    select_related = ("unit",)

    def base_context(self):
        return super().base_context() | {"can_upload": can(self.request.user, ScanImport, CHANGE)}


class ScanImportDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    """The import's status (refreshes while it waits or runs), counts and unknown hosts to add."""

    model = ScanImport

    select_related = ("unit", "imported_by")

    def get_extra_context(self, obj):
        may_add = ScanImport.objects.restrict(self.request.user, CHANGE).filter(pk=obj.pk).exists()
        return {"may_add": may_add, "unknown_hosts": obj.unknown_hosts[:500]}


class ScanUploadView(LoginRequiredMixin, View):
    """Upload a scanner file for a unit of the user's scope; the import runs as a background job."""

    model = ScanImport

    def dispatch(self, request, *args, **kwargs):
        _coordinator_only(request, ScanImport)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, "vulns/upload.html", {"form": forms.ScanUploadForm(user=request.user), "kind": "scan"})

    def post(self, request):
        form = forms.ScanUploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            if not services.unit_in_scope(request.user, data["unit"]):
                raise PermissionDenied
            scan = services.scan_import_start(upload=data["file"], unit=data["unit"], by=request.user,
                                              fmt=data["format"] or None)
            messages.info(request, _("The scan is being imported; this page shows its progress."))
            return redirect(scan.get_absolute_url())
        return render(request, "vulns/upload.html", {"form": form, "kind": "scan"})


class UnknownHostAddView(LoginRequiredMixin, View):
    """One click: add an unknown host of a scan to the unit's inventory and attach its findings."""

    model = ScanImport

    def get_scan(self, pk):
        return get_object_or_404(ScanImport.objects.restrict(self.request.user, CHANGE).select_related("unit"), pk=pk)

    def get(self, request, pk):
        return redirect(self.get_scan(pk).get_absolute_url())

    def post(self, request, pk):
        scan = self.get_scan(pk)
        try:
            host = services.unknown_host_add(scan=scan, address=request.POST.get("address", ""), by=request.user)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        else:
            messages.success(request, _("Added %(host)s to the inventory.") % {"host": host})
        return redirect(scan.get_absolute_url())


# --- aliases and SLA ---------------------------------------------------------------------------------------------


class SoftwareAliasListView(ReadOnlyMixin, generic.ObjectListView):
    model = SoftwareAlias
    filterset_class = filtersets.SoftwareAliasFilterSet
    table_class = tables.SoftwareAliasTable

    select_related = ("confirmed_by",)


class SoftwareAliasDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    model = SoftwareAlias


class AliasQueueView(LoginRequiredMixin, View):
    """Inventory software without CPE and without alias, with suggestions to confirm in one click (coordinators)."""

    model = SoftwareAlias

    def dispatch(self, request, *args, **kwargs):
        _coordinator_only(request, SoftwareAlias)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, "vulns/alias_queue.html", {"queue": selectors.alias_queue(request.user)})

    def post(self, request):
        form = forms.AliasConfirmForm(request.POST)
        if form.is_valid():
            try:
                alias = services.alias_confirm(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))
            else:
                messages.success(request, _("Confirmed: %(alias)s.") % {"alias": alias})
        else:
            messages.error(request, _("Give the CPE vendor and product."))
        return redirect("vulns:alias_queue")


class SlaPolicyListView(generic.ObjectListView):
    model = SlaPolicy
    filterset_class = filtersets.SlaPolicyFilterSet
    table_class = tables.SlaPolicyTable


class SlaPolicyDetailView(generic.ObjectDetailView):
    model = SlaPolicy


class SlaPolicyEditView(generic.ObjectEditView):
    model = SlaPolicy
    form_class = forms.SlaPolicyForm


class SlaPolicyDeleteView(generic.ObjectDeleteView):
    model = SlaPolicy


# --- campaigns ---------------------------------------------------------------------------------------------------


class WarningCampaignListView(ReadOnlyMixin, generic.ObjectListView):
    model = WarningCampaign
    filterset_class = filtersets.WarningCampaignFilterSet
    table_class = tables.WarningCampaignTable

    def base_context(self):
        return super().base_context() | {"can_upload": can(self.request.user, WarningCampaign, CHANGE)}


class WarningCampaignDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    """Which units are affected, who answered, who patched, the overdue list (units in the user's scope)."""

    model = WarningCampaign

    def get_extra_context(self, obj):
        user = self.request.user
        return {"answers": selectors.campaign_answers(user, obj), "figures": selectors.campaign_figures(user, obj)}


class WarningCampaignCreateView(LoginRequiredMixin, View):
    model = WarningCampaign

    def dispatch(self, request, *args, **kwargs):
        _coordinator_only(request, WarningCampaign)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, "vulns/upload.html", {"form": forms.CampaignForm(), "kind": "campaign"})

    def post(self, request):
        form = forms.CampaignForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["file"]:
                    campaign = services.campaign_from_national(data["file"], by=request.user,
                                                               file_name=data["file"].name)
                else:
                    campaign = services.campaign_create(
                        by=request.user, title=data["title"], number=data["number"], issuer=data["issuer"],
                        issued_on=data["issued_on"], deadline=data["deadline"], description=data["description"],
                        items=[{"cve_id": cve} for cve in form.cve_list()])
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            except ValueError as exc:  # the national parser's AdvisoryParseError
                form.add_error("file", _("The file could not be read: %(error)s.") % {"error": exc})
            else:
                return redirect(campaign.get_absolute_url())
        return render(request, "vulns/upload.html", {"form": form, "kind": "campaign"})


class CampaignAnswerListView(ReadOnlyMixin, generic.ObjectListView):
    model = CampaignAnswer
    filterset_class = filtersets.CampaignAnswerFilterSet
    table_class = tables.CampaignAnswerTable

    select_related = ("unit", "campaign")


class CampaignAnswerDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    model = CampaignAnswer

    select_related = ("unit", "campaign", "answered_by")

    def get_extra_context(self, obj):
        may_answer = CampaignAnswer.objects.restrict(self.request.user, CHANGE).filter(pk=obj.pk).exists()
        return {"answer_form": forms.AnswerForm() if may_answer else None}


class CampaignAnswerEvidenceView(generic.ObjectFileView):
    """Download a campaign answer's evidence file (the answering unit, its ancestors, coordinators; audited)."""

    model = CampaignAnswer
    file_field = "evidence"


class CampaignAnswerView(LoginRequiredMixin, View):
    """A unit answers a campaign: acknowledged, patched, or not affected (with a note), evidence optional."""

    model = CampaignAnswer

    def get_answer(self, pk):
        return get_object_or_404(CampaignAnswer.objects.restrict(self.request.user, CHANGE), pk=pk)

    def get(self, request, pk):
        return redirect(self.get_answer(pk).get_absolute_url())

    def post(self, request, pk):
        answer = self.get_answer(pk)
        form = forms.AnswerForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.campaign_answer(answer=answer, by=request.user, status=form.cleaned_data["status"],
                                         note=form.cleaned_data["note"], evidence=form.cleaned_data["evidence"])
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))
            else:
                messages.success(request, _("Answer recorded."))
        else:
            messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect(answer.get_absolute_url())
