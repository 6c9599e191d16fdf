import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.core.filtersets import BaseFilterSet, UnitScopedFilterSet, scoped_queryset
from lachan.inventory.models import Host, InformationSystem

from .choices import ACTIVE_STATUSES, AnswerStatus, FindingStatus, ImportStatus, Severity
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


class AdvisoryFilterSet(BaseFilterSet):
    search_fields = ("cve_id", "description")
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices, label=_("Severity"))
    kev = django_filters.BooleanFilter(label=_("Known exploited (KEV)"))

    class Meta:
        model = Advisory
        fields = ["q", "severity", "kev"]


class AdvisoryImportFilterSet(BaseFilterSet):
    search_fields = ("file_name", "sha256")

    class Meta:
        model = AdvisoryImport
        fields = ["q", "status"]


class SoftwareAliasFilterSet(BaseFilterSet):
    search_fields = ("vendor", "product", "cpe_vendor", "cpe_product")

    class Meta:
        model = SoftwareAlias
        fields = ["q"]


class SlaPolicyFilterSet(BaseFilterSet):
    search_fields = ("name",)

    class Meta:
        model = SlaPolicy
        fields = ["q", "is_active"]


class FindingFilterSet(UnitScopedFilterSet):
    search_fields = ("cve_id", "title", "rule_id", "component", "address", "host__hostname")
    system = django_filters.ModelChoiceFilter(queryset=scoped_queryset(InformationSystem), label=_("Information system"))
    host = django_filters.ModelChoiceFilter(queryset=scoped_queryset(Host), label=_("Host"))
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices, label=_("Severity"))
    status = django_filters.MultipleChoiceFilter(choices=FindingStatus.choices, label=_("Status"))
    kev = django_filters.BooleanFilter(label=_("Known exploited (KEV)"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    source = django_filters.CharFilter(field_name="source", lookup_expr="iexact", label=_("Source"))
    cve = django_filters.CharFilter(field_name="cve_id", lookup_expr="iexact", label=_("CVE"))
    uncertain = django_filters.BooleanFilter(label=_("To be confirmed"))

    class Meta:
        model = Finding
        fields = ["q", "unit", "unit_tree", "system", "host", "severity", "status", "kev", "overdue", "source", "cve",
                  "uncertain"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = Q(status__in=ACTIVE_STATUSES, due_date__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)


class ScanImportFilterSet(UnitScopedFilterSet):
    search_fields = ("file_name", "sha256", "format")
    status = django_filters.ChoiceFilter(choices=ImportStatus.choices, label=_("Status"))

    class Meta:
        model = ScanImport
        fields = ["q", "unit", "unit_tree", "status"]


class WarningCampaignFilterSet(BaseFilterSet):
    search_fields = ("number", "title", "issuer")

    class Meta:
        model = WarningCampaign
        fields = ["q"]


class CampaignAnswerFilterSet(UnitScopedFilterSet):
    search_fields = ("note", "campaign__title", "campaign__number")
    campaign = django_filters.ModelChoiceFilter(queryset=scoped_queryset(WarningCampaign), label=_("Campaign"))
    status = django_filters.ChoiceFilter(choices=AnswerStatus.choices, label=_("Answer"))

    class Meta:
        model = CampaignAnswer
        fields = ["q", "unit", "unit_tree", "campaign", "status", "affected"]
