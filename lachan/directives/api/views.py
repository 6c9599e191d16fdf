from rest_framework import viewsets

from lachan.core.api.viewsets import AuditActorMixin
from lachan.core.scope import VIEW
from lachan.directives import filtersets
from lachan.directives.models import Directive, Dispatch, TaskAnswer

from . import serializers


class ScopedReadOnlyViewSet(AuditActorMixin, viewsets.ReadOnlyModelViewSet):
    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, VIEW)

    def get_serializer_context(self):
        return super().get_serializer_context() | {"user": self.request.user}


class DirectiveViewSet(ScopedReadOnlyViewSet):
    """Directives issued in the user's units or dispatched to them."""

    queryset = Directive.objects.select_related("unit", "parent")
    serializer_class = serializers.DirectiveSerializer
    filterset_class = filtersets.DirectiveFilterSet
    ordering_fields = ("date", "created", "number")


class DispatchViewSet(ScopedReadOnlyViewSet):
    """Directives received by the user's units (and, for the issuing side, every recipient)."""

    queryset = Dispatch.objects.select_related("unit", "directive")
    serializer_class = serializers.DispatchSerializer
    filterset_class = filtersets.DispatchFilterSet
    ordering_fields = ("created", "acknowledged_at")


class TaskAnswerViewSet(ScopedReadOnlyViewSet):
    """Answers of the user's units to directive tasks (and, for the issuing side, every recipient's)."""

    queryset = TaskAnswer.objects.select_related("unit", "task")
    serializer_class = serializers.TaskAnswerSerializer
    filterset_class = filtersets.TaskAnswerFilterSet
    ordering_fields = ("answered_at", "status")
