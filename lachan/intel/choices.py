from django.db import models
from django.utils.translation import gettext_lazy as _


class TLP(models.TextChoices):
    CLEAR = "TLP:CLEAR", "TLP:CLEAR"
    GREEN = "TLP:GREEN", "TLP:GREEN"
    AMBER = "TLP:AMBER", "TLP:AMBER"
    AMBER_STRICT = "TLP:AMBER+STRICT", "TLP:AMBER+STRICT"
    RED = "TLP:RED", "TLP:RED"


class ImportStatus(models.TextChoices):
    DONE = "done", _("Done")
    DRY_RUN = "dry_run", _("Dry run (nothing written)")


class UploadStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLEANED = "cleaned", _("Reported cleaned")
    CLOSED = "closed", _("Closed")
    REINFECTED = "reinfected", _("Reinfected")


# Cases still needing the unit's attention (or waiting for the next list to confirm the cleanup).
ACTIVE_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.CLEANED, CaseStatus.REINFECTED)


class IndicatorKind(models.TextChoices):
    DOMAIN = "domain", _("Domain")
    URL = "url", _("URL")
    MD5 = "md5", "MD5"
    SHA1 = "sha1", "SHA-1"
    SHA256 = "sha256", "SHA-256"


class NotificationChannel(models.TextChoices):
    DIGEST = "digest", _("Digest e-mail to the security focal points")
    CRITICAL = "critical", _("Critical-family e-mail to the on-duty contact")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NO_RECIPIENTS = "no_recipients", _("No recipients")
