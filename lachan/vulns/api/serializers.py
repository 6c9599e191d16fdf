from rest_framework import serializers

from lachan.core.api.serializers import ScopedModelSerializer
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

TIMESTAMPS = ("created", "updated")


class AdvisorySerializer(ScopedModelSerializer):
    class Meta:
        model = Advisory
        fields = ("id", "url", "display", "cve_id", "description", "published", "last_modified", "status",
                  "cvss_version", "base_score", "vector", "severity", "metrics", "cwes", "references", "applicability",
                  "kev", "kev_date_added", "kev_due_date", "kev_known_ransomware", "kev_required_action", "sources",
                  *TIMESTAMPS)
        read_only_fields = fields


class FindingSerializer(ScopedModelSerializer):
    status = serializers.CharField(read_only=True)  # plain text: one enum per "status" in the schema is enough

    class Meta:
        model = Finding
        fields = ("id", "url", "display", "unit", "system", "host", "software", "advisory", "cve_id", "source",
                  "rule_id", "title", "severity", "cvss", "kev", "port", "protocol", "component", "installed_version",
                  "fixed_version", "target", "address", "evidence", "solution", "status", "uncertain", "reason",
                  "risk_reason", "risk_approver", "risk_expires_on", "first_seen", "last_seen", "fixed_at", "due_date",
                  "overdue", "owner", "timeline", *TIMESTAMPS)
        read_only_fields = fields


class FindingStatusSerializer(serializers.Serializer):
    status = serializers.CharField(max_length=20, help_text="open, in_progress, fixed, verified, risk_accepted, false_positive")
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)


class ScanImportSerializer(ScopedModelSerializer):
    status = serializers.CharField(read_only=True)

    class Meta:
        model = ScanImport
        fields = ("id", "url", "display", "unit", "file_name", "sha256", "size", "format", "status", "error",
                  "started", "finished", "hosts", "findings", "new", "updated_count", "closed", "reopened",
                  "unknown_hosts_count", "unknown_hosts", *TIMESTAMPS)
        read_only_fields = fields


class WarningCampaignSerializer(ScopedModelSerializer):
    class Meta:
        model = WarningCampaign
        fields = ("id", "url", "display", "number", "title", "issuer", "issued_on", "deadline", "description",
                  "cve_ids", "items", *TIMESTAMPS)
        read_only_fields = fields


class CampaignAnswerSerializer(ScopedModelSerializer):
    status = serializers.CharField(read_only=True)

    class Meta:
        model = CampaignAnswer
        fields = ("id", "url", "display", "campaign", "unit", "status", "note", "affected", "open_findings",
                  "answered_by", "answered_at", *TIMESTAMPS)
        read_only_fields = fields


class AdvisoryImportSerializer(ScopedModelSerializer):
    status = serializers.CharField(read_only=True)

    class Meta:
        model = AdvisoryImport
        fields = ("id", "url", "display", "file_name", "sha256", "format", "status", "created_count", "updated_count",
                  "unchanged_count", "errors", "error", "started", "finished", *TIMESTAMPS)
        read_only_fields = fields


class SoftwareAliasSerializer(ScopedModelSerializer):
    class Meta:
        model = SoftwareAlias
        fields = ("id", "url", "display", "vendor", "product", "cpe_vendor", "cpe_product", "confirmed_at",
                  *TIMESTAMPS)
        read_only_fields = fields


class SlaPolicySerializer(ScopedModelSerializer):
    class Meta:
        model = SlaPolicy
        fields = ("id", "url", "display", "name", "is_active", "critical_days", "high_days", "medium_days",
                  "low_days", "info_days", "kev_days", "kev_use_catalog_due", "level_1_factor", "level_2_factor",
                  "level_3_factor", "level_4_factor", "level_5_factor", *TIMESTAMPS)
        read_only_fields = fields
