from lachan.core.urls_helpers import crud_urls

from . import views

app_name = "organizations"

urlpatterns = [
    *crud_urls("units", "unit", list_view=views.UnitListView, detail_view=views.UnitDetailView,
               edit_view=views.UnitEditView, delete_view=views.UnitDeleteView, import_view=views.UnitImportView),
    *crud_urls("groups", "unitgroup", list_view=views.UnitGroupListView, detail_view=views.UnitGroupDetailView,
               edit_view=views.UnitGroupEditView, delete_view=views.UnitGroupDeleteView),
    *crud_urls("contacts", "contact", list_view=views.ContactListView, detail_view=views.ContactDetailView,
               edit_view=views.ContactEditView, delete_view=views.ContactDeleteView),
    *crud_urls("directory", "externalcontact", list_view=views.ExternalContactListView,
               detail_view=views.ExternalContactDetailView, edit_view=views.ExternalContactEditView,
               delete_view=views.ExternalContactDeleteView),
]
