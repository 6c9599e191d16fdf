from lachan.core.scope import VIEW
from lachan.core.views import generic

from . import filtersets, forms, tables
from .models import Domain, Host, InformationSystem, IPPrefix, Software, Website


class InformationSystemListView(generic.ObjectListView):
    model = InformationSystem
    filterset_class = filtersets.InformationSystemFilterSet
    table_class = tables.InformationSystemTable

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("unit")


class InformationSystemDetailView(generic.ObjectDetailView):
    model = InformationSystem

    def get_extra_context(self, obj):
        user = self.request.user
        return {
            "hosts": obj.hosts.restrict(user, VIEW),
            "prefixes": obj.prefixes.restrict(user, VIEW),
            "websites": obj.websites.restrict(user, VIEW),
            "software": obj.software.restrict(user, VIEW).select_related("host"),
        }


class InformationSystemEditView(generic.ObjectEditView):
    model = InformationSystem
    form_class = forms.InformationSystemForm


class InformationSystemDeleteView(generic.ObjectDeleteView):
    model = InformationSystem


class HostListView(generic.ObjectListView):
    model = Host
    filterset_class = filtersets.HostFilterSet
    table_class = tables.HostTable

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("unit", "system")


class HostDetailView(generic.ObjectDetailView):
    model = Host

    def get_extra_context(self, obj):
        return {"software": obj.software.restrict(self.request.user, VIEW)}


class HostEditView(generic.ObjectEditView):
    model = Host
    form_class = forms.HostForm


class HostDeleteView(generic.ObjectDeleteView):
    model = Host


class IPPrefixListView(generic.ObjectListView):
    model = IPPrefix
    filterset_class = filtersets.IPPrefixFilterSet
    table_class = tables.IPPrefixTable

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("unit")


class IPPrefixDetailView(generic.ObjectDetailView):
    model = IPPrefix


class IPPrefixEditView(generic.ObjectEditView):
    model = IPPrefix
    form_class = forms.IPPrefixForm


class IPPrefixDeleteView(generic.ObjectDeleteView):
    model = IPPrefix


class DomainListView(generic.ObjectListView):
    model = Domain
    filterset_class = filtersets.DomainFilterSet
    table_class = tables.DomainTable

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("unit")


class DomainDetailView(generic.ObjectDetailView):
    model = Domain


class DomainEditView(generic.ObjectEditView):
    model = Domain
    form_class = forms.DomainForm


class DomainDeleteView(generic.ObjectDeleteView):
    model = Domain


class WebsiteListView(generic.ObjectListView):
    model = Website
    filterset_class = filtersets.WebsiteFilterSet
    table_class = tables.WebsiteTable

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("unit", "system")


class WebsiteDetailView(generic.ObjectDetailView):
    model = Website


class WebsiteEditView(generic.ObjectEditView):
    model = Website
    form_class = forms.WebsiteForm


class WebsiteDeleteView(generic.ObjectDeleteView):
    model = Website


class SoftwareListView(generic.ObjectListView):
    model = Software
    filterset_class = filtersets.SoftwareFilterSet
    table_class = tables.SoftwareTable

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("unit", "host", "system")


class SoftwareDetailView(generic.ObjectDetailView):
    model = Software


class SoftwareEditView(generic.ObjectEditView):
    model = Software
    form_class = forms.SoftwareForm


class SoftwareDeleteView(generic.ObjectDeleteView):
    model = Software
