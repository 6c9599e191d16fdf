import django_tables2 as tables

from lachan.core.tables import ObjectTable, UnitColumn

from .models import Domain, Host, InformationSystem, IPPrefix, Software, Website


class InformationSystemTable(ObjectTable):
    name = tables.Column(linkify=True)
    unit = UnitColumn()

    class Meta(ObjectTable.Meta):
        model = InformationSystem
        fields = ("name", "unit", "security_level", "approval_number", "approval_date", "status")


class HostTable(ObjectTable):
    hostname = tables.Column(linkify=True)
    unit = UnitColumn()
    system = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = Host
        fields = ("hostname", "ip_addresses", "role", "os", "unit", "system")


class IPPrefixTable(ObjectTable):
    prefix = tables.Column(linkify=True, order_by=("version", "first_key", "prefix_length"))
    unit = UnitColumn()

    class Meta(ObjectTable.Meta):
        model = IPPrefix
        fields = ("prefix", "unit", "description", "source", "valid_from", "valid_until")


class DomainTable(ObjectTable):
    name = tables.Column(linkify=True)
    unit = UnitColumn()

    class Meta(ObjectTable.Meta):
        model = Domain
        fields = ("name", "unit", "registrar", "expires_on")


class WebsiteTable(ObjectTable):
    url = tables.Column(linkify=True)
    unit = UnitColumn()

    class Meta(ObjectTable.Meta):
        model = Website
        fields = ("url", "name", "unit", "system", "monitored")


class SoftwareTable(ObjectTable):
    product = tables.Column(linkify=True)
    unit = UnitColumn()
    host = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = Software
        fields = ("vendor", "product", "version", "cpe", "unit", "host", "system")
