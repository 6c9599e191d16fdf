from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from lachan.core.api.router import api_urls

urlpatterns = [
    path("", include("lachan.core.urls")),
    path("", include("lachan.accounts.urls")),
    path("org/", include("lachan.organizations.urls")),
    path("inventory/", include("lachan.inventory.urls")),
    path("intel/", include("lachan.intel.urls")),
    path("vulns/", include("lachan.vulns.urls")),
    path("directives/", include("lachan.directives.urls")),
    path("monitoring/", include("lachan.monitoring.urls")),
    path("incidents/", include("lachan.incidents.urls")),
    path("oncall/", include("lachan.oncall.urls")),
    path("notify/", include("lachan.notify.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include(api_urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
