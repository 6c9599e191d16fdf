"""The one unit-scope rule.

Every model a user can reach carries a ``scope`` description:

* ``scope_unit``: lookup path from the model to its owning ``organizations.Unit``
  (``"unit"`` for most models, ``""`` for ``Unit`` itself, ``None`` for global
  reference data such as the external contact directory).
* ``scope_write_roles``: the roles allowed to change it (inside their scope).

``Model.objects.restrict(user, action)`` is the only way views, the API, exports,
search and file downloads obtain objects. A unit user sees the objects of their
own unit and its descendants; coordinators and auditors see everything.
"""

from django.db import models
from django.db.models import Q

from lachan.accounts.choices import GLOBAL_VIEW_ROLES, WRITE_ROLES, Role

VIEW = "view"
CHANGE = "change"


def _nothing():
    return Q(pk__in=[])


def user_role(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Role.COORDINATOR
    return getattr(user, "role", None)


def can(user, model, action=VIEW):
    """Whether the user's role allows ``action`` on ``model`` at all (the rows still need restrict())."""
    role = user_role(user)
    if role is None:
        return False
    if action == VIEW:
        return True
    return role in getattr(model, "scope_write_roles", WRITE_ROLES)


def scope_filter(user, model, action=VIEW, prefix=""):
    """A Q object limiting ``model`` rows to what ``user`` may ``action``.

    ``prefix`` is prepended to the lookup, to apply the rule to related rows (e.g. counting only
    the units of a group the user may see: ``scope_filter(user, Unit, prefix="units")``)."""
    role = user_role(user)
    if role is None or not can(user, model, action):
        return _nothing()
    unit_lookup = getattr(model, "scope_unit", "unit")
    if role in GLOBAL_VIEW_ROLES and (action == VIEW or role == Role.COORDINATOR):
        return Q()
    if unit_lookup is None:  # global reference data: everyone reads, only coordinators write
        return Q() if action == VIEW else _nothing()
    unit = getattr(user, "unit", None)
    if unit is None:
        return _nothing()
    path_lookup = f"{unit_lookup}__path__startswith" if unit_lookup else "path__startswith"
    if prefix:
        path_lookup = f"{prefix}__{path_lookup}"
    return Q(**{path_lookup: unit.path})


def scoped_count(user, relation, model):
    """``Count(relation)`` over the related ``model`` rows the user may see."""
    from django.db.models import Count

    condition = scope_filter(user, model, VIEW, prefix=relation)
    return Count(relation, filter=condition) if condition else Count(relation)


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user, action=VIEW):
        return self.filter(scope_filter(user, self.model, action))


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)
