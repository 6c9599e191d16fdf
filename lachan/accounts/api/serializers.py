import copy

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from lachan.accounts.models import User
from lachan.accounts.services import user_create
from lachan.accounts.validators import assignable_roles
from lachan.core.api.serializers import ScopedModelSerializer, django_errors


class UserSerializer(ScopedModelSerializer):
    # Created through ``accounts.services.user_create``. The password is write-only, required on creation,
    # optional afterwards, and checked by the password validators.

    password = serializers.CharField(
        write_only=True, required=False, trim_whitespace=False, style={"input_type": "password"},
        help_text=gettext_lazy("Required when creating a user; leave out to keep the current password."),
    )

    class Meta:
        model = User
        fields = ("id", "url", "display", "username", "first_name", "last_name", "email", "phone", "unit", "role",
                  "is_active", "password", "last_login", "date_joined")
        read_only_fields = ("last_login", "date_joined")
        extra_kwargs = {"unit": {"required": True, "allow_null": False}}

    def validate_role(self, value):
        if self.user is not None and value not in {choice for choice, _label in assignable_roles(self.user)}:
            raise serializers.ValidationError(_("You may not give the role %(role)s.") % {"role": value})
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        password = attrs.get("password")
        if self.instance is None and not password:
            raise serializers.ValidationError({"password": _("This field is required.")})
        if password:
            candidate = copy.copy(self.instance) if self.instance is not None else User()
            for name, value in attrs.items():
                if name != "password":
                    setattr(candidate, name, value)
            try:
                validate_password(password, candidate)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": exc.messages}) from None
        return attrs

    def create(self, validated_data):
        try:
            with transaction.atomic():
                user = user_create(**validated_data)
        except DjangoValidationError as exc:
            raise django_errors(exc) from None
        return user

    def update(self, instance, validated_data):
        password = validated_data.pop("password", None)
        if password:
            instance.set_password(password)
        return super().update(instance, validated_data)
