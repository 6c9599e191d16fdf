import django_filters
from django.utils.translation import gettext_lazy as _

from lachan.core.filtersets import UnitScopedFilterSet, scoped_queryset

from .choices import HostRole, PrefixSource, SecurityLevel, SystemStatus
from .ipam import address_key
from .models import Domain, Host, InformationSystem, IPPrefix, Software, Website


class InformationSystemFilterSet(UnitScopedFilterSet):
    search_fields = ("name", "purpose", "approval_number")
    security_level = django_filters.MultipleChoiceFilter(choices=SecurityLevel.choices, label=_("Security level"))
    status = django_filters.MultipleChoiceFilter(choices=SystemStatus.choices, label=_("Status"))

    class Meta:
        model = InformationSystem
        fields = ["q", "unit", "unit_tree", "security_level", "status"]


class HostFilterSet(UnitScopedFilterSet):
    search_fields = ("hostname", "ip_addresses", "os")
    role = django_filters.MultipleChoiceFilter(choices=HostRole.choices, label=_("Role"))
    system = django_filters.ModelChoiceFilter(queryset=scoped_queryset(InformationSystem), label=_("Information system"))

    class Meta:
        model = Host
        fields = ["q", "unit", "unit_tree", "system", "role"]


class IPPrefixFilterSet(UnitScopedFilterSet):
    search_fields = ("prefix", "description")
    version = django_filters.ChoiceFilter(choices=[(4, "IPv4"), (6, "IPv6")], label=_("IP version"))
    source = django_filters.ChoiceFilter(choices=PrefixSource.choices, label=_("Source"))
    contains = django_filters.CharFilter(method="filter_contains", label=_("Contains address"))

    class Meta:
        model = IPPrefix
        fields = ["q", "unit", "unit_tree", "version", "source", "contains"]

    def filter_contains(self, queryset, name, value):
        try:
            key = address_key(value.strip())
        except ValueError:
            return queryset.none()
        return queryset.filter(first_key__lte=key, last_key__gte=key)


class DomainFilterSet(UnitScopedFilterSet):
    search_fields = ("name", "registrar", "description")

    class Meta:
        model = Domain
        fields = ["q", "unit", "unit_tree"]


class WebsiteFilterSet(UnitScopedFilterSet):
    search_fields = ("url", "name", "description")

    class Meta:
        model = Website
        fields = ["q", "unit", "unit_tree", "monitored"]


class SoftwareFilterSet(UnitScopedFilterSet):
    search_fields = ("vendor", "product", "version", "cpe")

    class Meta:
        model = Software
        fields = ["q", "unit", "unit_tree", "vendor", "product"]
