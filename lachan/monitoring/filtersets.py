"""One filterset per model of the website watch, used by the UI lists, their exports and the API."""

import datetime

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.core.filtersets import UnitScopedFilterSet, scoped_queryset
from lachan.organizations.models import Unit

from .choices import OPEN_ALERT_STATES, AlertState, EventKind, FindingKind, Severity, SiteStatus, Verdict
from .models import SITE_SCOPE, Alert, Check, SiteEvent, Snapshot, WatchedSite

TLS_SOON_DAYS = 14


CHILD_UNIT = "site__website__unit"


def unit_filter(lookup):
    return django_filters.ModelChoiceFilter(field_name=lookup, queryset=scoped_queryset(Unit), label=_("Unit"))


class _WatchFilterSet(UnitScopedFilterSet):
    """``unit`` / ``unit_tree`` through the website (``unit_lookup``), choices in the user's scope."""

    unit_lookup = SITE_SCOPE
    unit = unit_filter(SITE_SCOPE)

    def filter_unit_tree(self, queryset, name, value):
        return queryset.filter(**{f"{self.unit_lookup}__path__startswith": value.path})


class WatchedSiteFilterSet(_WatchFilterSet):
    search_fields = ("website__url", "website__name", "final_url")
    status = django_filters.MultipleChoiceFilter(choices=SiteStatus.choices, label=_("Status"))
    verdict = django_filters.MultipleChoiceFilter(choices=Verdict.choices, label=_("Verdict"))
    open_alerts = django_filters.BooleanFilter(method="filter_open_alerts", label=_("Has open alerts"))
    tls_expiring = django_filters.BooleanFilter(method="filter_tls_expiring",
                                                label=_("TLS certificate expires within 14 days"))
    enabled = django_filters.BooleanFilter(label=_("Monitoring enabled"))

    class Meta:
        model = WatchedSite
        fields = ["q", "unit", "unit_tree", "status", "verdict", "open_alerts", "tls_expiring", "enabled"]

    def filter_open_alerts(self, queryset, name, value):
        if value is None:
            return queryset
        has_open = Alert.objects.filter(site=OuterRef("pk"), state__in=OPEN_ALERT_STATES)
        return queryset.filter(Exists(has_open)) if value else queryset.exclude(Exists(has_open))

    def filter_tls_expiring(self, queryset, name, value):
        if value is None:
            return queryset
        soon = Q(tls_days_left__isnull=False, tls_days_left__lte=TLS_SOON_DAYS)
        return queryset.filter(soon) if value else queryset.exclude(soon)


class AlertFilterSet(_WatchFilterSet):
    unit_lookup = CHILD_UNIT
    unit = unit_filter(CHILD_UNIT)
    search_fields = ("summary", "url", "site__website__url", "site__website__name")
    state = django_filters.MultipleChoiceFilter(choices=AlertState.choices, label=_("State"))
    kind = django_filters.MultipleChoiceFilter(choices=FindingKind.choices, label=_("Kind"))
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices, label=_("Severity"))
    is_open = django_filters.BooleanFilter(method="filter_is_open", label=_("Open"))
    site = django_filters.ModelChoiceFilter(queryset=scoped_queryset(WatchedSite), label=_("Site"))

    class Meta:
        model = Alert
        fields = ["q", "unit", "unit_tree", "state", "kind", "severity", "is_open", "site"]

    def filter_is_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(state__in=OPEN_ALERT_STATES) if value else queryset.exclude(state__in=OPEN_ALERT_STATES)


class CheckFilterSet(_WatchFilterSet):
    unit_lookup = CHILD_UNIT
    unit = unit_filter(CHILD_UNIT)
    search_fields = ("url", "final_url", "error_message")
    verdict = django_filters.MultipleChoiceFilter(choices=Verdict.choices, label=_("Verdict"))
    site = django_filters.ModelChoiceFilter(queryset=scoped_queryset(WatchedSite), label=_("Site"))
    since = django_filters.NumberFilter(method="filter_since", label=_("Last N hours"))

    class Meta:
        model = Check
        fields = ["q", "unit", "unit_tree", "site", "verdict", "deep", "since"]

    def filter_since(self, queryset, name, value):
        if value is None or value <= 0:
            return queryset
        return queryset.filter(checked_at__gte=timezone.now() - datetime.timedelta(hours=min(value, 24 * 400)))


class SnapshotFilterSet(_WatchFilterSet):
    unit_lookup = CHILD_UNIT
    unit = unit_filter(CHILD_UNIT)
    search_fields = ("url", "title")
    site = django_filters.ModelChoiceFilter(queryset=scoped_queryset(WatchedSite), label=_("Site"))

    class Meta:
        model = Snapshot
        fields = ["q", "unit", "unit_tree", "site", "is_baseline"]


class SiteEventFilterSet(_WatchFilterSet):
    unit_lookup = CHILD_UNIT
    unit = unit_filter(CHILD_UNIT)
    search_fields = ("message", "site__website__url", "site__website__name")
    kind = django_filters.MultipleChoiceFilter(choices=EventKind.choices, label=_("Event"))
    site = django_filters.ModelChoiceFilter(queryset=scoped_queryset(WatchedSite), label=_("Site"))

    class Meta:
        model = SiteEvent
        fields = ["q", "unit", "unit_tree", "site", "kind"]

