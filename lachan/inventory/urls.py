from lachan.core.urls_helpers import crud_urls

from . import views

app_name = "inventory"

urlpatterns = [
    *crud_urls("systems", "informationsystem", list_view=views.InformationSystemListView, detail_view=views.InformationSystemDetailView,
               edit_view=views.InformationSystemEditView, delete_view=views.InformationSystemDeleteView),
    *crud_urls("hosts", "host", list_view=views.HostListView, detail_view=views.HostDetailView,
               edit_view=views.HostEditView, delete_view=views.HostDeleteView),
    *crud_urls("prefixes", "ipprefix", list_view=views.IPPrefixListView, detail_view=views.IPPrefixDetailView,
               edit_view=views.IPPrefixEditView, delete_view=views.IPPrefixDeleteView),
    *crud_urls("domains", "domain", list_view=views.DomainListView, detail_view=views.DomainDetailView,
               edit_view=views.DomainEditView, delete_view=views.DomainDeleteView),
    *crud_urls("websites", "website", list_view=views.WebsiteListView, detail_view=views.WebsiteDetailView,
               edit_view=views.WebsiteEditView, delete_view=views.WebsiteDeleteView),
    *crud_urls("software", "software", list_view=views.SoftwareListView, detail_view=views.SoftwareDetailView,
               edit_view=views.SoftwareEditView, delete_view=views.SoftwareDeleteView),
]
