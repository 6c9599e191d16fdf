from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from lachan.core.api.serializers import ScopedModelSerializer
from lachan.notify.addresses import validate_target
from lachan.notify.choices import Channel, Severity
from lachan.notify.models import Delivery, NotificationPreference

TIMESTAMPS = ("created", "updated")


class DeliverySerializer(ScopedModelSerializer):
    # Plain text for the choice fields: one enum per name ("status", "channel", "severity") in the schema.
    channel = serializers.CharField(read_only=True)
    severity = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    target = serializers.CharField(source="display_target", read_only=True)
    attachments = serializers.ListField(source="attachment_names", child=serializers.CharField(), read_only=True)

    class Meta:
        model = Delivery
        fields = ("id", "url", "display", "event_key", "channel", "target", "unit", "user", "severity", "subject",
                  "body", "attachments", "status", "attempts", "next_attempt_at", "sent_at", "error", *TIMESTAMPS)
        read_only_fields = fields


class NotificationPreferenceSerializer(ScopedModelSerializer):
    # Readable in the user's scope (who on the unit can be reached how); the secret is write-only and
    # only the owner may write (the viewset).
    channel = serializers.CharField(max_length=20, help_text="email, telegram, webhook or apprise")
    min_severity = serializers.CharField(max_length=10, required=False,
                                         help_text="info, low, medium, high or critical")
    target = serializers.CharField(max_length=500)
    secret = serializers.CharField(max_length=200, write_only=True, required=False, allow_blank=True)

    class Meta:
        model = NotificationPreference
        fields = ("id", "url", "display", "user", "channel", "target", "enabled", "min_severity", "event_kinds",
                  "quiet_start", "quiet_end", "secret", *TIMESTAMPS)
        read_only_fields = ("id", "url", "display", "user", *TIMESTAMPS)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request_user = self.user
        if request_user is None or instance.user_id != request_user.pk:
            data["target"] = instance.display_target
        return data

    def validate_channel(self, value):
        if value not in Channel.values:
            raise serializers.ValidationError(f"one of {', '.join(Channel.values)}")
        return value

    def validate_min_severity(self, value):
        if value not in Severity.values:
            raise serializers.ValidationError(f"one of {', '.join(Severity.values)}")
        return value

    def validate(self, attrs):
        channel = self.value(attrs, "channel")
        target = self.value(attrs, "target")
        if channel and target:
            try:
                attrs["target"] = validate_target(channel, target)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"target": exc.messages}) from None
        return super().validate(attrs)
