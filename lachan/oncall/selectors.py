"""Read side of the duty roster, always through the user's scope."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from lachan.core.scope import VIEW

from .choices import EscalationStatus
from .models import Escalation, Schedule
from .roster import Roster


def visible_schedules(user):
    return Schedule.objects.restrict(user, VIEW).select_related("unit")


def on_duty_now(user, at=None, limit=20):
    """``[(schedule, users, source)]`` of the schedules the user sees (the coordinator desk first)."""
    at = at or timezone.now()
    rows = []
    schedules = visible_schedules(user).order_by("unit__path", "name")[:limit]
    for schedule in sorted(schedules, key=lambda s: (s.unit_id is not None, s.unit.path if s.unit else "", s.name)):
        users, source = Roster(schedule, overrides_from=at, overrides_to=at + dt.timedelta(microseconds=1)).at(at)
        rows.append((schedule, users, source))
    return rows


def week_table(schedule, start=None, days=7):
    """The schedule's duty timeline from ``start`` (default: today 00:00 in its time zone) for ``days``."""
    tz = ZoneInfo(schedule.timezone)
    if start is None:
        today = timezone.now().astimezone(tz).date()
        start = dt.datetime.combine(today, dt.time(0), tzinfo=tz)
    end = start + dt.timedelta(days=days)
    return Roster(schedule, overrides_from=start, overrides_to=end).timeline(start, end)


def active_escalations(user):
    return Escalation.objects.restrict(user, VIEW).filter(status=EscalationStatus.ACTIVE)
