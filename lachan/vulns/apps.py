from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VulnsConfig(AppConfig):
    name = "lachan.vulns"
    label = "vulns"
    verbose_name = _("Vulnerabilities")

    def ready(self):
        from lachan.core.audit import register_app

        from . import signals

        signals.connect()

        register_app(self, exclude_fields={"Advisory": ["parts", "applicability", "metrics", "content_hash"]})
