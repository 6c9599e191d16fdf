from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import serializers

from lachan.accounts.models import User
from lachan.core.api.fields import ScopedRelatedField, brief
from lachan.core.api.serializers import ScopedModelSerializer, django_errors
from lachan.oncall import services
from lachan.oncall.models import (
    Escalation,
    EscalationPolicy,
    EscalationRule,
    Handover,
    Override,
    Rotation,
    Schedule,
)

TIMESTAMPS = ("created", "updated")


class DeskUnitMixin:
    def validate_unit(self, unit):
        if unit is None and not self.user.is_coordinator:
            raise serializers.ValidationError(_("Choose your unit (only coordinators keep the coordinator's desk)."))
        return unit


class ScheduleSerializer(DeskUnitMixin, ScopedModelSerializer):
    class Meta:
        model = Schedule
        fields = ("id", "url", "display", "name", "unit", "timezone", "description", *TIMESTAMPS)


class RotationSerializer(ScopedModelSerializer):
    # Participants in turn order (a list of user ids; order matters).
    participants = ScopedRelatedField(many=True, queryset=User.objects.all())

    class Meta:
        model = Rotation
        fields = ("id", "url", "display", "schedule", "name", "layer", "start_date", "shift_start", "shift_end",
                  "length_days", "participants", *TIMESTAMPS)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        members = sorted(instance.members.all(), key=lambda m: (m.position, m.pk))  # prefetched by the viewset
        data["participants"] = [brief(m.user, request) for m in members]
        return data

    def _write(self, instance, validated_data):
        participants = validated_data.pop("participants", None)
        with transaction.atomic():
            instance = super().update(instance, validated_data) if instance else super().create(validated_data)
            if participants is not None:
                try:
                    services.rotation_set_participants(instance, participants)
                except DjangoValidationError as exc:
                    raise django_errors(exc) from None
        return instance

    def create(self, validated_data):
        return self._write(None, validated_data)

    def update(self, instance, validated_data):
        return self._write(instance, validated_data)


class OverrideSerializer(ScopedModelSerializer):
    class Meta:
        model = Override
        fields = ("id", "url", "display", "schedule", "user", "starts", "ends", "reason", *TIMESTAMPS)


class HandoverSerializer(ScopedModelSerializer):
    class Meta:
        model = Handover
        fields = ("id", "url", "display", "schedule", "from_user", "to_user", "at", "text", *TIMESTAMPS)


class EscalationPolicySerializer(DeskUnitMixin, ScopedModelSerializer):
    class Meta:
        model = EscalationPolicy
        fields = ("id", "url", "display", "name", "unit", "repeat", "description", *TIMESTAMPS)


class EscalationRuleSerializer(ScopedModelSerializer):
    class Meta:
        model = EscalationRule
        fields = ("id", "url", "display", "policy", "position", "target", "schedule", "user", "wait_minutes",
                  *TIMESTAMPS)


class EscalationStepSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    round = serializers.IntegerField()
    at = serializers.DateTimeField()
    target = serializers.CharField()
    notified = serializers.SerializerMethodField()
    addresses = serializers.ListField(child=serializers.CharField())
    delivery_ids = serializers.ListField(child=serializers.IntegerField())
    note = serializers.CharField()

    def get_notified(self, obj) -> list[str]:
        return [str(u) for u in obj.notified.all()]


class EscalationSerializer(ScopedModelSerializer):
    status = serializers.CharField(read_only=True, help_text="active, acknowledged or exhausted")
    steps = EscalationStepSerializer(many=True, read_only=True)

    class Meta:
        model = Escalation
        fields = ("id", "url", "display", "event_key", "policy", "unit", "subject", "body", "severity", "source_ref",
                  "status", "step", "round", "next_at", "started_at", "acknowledged_at", "acknowledged_by",
                  "ack_note", "steps", *TIMESTAMPS)
        read_only_fields = fields


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class OnDutySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The schedule's id")
    schedule = serializers.SerializerMethodField()
    users = serializers.SerializerMethodField()
    source = serializers.CharField()

    def get_schedule(self, row) -> dict:
        return brief(row["schedule"], self.context.get("request"))

    def get_users(self, row) -> list[dict]:
        request = self.context.get("request")
        return [brief(u, request) | {"phone": u.phone, "email": u.email} for u in row["users"]]
