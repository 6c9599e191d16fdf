from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "lachan.inventory"
    label = "inventory"
    verbose_name = _("Inventory")

    def ready(self):
        from lachan.core.audit import register_app

        register_app(self)
