from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DocType(models.TextChoices):
    CONG_VAN = "cong_van", _("Official letter")
    KE_HOACH = "ke_hoach", _("Plan")
    QUYET_DINH = "quyet_dinh", _("Decision")
    CHI_THI = "chi_thi", pgettext_lazy("document type", "Directive")
    THONG_BAO = "thong_bao", _("Notice")
    BAO_CAO = "bao_cao", _("Report")
    TO_TRINH = "to_trinh", _("Submission")
    OTHER = "other", _("Other")


class DirectiveStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    DISPATCHED = "dispatched", _("Dispatched")
    CLOSED = "closed", _("Closed")


class TaskTarget(models.TextChoices):
    ALL = "all", _("All recipients")
    GROUP = "group", _("A unit group")
    KIND = "kind", _("A kind of unit")


class AnswerStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class MatchDecision(models.TextChoices):
    PENDING = "pending", _("To decide")
    ACCEPTED = "accepted", _("Accepted")
    OTHER_UNIT = "other_unit", _("Another unit chosen")
    IGNORED = "ignored", _("Ignored")


class ReminderKind(models.TextChoices):
    BEFORE = "before", _("Before the deadline")
    AFTER = "after", _("After the deadline")
