import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from lachan.core.tables import ObjectTable, UnitColumn

from .models import Contact, ExternalContact, Unit, UnitGroup


class UnitTable(ObjectTable):
    code = tables.Column(linkify=True)
    name = tables.TemplateColumn(
        '<span style="padding-left: {% widthratio record.depth 1 14 %}px">{{ record.name }}</span>', linkify=True,
        order_by=("path",),
    )
    parent = tables.Column(linkify=True, order_by=("parent__name",))

    class Meta(ObjectTable.Meta):
        model = Unit
        fields = ("code", "name", "short_name", "kind", "parent", "is_active")


class UnitGroupTable(ObjectTable):
    name = tables.Column(linkify=True)
    unit_count = tables.Column(verbose_name=_("Units"), orderable=True)

    class Meta(ObjectTable.Meta):
        model = UnitGroup
        fields = ("order", "name", "unit_count", "description")


class ContactTable(ObjectTable):
    full_name = tables.Column(linkify=True)
    unit = UnitColumn()
    roles = tables.Column(accessor="get_roles_display", orderable=False)

    class Meta(ObjectTable.Meta):
        model = Contact
        fields = ("full_name", "position", "unit", "phones", "emails", "roles")


class ExternalContactTable(ObjectTable):
    organization = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = ExternalContact
        fields = ("organization", "short_name", "category", "person", "hotline", "phones", "emails", "is_active")
