from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import viewsets

from lachan.core.api.serializers import django_errors
from lachan.core.api.viewsets import AuditActorMixin, ScopedModelViewSet
from lachan.core.scope import VIEW
from lachan.notify import filtersets, services
from lachan.notify.models import Delivery, NotificationPreference

from . import serializers


class DeliveryViewSet(AuditActorMixin, viewsets.ReadOnlyModelViewSet):
    """The delivery log of the user's units (coordinators and auditors: all)."""

    queryset = Delivery.objects.select_related("unit", "user")
    serializer_class = serializers.DeliverySerializer
    filterset_class = filtersets.DeliveryFilterSet
    ordering_fields = ("created", "sent_at", "status", "attempts")

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, VIEW)

    def get_serializer_context(self):
        return super().get_serializer_context() | {"user": self.request.user}


class NotificationPreferenceViewSet(ScopedModelViewSet):
    """Notification preferences: readable in the user's scope; each user creates and changes only their own."""

    queryset = NotificationPreference.objects.select_related("user")
    serializer_class = serializers.NotificationPreferenceSerializer
    filterset_class = filtersets.NotificationPreferenceFilterSet
    ordering_fields = ("channel", "created")

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.method not in ("GET", "HEAD", "OPTIONS"):
            queryset = queryset.filter(user=self.request.user)
        return queryset

    def _save(self, serializer):
        instance = serializer.instance or NotificationPreference()
        for name, value in serializer.validated_data.items():
            setattr(instance, name, value)
        try:
            serializer.instance = services.preference_save(instance, user=self.request.user)
        except DjangoValidationError as exc:
            raise django_errors(exc) from None
