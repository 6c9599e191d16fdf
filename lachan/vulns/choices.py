from django.db import models
from django.utils.translation import gettext_lazy as _

from lachan.core.choices import Severity  # noqa: F401  (the shared scale, re-exported)

# Most severe first: the rank used to sort findings (KEV first, then this order).
SEVERITY_RANK = {s: n for n, s in enumerate(Severity.values)}


class AdvisorySource(models.TextChoices):
    NVD = "nvd", "NVD"
    CVE5 = "cve5", "CVE 5"
    KEV = "kev", "CISA KEV"
    NATIONAL = "national", _("National warning")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    REFUSED = "refused", _("Refused")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    FIXED = "fixed", _("Fixed")
    VERIFIED = "verified", _("Verified")
    RISK_ACCEPTED = "risk_accepted", _("Risk accepted")
    FALSE_POSITIVE = "false_positive", _("False positive")


# Findings that still need work (count towards "open" figures and overdue lists).
ACTIVE_STATUSES = (FindingStatus.OPEN, FindingStatus.IN_PROGRESS)
CLOSED_STATUSES = (FindingStatus.FIXED, FindingStatus.VERIFIED)

# from_status -> statuses a person may move a finding to (imports and matching follow their own rules:
# absent from a new scan / no longer matching → fixed; back in a scan → open).
TRANSITIONS = {
    FindingStatus.OPEN: {FindingStatus.IN_PROGRESS, FindingStatus.FIXED, FindingStatus.RISK_ACCEPTED,
                         FindingStatus.FALSE_POSITIVE},
    FindingStatus.IN_PROGRESS: {FindingStatus.OPEN, FindingStatus.FIXED, FindingStatus.RISK_ACCEPTED,
                                FindingStatus.FALSE_POSITIVE},
    FindingStatus.FIXED: {FindingStatus.VERIFIED, FindingStatus.OPEN},
    FindingStatus.VERIFIED: {FindingStatus.OPEN},
    FindingStatus.RISK_ACCEPTED: {FindingStatus.OPEN},
    FindingStatus.FALSE_POSITIVE: {FindingStatus.OPEN},
}
# Moves only a unit administrator or a coordinator may make.
APPROVER_STATUSES = (FindingStatus.RISK_ACCEPTED, FindingStatus.VERIFIED)

MATCH_SOURCE = "match"


class AnswerStatus(models.TextChoices):
    PENDING = "pending", _("No answer yet")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    PATCHED = "patched", _("Patched")
    NOT_AFFECTED = "not_affected", _("Not affected")
