"""Claiming due sites so that any number of monitor processes on any number of machines share the work.

A site is *due* when it is enabled, its ``next_check_at`` is past (or NULL: never checked) and nobody
holds it (``claimed_by`` empty, or its lease ``claimed_until`` ran out — a monitor that died). Claiming is

1. read up to ``limit`` candidate ids, the most overdue first (NULLs first);
2. ``UPDATE … SET claimed_by = <worker token>, claimed_until = now + lease WHERE id IN (…) AND <due>``;
3. read back the rows carrying the token.

The UPDATE re-tests the due condition row by row, so when two monitors read the same candidates only one
of them gets each row (the other's UPDATE finds it no longer due). On PostgreSQL step 1 also locks the
candidates with ``FOR UPDATE SKIP LOCKED`` inside the transaction, so racing monitors pick different rows
instead of colliding. The token is ``<name>:<host>:<pid>:<random>``, unique per engine run.
"""

import os
import secrets
import socket
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q

from ..models import WatchedSite


def worker_token(name=""):
    base = name or "monitor"
    return f"{base}:{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[:100]


def due_q(now, due_at=None):
    """Enabled, due at ``due_at`` (default ``now``) and free at ``now`` (nobody's, or its lease ran out)."""
    due_at = now if due_at is None else due_at
    free = Q(claimed_by="") | Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    return Q(enabled=True) & (Q(next_check_at__isnull=True) | Q(next_check_at__lte=due_at)) & free


def candidates(now, limit, due_at=None):
    """Ids of due sites, the most overdue first (never checked first)."""
    rows = WatchedSite.objects.filter(due_q(now, due_at), website__monitored=True).order_by(
        F("next_check_at").asc(nulls_first=True), "pk")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return list(rows.values_list("pk", flat=True)[:limit])


def take(ids, worker, now, lease=None, due_at=None):
    """The conditional UPDATE: claim those of ``ids`` still due; returns how many. The lease runs from
    ``now`` (the real time of the claim), whatever ``due_at`` is."""
    if not ids:
        return 0
    lease = timedelta(seconds=settings.MONITOR_LEASE_SECONDS if lease is None else lease)
    return WatchedSite.objects.filter(due_q(now, due_at), pk__in=ids).update(claimed_by=worker,
                                                                             claimed_until=now + lease)


def claim_due(worker, limit, now, lease=None, due_at=None):
    """Claim up to ``limit`` sites due at ``due_at`` (default ``now``: a ``once`` round passes its start, so
    that sites it checked and rescheduled are not taken again) for ``worker``; the lease runs from ``now``.
    Returns the sites (with their website loaded)."""
    if limit <= 0:
        return []
    with transaction.atomic():
        ids = candidates(now, limit, due_at)
        if not take(ids, worker, now, lease, due_at):
            return []
    return list(WatchedSite.objects.filter(pk__in=ids, claimed_by=worker).select_related("website"))


def release(worker, site_ids=None):
    """Give back claims of ``worker`` (all of them, or those of ``site_ids``) without checking them."""
    rows = WatchedSite.objects.filter(claimed_by=worker)
    if site_ids is not None:
        rows = rows.filter(pk__in=list(site_ids))
    return rows.update(claimed_by="", claimed_until=None)
