from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views import View

from lachan.core.scope import CHANGE, VIEW, can
from lachan.core.views import generic

from . import filtersets, forms, tables
from .importers import EXPORTERS, IMPORTERS
from .models import Domain, Host, InformationSystem, IPPrefix, Software, Website
from .selectors import prefix_overlaps


class InformationSystemListView(generic.ObjectListView):
    model = InformationSystem
    filterset_class = filtersets.InformationSystemFilterSet
    table_class = tables.InformationSystemTable
    exporter = EXPORTERS["systems"]

    select_related = ("unit",)


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


class InformationSystemImportView(generic.ObjectImportView):
    model = InformationSystem
    importer = IMPORTERS["systems"]


class HostListView(generic.ObjectListView):
    model = Host
    filterset_class = filtersets.HostFilterSet
    table_class = tables.HostTable
    exporter = EXPORTERS["hosts"]

    select_related = ("unit", "system")


class HostDetailView(generic.ObjectDetailView):
    model = Host

    def get_extra_context(self, obj):
        return {"software": obj.software.restrict(self.request.user, VIEW)}


class HostEditView(generic.ObjectEditView):
    model = Host
    form_class = forms.HostForm


class HostDeleteView(generic.ObjectDeleteView):
    model = Host


class HostImportView(generic.ObjectImportView):
    model = Host
    importer = IMPORTERS["hosts"]


class IPPrefixListView(generic.ObjectListView):
    model = IPPrefix
    filterset_class = filtersets.IPPrefixFilterSet
    table_class = tables.IPPrefixTable
    exporter = EXPORTERS["prefixes"]

    select_related = ("unit",)


class IPPrefixDetailView(generic.ObjectDetailView):
    model = IPPrefix


class IPPrefixEditView(generic.ObjectEditView):
    model = IPPrefix
    form_class = forms.IPPrefixForm


class IPPrefixDeleteView(generic.ObjectDeleteView):
    model = IPPrefix


class IPPrefixImportView(generic.ObjectImportView):
    model = IPPrefix
    importer = IMPORTERS["prefixes"]


class DomainListView(generic.ObjectListView):
    model = Domain
    filterset_class = filtersets.DomainFilterSet
    table_class = tables.DomainTable
    exporter = EXPORTERS["domains"]

    select_related = ("unit",)


class DomainDetailView(generic.ObjectDetailView):
    model = Domain


class DomainEditView(generic.ObjectEditView):
    model = Domain
    form_class = forms.DomainForm


class DomainDeleteView(generic.ObjectDeleteView):
    model = Domain


class DomainImportView(generic.ObjectImportView):
    model = Domain
    importer = IMPORTERS["domains"]


class WebsiteListView(generic.ObjectListView):
    model = Website
    filterset_class = filtersets.WebsiteFilterSet
    table_class = tables.WebsiteTable
    exporter = EXPORTERS["websites"]

    select_related = ("unit", "system")


class WebsiteDetailView(generic.ObjectDetailView):
    model = Website


class WebsiteEditView(generic.ObjectEditView):
    model = Website
    form_class = forms.WebsiteForm


class WebsiteDeleteView(generic.ObjectDeleteView):
    model = Website


class WebsiteImportView(generic.ObjectImportView):
    model = Website
    importer = IMPORTERS["websites"]


class SoftwareListView(generic.ObjectListView):
    model = Software
    filterset_class = filtersets.SoftwareFilterSet
    table_class = tables.SoftwareTable
    exporter = EXPORTERS["software"]

    select_related = ("unit", "host", "system")


class SoftwareDetailView(generic.ObjectDetailView):
    model = Software


class SoftwareEditView(generic.ObjectEditView):
    model = Software
    form_class = forms.SoftwareForm


class SoftwareDeleteView(generic.ObjectDeleteView):
    model = Software


class SoftwareImportView(generic.ObjectImportView):
    model = Software
    importer = IMPORTERS["software"]


class IPPrefixOverlapsView(LoginRequiredMixin, View):
    """Prefixes of different units that overlap (one holds the other), both within the user's scope."""

    model = IPPrefix

    def get(self, request):
        overlaps = prefix_overlaps(request.user)
        page = Paginator(overlaps, 100).get_page(request.GET.get("page"))
        return render(request, "inventory/prefix_overlaps.html", {
            "page": page, "overlaps": page.object_list, "total": len(overlaps),
            "can_change": can(request.user, IPPrefix, CHANGE),
        })
