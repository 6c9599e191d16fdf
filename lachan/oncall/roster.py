"""Who is on duty: the rotation arithmetic, evaluated in the schedule's own time zone.

For an instant ``at`` the candidate shifts are those of the local day of ``at`` and of the day before (a
night shift started yesterday evening is still running this morning). Each shift belongs to its start day
D, and D decides the layer: the holiday layer if D is a Vietnamese public holiday (Tết included, from
``holidays``) and the schedule has holiday rotations; else the weekend layer on Saturdays and Sundays if
it has weekend rotations; else the regular rotations. Overrides covering ``at`` replace all of that.
"""

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.utils import timezone

from .choices import Layer
from .models import Override, Rotation, Schedule

WEEKEND = (5, 6)


@lru_cache(maxsize=64)
def _holidays(year):
    return holidays.country_holidays("VN", years=year)


def holiday_name(day):
    """The name of the Vietnamese public holiday on ``day`` ('' when none)."""
    return _holidays(day.year).get(day, "") or ""


def shift_window(rotation, day, tz):
    """``(start, end)`` aware datetimes of ``rotation``'s shift that starts on ``day``."""
    start = dt.datetime.combine(day, rotation.shift_start, tzinfo=tz)
    end_day = day if rotation.shift_end > rotation.shift_start else day + dt.timedelta(days=1)
    return start, dt.datetime.combine(end_day, rotation.shift_end, tzinfo=tz)


def holder(rotation, day, members):
    """The participant holding ``rotation``'s shift of ``day`` (None: nobody, or before the first day)."""
    if not members or day < rotation.start_date:
        return None
    turn = (day - rotation.start_date).days // max(rotation.length_days, 1)
    return members[turn % len(members)]


def day_layer(day, layers):
    """The layer that applies to shifts starting on ``day``, given the layers the schedule has."""
    if Layer.HOLIDAY in layers and holiday_name(day):
        return Layer.HOLIDAY
    if Layer.WEEKEND in layers and day.weekday() in WEEKEND:
        return Layer.WEEKEND
    return Layer.REGULAR


class Roster:
    """A schedule's rotations, members and overrides loaded once; ``at(instant)`` answers without queries."""

    def __init__(self, schedule, *, overrides_from=None, overrides_to=None):
        self.schedule = schedule
        self.tz = ZoneInfo(schedule.timezone)
        self.rotations = list(Rotation.objects.filter(schedule=schedule).prefetch_related("members__user"))
        # Deactivated accounts keep their place in the list but are skipped when their turn comes.
        self.members = {r.pk: [m.user for m in sorted(r.members.all(), key=lambda m: (m.position, m.pk))]
                        for r in self.rotations}
        self.inactive = {u.pk for users in self.members.values() for u in users if not u.is_active}
        self.layers = {r.layer for r in self.rotations}
        overrides = Override.objects.filter(schedule=schedule).select_related("user")
        if overrides_from is not None:
            overrides = overrides.filter(ends__gt=overrides_from)
        if overrides_to is not None:
            overrides = overrides.filter(starts__lt=overrides_to)
        self.overrides = list(overrides.order_by("starts", "pk"))

    def at(self, instant):
        """``(users, source)``: who is on duty at ``instant`` and why ('override', a layer, or '')."""
        instant = instant.astimezone(self.tz)
        overriding = [o.user for o in self.overrides if o.starts <= instant < o.ends and o.user.is_active]
        if overriding:
            return _distinct(overriding), "override"
        found, sources = [], []
        today = instant.date()
        for day in (today - dt.timedelta(days=1), today):
            layer = day_layer(day, self.layers)
            for rotation in self.rotations:
                if rotation.layer != layer:
                    continue
                start, end = shift_window(rotation, day, self.tz)
                if start <= instant < end:
                    user = holder(rotation, day, self.members[rotation.pk])
                    if user is not None and user.pk not in self.inactive:
                        found.append(user)
                        sources.append(layer)
        return _distinct(found), (sources[0] if sources else "")

    def boundaries(self, start, end):
        """Every instant in [start, end) where the answer of ``at`` may change."""
        points = {start}
        day = start.astimezone(self.tz).date() - dt.timedelta(days=1)
        while dt.datetime.combine(day, dt.time(0), tzinfo=self.tz) < end:
            for rotation in self.rotations:
                for point in shift_window(rotation, day, self.tz):
                    if start < point < end:
                        points.add(point)
            day += dt.timedelta(days=1)
        for o in self.overrides:
            points.update(p for p in (o.starts, o.ends) if start < p < end)
        return sorted(points)

    def timeline(self, start, end):
        """``[(from, to, users, source)]`` covering [start, end), consecutive equal entries merged."""
        rows = []
        points = self.boundaries(start, end)
        for index, point in enumerate(points):
            users, source = self.at(point)
            until = points[index + 1] if index + 1 < len(points) else end
            if rows and rows[-1][2] == users and rows[-1][3] == source:
                rows[-1] = (rows[-1][0], until, users, source)
            else:
                rows.append((point.astimezone(self.tz), until.astimezone(self.tz), users, source))
        return rows


def _distinct(users):
    seen, result = set(), []
    for user in users:
        if user.pk not in seen:
            seen.add(user.pk)
            result.append(user)
    return result


def schedules_for(unit):
    """The schedules answering for ``unit``: its own, else its nearest ancestor's; None: the coordinator desk."""
    if unit is None:
        return list(Schedule.objects.filter(unit__isnull=True).order_by("name", "pk"))
    chain = [int(pk) for pk in unit.path.strip("/").split("/") if pk][::-1] or [unit.pk]
    by_unit = {}
    for schedule in Schedule.objects.filter(unit_id__in=chain).order_by("name", "pk"):
        by_unit.setdefault(schedule.unit_id, []).append(schedule)
    for pk in chain:
        if by_unit.get(pk):
            return by_unit[pk]
    return []


def on_duty(schedule_or_unit, at=None):
    """The users on duty at ``at`` (default now) in a Schedule, or for a Unit (its schedules, else its
    nearest ancestor's), or for the coordinator desk (``None``). Override > holiday > weekend > regular."""
    at = at or timezone.now()
    if isinstance(schedule_or_unit, Schedule):
        schedules = [schedule_or_unit]
    else:
        schedules = schedules_for(schedule_or_unit)
    users = []
    for schedule in schedules:
        users += Roster(schedule, overrides_from=at, overrides_to=at + dt.timedelta(microseconds=1)).at(at)[0]
    return _distinct(users)
