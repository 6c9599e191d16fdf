from django.db import models
from django.utils.translation import gettext_lazy as _


class SecurityLevel(models.IntegerChoices):
    """Decree 85/2016/NĐ-CP, Article 7: five security levels of an information system."""

    LEVEL_1 = 1, _("Level 1")
    LEVEL_2 = 2, _("Level 2")
    LEVEL_3 = 3, _("Level 3")
    LEVEL_4 = 4, _("Level 4")
    LEVEL_5 = 5, _("Level 5")


class SystemStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    OPERATING = "operating", _("Operating")
    DECOMMISSIONED = "decommissioned", _("Decommissioned")


class HostRole(models.TextChoices):
    SERVER = "server", _("Server")
    WORKSTATION = "workstation", _("Workstation")
    NETWORK_DEVICE = "network_device", _("Network device")
    OTHER = "other", _("Other")


class PrefixSource(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    IMPORT = "import", _("Imported")
    ISP = "isp", _("Provided by the ISP")
    WHOIS = "whois", _("WHOIS / registry")
