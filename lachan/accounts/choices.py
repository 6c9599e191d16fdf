from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    UNIT_ADMIN = "unit_admin", _("Unit administrator")
    UNIT_MEMBER = "unit_member", _("Unit member")
    OPERATOR = "operator", _("On-duty operator")
    AUDITOR = "auditor", _("Auditor")


# Roles that see every unit.
GLOBAL_VIEW_ROLES = frozenset({Role.COORDINATOR, Role.AUDITOR})
# Roles that may change unit-scoped data inside their scope (coordinators: everywhere).
WRITE_ROLES = frozenset({Role.COORDINATOR, Role.UNIT_ADMIN, Role.UNIT_MEMBER})
# Roles that may manage units and users inside their scope.
ADMIN_ROLES = frozenset({Role.COORDINATOR, Role.UNIT_ADMIN})
