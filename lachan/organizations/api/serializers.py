from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from lachan.core.api.serializers import ScopedModelSerializer, django_errors, run_django_validator
from lachan.organizations.choices import ContactRole
from lachan.organizations.models import Contact, ExternalContact, Unit, UnitGroup
from lachan.organizations.services import unit_create, unit_update
from lachan.organizations.validators import clean_email_list, clean_phone_list, unit_parent_required

TIMESTAMPS = ("created", "updated")


class UnitGroupSerializer(ScopedModelSerializer):
    class Meta:
        model = UnitGroup
        fields = ("id", "url", "display", "name", "description", "order", *TIMESTAMPS)


class UnitSerializer(ScopedModelSerializer):
    # Written through ``unit_create`` / ``unit_update``: they keep the materialised path.

    class Meta:
        model = Unit
        fields = ("id", "url", "display", "code", "name", "short_name", "kind", "parent", "groups", "address",
                  "email", "phone", "website", "description", "is_active", "path", "depth", *TIMESTAMPS)
        read_only_fields = ("path", "depth")

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, Unit) and self.instance.parent_id:
            # An administrator edits their own unit, whose parent lies outside their scope: the current
            # parent may be sent back unchanged, never another out-of-scope unit.
            fields["parent"].extra_pks = {self.instance.parent_id}
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.user is not None and unit_parent_required(self.user) and self.value(attrs, "parent") is None:
            raise serializers.ValidationError({"parent": _("Choose the parent unit (inside your own unit).")})
        return attrs

    def create(self, validated_data):
        try:
            return unit_create(**validated_data)
        except DjangoValidationError as exc:
            raise django_errors(exc) from None

    def update(self, instance, validated_data):
        try:
            return unit_update(unit=instance, **validated_data)
        except DjangoValidationError as exc:
            raise django_errors(exc) from None


class RoleListField(serializers.ListField):
    """``Contact.roles`` is stored "security_focal,on_duty"; the API reads and writes a list."""

    child = serializers.ChoiceField(choices=ContactRole.choices)

    def to_representation(self, data):
        return [role for role in (data or "").split(",") if role]

    def to_internal_value(self, data):
        return ",".join(dict.fromkeys(super().to_internal_value(data)))


class ContactSerializer(ScopedModelSerializer):
    roles = RoleListField(required=False)

    class Meta:
        model = Contact
        fields = ("id", "url", "display", "unit", "full_name", "position", "phones", "emails", "roles", "notes",
                  *TIMESTAMPS)

    def validate_phones(self, value):
        return run_django_validator(clean_phone_list, value)

    def validate_emails(self, value):
        return run_django_validator(clean_email_list, value)


class ExternalContactSerializer(ScopedModelSerializer):
    class Meta:
        model = ExternalContact
        fields = ("id", "url", "display", "organization", "short_name", "category", "parent_organization", "person",
                  "purpose", "phones", "hotline", "emails", "website", "address", "source", "notes", "is_active",
                  "order", *TIMESTAMPS)

    def validate_phones(self, value):
        return run_django_validator(clean_phone_list, value)

    def validate_hotline(self, value):
        return run_django_validator(clean_phone_list, value)

    def validate_emails(self, value):
        return run_django_validator(clean_email_list, value)
