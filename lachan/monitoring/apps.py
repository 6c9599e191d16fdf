from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "lachan.monitoring"
    label = "monitoring"
    verbose_name = _("Website monitoring")

    def ready(self):
        from lachan.core.audit import register_app

        register_app(self)
