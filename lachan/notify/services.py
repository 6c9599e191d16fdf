"""Sending notifications: ``send()`` writes one Delivery per (event, channel, target) and hands them to the
worker; ``deliver()`` claims one row with a conditional UPDATE and sends it; ``retry_due()`` (every minute)
sends what is due again, with exponential backoff, until NOTIFY_MAX_ATTEMPTS.

Callers (incidents, the website monitor's alerts, the duty roster)::

    from lachan.notify import services as notify
    notify.send("incident.opened:42", users=[operator], addresses=["soc@example.vn"],
                subject="[TBSC] …", body="…", severity="high", unit=incident.unit,
                attachments=[("report.docx", data, "application/vnd…")])
"""

import base64
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .addresses import parse_address
from .channels import DeliveryError, transport_for
from .choices import CLAIMABLE, Channel, DeliveryStatus, Severity
from .models import Delivery
from .selectors import targets_for

logger = logging.getLogger("lachan.notify")


def _attachments(attachments):
    kept, total = [], 0
    for item in attachments:
        name, content, mimetype = (tuple(item) + (None,))[:3]
        if isinstance(content, str):
            content = content.encode()
        total += len(content)
        if total > settings.NOTIFY_MAX_ATTACHMENT_BYTES:
            raise ValidationError(_("Attachments are larger than %(limit)d bytes in total (at %(name)s).")
                                  % {"limit": settings.NOTIFY_MAX_ATTACHMENT_BYTES, "name": name})
        kept.append({"name": str(name), "mimetype": mimetype or "application/octet-stream",
                     "content": base64.b64encode(content).decode("ascii")})
    return kept


def _plan(users, addresses, event_key, severity, at):
    """``[(channel, target, user, preference, skipped_reason)]`` without repeats of (channel, target)."""
    planned, seen = [], set()
    for user in users:
        for channel, target, preference, skipped in targets_for(user, event_key, severity, at):
            if (channel, target) not in seen:
                seen.add((channel, target))
                planned.append((channel, target, user, preference, skipped))
    for address in addresses:
        channel, target = parse_address(address)
        if (channel, target) not in seen:
            seen.add((channel, target))
            planned.append((channel, target, None, None, ""))
    return planned


def send(event_key: str, *, users=(), addresses=(), subject, body, attachments=(), severity=Severity.INFO,
         unit=None, now=None, enqueue=True) -> list[Delivery]:
    """Notify ``users`` (through their preferences) and plain ``addresses`` (``x@y.vn``, ``telegram:<chat>``,
    ``https://hook``, an Apprise URL) of the event ``event_key`` (``"<kind>:<id>…"``, e.g.
    ``"incident.opened:42"``; preferences filter on the kind). ``attachments``: ``(name, bytes, mimetype)``.

    Returns the Delivery rows of the event, one per (channel, target) — the existing rows when the event was
    sent before (nothing is sent twice). New rows are delivered by the worker after the transaction commits
    (``enqueue=False``: left to the caller or the retry sweep). Bad addresses or attachments raise
    ValidationError before anything is written."""
    if severity not in Severity.values:
        raise ValidationError(_("Unknown severity %(value)r.") % {"value": severity})
    now = now or timezone.now()
    files = _attachments(attachments)
    planned = _plan(list(users), list(addresses), event_key, severity, now)
    rows = []
    for channel, target, user, preference, skipped in planned:
        row = Delivery(event_key=event_key[:200], channel=channel, target=target[:500], user=user,
                       preference=preference, unit=unit or (user.unit if user is not None else None),
                       severity=severity, subject=subject[:300], body=body, attachments=files, next_attempt_at=now)
        if skipped:
            row.status, row.error = DeliveryStatus.SKIPPED, skipped
        rows.append(row)
    with transaction.atomic():
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        keys = Q(pk__in=[])
        for row in rows:
            keys |= Q(channel=row.channel, target=row.target)
        found = list(Delivery.objects.filter(keys, event_key=event_key[:200]).order_by("pk"))
    pending = [row.pk for row in found if row.status == DeliveryStatus.PENDING]
    if enqueue and pending:
        from .tasks import deliver_task

        transaction.on_commit(lambda: deliver_task.enqueue(pending))
    return found


def backoff(attempts):
    """Seconds before attempt ``attempts + 1``: base × 2^(attempts-1), capped."""
    return min(settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.NOTIFY_RETRY_MAX_SECONDS)


def claim(delivery_id, now):
    """Take the delivery for sending; True for exactly one caller (status pending/retry and due)."""
    return Delivery.objects.filter(pk=delivery_id, status__in=CLAIMABLE, next_attempt_at__lte=now).update(
        status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1) == 1


def deliver(delivery_id, *, now=None):
    """Send one delivery if this caller claims it; returns the row (None if someone else has it)."""
    now = now or timezone.now()
    if not claim(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related("unit", "preference").get(pk=delivery_id)
    try:
        transport_for(delivery.channel).notify(delivery)
    except DeliveryError as exc:
        _failed(delivery, exc.message, permanent=exc.permanent, now=now)
    except Exception as exc:  # a bug in a transport must not leave the row claimed forever
        logger.exception("delivery %s crashed", delivery.pk)
        _failed(delivery, f"{type(exc).__name__}: {exc}", permanent=False, now=now)
    else:
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.SENT, sent_at=timezone.now(), error="")
    delivery.refresh_from_db()
    return delivery


def _failed(delivery, message, *, permanent, now):
    final = permanent or delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS
    logger.warning("delivery %s attempt %s failed%s: %s", delivery.pk, delivery.attempts,
                   " (final)" if final else "", message)
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.FAILED if final else DeliveryStatus.RETRY, error=message[:4000],
        next_attempt_at=now + timedelta(seconds=0 if final else backoff(delivery.attempts)))


def retry_due(*, now=None, limit=500):
    """Deliver every pending or retry row that is due (and free claims older than the lease); returns how
    many were sent now."""
    now = now or timezone.now()
    lease = now - timedelta(seconds=settings.NOTIFY_SENDING_LEASE_SECONDS)
    Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=lease).update(status=DeliveryStatus.RETRY)
    ids = list(Delivery.objects.filter(status__in=CLAIMABLE, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    sent = 0
    for pk in ids:
        row = deliver(pk, now=now)
        sent += row is not None and row.status == DeliveryStatus.SENT
    return sent


def preference_save(preference, *, user):
    """Save ``preference`` as ``user``'s own (the target validated for its channel)."""
    from .addresses import validate_target

    preference.user = user
    preference.target = validate_target(preference.channel, preference.target)
    if preference.channel != Channel.WEBHOOK:
        preference.secret = ""
    try:
        with transaction.atomic():
            preference.save()
    except IntegrityError:
        raise ValidationError({"target": _("You already have this address on this channel.")}) from None
    return preference
