import django_filters
from django.utils.translation import gettext_lazy as _

from lachan.core.filtersets import UnitScopedFilterSet

from .choices import Role
from .models import User


class UserFilterSet(UnitScopedFilterSet):
    search_fields = ("username", "first_name", "last_name", "email")
    role = django_filters.ChoiceFilter(choices=Role.choices, label=_("Role"))

    class Meta:
        model = User
        fields = ["q", "unit", "unit_tree", "role", "is_active"]
