from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Layer(models.TextChoices):
    REGULAR = "regular", _("Regular")
    WEEKEND = "weekend", _("Weekends")
    HOLIDAY = "holiday", _("Public holidays and Tết")


# Higher wins for a shift day: a holiday layer replaces the weekend layer, which replaces the regular one.
LAYER_PRECEDENCE = (Layer.HOLIDAY, Layer.WEEKEND, Layer.REGULAR)


class TimeZoneChoice(models.TextChoices):
    HO_CHI_MINH = "Asia/Ho_Chi_Minh", _("Vietnam (ICT, UTC+7)")
    BANGKOK = "Asia/Bangkok", _("Bangkok (UTC+7)")
    UTC = "UTC", _("UTC")


class StepTarget(models.TextChoices):
    ON_DUTY = "on_duty", _("Whoever is on duty in a schedule")
    USER = "user", _("A user")
    UNIT_LEADER = "unit_leader", _("The unit's leader contact")


class EscalationStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("escalation", "Active")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    EXHAUSTED = "exhausted", _("Unanswered, every step done")
