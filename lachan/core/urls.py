from django.urls import path

from .views.audit import AuditLogView
from .views.dashboard import dashboard, healthz, search_view

app_name = "core"

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("audit/", AuditLogView.as_view(), name="auditlog"),
    path("search/", search_view, name="search"),
    path("healthz", healthz, name="healthz"),
]
