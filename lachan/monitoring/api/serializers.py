from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lachan.core.api.fields import ScopedRelatedField
from lachan.core.api.serializers import ScopedModelSerializer
from lachan.monitoring.models import Alert, Check, SiteEvent, Snapshot, WatchedSite
from lachan.monitoring.tables import site_health

TIMESTAMPS = ("created", "updated")


class WatchedSiteSerializer(ScopedModelSerializer):
    unit = ScopedRelatedField(source="website.unit", read_only=True)
    site_url = serializers.CharField(source="website.url", read_only=True)
    health = serializers.SerializerMethodField()
    open_alert_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = WatchedSite
        fields = ("id", "url", "display", "website", "unit", "site_url", "health", "enabled", "interval_seconds",
                  "deep_every", "subpages", "sitemap_sample", "status", "status_since", "verdict",
                  "consecutive_failures", "last_checked_at", "last_http_status", "last_latency_ms", "last_error",
                  "final_url", "tls_days_left", "dns_answers", "next_check_at", "open_alert_count", *TIMESTAMPS)
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_health(self, obj):
        return site_health(obj)


class CheckSerializer(ScopedModelSerializer):
    page_url = serializers.CharField(source="url", read_only=True)

    class Meta:
        model = Check
        fields = ("id", "url", "display", "site", "checked_at", "deep", "page_url", "final_url", "http_status",
                  "latency_ms", "tls_days_left", "verdict", "error_kind", "error_message", "findings", "worker",
                  *TIMESTAMPS)
        read_only_fields = fields


class SnapshotSerializer(ScopedModelSerializer):
    page_url = serializers.CharField(source="url", read_only=True)

    class Meta:
        model = Snapshot
        fields = ("id", "url", "display", "site", "page_url", "taken_at", "content_hash", "title", "text",
                  "is_baseline", "accepted_by", *TIMESTAMPS)
        read_only_fields = fields


class AlertSerializer(ScopedModelSerializer):
    page_url = serializers.CharField(source="url", read_only=True)

    class Meta:
        model = Alert
        fields = ("id", "url", "display", "site", "kind", "page_url", "severity", "state", "summary", "evidence",
                  "opened_at", "confirmed_at", "last_seen_at", "resolved_at", "acknowledged_at", "acknowledged_by",
                  "note", "notified_at", "recovery_notified_at", *TIMESTAMPS)
        read_only_fields = fields


class SiteEventSerializer(ScopedModelSerializer):
    class Meta:
        model = SiteEvent
        fields = ("id", "url", "display", "site", "at", "kind", "alert", "user", "message", "data", *TIMESTAMPS)
        read_only_fields = fields


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RequiredNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class BaselineSerializer(serializers.Serializer):
    page_url = serializers.URLField(max_length=2000, required=False, allow_blank=True, default="",
                                    help_text="One URL of the site; empty: every page of the site.")
