import django_filters
from django.utils.translation import gettext_lazy as _

from lachan.core.filtersets import BaseFilterSet, UnitScopedFilterSet, scoped_queryset
from lachan.organizations.models import Unit

from . import taxonomy
from .choices import IncidentStatus, RuleKind, Severity, Source
from .deadlines import overdue_q
from .models import Incident, IncidentComment, IncidentEvidence, ReportingRule


class IncidentFilterSet(UnitScopedFilterSet):
    search_fields = ("title", "description", "reporter_name", "domains_ips", "system_name", "system__name")
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices, label=_("Status"))
    incident_type = django_filters.ChoiceFilter(choices=taxonomy.choices, label=_("Incident type"))
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label=_("Severity"))
    source = django_filters.ChoiceFilter(choices=Source.choices, label=_("Source"))
    serious = django_filters.BooleanFilter(label=_("Serious"))
    personal_data_breach = django_filters.BooleanFilter(label=_("Personal data breach"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Reporting overdue"))

    class Meta:
        model = Incident
        fields = ["q", "unit", "unit_tree", "status", "incident_type", "severity", "source", "serious",
                  "personal_data_breach", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())


class IncidentChildFilterSet(BaseFilterSet):
    incident = django_filters.ModelChoiceFilter(queryset=scoped_queryset(Incident), label=_("Incident"))
    unit_tree = django_filters.ModelChoiceFilter(queryset=scoped_queryset(Unit), method="filter_unit_tree",
                                                 label=_("Unit and sub-units"))

    def filter_unit_tree(self, queryset, name, value):
        return queryset.filter(incident__unit__path__startswith=value.path)


class IncidentCommentFilterSet(IncidentChildFilterSet):
    search_fields = ("body", "incident__title")

    class Meta:
        model = IncidentComment
        fields = ["q", "incident", "unit_tree"]


class IncidentEvidenceFilterSet(IncidentChildFilterSet):
    search_fields = ("file_name", "description", "sha256", "incident__title")

    class Meta:
        model = IncidentEvidence
        fields = ["q", "incident", "unit_tree", "file_type"]


class ReportingRuleFilterSet(BaseFilterSet):
    search_fields = ("key", "name", "recipient", "legal_basis")
    kind = django_filters.ChoiceFilter(choices=RuleKind.choices, label=_("Kind"))

    class Meta:
        model = ReportingRule
        fields = ["q", "kind", "is_active"]
