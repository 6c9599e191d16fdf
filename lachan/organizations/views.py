from lachan.core.scope import VIEW, scoped_count
from lachan.core.views import generic

from . import filtersets, forms, tables
from .importers import CONTACT_EXPORTER, DIRECTORY_EXPORTER, GROUP_EXPORTER, UnitImporter, unit_exporter
from .models import Contact, ExternalContact, Unit, UnitGroup
from .services import unit_save_from_form


class UnitListView(generic.ObjectListView):
    model = Unit
    filterset_class = filtersets.UnitFilterSet
    table_class = tables.UnitTable
    exporter = unit_exporter()

    select_related = ("parent",)


class UnitDetailView(generic.ObjectDetailView):
    model = Unit

    def get_extra_context(self, obj):
        user = self.request.user
        return {
            "children": obj.children.restrict(user, VIEW),
            "contacts": obj.contacts.restrict(user, VIEW),
            "systems": obj.systems.restrict(user, VIEW),
            "prefixes": obj.prefixes.restrict(user, VIEW),
            "websites": obj.websites.restrict(user, VIEW),
        }


class UnitEditView(generic.ObjectEditView):
    model = Unit
    form_class = forms.UnitForm

    def save_form(self, form):
        return unit_save_from_form(form=form, by=self.request.user)


class UnitDeleteView(generic.ObjectDeleteView):
    model = Unit


class UnitImportView(generic.ObjectImportView):
    model = Unit
    importer = UnitImporter


class UnitGroupListView(generic.ObjectListView):
    model = UnitGroup
    filterset_class = filtersets.UnitGroupFilterSet
    table_class = tables.UnitGroupTable
    exporter = GROUP_EXPORTER

    def get_queryset(self, action=None):
        return super().get_queryset(action).annotate(unit_count=scoped_count(self.request.user, "units", Unit))


class UnitGroupDetailView(generic.ObjectDetailView):
    model = UnitGroup

    def get_extra_context(self, obj):
        return {"units": obj.units.restrict(self.request.user, VIEW)}


class UnitGroupEditView(generic.ObjectEditView):
    model = UnitGroup
    form_class = forms.UnitGroupForm


class UnitGroupDeleteView(generic.ObjectDeleteView):
    model = UnitGroup


class ContactListView(generic.ObjectListView):
    model = Contact
    filterset_class = filtersets.ContactFilterSet
    table_class = tables.ContactTable
    exporter = CONTACT_EXPORTER

    select_related = ("unit",)


class ContactDetailView(generic.ObjectDetailView):
    model = Contact


class ContactEditView(generic.ObjectEditView):
    model = Contact
    form_class = forms.ContactForm


class ContactDeleteView(generic.ObjectDeleteView):
    model = Contact


class ExternalContactListView(generic.ObjectListView):
    model = ExternalContact
    filterset_class = filtersets.ExternalContactFilterSet
    table_class = tables.ExternalContactTable
    exporter = DIRECTORY_EXPORTER


class ExternalContactDetailView(generic.ObjectDetailView):
    model = ExternalContact


class ExternalContactEditView(generic.ObjectEditView):
    model = ExternalContact
    form_class = forms.ExternalContactForm


class ExternalContactDeleteView(generic.ObjectDeleteView):
    model = ExternalContact
