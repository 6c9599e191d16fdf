from rest_framework import serializers

from lachan.core.api.serializers import ScopedModelSerializer
from lachan.vulns.choices import FindingStatus
from lachan.vulns.models import Advisory, CampaignAnswer, Finding, ScanImport, WarningCampaign

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
    class Meta:
        model = Finding
        fields = ("id", "url", "display", "unit", "system", "host", "software", "advisory", "cve_id", "source",
                  "rule_id", "title", "severity", "cvss", "kev", "port", "protocol", "component", "installed_version",
                  "fixed_version", "target", "address", "evidence", "solution", "status", "uncertain", "reason",
                  "risk_reason", "risk_approver", "risk_expires_on", "first_seen", "last_seen", "fixed_at", "due_date",
                  "overdue", "owner", "timeline", *TIMESTAMPS)
        read_only_fields = fields


class FindingStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=FindingStatus.choices)
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)


class ScanImportSerializer(ScopedModelSerializer):
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
    class Meta:
        model = CampaignAnswer
        fields = ("id", "url", "display", "campaign", "unit", "status", "note", "affected", "open_findings",
                  "answered_by", "answered_at", *TIMESTAMPS)
        read_only_fields = fields
