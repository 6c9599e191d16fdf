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
    IncidentPlaybook,
    IncidentPlaybookStep,
    IncidentReport,
    ReportingRule,
    ResponsePlan,
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


# --- escalation reports, playbooks, emergency response plans ----------------------------------------------------


class IncidentReportRecipientSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.EmailField()
    contact = serializers.IntegerField(allow_null=True)
    category = serializers.CharField(allow_blank=True)


class IncidentReportAttachmentSerializer(serializers.Serializer):
    evidence = serializers.IntegerField()
    file_name = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()


class IncidentReportSerializer(ScopedModelSerializer):
    sent_by = serializers.StringRelatedField()
    recipients = IncidentReportRecipientSerializer(many=True, read_only=True)
    attachments = IncidentReportAttachmentSerializer(many=True, read_only=True)
    delivery_status = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = IncidentReport
        fields = ("id", "url", "display", "incident", "sent_by", "sent_at", "recipients", "subject", "body", "note",
                  "file_name", "sha256", "size", "attachments", "incident_version", "delivery_status",
                  "download_url", *TIMESTAMPS)
        read_only_fields = fields

    def get_delivery_status(self, obj) -> str:
        return obj.delivery_status

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, obj):
        from django.urls import reverse

        request = self.context.get("request")
        path = reverse("incidents-incidentreport-download", kwargs={"pk": obj.pk})
        return request.build_absolute_uri(path) if request is not None else path


class IncidentEscalateSerializer(serializers.Serializer):
    # ``contacts``: ids of the external contact directory; ``emails``: typed addresses; ``evidence``: ids of the
    # incident's evidence files to attach; ``version``: the incident version the sender read.
    contacts = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list,
                                     max_length=50)
    emails = serializers.ListField(child=serializers.CharField(max_length=254), required=False, default=list,
                                   max_length=50)
    evidence = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list,
                                     max_length=50)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    version = serializers.IntegerField(min_value=1)


class IncidentEscalationContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    category = serializers.CharField()
    emails = serializers.CharField()


class IncidentEscalationEvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class IncidentEscalationOptionsSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    version = serializers.IntegerField()
    max_bytes = serializers.IntegerField()
    contacts = IncidentEscalationContactSerializer(many=True)
    evidence = IncidentEscalationEvidenceSerializer(many=True)

    @staticmethod
    def of(incident, user):
        from lachan.core.scope import VIEW
        from lachan.incidents import reporting
        from lachan.organizations.models import ExternalContact

        contacts = ExternalContact.objects.restrict(user, VIEW).filter(is_active=True).exclude(emails="")
        return {"allowed": reporting.may_escalate(user, incident), "version": incident.version,
                "max_bytes": reporting.escalation.max_attachment_bytes(),
                "contacts": [{"id": c.pk, "name": str(c), "category": c.category, "emails": c.emails}
                             for c in contacts],
                "evidence": [{"id": e.pk, "file_name": e.file_name, "size": e.size, "sha256": e.sha256}
                             for e in incident.evidence.all()]}


class IncidentPlaybookStepSerializer(serializers.ModelSerializer):
    done_by = serializers.StringRelatedField()
    phase_name = serializers.CharField(read_only=True)

    class Meta:
        model = IncidentPlaybookStep
        fields = ("id", "order", "phase", "phase_name", "text", "done_at", "done_by", "note")
        read_only_fields = fields


class IncidentPlaybookSerializer(serializers.ModelSerializer):
    steps = IncidentPlaybookStepSerializer(many=True, read_only=True)
    done = serializers.SerializerMethodField()
    total = serializers.SerializerMethodField()

    class Meta:
        model = IncidentPlaybook
        fields = ("id", "key", "title", "attached_at", "done", "total", "steps")
        read_only_fields = fields

    def get_done(self, obj) -> int:
        return obj.progress()[0]

    def get_total(self, obj) -> int:
        return obj.progress()[1]


class IncidentPlaybookActionSerializer(serializers.Serializer):
    # Either ``key`` (attach that playbook) or ``step`` (+ ``done``, ``note``: tick or untick one step).
    key = serializers.SlugField(required=False, max_length=50)
    step = serializers.IntegerField(required=False, min_value=1)
    done = serializers.BooleanField(required=False, default=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ResponsePlanSerializer(ScopedModelSerializer):
    download_url = serializers.SerializerMethodField()
    review_overdue = serializers.SerializerMethodField()

    class Meta:
        model = ResponsePlan
        fields = ("id", "url", "display", "unit", "title", "description", "file_name", "file_type", "sha256", "size",
                  "approved_on", "review_months", "next_review_on", "review_overdue", "is_active", "download_url",
                  *TIMESTAMPS)
        read_only_fields = fields

    def get_review_overdue(self, obj) -> bool:
        return obj.review_overdue()

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, obj):
        from django.urls import reverse

        request = self.context.get("request")
        path = reverse("incidents-responseplan-download", kwargs={"pk": obj.pk})
        return request.build_absolute_uri(path) if request is not None else path
