"""Writes on units: the materialised path is maintained here, nowhere else."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.translation import gettext as _

from .models import Unit


def _path_for(unit, parent):
    return f"{parent.path if parent else '/'}{unit.pk}/"


@transaction.atomic
def unit_create(*, parent=None, groups=(), **fields):
    unit = Unit(parent=parent, **fields)
    unit.full_clean(exclude=["path", "depth"])
    unit.save()
    unit.path = _path_for(unit, parent)
    unit.depth = parent.depth + 1 if parent else 0
    unit.save(update_fields=["path", "depth"])
    if groups:
        unit.groups.add(*groups)
    return unit


@transaction.atomic
def unit_update(*, unit, groups=None, **fields):
    """Update fields; when the parent changes, rewrite the paths of the whole subtree in one UPDATE."""
    old_path = unit.path
    for name, value in fields.items():
        setattr(unit, name, value)
    parent = unit.parent
    if parent is not None and (parent.pk == unit.pk or parent.path.startswith(old_path)):
        raise ValidationError({"parent": _("A unit cannot be placed under itself or one of its sub-units.")})
    unit.full_clean(exclude=["path", "depth"])
    new_path = _path_for(unit, parent)
    if new_path != old_path:
        depth_shift = (parent.depth + 1 if parent else 0) - unit.depth
        Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1, Length("path"))),
            depth=F("depth") + depth_shift,
        )
        unit.path = new_path
        unit.depth += depth_shift
    unit.save()
    if groups is not None:
        unit.groups.set(groups)
    return unit


def unit_save_from_form(*, form, by=None):
    """Used by the generic edit view: create or update through the services above."""
    data = {k: v for k, v in form.cleaned_data.items() if k in {f.name for f in Unit._meta.fields}}
    groups = form.cleaned_data.get("groups")
    if form.instance.pk:
        return unit_update(unit=form.instance, groups=groups, **data)
    return unit_create(groups=groups or (), **data)
