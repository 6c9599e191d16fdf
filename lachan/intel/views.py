from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case as Case_
from django.db.models import Q, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from lachan.core.exports import Exporter
from lachan.core.imports import Column
from lachan.core.scope import CHANGE, VIEW, can
from lachan.core.views import generic
from lachan.organizations.models import Unit

from . import filtersets, forms, selectors, services, tables
from .choices import CaseStatus
from .models import (
    AsnAssignment,
    Case,
    Feed,
    FeedImport,
    FeedUpload,
    Indicator,
    Notification,
    Sighting,
    UnmappedIP,
)


class ReadOnlyMixin:
    """Lists and details of objects written by the importer only: no add/edit/delete links."""

    def base_context(self):
        return super().base_context() | {"can_change": False}


# --- feeds -------------------------------------------------------------------------------------------------


class FeedListView(generic.ObjectListView):
    model = Feed
    filterset_class = filtersets.FeedFilterSet
    table_class = tables.FeedTable


class FeedDetailView(generic.ObjectDetailView):
    model = Feed

    def get_extra_context(self, obj):
        return {"imports": FeedImport.objects.restrict(self.request.user, VIEW).filter(feed=obj)[:20]}


class FeedEditView(generic.ObjectEditView):
    model = Feed
    form_class = forms.FeedForm


class FeedDeleteView(generic.ObjectDeleteView):
    model = Feed


# --- imports -----------------------------------------------------------------------------------------------


class FeedImportListView(ReadOnlyMixin, generic.ObjectListView):
    model = FeedImport
    filterset_class = filtersets.FeedImportFilterSet
    table_class = tables.FeedImportTable

    select_related = ("feed",)

    def base_context(self):
        return super().base_context() | {"can_upload": can(self.request.user, FeedImport, CHANGE)}


class FeedImportDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    """The import summary. Everyone sees the totals; the per-unit figures only for the units in the
    user's scope; bad-row reasons, bogons and the unmapped queue only coordinators and auditors."""

    model = FeedImport

    def get_extra_context(self, obj):
        user = self.request.user
        reports = selectors.sees_import_reports(user)
        return {
            "unit_counts": selectors.import_unit_counts(user, obj),
            "sees_reports": reports,
            "bad_rows": (obj.bad_report or {}).get("rows", []) if reports else [],
            "bogon_ips": (obj.bogon_report or {}).get("ips", []) if reports else [],
            "unmapped": UnmappedIP.objects.restrict(user, VIEW).filter(feed_import=obj, bogon=False)[:50],
        }


class FeedImportUploadView(LoginRequiredMixin, View):
    """Upload a feed file (coordinators): parse, map, write the cases, notify the units after commit."""

    model = FeedImport

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can(request.user, FeedImport, CHANGE):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, "intel/feedimport_upload.html", {"form": forms.FeedUploadForm(user=request.user)})

    def post(self, request):
        form = forms.FeedUploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                upload = services.feed_upload_create(file=data["file"], by=request.user, feed=data["feed"],
                                                     new_feed=data["new_feed"], format=data["format"],
                                                     dry_run=data["dry_run"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.info(request, _("%(file)s was received; it is imported in the background.")
                              % {"file": upload.file_name})
                return redirect(upload.get_absolute_url())
        return render(request, "intel/feedimport_upload.html", {"form": form})


class FeedUploadListView(ReadOnlyMixin, generic.ObjectListView):
    model = FeedUpload
    filterset_class = filtersets.FeedUploadFilterSet
    table_class = tables.FeedUploadTable
    select_related = ("feed", "uploaded_by")


class FeedUploadDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    """The status of an uploaded file's background import (polls itself while it runs)."""

    model = FeedUpload
    select_related = ("feed", "result", "uploaded_by")

    def get_extra_context(self, obj):
        counts = SimpleNamespace(dry_run=True, **{name: obj.counts.get(name, 0) for name in services.COUNT_FIELDS})
        return {"dry_run_counts": counts}


# --- cases -------------------------------------------------------------------------------------------------

STATUS_ORDER = (CaseStatus.REINFECTED, CaseStatus.OPEN, CaseStatus.CLEANED, CaseStatus.CLOSED)

CASE_EXPORTER = Exporter(
    [
        Column("ip"), Column("family"), Column("status", export=lambda c: c.get_status_display()),
        Column("unit", export=lambda c: c.unit.code), Column("unit_name", export=lambda c: c.unit.name),
        Column("first_seen"), Column("last_seen"), Column("sightings", field="sightings_count"),
        Column("reinfections"), Column("cleaned_at"), Column("cleaned_note"), Column("closed_at"),
    ],
    title="Cases", file_stem="su-vu-botnet", prepare=lambda qs: qs.select_related("unit"),
)


class CaseListView(ReadOnlyMixin, generic.ObjectListView):
    model = Case
    filterset_class = filtersets.CaseFilterSet
    table_class = tables.CaseTable
    exporter = CASE_EXPORTER

    def get_queryset(self, action=None):
        # Reinfected first, then open, reported cleaned, closed; the most recent sighting first.
        priority = Case_(*[When(status=s, then=Value(n)) for n, s in enumerate(STATUS_ORDER)], default=Value(9))
        return (super().get_queryset(action).select_related("unit").annotate(priority=priority)
                .order_by("priority", "-last_seen", "ip"))

    def base_context(self):
        reinfected = self.get_queryset().filter(status=CaseStatus.REINFECTED).count()
        return super().base_context() | {"reinfected_count": reinfected}


class CaseDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    model = Case

    select_related = ("unit", "last_import__feed", "cleaned_by")

    def get_extra_context(self, obj):
        user = self.request.user
        may_report = (obj.status in (CaseStatus.OPEN, CaseStatus.REINFECTED)
                      and Case.objects.restrict(user, CHANGE).filter(pk=obj.pk).exists())
        return {"sightings": selectors.case_sightings(user, obj)[:100], "may_report": may_report,
                "cleaned_form": forms.CaseCleanedForm() if may_report else None}


class CaseCleanedView(LoginRequiredMixin, View):
    """The unit reports the host cleaned, with a note (audited)."""

    model = Case

    def get_case(self, pk):
        return get_object_or_404(Case.objects.restrict(self.request.user, CHANGE).select_related("unit"), pk=pk)

    def get(self, request, pk):
        case = self.get_case(pk)
        return render(request, "intel/case_cleaned.html", {"object": case, "form": forms.CaseCleanedForm()})

    def post(self, request, pk):
        case = self.get_case(pk)
        form = forms.CaseCleanedForm(request.POST)
        if form.is_valid():
            try:
                services.case_report_cleaned(case=case, by=request.user, note=form.cleaned_data["note"])
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("Reported cleaned. The case closes when the address is absent from the next list."))
                return redirect(case.get_absolute_url())
        return render(request, "intel/case_cleaned.html", {"object": case, "form": form})


class SightingListView(ReadOnlyMixin, generic.ObjectListView):
    model = Sighting
    filterset_class = filtersets.SightingFilterSet
    table_class = tables.SightingTable

    select_related = ("unit", "case", "feed_import__feed")


class SightingDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    model = Sighting


# --- coordinators' queue and ASN fallback -------------------------------------------------------------------


class UnmappedQueueView(LoginRequiredMixin, View):
    """Addresses no prefix and no ASN maps to (coordinators and auditors); "assign to unit" records an
    ASN → unit assignment (or, without an ASN, tells the coordinator to register the unit's prefix)."""

    model = UnmappedIP

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not selectors.sees_import_reports(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def queryset(self):
        queryset = UnmappedIP.objects.restrict(self.request.user, VIEW).select_related("feed_import__feed")
        query = (self.request.GET.get("q") or "").strip()
        if query:
            condition = Q(ip__icontains=query) | Q(family__icontains=query)
            if query.removeprefix("AS").isdigit():
                condition |= Q(asn=int(query.removeprefix("AS")))
            queryset = queryset.filter(condition)
        if self.request.GET.get("show") != "all":
            queryset = queryset.filter(resolved=False)
        return queryset

    def render_page(self, form=None):
        page = Paginator(self.queryset(), 100).get_page(self.request.GET.get("page"))
        return render(self.request, "intel/unmapped_queue.html", {
            "page": page, "items": page.object_list,
            "can_change": can(self.request.user, UnmappedIP, CHANGE),
            "form": form or forms.UnmappedAssignForm(user=self.request.user,
                                                     initial={"asn": self.request.GET.get("asn")}),
        })

    def get(self, request):
        return self.render_page()

    def post(self, request):
        if not can(request.user, UnmappedIP, CHANGE):
            raise PermissionDenied
        form = forms.UnmappedAssignForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_page(form)
        asn, unit = form.cleaned_data["asn"], form.cleaned_data["unit"]
        services.assign_asn(asn=asn, unit=unit, by=request.user)
        resolved = UnmappedIP.objects.restrict(request.user, CHANGE).filter(asn=asn, resolved=False)
        count = resolved.update(resolved=True, note=f"AS{asn} → {unit.code}"[:300])
        messages.success(request, _("AS%(asn)d now maps to %(unit)s (%(count)d queued addresses resolved); the next "
                                    "import uses it.") % {"asn": asn, "unit": unit, "count": count})
        return redirect("intel:unmapped_queue")


class AsnAssignmentListView(generic.ObjectListView):
    model = AsnAssignment
    filterset_class = filtersets.AsnAssignmentFilterSet
    table_class = tables.AsnAssignmentTable

    select_related = ("unit",)


class AsnAssignmentDetailView(generic.ObjectDetailView):
    model = AsnAssignment


class AsnAssignmentEditView(generic.ObjectEditView):
    model = AsnAssignment
    form_class = forms.AsnAssignmentForm


class AsnAssignmentDeleteView(generic.ObjectDeleteView):
    model = AsnAssignment


# --- indicators, notifications, trends ------------------------------------------------------------------------


class IndicatorListView(ReadOnlyMixin, generic.ObjectListView):
    model = Indicator
    filterset_class = filtersets.IndicatorFilterSet
    table_class = tables.IndicatorTable

    select_related = ("feed",)


class IndicatorDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    model = Indicator


class NotificationListView(ReadOnlyMixin, generic.ObjectListView):
    model = Notification
    filterset_class = filtersets.NotificationFilterSet
    table_class = tables.NotificationTable

    select_related = ("unit",)


class NotificationDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    model = Notification


class TrendsView(LoginRequiredMixin, View):
    """Monthly trend per family, top families and top units — the user's scope only."""

    model = Case

    def get(self, request):
        unit = None
        if request.GET.get("unit"):
            units = Unit.objects.restrict(request.user, VIEW)
            unit = get_object_or_404(units, pk=request.GET["unit"]) if request.GET["unit"].isdigit() else None
            if unit is None:
                raise Http404
        return render(request, "intel/trends.html", selectors.trends(request.user, unit=unit))
