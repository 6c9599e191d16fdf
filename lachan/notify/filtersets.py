import django_filters
from django.utils.translation import gettext_lazy as _

from lachan.core.filtersets import BaseFilterSet, UnitScopedFilterSet

from .choices import Channel, DeliveryStatus, Severity
from .models import Delivery, NotificationPreference


class DeliveryFilterSet(UnitScopedFilterSet):
    search_fields = ("event_key", "subject")
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices, label=_("Status"))
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, label=_("Channel"))
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices, label=_("Severity"))
    event_key = django_filters.CharFilter(field_name="event_key", lookup_expr="startswith", label=_("Event"))

    class Meta:
        model = Delivery
        fields = ["q", "unit", "unit_tree", "status", "channel", "severity", "event_key"]


class NotificationPreferenceFilterSet(BaseFilterSet):
    search_fields = ("event_kinds", "user__username", "user__first_name", "user__last_name")
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, label=_("Channel"))

    class Meta:
        model = NotificationPreference
        fields = ["q", "channel", "enabled"]
