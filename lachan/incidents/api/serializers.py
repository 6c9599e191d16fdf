from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lachan.core.api.serializers import ScopedModelSerializer
from lachan.incidents import lifecycle
from lachan.incidents.choices import IndicatorType
from lachan.incidents.models import (
    Incident,
    IncidentComment,
    IncidentDeadline,
    IncidentEvent,
    IncidentEvidence,
    IncidentIndicator,
    ReportingRule,
)
from lachan.incidents.services import EDITABLE_FIELDS

TIMESTAMPS = ("created", "updated")


class IncidentDeadlineSerializer(serializers.ModelSerializer):
    rule = serializers.SlugRelatedField(slug_field="key", read_only=True)
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = IncidentDeadline
        fields = ("rule", "rule_name", "due_at", "done_at", "note", "overdue")
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue()


class IncidentSystemInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    owner = serializers.CharField(allow_null=True)
    operator = serializers.CharField(allow_null=True)
    security_level = serializers.IntegerField(allow_null=True)


class IncidentSerializer(ScopedModelSerializer):
    # ``version``: required on updates (PATCH/PUT): the version the client read; a stale one is answered 409.
    version = serializers.IntegerField(required=False, min_value=1)
    system_info = serializers.SerializerMethodField()
    deadlines = IncidentDeadlineSerializer(many=True, read_only=True)

    class Meta:
        model = Incident
        fields = ("id", "url", "display", "unit", *EDITABLE_FIELDS, "status", "source", "source_ref", "serious",
                  "serious_override", "serious_override_reason", "system_info", "triaged_at", "resolved_at",
                  "closed_at", "deadlines", "version", *TIMESTAMPS)
        read_only_fields = ("status", "source", "source_ref", "serious", "serious_override",
                            "serious_override_reason", "triaged_at", "resolved_at", "closed_at", *TIMESTAMPS)

    @extend_schema_field(IncidentSystemInfoSerializer(allow_null=True))
    def get_system_info(self, obj):
        system = obj.system
        if system is None:
            return None
        return {"name": system.name, "owner": str(system.unit), "operator": str(system.operator_unit)
                if system.operator_unit_id else None, "security_level": system.security_level}

    def validate(self, attrs):
        if self.instance is not None and "unit" in attrs and attrs["unit"] != self.instance.unit:
            raise serializers.ValidationError({"unit": ["The reporting unit of an incident cannot be changed."]})
        return super().validate(attrs)


class IncidentEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()

    class Meta:
        model = IncidentEvent
        fields = ("id", "at", "actor", "kind", "message", "changes", "version")
        read_only_fields = fields


# Statuses in the transition payloads are plain strings (checked by the service against the lifecycle table):
# one enum component (IncidentStatusEnum) for the incident's own field.
class IncidentTransitionSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=20, help_text="new, triaged, containment, eradication, recovery, resolved, "
                                                        "closed")
    version = serializers.IntegerField(min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    lessons_learned = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None,
                                            max_length=20000)


class IncidentTransitionsSerializer(serializers.Serializer):
    status = serializers.CharField()
    version = serializers.IntegerField()
    allowed = serializers.ListField(child=serializers.CharField())

    @staticmethod
    def of(incident):
        return {"status": incident.status, "version": incident.version,
                "allowed": list(lifecycle.next_statuses(incident.status))}


class IncidentSeriousOverrideSerializer(serializers.Serializer):
    value = serializers.BooleanField(allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    version = serializers.IntegerField(min_value=1)


class IncidentSeriousStateSerializer(serializers.Serializer):
    serious = serializers.BooleanField()
    computed = serializers.BooleanField()
    override = serializers.BooleanField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    security_level = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField()

    @staticmethod
    def of(incident):
        return {"serious": incident.serious, "computed": incident.serious_computed,
                "override": incident.serious_override, "reason": incident.serious_override_reason,
                "security_level": incident.effective_security_level, "version": incident.version}


class IncidentReportedSerializer(serializers.Serializer):
    rule = serializers.SlugField(max_length=50)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class IncidentIndicatorSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=[("hash", "hash"), *IndicatorType.choices])
    value = serializers.CharField(max_length=2000)
    in_ioc_store = serializers.SerializerMethodField()

    class Meta:
        model = IncidentIndicator
        fields = ("id", "kind", "value", "note", "in_ioc_store", "created")
        read_only_fields = ("id", "in_ioc_store", "created")

    def get_in_ioc_store(self, obj) -> bool:
        return obj.indicator_id is not None


class IncidentCommentSerializer(ScopedModelSerializer):
    author = serializers.StringRelatedField()

    class Meta:
        model = IncidentComment
        fields = ("id", "url", "display", "incident", "body", "author", *TIMESTAMPS)
        read_only_fields = ("author", *TIMESTAMPS)
        extra_kwargs = {"body": {"max_length": 20000}}


class IncidentEvidenceSerializer(ScopedModelSerializer):
    file = serializers.FileField(write_only=True)
    uploaded_by = serializers.StringRelatedField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = IncidentEvidence
        fields = ("id", "url", "display", "incident", "file", "file_name", "file_type", "content_type", "sha256",
                  "size", "description", "uploaded_by", "download_url", *TIMESTAMPS)
        read_only_fields = ("file_name", "file_type", "content_type", "sha256", "size", "uploaded_by", *TIMESTAMPS)

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, obj):
        request = self.context.get("request")
        from django.urls import reverse

        path = reverse("incidents-incidentevidence-download", kwargs={"pk": obj.pk})
        return request.build_absolute_uri(path) if request is not None else path


class ReportingRuleSerializer(ScopedModelSerializer):
    class Meta:
        model = ReportingRule
        fields = ("id", "url", "display", "key", "name", "kind", "applies_to", "hours", "month", "day", "recipient",
                  "legal_basis", "is_active", "order", *TIMESTAMPS)
        read_only_fields = TIMESTAMPS
