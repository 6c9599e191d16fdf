from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lachan.core.choices import Severity  # noqa: F401  (the shared scale, re-exported)


class IncidentStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("incident status", "New")
    TRIAGED = "triaged", _("Triaged")
    CONTAINMENT = "containment", _("Containment")
    ERADICATION = "eradication", _("Eradication")
    RECOVERY = "recovery", _("Recovery")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", pgettext_lazy("incident status", "Closed")


class Source(models.TextChoices):
    WEB = "web", _("Web form")
    API = "api", _("API")
    PHONE = "phone", _("Phone call (on-duty operator)")
    MONITOR = "monitor", _("Website monitor")
    FEED = "feed", _("Threat feed")


class IndicatorType(models.TextChoices):
    IP = "ip", _("IP address")
    DOMAIN = "domain", _("Domain")
    URL = "url", _("URL")
    MD5 = "md5", "MD5"
    SHA1 = "sha1", "SHA-1"
    SHA256 = "sha256", "SHA-256"
    EMAIL = "email", _("E-mail address")


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Edited")
    TRANSITION = "transition", _("Status changed")
    COMMENT = "comment", _("Comment")
    EVIDENCE = "evidence", _("Evidence added")
    INDICATOR = "indicator", _("Indicator added")
    SERIOUS = "serious", _("Serious flag overridden")
    REPORTED = "reported", _("Reported")
    ESCALATED = "escalated", _("Report sent to the national bodies")
    PLAYBOOK = "playbook", _("Playbook")
    OVERDUE = "overdue", _("Reporting overdue")
    DELETED = "deleted", _("Deleted")


class RuleKind(models.TextChoices):
    INCIDENT = "incident", _("Per incident (from the time of detection)")
    PERIODIC = "periodic", _("Periodic report (a fixed day of the year)")


class RuleAppliesTo(models.TextChoices):
    ALL = "all", _("Every incident")
    SERIOUS = "serious", _("Serious incidents")
    PERSONAL_DATA = "personal_data", _("Personal data breaches")
