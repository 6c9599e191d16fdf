from lachan.core.api.serializers import ScopedModelSerializer
from lachan.directives.models import Directive, Dispatch, TaskAnswer

TIMESTAMPS = ("created", "updated")


class DirectiveSerializer(ScopedModelSerializer):
    class Meta:
        model = Directive
        fields = ("id", "url", "display", "unit", "doc_type", "number", "number_blank", "issuer", "date", "subject",
                  "parent", "status", *TIMESTAMPS)
        read_only_fields = fields


class DispatchSerializer(ScopedModelSerializer):
    class Meta:
        model = Dispatch
        fields = ("id", "url", "display", "directive", "unit", "note", "acknowledged_at", *TIMESTAMPS)
        read_only_fields = fields


class TaskAnswerSerializer(ScopedModelSerializer):
    # The evidence file itself only through the UI download route (scoped and logged); here its name and hash.
    class Meta:
        model = TaskAnswer
        fields = ("id", "url", "display", "unit", "status", "reason", "note", "evidence_name", "evidence_sha256",
                  "evidence_size", "answered_at", *TIMESTAMPS)
        read_only_fields = fields
