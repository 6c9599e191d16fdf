"""E-mails of the directives workflow (the same pattern as ``intel.notify``: Vietnamese templates, the unit's
security focal point — or its nearest ancestor's — as recipient, each message claimed before it is sent)."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation

from lachan.organizations.selectors import FOCAL_ROLE, recipients_for

from .models import Dispatch, TaskAnswer

logger = logging.getLogger("lachan.directives")


def _send(recipients, subject, body):
    if not recipients:
        return False
    try:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients).send()
    except Exception:  # logged; the dispatch stays un-notified and the job may run again
        logger.exception("directive mail to %s failed", recipients)
        return False
    return True


def notify_dispatches(ids):
    """One message per new dispatch (claimed through ``notified_at``); returns the number sent."""
    sent = 0
    for dispatch in Dispatch.objects.filter(pk__in=ids, notified_at__isnull=True).select_related("directive", "unit"):
        if not Dispatch.objects.filter(pk=dispatch.pk, notified_at__isnull=True).update(notified_at=timezone.now()):
            continue
        recipients, via = recipients_for(dispatch.unit, (FOCAL_ROLE,))
        context = {"dispatch": dispatch, "directive": dispatch.directive, "unit": dispatch.unit, "via": via,
                   "tasks": dispatch.directive.tasks.count(), "site_name": getattr(settings, "SITE_NAME", "Lá Chắn")}
        with translation.override("vi"):
            subject = render_to_string("directives/email/dispatch_subject.txt", context).strip()
            body = render_to_string("directives/email/dispatch_body.txt", context)
        if _send(recipients, subject, body):
            sent += 1
        else:
            Dispatch.objects.filter(pk=dispatch.pk).update(notified_at=None)
    return sent


def notify_reminders(due):
    """``due``: {(unit_id, kind): [answer ids]} from ``services.reminders_due``; one message per unit and kind."""
    sent = 0
    for (_unit_id, kind), ids in due.items():
        answers = list(TaskAnswer.objects.filter(pk__in=ids).select_related("unit", "task__directive")
                       .order_by("task__deadline", "task__ordinal"))
        if not answers:
            continue
        unit = answers[0].unit
        recipients, via = recipients_for(unit, (FOCAL_ROLE,))
        context = {"unit": unit, "via": via, "kind": kind, "answers": answers,
                   "site_name": getattr(settings, "SITE_NAME", "Lá Chắn")}
        with translation.override("vi"):
            subject = render_to_string("directives/email/reminder_subject.txt", context).strip()
            body = render_to_string("directives/email/reminder_body.txt", context)
        sent += _send(recipients, subject, body)
    return sent
