"""Rules on user accounts shared by the UI forms and the API serializers."""

from .choices import Role

# The roles a unit administrator may give (coordinators give any role).
UNIT_ASSIGNABLE_ROLES = (Role.UNIT_ADMIN, Role.UNIT_MEMBER, Role.OPERATOR)


def assignable_roles(actor):
    """The role choices ``actor`` may give to a user: unit administrators cannot create coordinators or
    auditors (they would see, or change, every unit)."""
    if actor.is_coordinator:
        return list(Role.choices)
    return [choice for choice in Role.choices if choice[0] in UNIT_ASSIGNABLE_ROLES]


def can_manage_user(actor, target):
    """Whether ``actor`` may change or delete ``target`` at all (the scope rule decides which rows are
    reachable): nobody but a coordinator touches an account whose role they could not give."""
    return actor.is_coordinator or target.effective_role in {value for value, _label in assignable_roles(actor)}
