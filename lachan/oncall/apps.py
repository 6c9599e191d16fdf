from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OncallConfig(AppConfig):
    name = "lachan.oncall"
    label = "oncall"
    verbose_name = _("Duty roster")

    def ready(self):
        from lachan.core.audit import register_app

        register_app(self)
