"""Serializer fields of the API.

``ScopedRelatedField`` is the relation field of every serializer: it accepts the primary key of an
object the requesting user may see (``restrict(user)``) and nothing else, so nobody can attach an object
to another unit's object, or learn whether a primary key exists outside their scope (an out-of-scope
key gives the same "does not exist" error as a missing one). It reads as a brief object
``{id, url, display}``.
"""

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.urls import NoReverseMatch
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers
from rest_framework.reverse import reverse

from lachan.core.scope import VIEW, scope_filter


def api_detail_name(model):
    """The URL name of a model's API detail route (the router's basename is ``<app>-<model_name>``)."""
    return f"{model._meta.app_label}-{model._meta.model_name}-detail"


def api_url(obj, request):
    try:
        return reverse(api_detail_name(type(obj)), kwargs={"pk": obj.pk}, request=request)
    except NoReverseMatch:
        return None


class Brief(dict):
    """``{id, url, display}``; as a string it is the primary key, so that the browsable API's HTML forms
    pre-select the current related object (a PUT from that form keeps the relation)."""

    def __str__(self):
        return str(self["id"])


def brief(obj, request):
    return Brief(id=obj.pk, url=api_url(obj, request), display=str(obj))


def context_user(field):
    context = field.context
    user = context.get("user")
    if user is None and context.get("request") is not None:
        user = context["request"].user
    return user


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A relation restricted to the requesting user's view scope. ``extra_pks`` admits a few more keys
    (e.g. the current, out-of-scope parent of a unit being edited, so that a PUT may repeat it)."""

    def __init__(self, **kwargs):
        self.extra_pks = set(kwargs.pop("extra_pks", ()))
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        if not hasattr(queryset, "restrict"):
            raise ImproperlyConfigured(f"{queryset.model.__name__} has no scope: the API cannot relate to it.")
        user = context_user(self)
        if user is None:
            return queryset.none()
        condition = scope_filter(user, queryset.model, VIEW)
        if self.extra_pks and condition:  # an empty Q() is "everything": OR-ing it would narrow it down
            condition |= Q(pk__in=self.extra_pks)
        return queryset.filter(condition)

    def use_pk_only_optimization(self):
        return False

    def get_choices(self, cutoff=None):
        # The browsable API's drop-downs: keyed by primary key (the read representation is a dict).
        queryset = self.get_queryset()
        if cutoff is not None:
            queryset = queryset[:cutoff]
        return {item.pk: self.display_value(item) for item in queryset}

    def to_representation(self, value):
        return brief(value, self.context.get("request"))


class BriefSerializer(serializers.Serializer):
    """A related object: its id, its API URL and its name as the user interface shows it."""

    id = serializers.IntegerField(read_only=True)
    url = serializers.URLField(read_only=True, allow_null=True)
    display = serializers.CharField(read_only=True)


class ScopedRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """Schema: an integer primary key in requests, a brief object in responses."""

    target_class = ScopedRelatedField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return build_basic_type(OpenApiTypes.INT)
        return auto_schema.resolve_serializer(BriefSerializer, direction).ref
