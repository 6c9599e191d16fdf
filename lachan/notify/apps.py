from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "lachan.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self):
        from lachan.core.audit import register_app

        register_app(self)
