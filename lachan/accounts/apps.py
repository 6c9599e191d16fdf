from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "lachan.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from auditlog.registry import auditlog
        from rest_framework.authtoken.models import Token

        from lachan.core.audit import register_app

        register_app(self, exclude_fields={"User": ["password", "last_login"]})
        auditlog.register(Token, exclude_fields=["key"])
