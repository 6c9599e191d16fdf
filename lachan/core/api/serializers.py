import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lachan.core.validators import same_unit_errors

from .fields import ScopedRelatedField, api_url, context_user


def django_errors(exc):
    """A Django ValidationError (raised by a model, a validator or a service) as a DRF ValidationError."""
    return serializers.ValidationError(serializers.as_serializer_error(exc))


def run_django_validator(function, value):
    try:
        return function(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


class ScopedModelSerializer(serializers.ModelSerializer):
    # Base of every API serializer (comments, not a docstring: docstrings end up in the OpenAPI schema).
    # * relations accept only primary keys inside the requesting user's scope and read as
    #   ``{id, url, display}`` (``ScopedRelatedField``);
    # * every object carries ``id``, ``url`` and ``display`` (its name as the UI shows it);
    # * the model's ``clean()`` runs on the would-be object, and an object may only point at the
    #   system/host of its own unit (the same rules as the forms).

    serializer_related_field = ScopedRelatedField

    url = serializers.SerializerMethodField()
    display = serializers.CharField(source="__str__", read_only=True)

    same_unit_fields = ("system", "host")

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj):
        return api_url(obj, self.context.get("request"))

    @property
    def user(self):
        return context_user(self)

    def value(self, attrs, name, default=None):
        """A field's value after this write: the submitted one, else the instance's (partial updates)."""
        if name in attrs:
            return attrs[name]
        if self.instance is not None:
            return getattr(self.instance, name, default)
        return default

    def validate(self, attrs):
        attrs = super().validate(attrs)
        related = {name: self.value(attrs, name) for name in self.same_unit_fields if name in self.fields}
        errors = same_unit_errors(self.value(attrs, "unit"), related) if "unit" in self.fields else {}
        if errors:
            raise serializers.ValidationError(errors)
        self.run_model_clean(attrs)
        return attrs

    def run_model_clean(self, attrs):
        """``Model.clean()`` on a copy of the object with the submitted values (no side effects)."""
        model = self.Meta.model
        many = {f.name for f in model._meta.many_to_many}
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            if name not in many:
                setattr(candidate, name, value)
        try:
            candidate.clean()
        except DjangoValidationError as exc:
            raise django_errors(exc) from None

    def create(self, validated_data):
        try:
            return super().create(validated_data)
        except DjangoValidationError as exc:
            raise django_errors(exc) from None

    def update(self, instance, validated_data):
        try:
            return super().update(instance, validated_data)
        except DjangoValidationError as exc:
            raise django_errors(exc) from None
