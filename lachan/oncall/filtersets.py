import django_filters
from django.utils.translation import gettext_lazy as _

from lachan.core.filtersets import BaseFilterSet, UnitScopedFilterSet, scoped_queryset

from .choices import EscalationStatus, Layer
from .models import Escalation, EscalationPolicy, EscalationRule, Handover, Override, Rotation, Schedule


class ScheduleFilterSet(UnitScopedFilterSet):
    search_fields = ("name", "description")

    class Meta:
        model = Schedule
        fields = ["q", "unit", "unit_tree"]


class ScheduleChildFilterSet(BaseFilterSet):
    schedule = django_filters.ModelChoiceFilter(queryset=scoped_queryset(Schedule), label=_("Schedule"))


class RotationFilterSet(ScheduleChildFilterSet):
    search_fields = ("name", "schedule__name")
    layer = django_filters.ChoiceFilter(choices=Layer.choices, label=_("Layer"))

    class Meta:
        model = Rotation
        fields = ["q", "schedule", "layer"]


class OverrideFilterSet(ScheduleChildFilterSet):
    search_fields = ("reason", "schedule__name", "user__username")

    class Meta:
        model = Override
        fields = ["q", "schedule"]


class HandoverFilterSet(ScheduleChildFilterSet):
    search_fields = ("text", "schedule__name")

    class Meta:
        model = Handover
        fields = ["q", "schedule"]


class EscalationPolicyFilterSet(UnitScopedFilterSet):
    search_fields = ("name", "description")

    class Meta:
        model = EscalationPolicy
        fields = ["q", "unit", "unit_tree"]


class EscalationRuleFilterSet(BaseFilterSet):
    search_fields = ("policy__name",)
    policy = django_filters.ModelChoiceFilter(queryset=scoped_queryset(EscalationPolicy), label=_("Policy"))

    class Meta:
        model = EscalationRule
        fields = ["q", "policy"]


class EscalationFilterSet(UnitScopedFilterSet):
    search_fields = ("subject", "event_key", "source_ref")
    status = django_filters.MultipleChoiceFilter(choices=EscalationStatus.choices, label=_("Status"))
    policy = django_filters.ModelChoiceFilter(queryset=scoped_queryset(EscalationPolicy), label=_("Policy"))

    class Meta:
        model = Escalation
        fields = ["q", "unit", "unit_tree", "status", "policy"]
