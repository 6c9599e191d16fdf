"""Due dates of findings from the SLA policy (``models.SlaPolicy``: data the coordinator edits).

    due = start + ceil(days(severity) × factor(system security level)), at least one day
    days(severity) for a KEV finding = min(days(severity), kev_days), and the catalog's own due date
    when it is earlier and not already past at ``start`` (an old KEV entry's due date of 2021 must not
    make a finding found today overdue on arrival).
"""

import math
from datetime import date, datetime, timedelta

from .models import SlaPolicy


def active_policy():
    """The active policy with the lowest id, else an unsaved one with the model's defaults."""
    return SlaPolicy.objects.filter(is_active=True).order_by("id").first() or SlaPolicy(name="default")


def _as_date(value):
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def level_factor(policy, security_level):
    if security_level in (1, 2, 3, 4, 5):
        return float(getattr(policy, f"level_{security_level}_factor"))
    return 1.0


def due_date(policy, *, severity, start, kev=False, kev_due=None, security_level=None):
    """The date a finding of ``severity`` first seen on ``start`` must be fixed by (None: no deadline)."""
    start = _as_date(start)
    days = getattr(policy, f"{severity}_days", None)
    if kev:
        days = policy.kev_days if days is None else min(days, policy.kev_days)
    if days is None:
        return None
    days = max(1, math.ceil(days * level_factor(policy, security_level)))
    due = start + timedelta(days=days)
    catalog_due = _as_date(kev_due)
    if kev and policy.kev_use_catalog_due and catalog_due is not None and start <= catalog_due < due:
        due = catalog_due
    return due
