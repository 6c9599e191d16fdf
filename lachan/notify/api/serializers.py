from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from lachan.core.api.serializers import ScopedModelSerializer
from lachan.notify.addresses import validate_target
from lachan.notify.models import Delivery, NotificationPreference

TIMESTAMPS = ("created", "updated")


class DeliverySerializer(ScopedModelSerializer):
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

    def validate(self, attrs):
        channel = self.value(attrs, "channel")
        target = self.value(attrs, "target")
        if channel and target:
            try:
                attrs["target"] = validate_target(channel, target)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"target": exc.messages}) from None
        return super().validate(attrs)
