"""Incident statistics (issue 6, part 8): counts per unit, type, severity and month; response times; the age
of open incidents; reporting deadlines met or missed. Everything is read through
``Incident.objects.restrict(user, VIEW)``: a unit user's figures count only what that user may see.

The number of queries does not depend on the number of incidents (about ten): counts are aggregated in the
database (``values(...).annotate(Count(...))``, months with ``TruncMonth`` in Asia/Ho_Chi_Minh), and the
durations are read in one pass over one ``values_list`` (the first acknowledgement is a correlated subquery
of that same query).

Definitions (also shown on the page):

- An incident belongs to the month (and the period) of its **detection** (``detected_at``, local time).
- **Time to acknowledge**: from ``created`` (the report reached the platform) to the earlier of ``triaged_at``
  and the first timeline event by a person other than the one who filed it (a comment, an edit, a status
  change, evidence, an indicator, a report sent…). Events of the platform itself (no actor) and the
  creation event do not count. An incident nobody has touched yet has no value (it is not counted).
- **Time to triage**: from ``created`` to ``triaged_at`` (the first time it was triaged).
- **Time to resolve**: from ``detected_at`` to ``resolved_at`` (the impact as the unit lived it).
- A duration below zero (a detection time edited after the fact) counts as zero.
- Median and p90 interpolate linearly between the closest ranks (``numpy.percentile``'s default).
- **Open incidents by age**: incidents not resolved or closed, aged from ``created`` until now, whatever the
  period (the unit and type filters still apply).
- **Reporting deadlines**: the clocks (``IncidentDeadline``) of the incidents of the period: *met* = reported
  on or before the due time, *late* = reported after it, *overdue* = not reported and past due, *running* =
  not reported, not yet due.
"""

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lachan.core.choices import Severity
from lachan.core.scope import VIEW
from lachan.organizations.models import Unit

from . import taxonomy
from .choices import EventKind
from .lifecycle import OPEN_STATUSES
from .models import Incident, IncidentDeadline, IncidentEvent

TOP_UNITS = 10
MAX_MONTHS = 60
HOUR = 3600.0
# Ages of open incidents: (label, lower bound in days, upper bound in days or None)
AGE_BUCKETS = (
    ("lt1d", _("under 1 day"), 0, 1),
    ("1to7d", _("1–7 days"), 1, 7),
    ("7to30d", _("7–30 days"), 7, 30),
    ("30to90d", _("30–90 days"), 30, 90),
    ("gt90d", _("over 90 days"), 90, None),
)
DURATIONS = (
    ("ack", _("Time to acknowledge")),
    ("triage", _("Time to triage")),
    ("resolve", _("Time to resolve")),
)


def local_tz():
    return timezone.get_default_timezone()


def month_start(day):
    return day.replace(day=1)


def add_months(day, months):
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def default_period(today=None):
    """The last 12 months, this one included: (first day of the month 11 months ago, today)."""
    today = today or timezone.localdate()
    return add_months(month_start(today), -11), today


def months_between(start, end):
    """The first days of the months from ``start``'s to ``end``'s, inclusive."""
    months, current = [], month_start(start)
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months


def percentile(values, fraction):
    """The ``fraction`` quantile of ``values`` (linear interpolation between the closest ranks); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def duration_text(hours):
    """"45 min", "5.5 h", "3.2 d" — hours below 1 in minutes, below 48 in hours, else in days."""
    if hours is None:
        return "–"
    if hours < 1:
        return f"{round(hours * 60)} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"


@dataclass
class Summary:
    """Median and p90 (in hours) of a list of durations."""

    n: int = 0
    median: float | None = None
    p90: float | None = None

    @classmethod
    def of(cls, hours):
        return cls(len(hours), percentile(hours, 0.5), percentile(hours, 0.9))

    @property
    def median_text(self):
        return duration_text(self.median)

    @property
    def p90_text(self):
        return duration_text(self.p90)


@dataclass
class Table:
    """One table of figures: shown next to its chart, exported as CSV/XLSX as it is."""

    key: str
    title: str
    header: list
    rows: list  # [[cell, ...], ...]
    links: list = field(default_factory=list)  # per row: a query string for the first cell, or ""
    lines: list = field(default_factory=list)  # [(row, href)]: set by the page


@dataclass
class Statistics:
    start: datetime.date
    end: datetime.date
    unit: Unit | None
    incident_type: str | None
    months: list  # first days of the months of the period
    totals: dict  # total, serious, not_serious, open, personal_data
    per_severity: list  # [(value, label, n)]
    per_type: list  # [{key, name, label, n, serious}]
    top_units: list  # [{unit, n, serious, open}]
    subtree: list  # [{unit or None, label, n, serious, own}] the focus unit itself and each child's subtree
    focus: Unit | None
    monthly: list  # [{month, total, by_severity: {severity: n}}]
    durations_by_severity: list  # [(value, label, {kind: Summary})]
    durations_by_month: list  # [(month, {kind: Summary})]
    open_ages: list  # [(value, label, {bucket: n}, total)]
    deadlines: list  # [{rule, key, met, late, overdue, running}]
    now: datetime.datetime = None

    def tables(self):
        return build_tables(self)


# --- queries -----------------------------------------------------------------------------------------------------


def scoped(user, *, unit=None, incident_type=None):
    """The incidents ``user`` may see, within ``unit``'s subtree and of ``incident_type`` when given."""
    queryset = Incident.objects.restrict(user, VIEW)
    if unit is not None:
        queryset = queryset.filter(unit__path__startswith=unit.path)
    if incident_type:
        queryset = queryset.filter(incident_type=incident_type)
    return queryset


def in_period(queryset, start, end):
    tz = local_tz()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return queryset.filter(detected_at__gte=since, detected_at__lt=until)


def first_acknowledgement():
    """The time of the first timeline event by a person other than the one who filed the incident."""
    events = (IncidentEvent.objects.filter(incident=OuterRef("pk"), actor__isnull=False)
              .exclude(kind__in=(EventKind.CREATED, EventKind.OVERDUE))
              .exclude(actor_id=Coalesce(OuterRef("created_by_id"), Value(0)))
              .order_by("at", "pk").values("at")[:1])
    return Subquery(events)


def _totals(queryset):
    counts = {"total": Count("pk"), "serious": Count("pk", filter=Q(serious=True)),
              "open": Count("pk", filter=Q(status__in=OPEN_STATUSES)),
              "personal_data": Count("pk", filter=Q(personal_data_breach=True))}
    counts |= {f"sev_{value}": Count("pk", filter=Q(severity=value)) for value in Severity.values}
    row = queryset.aggregate(**counts)
    totals = {k: row[k] for k in ("total", "serious", "open", "personal_data")}
    totals["not_serious"] = totals["total"] - totals["serious"]
    per_severity = [(value, label, row[f"sev_{value}"]) for value, label in Severity.choices]
    return totals, per_severity


def _per_type(queryset):
    rows = (queryset.order_by().values("incident_type")
            .annotate(n=Count("pk"), serious=Count("pk", filter=Q(serious=True))))
    found = defaultdict(lambda: [0, 0])
    for row in rows:
        key = taxonomy.get(row["incident_type"]).key  # unknown keys count as "other"
        found[key][0] += row["n"]
        found[key][1] += row["serious"]
    result = [{"key": t.key, "name": t.official_name, "label": t.label, "n": found[t.key][0],
               "serious": found[t.key][1]} for t in taxonomy.TYPES if t.key in found]
    return sorted(result, key=lambda r: -r["n"])


def _top_units(user, queryset, top):
    rows = list(queryset.order_by().values("unit").annotate(
        n=Count("pk"), serious=Count("pk", filter=Q(serious=True)),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES))).order_by("-n", "unit")[:top])
    units = Unit.objects.restrict(user, VIEW).in_bulk([r["unit"] for r in rows])
    return [{"unit": units[r["unit"]], "n": r["n"], "serious": r["serious"], "open": r["open"]}
            for r in rows if r["unit"] in units]


def _subtree(user, queryset, focus):
    """The focus unit's own incidents and each child's subtree (all children shown, also those with none)."""
    units = Unit.objects.restrict(user, VIEW)
    children = list(units.filter(parent=focus) if focus is not None else units.filter(parent__isnull=True))
    rows = queryset.order_by().values("unit__path").annotate(n=Count("pk"), serious=Count("pk", filter=Q(serious=True)))
    prefix = focus.path if focus is not None else "/"
    by_child = defaultdict(lambda: [0, 0])
    for row in rows:
        path = row["unit__path"] or ""
        key = (path[len(prefix):].split("/", 1)[0] or "own") if path.startswith(prefix) else "outside"
        by_child[key][0] += row["n"]
        by_child[key][1] += row["serious"]
    own = []
    if focus is not None:
        n, serious = by_child.pop("own", [0, 0])
        own.append({"unit": focus, "label": str(focus), "n": n, "serious": serious, "own": True})
    kids = []
    for child in children:
        n, serious = by_child.pop(str(child.pk), [0, 0])
        kids.append({"unit": child, "label": str(child), "n": n, "serious": serious, "own": False})
    result = own + sorted(kids, key=lambda r: (-r["n"], r["label"]))
    rest = [sum(v[0] for v in by_child.values()), sum(v[1] for v in by_child.values())]
    if rest[0]:  # units the user sees outside the focus (several roots), or a child the unit list lacks
        result.append({"unit": None, "label": str(_("Other units")), "n": rest[0], "serious": rest[1], "own": False})
    return result


def _monthly(queryset, months):
    rows = (queryset.order_by().annotate(month=TruncMonth("detected_at", tzinfo=local_tz()))
            .values("month", "severity").annotate(n=Count("pk")))
    by_month = {m: {"month": m, "total": 0, "by_severity": dict.fromkeys(Severity.values, 0)} for m in months}
    for row in rows:
        month = _as_date(row["month"])
        entry = by_month.get(month)
        if entry is None or row["severity"] not in entry["by_severity"]:
            continue
        entry["by_severity"][row["severity"]] += row["n"]
        entry["total"] += row["n"]
    return [by_month[m] for m in months]


def _as_date(value):
    if isinstance(value, datetime.datetime):
        return (timezone.localtime(value, local_tz()) if timezone.is_aware(value) else value).date()
    return value


def _hours(since, until):
    if since is None or until is None:
        return None
    return max(0.0, (until - since).total_seconds() / HOUR)


def _durations(queryset, months):
    rows = (queryset.order_by().annotate(month=TruncMonth("detected_at", tzinfo=local_tz()),
                                         first_ack=first_acknowledgement())
            .values_list("severity", "month", "created", "detected_at", "triaged_at", "resolved_at", "first_ack"))
    kinds = [k for k, _label in DURATIONS]
    by_severity = {value: {k: [] for k in kinds} for value in Severity.values}
    by_month = {m: {k: [] for k in kinds} for m in months}
    for severity, month, created, detected, triaged, resolved, first_ack in rows.iterator(chunk_size=5000):
        acknowledged = min((t for t in (triaged, first_ack) if t is not None), default=None)
        values = {"ack": _hours(created, acknowledged), "triage": _hours(created, triaged),
                  "resolve": _hours(detected, resolved)}
        targets = [by_severity.get(severity), by_month.get(_as_date(month))]
        for kind, hours in values.items():
            if hours is None:
                continue
            for target in targets:
                if target is not None:
                    target[kind].append(hours)
    per_severity = [(value, label, {k: Summary.of(v) for k, v in by_severity[value].items()})
                    for value, label in Severity.choices]
    per_month = [(m, {k: Summary.of(v) for k, v in by_month[m].items()}) for m in months]
    return per_severity, per_month


def _open_ages(queryset, now):
    counts = {}
    for key, _label, low, high in AGE_BUCKETS:
        condition = Q(created__lte=now - datetime.timedelta(days=low))
        if high is not None:
            condition &= Q(created__gt=now - datetime.timedelta(days=high))
        counts[key] = Count("pk", filter=condition)
    rows = {r["severity"]: r for r in queryset.filter(status__in=OPEN_STATUSES).order_by().values("severity")
            .annotate(**counts)}
    result = []
    for value, label in Severity.choices:
        row = rows.get(value, {})
        buckets = {key: row.get(key, 0) for key, *_rest in AGE_BUCKETS}
        result.append((value, label, buckets, sum(buckets.values())))
    return result


def _deadlines(queryset, now):
    rows = (IncidentDeadline.objects.filter(incident__in=queryset.order_by().values("pk")).order_by()
            .values("rule__key", "rule__name", "rule__order")
            .annotate(met=Count("pk", filter=Q(done_at__isnull=False, done_at__lte=F("due_at"))),
                      late=Count("pk", filter=Q(done_at__isnull=False, done_at__gt=F("due_at"))),
                      overdue=Count("pk", filter=Q(done_at__isnull=True, due_at__lt=now)),
                      running=Count("pk", filter=Q(done_at__isnull=True, due_at__gte=now)))
            .order_by("rule__order", "rule__key"))
    return [{"key": r["rule__key"], "rule": r["rule__name"], "met": r["met"], "late": r["late"],
             "overdue": r["overdue"], "running": r["running"], "missed": r["late"] + r["overdue"]} for r in rows]


def incident_statistics(user, *, start=None, end=None, unit=None, incident_type=None, now=None, top=TOP_UNITS):
    """The figures of the incidents ``user`` may see, detected between ``start`` and ``end`` (dates, local,
    inclusive; default: the last 12 months), within ``unit``'s subtree (the caller has checked that the user
    may see it) and of ``incident_type`` when given."""
    now = now or timezone.now()
    default_start, default_end = default_period(timezone.localdate(now))
    start, end = start or default_start, end or default_end
    months = months_between(start, end)
    base = scoped(user, unit=unit, incident_type=incident_type)
    period = in_period(base, start, end)
    focus = unit if unit is not None else getattr(user, "unit", None)
    totals, per_severity = _totals(period)
    by_severity, by_month = _durations(period, months)
    return Statistics(
        start=start, end=end, unit=unit, incident_type=incident_type or None, months=months, totals=totals,
        per_severity=per_severity, per_type=_per_type(period), top_units=_top_units(user, period, top),
        subtree=_subtree(user, period, focus), focus=focus, monthly=_monthly(period, months),
        durations_by_severity=by_severity, durations_by_month=by_month, open_ages=_open_ages(base, now),
        deadlines=_deadlines(period, now), now=now)


# --- tables (page and exports) -----------------------------------------------------------------------------------


def _hours_cell(value):
    return "" if value is None else round(value, 2)


def _duration_header():
    header = []
    for _key, label in DURATIONS:
        header += [f"{label}: n", f"{label}: {_('median (h)')}", f"{label}: p90 (h)"]
    return header


def _duration_cells(summaries):
    cells = []
    for key, _label in DURATIONS:
        summary = summaries[key]
        cells += [summary.n, _hours_cell(summary.median), _hours_cell(summary.p90)]
    return cells


def build_tables(stats):
    """The figures as ``Table``s, in page order, keyed for ``?export=csv&table=<key>``."""
    severities = [label for _value, label in Severity.choices]
    tables = [
        Table("summary", _("Summary"), [_("Figure"), _("Incidents")], [
            [_("Incidents"), stats.totals["total"]],
            [_("Serious incidents"), stats.totals["serious"]],
            [_("Not serious"), stats.totals["not_serious"]],
            [_("Personal data breaches"), stats.totals["personal_data"]],
            [_("Still open"), stats.totals["open"]],
        ]),
        Table("severity", _("Incidents per severity"), [_("Severity"), _("Incidents")],
              [[label, n] for _value, label, n in stats.per_severity],
              [f"severity={value}" for value, _label, _n in stats.per_severity]),
        Table("type", _("Incidents per type"), [_("Incident type"), _("Serious"), _("Incidents")],
              [[r["name"], r["serious"], r["n"]] for r in stats.per_type],
              [f"incident_type={r['key']}" for r in stats.per_type]),
        Table("units", _("Units with the most incidents"), [_("Code"), _("Unit"), _("Serious"), _("Open"),
                                                              _("Incidents")],
              [[r["unit"].code, str(r["unit"]), r["serious"], r["open"], r["n"]] for r in stats.top_units],
              [f"unit={r['unit'].pk}" for r in stats.top_units]),
        Table("subtree", _("Per unit and its sub-units"), [_("Unit"), _("Serious"), _("Incidents")],
              [[(str(_("%(unit)s (itself)") % {"unit": r["label"]}) if r["own"] else r["label"]), r["serious"],
                r["n"]] for r in stats.subtree],
              [f"unit={r['unit'].pk}" if r["unit"] is not None and not r["own"] else "" for r in stats.subtree]),
        Table("monthly", _("Incidents per month and severity"), [_("Month"), *severities, _("Total")],
              [[m["month"].strftime("%m/%Y"), *m["by_severity"].values(), m["total"]] for m in stats.monthly]),
        Table("times_severity", _("Response times per severity (hours)"), [_("Severity"), *_duration_header()],
              [[label, *_duration_cells(s)] for _value, label, s in stats.durations_by_severity]),
        Table("times_month", _("Response times per month (hours)"), [_("Month"), *_duration_header()],
              [[m.strftime("%m/%Y"), *_duration_cells(s)] for m, s in stats.durations_by_month]),
        Table("open_ages", _("Open incidents by age"), [_("Severity"), *[str(label) for _k, label, *_r in AGE_BUCKETS],
                                                         _("Total")],
              [[label, *buckets.values(), total] for _value, label, buckets, total in stats.open_ages]),
        Table("deadlines", _("Reporting deadlines"), [_("Reporting duty"), _("Met"), _("Late"), _("Overdue"),
                                                      pgettext_lazy("reporting deadline", "Running"), _("Missed")],
              [[r["rule"], r["met"], r["late"], r["overdue"], r["running"], r["missed"]] for r in stats.deadlines]),
    ]
    for table in tables:
        table.title = str(table.title)
        table.header = [str(h) for h in table.header]
        table.rows = [[str(c) if isinstance(c, Promise) else c for c in row] for row in table.rows]
    return tables
