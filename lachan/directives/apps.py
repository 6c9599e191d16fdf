from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectivesConfig(AppConfig):
    name = "lachan.directives"
    label = "directives"
    verbose_name = _("Directives")

    def ready(self):
        from lachan.core.audit import register_app

        register_app(self)
