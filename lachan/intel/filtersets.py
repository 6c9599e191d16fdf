import django_filters
from django.utils.translation import gettext_lazy as _

from lachan.core.filtersets import BaseFilterSet, UnitScopedFilterSet, scoped_queryset

from .choices import TLP, CaseStatus, IndicatorKind, NotificationChannel, NotificationStatus
from .models import AsnAssignment, Case, Feed, FeedImport, FeedUpload, Indicator, Notification, Sighting


class FeedFilterSet(BaseFilterSet):
    search_fields = ("name", "source_organization", "description")
    default_tlp = django_filters.ChoiceFilter(choices=TLP.choices, label=_("Default TLP"))

    class Meta:
        model = Feed
        fields = ["q", "default_tlp", "is_active"]


class FeedImportFilterSet(BaseFilterSet):
    search_fields = ("file_name", "sha256", "feed__name")
    feed = django_filters.ModelChoiceFilter(queryset=scoped_queryset(Feed), label=_("Feed"))

    class Meta:
        model = FeedImport
        fields = ["q", "feed"]


class FeedUploadFilterSet(BaseFilterSet):
    search_fields = ("file_name", "new_feed", "feed__name", "error")

    class Meta:
        model = FeedUpload
        fields = ["q", "status"]


class CaseFilterSet(UnitScopedFilterSet):
    search_fields = ("ip", "family")
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices, label=_("Status"))
    family = django_filters.CharFilter(field_name="family", lookup_expr="iexact", label=_("Malware family"))
    reinfected = django_filters.BooleanFilter(method="filter_reinfected", label=_("Ever reinfected"))

    class Meta:
        model = Case
        fields = ["q", "unit", "unit_tree", "status", "family", "reinfected"]

    def filter_reinfected(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(reinfections__gt=0) if value else queryset.filter(reinfections=0)


class SightingFilterSet(UnitScopedFilterSet):
    search_fields = ("ip", "family", "destination")
    feed_import = django_filters.ModelChoiceFilter(queryset=scoped_queryset(FeedImport), label=_("Import"))
    case = django_filters.ModelChoiceFilter(queryset=scoped_queryset(Case), label=_("Case"))
    family = django_filters.CharFilter(field_name="family", lookup_expr="iexact", label=_("Malware family"))

    class Meta:
        model = Sighting
        fields = ["q", "unit", "unit_tree", "feed_import", "case", "family"]


class AsnAssignmentFilterSet(UnitScopedFilterSet):
    search_fields = ("description",)
    asn = django_filters.NumberFilter(label=_("ASN"))

    class Meta:
        model = AsnAssignment
        fields = ["q", "unit", "unit_tree", "asn"]


class IndicatorFilterSet(BaseFilterSet):
    search_fields = ("value",)
    kind = django_filters.ChoiceFilter(choices=IndicatorKind.choices, label=_("Kind"))
    feed = django_filters.ModelChoiceFilter(queryset=scoped_queryset(Feed), label=_("Source feed"))

    class Meta:
        model = Indicator
        fields = ["q", "kind", "feed"]


class NotificationFilterSet(UnitScopedFilterSet):
    search_fields = ("subject", "recipients")
    channel = django_filters.ChoiceFilter(choices=NotificationChannel.choices, label=_("Channel"))
    status = django_filters.ChoiceFilter(choices=NotificationStatus.choices, label=_("Status"))

    class Meta:
        model = Notification
        fields = ["q", "unit", "unit_tree", "channel", "status"]
