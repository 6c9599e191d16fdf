from lachan.core.api.viewsets import ScopedModelViewSet
from lachan.organizations import filtersets
from lachan.organizations.models import Contact, ExternalContact, Unit, UnitGroup

from . import serializers


class UnitViewSet(ScopedModelViewSet):
    """Units of the tree visible to you (your unit and its sub-units; everything for coordinators and auditors). Unit administrators manage the units inside their own unit."""

    queryset = Unit.objects.select_related("parent").prefetch_related("groups")
    serializer_class = serializers.UnitSerializer
    filterset_class = filtersets.UnitFilterSet
    ordering_fields = ("path", "code", "name", "short_name", "kind", "created", "updated")


class UnitGroupViewSet(ScopedModelViewSet):
    """Unit groups (blocks of units as letters list them). Read by everyone, written by coordinators."""

    queryset = UnitGroup.objects.all()
    serializer_class = serializers.UnitGroupSerializer
    filterset_class = filtersets.UnitGroupFilterSet
    ordering_fields = ("order", "name", "created", "updated")


class ContactViewSet(ScopedModelViewSet):
    """Contacts of units: security focal points, on-duty staff, leaders."""

    queryset = Contact.objects.select_related("unit")
    serializer_class = serializers.ContactSerializer
    filterset_class = filtersets.ContactFilterSet
    ordering_fields = ("full_name", "position", "unit__path", "created", "updated")


class ExternalContactViewSet(ScopedModelViewSet):
    """The external contact directory (national centres, authorities). Read by everyone, written by coordinators."""

    queryset = ExternalContact.objects.all()
    serializer_class = serializers.ExternalContactSerializer
    filterset_class = filtersets.ExternalContactFilterSet
    ordering_fields = ("order", "organization", "short_name", "category", "created", "updated")
