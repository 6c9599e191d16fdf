from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from lachan.core.api.viewsets import AuditActorMixin, ScopedModelViewSet
from lachan.core.scope import VIEW
from lachan.oncall import filtersets, services
from lachan.oncall.models import (
    Escalation,
    EscalationPolicy,
    EscalationRule,
    Handover,
    Override,
    Rotation,
    Schedule,
)
from lachan.oncall.roster import Roster

from . import serializers


def _on_duty_row(schedule, at):
    users, source = Roster(schedule).at(at)
    return {"id": schedule.pk, "schedule": schedule, "users": users, "source": source}


class ScheduleViewSet(ScopedModelViewSet):
    """Duty schedules of the user's units (the coordinator's desk: coordinators and auditors); who is on
    duty now: ``oncall/on-duty/``."""

    queryset = Schedule.objects.select_related("unit")
    serializer_class = serializers.ScheduleSerializer
    filterset_class = filtersets.ScheduleFilterSet
    ordering_fields = ("name", "unit__path")


class OnDutyViewSet(AuditActorMixin, viewsets.ReadOnlyModelViewSet):
    """Who is on duty now: one row per visible schedule (``id`` is the schedule's), the users with phone
    and e-mail, and why (``override``, ``holiday``, ``weekend``, ``regular``)."""

    queryset = Schedule.objects.select_related("unit")
    serializer_class = serializers.OnDutySerializer
    filterset_class = filtersets.ScheduleFilterSet
    ordering_fields = ("name", "unit__path")

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, VIEW)

    def get_serializer(self, instance=None, *args, **kwargs):
        at = timezone.now()
        if kwargs.get("many"):
            instance = [_on_duty_row(schedule, at) for schedule in instance]
        elif instance is not None:
            instance = _on_duty_row(instance, at)
        return super().get_serializer(instance, *args, **kwargs)


class RotationViewSet(ScopedModelViewSet):
    """Rotations (shift window, layer, turn length, participants in order) of visible schedules."""

    queryset = Rotation.objects.select_related("schedule").prefetch_related("members__user", "participants")
    serializer_class = serializers.RotationSerializer
    filterset_class = filtersets.RotationFilterSet
    ordering_fields = ("name", "shift_start")


class OverrideViewSet(ScopedModelViewSet):
    """Duty overrides of visible schedules."""

    queryset = Override.objects.select_related("schedule", "user")
    serializer_class = serializers.OverrideSerializer
    filterset_class = filtersets.OverrideFilterSet
    ordering_fields = ("starts", "ends")


class HandoverViewSet(ScopedModelViewSet):
    """Handover notes of visible schedules."""

    queryset = Handover.objects.select_related("schedule", "from_user", "to_user")
    serializer_class = serializers.HandoverSerializer
    filterset_class = filtersets.HandoverFilterSet
    ordering_fields = ("at",)


class EscalationPolicyViewSet(ScopedModelViewSet):
    """Escalation policies of the user's units (the coordinator's desk: coordinators and auditors)."""

    queryset = EscalationPolicy.objects.select_related("unit")
    serializer_class = serializers.EscalationPolicySerializer
    filterset_class = filtersets.EscalationPolicyFilterSet
    ordering_fields = ("name",)


class EscalationRuleViewSet(ScopedModelViewSet):
    """The ordered rules of visible escalation policies."""

    queryset = EscalationRule.objects.select_related("policy", "schedule", "user")
    serializer_class = serializers.EscalationRuleSerializer
    filterset_class = filtersets.EscalationRuleFilterSet
    ordering_fields = ("position",)


class EscalationViewSet(AuditActorMixin, viewsets.ReadOnlyModelViewSet):
    """Escalations (pages) with their logged steps; ``POST {id}/acknowledge`` stops one."""

    queryset = Escalation.objects.select_related("unit", "policy", "acknowledged_by").prefetch_related(
        "steps__notified")
    serializer_class = serializers.EscalationSerializer
    filterset_class = filtersets.EscalationFilterSet
    ordering_fields = ("started_at", "status")

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, VIEW)

    def get_serializer_context(self):
        return super().get_serializer_context() | {"user": self.request.user}

    @extend_schema(request=serializers.AcknowledgeSerializer, responses=serializers.EscalationSerializer)
    @action(detail=True, methods=["get", "post"])
    def acknowledge(self, request, pk=None, format=None):
        escalation = self.get_object()
        if request.method == "GET":
            return Response(self.get_serializer(escalation).data)
        if not services.can_acknowledge(request.user, escalation):
            raise PermissionDenied
        payload = serializers.AcknowledgeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        done = services.acknowledge(escalation, request.user, note=payload.validated_data.get("note", ""))
        data = self.get_serializer(escalation).data
        return Response(data, status=status.HTTP_200_OK if done else status.HTTP_409_CONFLICT)
