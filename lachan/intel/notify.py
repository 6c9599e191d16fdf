"""E-mail notifications of an import: one digest per unit, critical families to the on-duty contact at once.

Written in Vietnamese (``templates/intel/email/*.txt``: the units read Vietnamese), TLP in the subject and
the body. Each unit's attachment holds that unit's sightings of the import and nothing else (cells
neutralised by ``core.tabular``). ``Notification`` rows (unique per unit, import and channel) are claimed
with a conditional UPDATE before sending, so a unit is never notified twice for the same import, even if
the job runs twice or in two workers; a failed delivery is retried by running the job again.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from lachan.core import tabular
from lachan.core.exports import format_cell
from lachan.organizations.models import Unit
from lachan.organizations.selectors import FOCAL_ROLE, ON_DUTY_ROLE, recipients_for

from .choices import CaseStatus, NotificationChannel, NotificationStatus
from .models import FeedImport, Notification, Sighting

logger = logging.getLogger("lachan.intel")

CSV_HEADER = ["ip", "family", "seen_utc", "rows_in_file", "port", "protocol", "destination", "asn", "case_status",
              "reinfections"]


def attachment_csv(sightings):
    rows = ([s.ip, s.family, s.seen.strftime("%Y-%m-%d %H:%M:%S") if s.seen else "", s.count, s.port, s.protocol,
             s.destination, s.asn, s.case.status, s.case.reinfections] for s in sightings)
    return tabular.write_csv(CSV_HEADER, ([format_cell(v) for v in row] for row in rows))


def _claim(unit, feed_import, channel):
    """The Notification row if this caller may send it now (pending or failed before), else None."""
    Notification.objects.bulk_create([Notification(unit=unit, feed_import=feed_import, channel=channel)],
                                      ignore_conflicts=True)
    row = Notification.objects.get(unit=unit, feed_import=feed_import, channel=channel)
    claimed = Notification.objects.filter(pk=row.pk, status__in=[NotificationStatus.PENDING, NotificationStatus.FAILED]
                                          ).update(status=NotificationStatus.SENDING)
    if not claimed:
        return None
    row.refresh_from_db()
    return row


def _send(row, *, recipients, subject, body, attachment=None, rows=0, via=None):
    row.recipients = ", ".join(recipients)
    row.via_unit = via
    row.subject = subject[:300]
    row.attachment_rows = rows
    if not recipients:
        row.status = NotificationStatus.NO_RECIPIENTS
        row.save()
        return row
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    if attachment is not None:
        message.attach(*attachment)
    try:
        message.send()
    except Exception as exc:  # the delivery log keeps the error; the job may be run again
        logger.exception("intel notification %s failed", row.pk)
        row.status, row.error = NotificationStatus.FAILED, str(exc)[:2000]
    else:
        row.status, row.error, row.sent_at = NotificationStatus.SENT, "", timezone.now()
    row.save()
    return row


def _context(feed_import, unit, sightings, via=None):
    families = _family_counts(sightings)
    return {
        "unit": unit, "via": via, "feed": feed_import.feed, "feed_import": feed_import, "tlp": feed_import.tlp,
        "ips": len(sightings), "families": families,
        "reinfected": sum(1 for s in sightings if s.case.status == CaseStatus.REINFECTED),
        "site_name": getattr(settings, "SITE_NAME", "Lá Chắn"),
        "sightings": sightings,
    }


def _family_counts(sightings):
    counts = {}
    for s in sightings:
        counts[s.family or "?"] = counts.get(s.family or "?", 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def notify_unit(feed_import, unit):
    """Send the unit's messages for the import (critical first); returns the Notification rows sent now."""
    sightings = list(Sighting.objects.filter(feed_import=feed_import, unit=unit).select_related("case")
                     .order_by("ip", "family"))
    if not sightings:
        return []
    done = []
    with translation.override("vi"):
        critical = feed_import.feed.critical_family_set
        urgent = [s for s in sightings if s.family in critical]
        if urgent:
            row = _claim(unit, feed_import, NotificationChannel.CRITICAL)
            if row is not None:
                recipients, via = recipients_for(unit, (ON_DUTY_ROLE, FOCAL_ROLE))
                context = _context(feed_import, unit, urgent, via)
                subject = render_to_string("intel/email/critical_subject.txt", context).strip()
                body = render_to_string("intel/email/critical_body.txt", context)
                done.append(_send(row, recipients=recipients, subject=subject, body=body, rows=len(urgent), via=via))
        row = _claim(unit, feed_import, NotificationChannel.DIGEST)
        if row is not None:
            recipients, via = recipients_for(unit, (FOCAL_ROLE,))
            context = _context(feed_import, unit, sightings, via)
            subject = render_to_string("intel/email/digest_subject.txt", context).strip()
            body = render_to_string("intel/email/digest_body.txt", context)
            name = f"botnet-{unit.code}-{feed_import.started:%Y%m%d}-{feed_import.pk}.csv"
            done.append(_send(row, recipients=recipients, subject=subject, body=body,
                              attachment=(name, attachment_csv(sightings), "text/csv"), rows=len(sightings), via=via))
    return done


def notify_import(import_id):
    """Every unit with sightings in the import; returns the number of messages sent."""
    feed_import = FeedImport.objects.select_related("feed").filter(pk=import_id, dry_run=False).first()
    if feed_import is None:
        return 0
    units = Unit.objects.filter(intel_sightings__feed_import=feed_import).annotate(
        n=Count("intel_sightings", filter=Q(intel_sightings__feed_import=feed_import))).order_by("path")
    sent = 0
    for unit in units:
        sent += sum(1 for row in notify_unit(feed_import, unit) if row.status == NotificationStatus.SENT)
    return sent
