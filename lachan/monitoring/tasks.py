"""Background jobs of the website watch (run by `lachan worker`; the periodic ones enqueued by `lachan scheduler`)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from lachan.core.jobs import periodic, task

from .models import Check, WatchedSite

logger = logging.getLogger("lachan.monitoring")
PURGE_CHUNK = 5000


@task()
def send_alert_notices(alert_ids):
    """E-mail the due notices of these alerts (the engine enqueues it after each committed batch)."""
    from .notify import send_alert_notices as send

    return send(alert_ids)


@periodic(every=timedelta(minutes=5))
@task()
def send_pending_notices():
    """Notices that are due but were never handed over (a lost job, a failed hand-over), and the incidents of
    notified attacks that could not be opened then. Returns how many notices were sent."""
    from .escalation import open_pending_incidents
    from .notify import pending_alert_ids
    from .notify import send_alert_notices as send

    sent = send(pending_alert_ids())
    open_pending_incidents()
    return sent


@periodic(every=timedelta(minutes=1))
@task()
def acknowledge_worked_incidents():
    """Stop the on-duty paging of incidents a person has moved on (their first status change)."""
    from .escalation import acknowledge_worked_incidents as sweep

    return sweep()


@periodic(every=timedelta(hours=6))
@task()
def purge_old_checks(days=None):
    """Delete checks older than MONITOR_HISTORY_DAYS days (in chunks, so the table is never locked long);
    snapshots, alerts and events stay. Returns how many were deleted."""
    days = settings.MONITOR_HISTORY_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    while True:
        ids = list(Check.objects.filter(checked_at__lt=cutoff).values_list("pk", flat=True)[:PURGE_CHUNK])
        if not ids:
            break
        deleted += Check.objects.filter(pk__in=ids).delete()[0]
    if deleted:
        logger.info("purged %d checks older than %d days", deleted, days)
    return deleted


@periodic(every=timedelta(minutes=5))
@task()
def release_stale_claims():
    """Clear claims whose lease ran out (a monitor that died): the site is due again at once."""
    now = timezone.now()
    released = WatchedSite.objects.filter(~Q(claimed_by=""), claimed_until__lt=now).update(
        claimed_by="", claimed_until=None)
    if released:
        logger.warning("released %d website checks claimed by monitors that did not finish them", released)
    return released


@periodic(every=timedelta(minutes=10))
@task()
def watch_new_websites():
    """A WatchedSite for every monitored website without one (the engine does it too when it runs)."""
    from .services import watch_missing_websites

    return watch_missing_websites()
