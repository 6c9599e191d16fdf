from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "lachan.incidents"
    label = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from lachan.core.audit import register_app

        register_app(self)
        from .plans import register_checks  # the directives' live check "has_current_response_plan"

        register_checks()
