from django.urls import path

from .views.audit import AuditLogView
from .views.autocomplete import autocomplete
from .views.dashboard import dashboard, healthz, search_view

app_name = "core"

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("audit/", AuditLogView.as_view(), name="auditlog"),
    path("search/", search_view, name="search"),
    path("autocomplete/", autocomplete, name="autocomplete"),
    path("healthz", healthz, name="healthz"),
]
