"""Reporting clocks: which ``ReportingRule``s bind an incident, when each report is due, what is overdue,
and the next dates of the periodic (half-year, year) reports. The rules are data (editable), not code."""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import timezone

from .choices import RuleKind
from .models import Incident, IncidentDeadline, ReportingRule


def deadlines_sync(incident, rules=None):
    """Create/refresh the clocks of ``incident`` from the active rules: one per rule that applies, due
    ``hours`` after detection. Clocks already stopped (reported) are kept as they are; clocks of rules that
    no longer apply (the incident is no longer serious …) and are not stopped are removed."""
    rules = list(rules if rules is not None else ReportingRule.objects.filter(kind=RuleKind.INCIDENT, is_active=True))
    existing = {d.rule_id: d for d in incident.deadlines.all()}
    keep = set()
    for rule in rules:
        if not rule.applies(incident):
            continue
        keep.add(rule.pk)
        due = incident.detected_at + datetime.timedelta(hours=rule.hours)
        current = existing.get(rule.pk)
        if current is None:
            IncidentDeadline.objects.create(incident=incident, rule=rule, due_at=due)
        elif current.done_at is None and current.due_at != due:
            IncidentDeadline.objects.filter(pk=current.pk).update(due_at=due)
    stale = [d.pk for rule_id, d in existing.items() if rule_id not in keep and d.done_at is None]
    if stale:
        IncidentDeadline.objects.filter(pk__in=stale).delete()


def deadlines_resync_open(rules=None):
    """After a rule was edited: refresh the clocks of every incident whose reporting is not finished."""
    pending = Incident.objects.filter(closed_at__isnull=True)
    count = 0
    for incident in pending.iterator(chunk_size=500):
        deadlines_sync(incident, rules)
        count += 1
    return count


def overdue_q(now=None):
    """An ``Exists`` condition: the incident has a clock past due and not stopped (for ``.filter()``)."""
    now = now or timezone.now()
    return Exists(IncidentDeadline.objects.filter(incident=OuterRef("pk"), done_at__isnull=True, due_at__lt=now))


@dataclass
class Clock:
    deadline: IncidentDeadline
    rule: ReportingRule
    due_at: datetime.datetime
    done_at: datetime.datetime | None
    left: datetime.timedelta

    @property
    def overdue(self):
        return self.done_at is None and self.left.total_seconds() < 0

    @property
    def left_text(self):
        """"2 d 3 h" / "45 min" (absolute value; ``overdue`` says on which side of the deadline)."""
        seconds = abs(int(self.left.total_seconds()))
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes = rest // 60
        if days:
            return f"{days} d {hours} h"
        if hours:
            return f"{hours} h {minutes} min"
        return f"{minutes} min"


def clocks(incident, now=None):
    now = now or timezone.now()
    return [Clock(d, d.rule, d.due_at, d.done_at, d.due_at - now)
            for d in incident.deadlines.select_related("rule").order_by("due_at")]


def next_periodic(today=None):
    """[(rule, date)] of the active periodic reports, soonest first: the next occurrence on or after ``today``."""
    today = today or timezone.localdate()
    found = []
    for rule in ReportingRule.objects.filter(kind=RuleKind.PERIODIC, is_active=True):
        for year in (today.year, today.year + 1):
            try:
                day = datetime.date(year, rule.month, rule.day)
            except (TypeError, ValueError):  # 29/02 in a common year, or no date set
                continue
            if day >= today:
                found.append((rule, day))
                break
    return sorted(found, key=lambda pair: pair[1])
