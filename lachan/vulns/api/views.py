from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lachan.core.api.serializers import django_errors
from lachan.core.api.viewsets import AuditActorMixin
from lachan.core.scope import CHANGE, VIEW
from lachan.vulns import filtersets, services
from lachan.vulns.models import (
    Advisory,
    AdvisoryImport,
    CampaignAnswer,
    Finding,
    ScanImport,
    SlaPolicy,
    SoftwareAlias,
    WarningCampaign,
)

from . import serializers


class ScopedReadOnlyViewSet(AuditActorMixin, viewsets.ReadOnlyModelViewSet):
    # Reads restricted to the user's scope; custom write actions use the change scope.

    def get_queryset(self):
        action = VIEW if self.request.method in ("GET", "HEAD", "OPTIONS") else CHANGE
        return super().get_queryset().restrict(self.request.user, action)

    def get_serializer_context(self):
        return super().get_serializer_context() | {"user": self.request.user}


class AdvisoryViewSet(ScopedReadOnlyViewSet):
    """Advisories (CVE records merged from NVD, CVE 5, CISA KEV and national warnings)."""

    queryset = Advisory.objects.defer("parts")
    serializer_class = serializers.AdvisorySerializer
    filterset_class = filtersets.AdvisoryFilterSet
    ordering_fields = ("cve_id", "published", "base_score")


class FindingViewSet(ScopedReadOnlyViewSet):
    """Findings of the user's units; POST ``status`` moves one through its lifecycle."""

    queryset = Finding.objects.select_related("unit", "system", "host", "software", "advisory", "owner",
                                              "risk_approver")
    serializer_class = serializers.FindingSerializer
    filterset_class = filtersets.FindingFilterSet
    ordering_fields = ("due_date", "cvss", "severity", "first_seen", "last_seen", "status")

    @extend_schema(request=serializers.FindingStatusSerializer, responses=serializers.FindingSerializer)
    @action(detail=True, methods=["get", "post"])
    def status(self, request, pk=None, format=None):
        finding = self.get_object()
        if request.method == "POST":
            payload = serializers.FindingStatusSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            data = payload.validated_data
            try:
                finding = services.finding_transition(finding, data["status"], by=request.user, reason=data["reason"],
                                                      expires_on=data["expires_on"])
            except DjangoValidationError as exc:
                raise django_errors(exc) from None
        return Response(self.get_serializer(finding).data)


class ScanImportViewSet(ScopedReadOnlyViewSet):
    """Scan imports of the user's units with their counts and unknown hosts."""

    queryset = ScanImport.objects.select_related("unit")
    serializer_class = serializers.ScanImportSerializer
    filterset_class = filtersets.ScanImportFilterSet
    ordering_fields = ("created",)


class WarningCampaignViewSet(ScopedReadOnlyViewSet):
    """Warning campaigns (Department / national warnings tracked across units)."""

    queryset = WarningCampaign.objects.all()
    serializer_class = serializers.WarningCampaignSerializer
    filterset_class = filtersets.WarningCampaignFilterSet
    ordering_fields = ("issued_on", "deadline")


class CampaignAnswerViewSet(ScopedReadOnlyViewSet):
    """The answers of the user's units to the warning campaigns."""

    queryset = CampaignAnswer.objects.select_related("unit", "campaign", "answered_by")
    serializer_class = serializers.CampaignAnswerSerializer
    filterset_class = filtersets.CampaignAnswerFilterSet
    ordering_fields = ("answered_at", "unit__path")


class AdvisoryImportViewSet(ScopedReadOnlyViewSet):
    """Advisory file imports with their counts."""

    queryset = AdvisoryImport.objects.all()
    serializer_class = serializers.AdvisoryImportSerializer
    filterset_class = filtersets.AdvisoryImportFilterSet
    ordering_fields = ("started",)


class SoftwareAliasViewSet(ScopedReadOnlyViewSet):
    """Confirmed aliases: free-text inventory names → CPE vendor/product."""

    queryset = SoftwareAlias.objects.all()
    serializer_class = serializers.SoftwareAliasSerializer
    filterset_class = filtersets.SoftwareAliasFilterSet
    ordering_fields = ("vendor", "product")


class SlaPolicyViewSet(ScopedReadOnlyViewSet):
    """SLA policies (days to fix by severity, KEV and security level)."""

    queryset = SlaPolicy.objects.all()
    serializer_class = serializers.SlaPolicySerializer
    filterset_class = filtersets.SlaPolicyFilterSet
    ordering_fields = ("name",)
