from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lachan.core.api.serializers import django_errors
from lachan.core.api.viewsets import AuditActorMixin
from lachan.core.scope import CHANGE, VIEW
from lachan.intel import filtersets, services
from lachan.intel.models import (
    AsnAssignment,
    Case,
    Feed,
    FeedImport,
    FeedUpload,
    Indicator,
    Notification,
    Sighting,
    UnmappedIP,
)

from . import serializers


class ScopedReadOnlyViewSet(AuditActorMixin, viewsets.ReadOnlyModelViewSet):
    # Reads restricted to the user's scope; custom write actions use the change scope.

    def get_queryset(self):
        action = VIEW if self.request.method in ("GET", "HEAD", "OPTIONS") else CHANGE
        return super().get_queryset().restrict(self.request.user, action)

    def get_serializer_context(self):
        return super().get_serializer_context() | {"user": self.request.user}


class CaseViewSet(ScopedReadOnlyViewSet):
    """Botnet cleanup cases of the user's units; POST ``cleaned`` with a note reports the host cleaned."""

    queryset = Case.objects.select_related("unit", "last_import__feed")
    serializer_class = serializers.CaseSerializer
    filterset_class = filtersets.CaseFilterSet
    ordering_fields = ("ip", "family", "status", "unit__path", "first_seen", "last_seen", "reinfections")

    @extend_schema(request=serializers.CaseCleanedSerializer, responses=serializers.CaseSerializer)
    @action(detail=True, methods=["get", "post"])
    def cleaned(self, request, pk=None, format=None):
        case = self.get_object()
        if request.method == "POST":
            payload = serializers.CaseCleanedSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            try:
                case = services.case_report_cleaned(case=case, by=request.user, note=payload.validated_data["note"])
            except DjangoValidationError as exc:
                raise django_errors(exc) from None
        return Response(self.get_serializer(case).data)


class FeedImportViewSet(ScopedReadOnlyViewSet):
    """Feed imports: totals for everyone; per-unit figures only for the units in the user's scope."""

    queryset = FeedImport.objects.select_related("feed")
    serializer_class = serializers.FeedImportSerializer
    filterset_class = filtersets.FeedImportFilterSet
    ordering_fields = ("started", "rows", "matched")


class FeedUploadViewSet(ScopedReadOnlyViewSet):
    """Files uploaded on the import page and the state of their background import."""

    queryset = FeedUpload.objects.select_related("feed", "result", "uploaded_by")
    serializer_class = serializers.FeedUploadSerializer
    filterset_class = filtersets.FeedUploadFilterSet
    ordering_fields = ("created", "status")


class IndicatorViewSet(ScopedReadOnlyViewSet):
    """Indicators of compromise (domains, URLs, file hashes) with source feed and expiry."""

    queryset = Indicator.objects.select_related("feed")
    serializer_class = serializers.IndicatorSerializer
    filterset_class = filtersets.IndicatorFilterSet
    ordering_fields = ("kind", "value", "last_seen", "expires_at")


class SightingViewSet(ScopedReadOnlyViewSet):
    """Sightings (one per case and import) with the raw line kept as evidence."""

    queryset = Sighting.objects.select_related("unit", "case", "feed_import__feed")
    serializer_class = serializers.SightingSerializer
    filterset_class = filtersets.SightingFilterSet
    ordering_fields = ("seen", "ip", "family")


class AsnAssignmentViewSet(ScopedReadOnlyViewSet):
    """ASN → unit assignments (the fallback owner of addresses no prefix holds)."""

    queryset = AsnAssignment.objects.select_related("unit")
    serializer_class = serializers.AsnAssignmentSerializer
    filterset_class = filtersets.AsnAssignmentFilterSet
    ordering_fields = ("asn", "unit__path")


class NotificationViewSet(ScopedReadOnlyViewSet):
    """Delivery log of the feed notifications of the user's units."""

    queryset = Notification.objects.select_related("unit", "feed_import__feed")
    serializer_class = serializers.NotificationSerializer
    filterset_class = filtersets.NotificationFilterSet
    ordering_fields = ("created", "sent_at", "status")


class FeedViewSet(ScopedReadOnlyViewSet):
    """Feeds (sources of botnet and IoC lists)."""

    queryset = Feed.objects.all()
    serializer_class = serializers.FeedSerializer
    filterset_class = filtersets.FeedFilterSet
    ordering_fields = ("name",)


class UnmappedIPViewSet(AuditActorMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The unmapped queue: addresses no prefix and no ASN maps to (coordinators and auditors; empty for
    others). A list only: the addresses belong to no unit."""

    queryset = UnmappedIP.objects.select_related("feed_import__feed")
    serializer_class = serializers.UnmappedIPSerializer
    ordering_fields = ("asn", "count", "ip")

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, VIEW)
