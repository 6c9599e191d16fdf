from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "lachan.organizations"
    label = "organizations"
    verbose_name = _("Organizations")

    def ready(self):
        from lachan.core.audit import register_app

        register_app(self)
