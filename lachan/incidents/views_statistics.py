"""The incident statistics page (``incidents:statistics``): filters, server-drawn SVG charts (no JavaScript,
nothing fetched) with their figures in tables beside them, CSV/XLSX export of those tables.

The figures come from ``statistics.incident_statistics`` (scoped to the user); this module only draws them.
Chart geometry is computed here and the ``incidents/statistics_*.html`` templates write the SVG, so every
label (unit names are user data) goes through the template's autoescaping."""

from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from lachan.core import tabular
from lachan.core.choices import Severity
from lachan.core.exports import CONTENT_TYPES, export_filename
from lachan.core.forms import BootstrapFormMixin
from lachan.core.scope import VIEW
from lachan.core.widgets import use_autocomplete
from lachan.organizations.models import Unit

from . import statistics, taxonomy
from .models import Incident

SEVERITY_COLOURS = {"critical": "#b02a37", "high": "#fd7e14", "medium": "#ffc107", "low": "#0dcaf0",
                    "info": "#adb5bd"}
LABEL_CHARS = 30
FILE_STEM = "thong-ke-su-co"


# --- filters -----------------------------------------------------------------------------------------------------


class StatisticsFilterForm(BootstrapFormMixin, forms.Form):
    start = forms.DateField(label=gettext_lazy("Detected from"), required=False)
    end = forms.DateField(label=gettext_lazy("to"), required=False)
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), required=False,
                                  label=gettext_lazy("Unit and sub-units"))
    incident_type = forms.ChoiceField(label=gettext_lazy("Incident type"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.restrict(user, VIEW)
        self.fields["incident_type"].choices = [("", "---------"), *taxonomy.choices()]
        use_autocomplete(self)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end of the period is before its start."))
        elif start or end:
            default_start, default_end = statistics.default_period()
            months = statistics.months_between(start or default_start, end or default_end)
            if len(months) > statistics.MAX_MONTHS:
                self.add_error("start", _("Choose a period of at most %(n)d months.") % {"n": statistics.MAX_MONTHS})
        return cleaned

    def filters(self):
        """The filters to apply: the valid form's values, or none (the default period) when it is not valid."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {name: self.cleaned_data.get(name) or None for name in ("start", "end", "unit", "incident_type")}


# --- charts ------------------------------------------------------------------------------------------------------


def nice_ceiling(value):
    """The smallest of 1, 2, 2.5, 5 × 10^n not below ``value`` (the top of a y axis); 1 for nothing."""
    if value <= 0:
        return 1
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value:
        magnitude /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            top = step * magnitude
            return int(top) if float(top).is_integer() else top
    return 10 * magnitude


def short(label, limit=LABEL_CHARS):
    label = str(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _number(value):
    return round(value, 1)


@dataclass
class Bars:
    """Horizontal bars: one row per item."""

    title: str
    width: int = 640
    row: int = 22
    label_width: int = 220
    rows: list = field(default_factory=list)  # dicts: y, text_y, width, label, full_label, value

    @property
    def height(self):
        return max(1, len(self.rows)) * self.row + 4

    @property
    def bar_x(self):
        return self.label_width + 6


def bar_chart(items, *, title):
    """``items``: [(label, value)] in the order to draw."""
    chart = Bars(title=title)
    peak = max((value for _label, value in items), default=0)
    room = chart.width - chart.bar_x - 48
    for index, (label, value) in enumerate(items):
        y = index * chart.row + 2
        width = _number(room * value / peak) if peak else 0
        chart.rows.append({"y": y + 3, "text_y": y + chart.row / 2, "width": width, "height": chart.row - 6,
                           "value_x": _number(chart.bar_x + width + 4), "label": short(label),
                           "full_label": str(label), "value": value})
    return chart


@dataclass
class Columns:
    """Vertical stacked columns (one per month), a y axis and a legend."""

    title: str
    width: int = 720
    height: int = 220
    left: int = 40
    right: int = 8
    top: int = 10
    bottom: int = 26
    columns: list = field(default_factory=list)  # dicts: x, width, label, show_label, total, stack [(y, h, colour, name, n)]
    y_ticks: list = field(default_factory=list)  # (y, label)
    legend: list = field(default_factory=list)  # (colour, name)

    @property
    def plot_bottom(self):
        return self.height - self.bottom


def stacked_columns(monthly, *, title):
    chart = Columns(title=title)
    plot_height = chart.plot_bottom - chart.top
    top = nice_ceiling(max((m["total"] for m in monthly), default=0))
    slot = (chart.width - chart.left - chart.right) / max(1, len(monthly))
    every = max(1, round(len(monthly) / 12))  # at most about twelve month labels
    names = dict(Severity.choices)
    for index, month in enumerate(monthly):
        x = chart.left + index * slot + slot * 0.15
        base, stack = chart.plot_bottom, []
        for severity in reversed(Severity.values):  # the least severe at the bottom
            n = month["by_severity"].get(severity, 0)
            if not n:
                continue
            height = plot_height * n / top
            base -= height
            stack.append((_number(base), _number(height), SEVERITY_COLOURS[severity], str(names[severity]), n))
        chart.columns.append({"x": _number(x), "width": _number(slot * 0.7), "label_x": _number(x + slot * 0.35),
                              "label": month["month"].strftime("%m/%y"), "show_label": index % every == 0,
                              "total": month["total"], "stack": stack, "month": month["month"].strftime("%m/%Y")})
    for fraction in (0, 0.5, 1):
        chart.y_ticks.append((_number(chart.plot_bottom - fraction * plot_height), _tick(top * fraction)))
    chart.legend = [(SEVERITY_COLOURS[value], str(label)) for value, label in Severity.choices]
    return chart


def _tick(value):
    return int(value) if float(value).is_integer() else round(value, 1)


@dataclass
class Lines:
    """Lines over the months (gaps where a month has no value), a y axis in hours and a legend."""

    title: str
    width: int = 720
    height: int = 220
    left: int = 48
    right: int = 8
    top: int = 10
    bottom: int = 26
    series: list = field(default_factory=list)  # dicts: name, colour, lines ["x,y x,y"], dots [(x, y, text)]
    x_labels: list = field(default_factory=list)  # (x, label)
    y_ticks: list = field(default_factory=list)  # (y, label)

    @property
    def plot_bottom(self):
        return self.height - self.bottom

    @property
    def empty(self):
        return not any(s["dots"] for s in self.series)


def line_chart(months, series, *, title):
    """``series``: [(name, colour, [hours or None per month])]."""
    chart = Lines(title=title)
    plot_height = chart.plot_bottom - chart.top
    peak = max((v for _n, _c, values in series for v in values if v is not None), default=0)
    top = nice_ceiling(peak)
    slot = (chart.width - chart.left - chart.right) / max(1, len(months))
    every = max(1, round(len(months) / 12))

    def x_of(index):
        return _number(chart.left + (index + 0.5) * slot)

    def y_of(value):
        return _number(chart.plot_bottom - value / top * plot_height)

    for name, colour, values in series:
        entry = {"name": str(name), "colour": colour, "lines": [], "dots": []}
        segment = []
        for index, value in enumerate([*values, None]):
            if value is None:
                if len(segment) > 1:
                    entry["lines"].append(" ".join(f"{x},{y}" for x, y in segment))
                segment = []
                continue
            point = (x_of(index), y_of(value))
            segment.append(point)
            entry["dots"].append((*point, f"{months[index]:%m/%Y}: {statistics.duration_text(value)}"))
        chart.series.append(entry)
    chart.x_labels = [(x_of(i), f"{m:%m/%y}") for i, m in enumerate(months) if i % every == 0]
    for fraction in (0, 0.5, 1):
        chart.y_ticks.append((_number(chart.plot_bottom - fraction * plot_height), f"{_tick(top * fraction)} h"))
    return chart


def charts(stats):
    return {
        "type": bar_chart([(r["name"], r["n"]) for r in stats.per_type], title=_("Incidents per type")),
        "severity": bar_chart([(label, n) for _v, label, n in stats.per_severity], title=_("Incidents per severity")),
        "units": bar_chart([(r["unit"], r["n"]) for r in stats.top_units], title=_("Units with the most incidents")),
        "subtree": bar_chart([(r["label"], r["n"]) for r in stats.subtree], title=_("Per unit and its sub-units")),
        "monthly": stacked_columns(stats.monthly, title=_("Incidents per month and severity")),
        "times": line_chart(stats.months, [
            (_("Median time to acknowledge"), "#6f42c1", [s["ack"].median for _m, s in stats.durations_by_month]),
            (_("Median time to triage"), "#0f4c85", [s["triage"].median for _m, s in stats.durations_by_month]),
            (_("Median time to resolve"), "#198754", [s["resolve"].median for _m, s in stats.durations_by_month]),
        ], title=_("Median response times per month")),
    }


# --- exports -----------------------------------------------------------------------------------------------------


def export_response(tables, fmt, table_key=None, *, period=""):
    """``fmt`` csv: one table (``table_key``) or all of them one after the other; xlsx: a sheet per table."""
    if fmt == "xlsx":
        content = tabular.write_xlsx([(t.title, t.header, t.rows) for t in tables])
        stem = FILE_STEM
    elif fmt == "csv":
        if table_key:
            chosen = [t for t in tables if t.key == table_key]
            if not chosen:
                raise Http404
            table = chosen[0]
            content = tabular.write_csv(table.header, table.rows)
            stem = f"{FILE_STEM}-{table.key.replace('_', '-')}"
        else:
            rows = []
            for table in tables:
                rows += [[table.title], table.header, *table.rows, []]
            content = tabular.write_csv([_("Incident statistics"), period], rows)
            stem = FILE_STEM
    else:
        raise Http404
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{export_filename(stem, fmt)}"'
    return response


# --- the page ----------------------------------------------------------------------------------------------------


class StatisticsView(LoginRequiredMixin, View):
    """Incident statistics of the user's scope, with filters (period, unit subtree, type) and exports."""

    model = Incident  # what the page counts (the isolation sweep checks it and its exports like a list)

    def get(self, request):
        form = StatisticsFilterForm(request.GET or None, user=request.user)
        stats = statistics.incident_statistics(request.user, **form.filters())
        tables = stats.tables()
        period = f"{stats.start:%d/%m/%Y} – {stats.end:%d/%m/%Y}"
        export = request.GET.get("export")
        if export:
            return export_response(tables, export, request.GET.get("table"), period=period)
        keep = request.GET.copy()
        for name in ("export", "table"):
            keep.pop(name, None)
        for table in tables:
            hrefs = [self.href(keep, link) if link else "" for link in table.links]
            table.lines = list(zip(table.rows, hrefs + [""] * (len(table.rows) - len(hrefs)), strict=True))
        context = {
            "form": form, "stats": stats, "tables": {t.key: t for t in tables}, "charts": charts(stats),
            "period": period, "query": keep.urlencode(), "type_name": taxonomy.get(stats.incident_type).official_name
            if stats.incident_type else "", "age_buckets": statistics.AGE_BUCKETS,
        }
        return render(request, "incidents/statistics.html", context)

    @staticmethod
    def href(keep, link):
        query = keep.copy()
        name, _sep, value = link.partition("=")
        query[name] = value
        return f"?{query.urlencode()}"
