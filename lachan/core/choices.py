"""Choices shared by every capability."""

from django.db import models
from django.utils.translation import pgettext_lazy


class Severity(models.TextChoices):
    """The platform's one severity scale, most severe first (findings, monitor alerts, incidents,
    notifications). ``SEVERITY_RANK``: critical 0 … info 4."""

    CRITICAL = "critical", pgettext_lazy("severity", "Critical")
    HIGH = "high", pgettext_lazy("severity", "High")
    MEDIUM = "medium", pgettext_lazy("severity", "Medium")
    LOW = "low", pgettext_lazy("severity", "Low")
    INFO = "info", pgettext_lazy("severity", "Info")


SEVERITY_RANK = {value: rank for rank, value in enumerate(Severity.values)}
