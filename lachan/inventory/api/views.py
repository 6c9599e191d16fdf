from lachan.core.api.viewsets import ScopedModelViewSet
from lachan.inventory import filtersets
from lachan.inventory.models import Domain, Host, InformationSystem, IPPrefix, Software, Website

from . import serializers


class InformationSystemViewSet(ScopedModelViewSet):
    """Information systems and their security level (Decree 85/2016/ND-CP)."""

    queryset = InformationSystem.objects.select_related("unit", "operator_unit")
    serializer_class = serializers.InformationSystemSerializer
    filterset_class = filtersets.InformationSystemFilterSet
    ordering_fields = ("name", "unit__path", "security_level", "approval_date", "status", "created", "updated")


class HostViewSet(ScopedModelViewSet):
    """Servers, workstations and network devices."""

    queryset = Host.objects.select_related("unit", "system")
    serializer_class = serializers.HostSerializer
    filterset_class = filtersets.HostFilterSet
    ordering_fields = ("hostname", "unit__path", "role", "os", "created", "updated")


class IPPrefixViewSet(ScopedModelViewSet):
    """IP prefixes (IPv4 and IPv6) owned by units; "contains" finds the prefixes holding an address."""

    queryset = IPPrefix.objects.select_related("unit", "system")
    serializer_class = serializers.IPPrefixSerializer
    filterset_class = filtersets.IPPrefixFilterSet
    ordering_fields = ("version", "first_key", "prefix_length", "unit__path", "source", "created", "updated")


class DomainViewSet(ScopedModelViewSet):
    """Domain names owned by units."""

    queryset = Domain.objects.select_related("unit")
    serializer_class = serializers.DomainSerializer
    filterset_class = filtersets.DomainFilterSet
    ordering_fields = ("name", "unit__path", "registrar", "expires_on", "created", "updated")


class WebsiteViewSet(ScopedModelViewSet):
    """Websites and portals owned by units."""

    queryset = Website.objects.select_related("unit", "system")
    serializer_class = serializers.WebsiteSerializer
    filterset_class = filtersets.WebsiteFilterSet
    ordering_fields = ("url", "name", "unit__path", "monitored", "created", "updated")


class SoftwareViewSet(ScopedModelViewSet):
    """Software installed on hosts or used by information systems (CPE 2.3 names)."""

    queryset = Software.objects.select_related("unit", "host", "system")
    serializer_class = serializers.SoftwareSerializer
    filterset_class = filtersets.SoftwareFilterSet
    ordering_fields = ("vendor", "product", "version", "unit__path", "created", "updated")
