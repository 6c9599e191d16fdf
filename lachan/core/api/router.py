"""One API router; each app contributes its routes from ``<app>/api/urls.py`` (``routes`` list)."""

from importlib import import_module

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import schema  # noqa: F401  (OpenAPI extensions)

API_APPS = ["organizations", "accounts", "inventory", "intel", "vulns", "directives", "monitoring", "incidents", "notify", "oncall"]


def build_router():
    router = DefaultRouter()
    for app in API_APPS:
        module = import_module(f"lachan.{app}.api.urls")
        for prefix, viewset, basename in module.routes:
            router.register(f"{app}/{prefix}", viewset, basename=f"{app}-{basename}")
    return router


api_urls = [path("", include(build_router().urls))]
