import django_filters
from django.utils.translation import gettext_lazy as _

from lachan.core.filtersets import BaseFilterSet, UnitScopedFilterSet, scoped_queryset

from .choices import ContactRole, DirectoryCategory, UnitKind
from .models import Contact, ExternalContact, Unit, UnitGroup


class UnitFilterSet(BaseFilterSet):
    search_fields = ("name", "short_name", "code")
    kind = django_filters.MultipleChoiceFilter(choices=UnitKind.choices, label=_("Kind"))
    parent = django_filters.ModelChoiceFilter(queryset=scoped_queryset(Unit), label=_("Parent unit"))
    within = django_filters.ModelChoiceFilter(queryset=scoped_queryset(Unit), method="filter_within", label=_("Within unit"))
    group = django_filters.ModelChoiceFilter(field_name="groups", queryset=scoped_queryset(UnitGroup), label=_("Group"))

    class Meta:
        model = Unit
        fields = ["q", "kind", "parent", "within", "group", "is_active"]

    def filter_within(self, queryset, name, value):
        return queryset.filter(path__startswith=value.path)


class UnitGroupFilterSet(BaseFilterSet):
    search_fields = ("name", "description")

    class Meta:
        model = UnitGroup
        fields = ["q"]


class ContactFilterSet(UnitScopedFilterSet):
    search_fields = ("full_name", "position", "phones", "emails")
    role = django_filters.ChoiceFilter(choices=ContactRole.choices, field_name="roles", lookup_expr="contains", label=_("Role"))

    class Meta:
        model = Contact
        fields = ["q", "unit", "unit_tree", "role"]


class ExternalContactFilterSet(BaseFilterSet):
    search_fields = ("organization", "short_name", "person", "purpose", "phones", "hotline", "emails")
    category = django_filters.ChoiceFilter(choices=DirectoryCategory.choices, label=_("Category"))

    class Meta:
        model = ExternalContact
        fields = ["q", "category", "is_active"]
