"""Emergency response plans of the units ("Xây dựng các kế hoạch, phương án ứng cứu khẩn cấp"): the approved
document (PDF or DOCX, type decided by its content, SHA-256 kept) with its review cycle; the next review date is
computed here, overdue reviews are flagged, and the directives' live check ``has_current_response_plan``
answers whether a unit has a plan in force whose review is not overdue."""

import calendar
import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lachan.core.audit import acting_as
from lachan.core.files import file_digest
from lachan.core.scope import CHANGE, VIEW, can
from lachan.organizations.models import Unit

from . import sniffing
from .services import _download_name, _read_limited, setting

PLAN_TYPES = (sniffing.PDF, sniffing.DOCX)
CHECK_KEY = "has_current_response_plan"


def add_months(day, months):
    """``day`` + ``months`` calendar months, the day clamped to the month's end (31/01 + 1 → 28/02 or 29/02)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_review(approved_on, review_months):
    return add_months(approved_on, max(int(review_months or 0), 1))


def overdue_q(today=None):
    """Plans in force whose review date has passed (for ``.filter()``)."""
    return Q(is_active=True, next_review_on__lt=today or timezone.localdate())


def _may_write(by, unit):
    from .models import ResponsePlan

    if by is None:
        return
    if not can(by, ResponsePlan, CHANGE) or not Unit.objects.restrict(by, VIEW).filter(pk=unit.pk).exists():
        raise PermissionDenied(_("You may not keep plans for %(unit)s.") % {"unit": unit})


def _document(file):
    """(ContentFile, file name, FileType, sha256, size) of an uploaded plan; PDF and DOCX only."""
    data = _read_limited(file, setting("INCIDENTS_PLAN_MAX_BYTES", 25 * 1024 * 1024))
    try:
        kind = sniffing.sniff(data)
    except sniffing.RefusedType as exc:
        raise ValidationError({"file": str(exc)}) from None
    if kind not in PLAN_TYPES:
        raise ValidationError({"file": _("A plan is a PDF or DOCX document; this file is %(type)s.")
                               % {"type": kind.key}})
    content = ContentFile(data)
    sha256, size = file_digest(content)
    return content, _download_name(getattr(file, "name", "") or "plan", kind), kind, sha256, size


def plan_save(plan, *, by, file=None):
    """Create or update ``plan`` (its editable fields already set): the document, when given, is checked by content
    and stored privately with its SHA-256; ``next_review_on`` is recomputed. A new plan needs a document."""
    _may_write(by, plan.unit)
    if plan.pk is None and file is None:
        raise ValidationError({"file": _("Upload the plan document (PDF or DOCX).")})
    if plan.review_months is None or plan.review_months < 1 or plan.review_months > 120:
        raise ValidationError({"review_months": _("Review every 1 to 120 months.")})
    if plan.approved_on and plan.approved_on > timezone.localdate():
        raise ValidationError({"approved_on": _("The approval date is in the future.")})
    plan.next_review_on = next_review(plan.approved_on, plan.review_months)
    with transaction.atomic(), acting_as(by):
        if file is not None:
            content, name, kind, sha256, size = _document(file)
            plan.file_name, plan.file_type, plan.content_type = name, kind.key, kind.content_type
            plan.sha256, plan.size = sha256, size
            if plan.pk is None:
                plan.uploaded_by = by
            plan.file.save(name, content, save=False)
        plan.save()
    return plan


def has_current_response_plan(units):
    """Live check for directive tasks: each unit has its own plan in force and not overdue for review — one
    query for any number of units."""
    from .models import ResponsePlan

    today = timezone.localdate()
    best = {}
    for unit_id, review in (ResponsePlan.objects.filter(unit__in=[u.pk for u in units], is_active=True)
                            .values_list("unit_id", "next_review_on")):
        best[unit_id] = max(review, best.get(unit_id, review))
    results = {}
    for unit in units:
        review = best.get(unit.pk)
        if review is None:
            results[unit.pk] = (False, _("No emergency response plan in force"))
        elif review < today:
            results[unit.pk] = (False, _("Emergency response plan overdue for review since %(date)s")
                                % {"date": review.strftime("%d/%m/%Y")})
        else:
            results[unit.pk] = (True, _("Emergency response plan in force, next review %(date)s")
                                % {"date": review.strftime("%d/%m/%Y")})
    return results


def register_checks():
    from lachan.directives.checks import register

    register(CHECK_KEY, gettext_lazy("The unit has a current emergency response plan"), has_current_response_plan)
