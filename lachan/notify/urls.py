from django.urls import path

from lachan.core.urls_helpers import crud_urls

from . import views

app_name = "notify"

urlpatterns = [
    path("preferences/", views.PreferencesView.as_view(), name="preferences"),
    path("preferences/<int:pk>/", views.PreferenceEditView.as_view(), name="preference_change"),
    path("preferences/<int:pk>/delete/", views.PreferenceDeleteView.as_view(), name="preference_delete"),
    *crud_urls("preferences/all", "notificationpreference", list_view=views.NotificationPreferenceListView,
               detail_view=views.NotificationPreferenceDetailView),
    *crud_urls("deliveries", "delivery", list_view=views.DeliveryListView, detail_view=views.DeliveryDetailView),
]
