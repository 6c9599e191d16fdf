"""Validation rules shared by the UI forms and the API serializers (one rule, one place)."""

from django.utils.translation import gettext as _


def same_unit_errors(unit, related):
    """``{field: message}`` for each related object (``{"system": obj, "host": obj}``) that belongs to
    another unit than ``unit``: an object may only point at objects of its own unit."""
    errors = {}
    if unit is None:
        return errors
    for name, obj in related.items():
        if obj is not None and getattr(obj, "unit_id", None) != unit.pk:
            errors[name] = _("%(object)s belongs to another unit.") % {"object": obj}
    return errors
