from django.urls import path

from lachan.core.urls_helpers import crud_urls

from . import views

app_name = "inventory"

urlpatterns = [
    path("prefixes/overlaps/", views.IPPrefixOverlapsView.as_view(), name="ipprefix_overlaps"),
    *crud_urls("systems", "informationsystem", list_view=views.InformationSystemListView, detail_view=views.InformationSystemDetailView,
               edit_view=views.InformationSystemEditView, delete_view=views.InformationSystemDeleteView,
               import_view=views.InformationSystemImportView),
    *crud_urls("hosts", "host", list_view=views.HostListView, detail_view=views.HostDetailView,
               edit_view=views.HostEditView, delete_view=views.HostDeleteView,
               import_view=views.HostImportView),
    *crud_urls("prefixes", "ipprefix", list_view=views.IPPrefixListView, detail_view=views.IPPrefixDetailView,
               edit_view=views.IPPrefixEditView, delete_view=views.IPPrefixDeleteView,
               import_view=views.IPPrefixImportView),
    *crud_urls("domains", "domain", list_view=views.DomainListView, detail_view=views.DomainDetailView,
               edit_view=views.DomainEditView, delete_view=views.DomainDeleteView,
               import_view=views.DomainImportView),
    *crud_urls("websites", "website", list_view=views.WebsiteListView, detail_view=views.WebsiteDetailView,
               edit_view=views.WebsiteEditView, delete_view=views.WebsiteDeleteView,
               import_view=views.WebsiteImportView),
    *crud_urls("software", "software", list_view=views.SoftwareListView, detail_view=views.SoftwareDetailView,
               edit_view=views.SoftwareEditView, delete_view=views.SoftwareDeleteView,
               import_view=views.SoftwareImportView),
]
