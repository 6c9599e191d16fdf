"""E-mails of the incidents workflow: overdue reporting, sent once per clock (claimed with a conditional
UPDATE on ``overdue_notified_at``) to the unit's security focal point (or its nearest ancestor's) and the
coordinators."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation

from lachan.accounts.choices import Role
from lachan.accounts.models import User
from lachan.organizations.selectors import FOCAL_ROLE, recipients_for

from .choices import EventKind
from .models import IncidentDeadline, IncidentEvent

logger = logging.getLogger("lachan.incidents")


def coordinator_emails():
    return list(User.objects.filter(role=Role.COORDINATOR, is_active=True).exclude(email="")
                .order_by("pk").values_list("email", flat=True).distinct())


def notify_overdue(now=None):
    """One message per clock past due, not stopped and not yet notified; returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    due = (IncidentDeadline.objects.filter(done_at__isnull=True, due_at__lt=now, overdue_notified_at__isnull=True)
           .select_related("incident__unit", "rule"))
    for deadline in due:
        claimed = IncidentDeadline.objects.filter(pk=deadline.pk, overdue_notified_at__isnull=True,
                                                  done_at__isnull=True).update(overdue_notified_at=now)
        if not claimed:
            continue  # another worker has it, or it was reported meanwhile
        incident = deadline.incident
        focal, via = recipients_for(incident.unit, (FOCAL_ROLE,))
        recipients = list(dict.fromkeys([*focal, *coordinator_emails()]))
        context = {"incident": incident, "deadline": deadline, "rule": deadline.rule, "via": via,
                   "site_name": getattr(settings, "SITE_NAME", "Lá Chắn"),
                   "due": timezone.localtime(deadline.due_at)}
        with translation.override("vi"):
            subject = render_to_string("incidents/email/overdue_subject.txt", context).strip()
            body = render_to_string("incidents/email/overdue_body.txt", context)
        if not recipients or not _send(recipients, subject, body):
            IncidentDeadline.objects.filter(pk=deadline.pk).update(overdue_notified_at=None)
            continue
        IncidentEvent.objects.create(incident=incident, kind=EventKind.OVERDUE, version=incident.version,
                                     message=str(deadline.rule), changes={"rule": deadline.rule.key,
                                                                          "recipients": recipients})
        sent += 1
    return sent


def _send(recipients, subject, body):
    try:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients).send()
    except Exception:  # logged; the clock stays un-notified and the next run tries again
        logger.exception("overdue notice to %s failed", recipients)
        return False
    return True
