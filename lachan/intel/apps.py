from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntelConfig(AppConfig):
    name = "lachan.intel"
    label = "intel"
    verbose_name = _("Threat intelligence")

    def ready(self):
        from lachan.core.audit import register_app

        register_app(self)
