"""OpenAPI (drf-spectacular) extensions of the API, registered on import (see ``router``)."""

import copy

import django_filters
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.drainage import has_override, set_override
from drf_spectacular.types import OpenApiTypes

from . import fields  # noqa: F401  (registers the ScopedRelatedField extension)


class ScopedFilterExtension(DjangoFilterExtension):
    """Object filters with a custom method (``unit_tree``, ``within``: "this unit and its sub-units") take a
    primary key, like plain object filters; drf-spectacular cannot guess that from the method."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        if (
            isinstance(filter_field, django_filters.ModelChoiceFilter)
            and filter_field.method
            and not has_override(filter_field, "field")
        ):
            filter_field = set_override(copy.copy(filter_field), "field", OpenApiTypes.INT)
        return super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
