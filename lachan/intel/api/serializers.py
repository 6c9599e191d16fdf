from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lachan.core.api.serializers import ScopedModelSerializer
from lachan.intel import selectors
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

TIMESTAMPS = ("created", "updated")


class CaseSerializer(ScopedModelSerializer):
    class Meta:
        model = Case
        fields = ("id", "url", "display", "unit", "ip", "family", "status", "first_seen", "last_seen", "last_import",
                  "sightings_count", "reinfections", "cleaned_at", "cleaned_note", "closed_at", "closed_reason",
                  *TIMESTAMPS)
        read_only_fields = fields


class FeedUploadSerializer(ScopedModelSerializer):
    class Meta:
        model = FeedUpload
        fields = ("id", "url", "display", "feed", "new_feed", "file_name", "size", "format", "dry_run", "status",
                  "error", "result", "duplicate", "counts", "uploaded_by", "started", "finished", *TIMESTAMPS)
        read_only_fields = fields


class CaseCleanedSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000)


class FeedImportSerializer(ScopedModelSerializer):
    # Per-unit figures only for the units in the requesting user's scope; the bad-row and bogon reports
    # for coordinators and auditors only (null for others).
    per_unit = serializers.SerializerMethodField()
    bad_report = serializers.SerializerMethodField()
    bogon_report = serializers.SerializerMethodField()
    unmapped_asns = serializers.SerializerMethodField()
    tlp = serializers.CharField(read_only=True)  # plain text: one TLP enum name in the schema is enough

    class Meta:
        model = FeedImport
        fields = ("id", "url", "display", "feed", "file_name", "sha256", "size", "format", "tlp", "status", "started",
                  "finished", "rows", "parsed", "bad_rows", "matched", "matched_by_asn", "unmatched", "bogon",
                  "indicators", "cases_new", "cases_reinfected", "cases_closed", "unmapped_not_queued", "unmapped_asns", "per_unit",
                  "bad_report", "bogon_report", *TIMESTAMPS)
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_per_unit(self, obj):
        return selectors.visible_per_unit(self.user, obj)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_bad_report(self, obj):
        return obj.bad_report if selectors.sees_import_reports(self.user) else None

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_bogon_report(self, obj):
        return obj.bogon_report if selectors.sees_import_reports(self.user) else None

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_unmapped_asns(self, obj):
        return obj.unmapped_asns if selectors.sees_import_reports(self.user) else None


class IndicatorSerializer(ScopedModelSerializer):
    class Meta:
        model = Indicator
        fields = ("id", "url", "display", "kind", "value", "feed", "first_seen", "last_seen", "expires_at", *TIMESTAMPS)
        read_only_fields = fields


class SightingSerializer(ScopedModelSerializer):
    class Meta:
        model = Sighting
        fields = ("id", "url", "display", "unit", "case", "feed_import", "ip", "seen", "family", "port", "protocol",
                  "asn", "destination", "count", "line", "raw", "via_asn", *TIMESTAMPS)
        read_only_fields = fields


class AsnAssignmentSerializer(ScopedModelSerializer):
    class Meta:
        model = AsnAssignment
        fields = ("id", "url", "display", "unit", "asn", "description", *TIMESTAMPS)
        read_only_fields = fields


class NotificationSerializer(ScopedModelSerializer):
    class Meta:
        model = Notification
        fields = ("id", "url", "display", "unit", "feed_import", "channel", "recipients", "subject", "attachment_rows",
                  "status", "error", "sent_at", *TIMESTAMPS)
        read_only_fields = fields


class FeedSerializer(ScopedModelSerializer):
    default_tlp = serializers.CharField(read_only=True)

    class Meta:
        model = Feed
        fields = ("id", "url", "display", "name", "source_organization", "default_format", "default_tlp",
                  "critical_families", "complete_list", "is_active", "description", *TIMESTAMPS)
        read_only_fields = fields


class UnmappedIPSerializer(ScopedModelSerializer):
    class Meta:
        model = UnmappedIP
        fields = ("id", "display", "feed_import", "ip", "family", "asn", "count", "bogon", "resolved", "note",
                  *TIMESTAMPS)
        read_only_fields = fields
