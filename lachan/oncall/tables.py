import django_tables2 as tables

from lachan.core.tables import ObjectTable, UnitColumn

from .models import Escalation, EscalationPolicy, EscalationRule, Handover, Override, Rotation, Schedule


class ScheduleTable(ObjectTable):
    name = tables.Column(linkify=True)
    unit = UnitColumn()

    class Meta(ObjectTable.Meta):
        model = Schedule
        fields = ("name", "unit", "timezone")


class RotationTable(ObjectTable):
    name = tables.Column(linkify=True)
    schedule = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = Rotation
        fields = ("name", "schedule", "layer", "shift_start", "shift_end", "length_days", "start_date")


class OverrideTable(ObjectTable):
    user = tables.Column(linkify=False)
    schedule = tables.Column(linkify=True)
    starts = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = Override
        fields = ("starts", "ends", "user", "schedule", "reason")


class HandoverTable(ObjectTable):
    at = tables.Column(linkify=True)
    schedule = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = Handover
        fields = ("at", "schedule", "from_user", "to_user", "text")


class EscalationPolicyTable(ObjectTable):
    name = tables.Column(linkify=True)
    unit = UnitColumn()

    class Meta(ObjectTable.Meta):
        model = EscalationPolicy
        fields = ("name", "unit", "repeat")


class EscalationRuleTable(ObjectTable):
    position = tables.Column(linkify=True)
    policy = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = EscalationRule
        fields = ("position", "policy", "target", "schedule", "user", "wait_minutes")


class EscalationTable(ObjectTable):
    subject = tables.Column(linkify=True)
    unit = UnitColumn()

    class Meta(ObjectTable.Meta):
        model = Escalation
        fields = ("subject", "status", "unit", "policy", "step", "round", "started_at", "next_at",
                  "acknowledged_by", "acknowledged_at")
