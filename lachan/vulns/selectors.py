"""Reads with the user's scope applied (views, API and exports of the vulns app)."""

import re
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from lachan.accounts.choices import GLOBAL_VIEW_ROLES
from lachan.core.scope import VIEW, user_role
from lachan.inventory.models import InformationSystem, Software
from lachan.organizations.models import Unit

from .choices import ACTIVE_STATUSES, SEVERITY_RANK, AnswerStatus, FindingStatus, Severity
from .models import Advisory, CampaignAnswer, Finding, SoftwareAlias

CPE_PAIR = re.compile(r"cpe:2\.3:[aho]:([^:\"]+):([^:\"]+):")


def sees_all_units(user):
    return user_role(user) in GLOBAL_VIEW_ROLES


def findings(user):
    return Finding.objects.restrict(user, VIEW)


def _severity_counts(queryset):
    counts = dict(queryset.values("severity").annotate(n=Count("id")).values_list("severity", "n"))
    return [(value, label, counts.get(value, 0)) for value, label in Severity.choices]


def summary(user, *, unit=None):
    """Open findings per unit and per system (within the user's scope), with KEV and overdue counts."""
    today = timezone.localdate()
    active = findings(user).filter(status__in=ACTIVE_STATUSES)
    if unit is not None:
        active = active.filter(unit__path__startswith=unit.path)
    figures = {
        "open": Count("id"),
        "critical": Count("id", filter=Q(severity=Severity.CRITICAL)),
        "high": Count("id", filter=Q(severity=Severity.HIGH)),
        "kev": Count("id", filter=Q(kev=True)),
        "overdue": Count("id", filter=Q(due_date__lt=today)),
    }
    per_unit = list(active.values("unit").annotate(**figures).order_by("-kev", "-critical", "-open"))
    units = Unit.objects.restrict(user, VIEW).in_bulk([r["unit"] for r in per_unit])
    per_unit = [r | {"unit": units[r["unit"]]} for r in per_unit if r["unit"] in units]
    per_system = list(active.exclude(system=None).values("system").annotate(**figures)
                      .order_by("-kev", "-critical", "-open")[:100])
    systems = InformationSystem.objects.restrict(user, VIEW).select_related("unit").in_bulk(
        [r["system"] for r in per_system])
    per_system = [r | {"system": systems[r["system"]]} for r in per_system if r["system"] in systems]
    return {"per_unit": per_unit, "per_system": per_system, "severity": _severity_counts(active),
            "total": active.count(), "unit": unit}


def open_by_severity_over_time(user, *, weeks=26, today=None):
    """For the chart: open findings per severity at the end of each of the last ``weeks`` weeks, from first
    seen and fixed dates (a finding counts while first_seen ≤ t and not fixed by t; false positives never)."""
    today = today or timezone.localdate()
    points = [today - timedelta(weeks=w) for w in range(weeks - 1, -1, -1)]
    rows = (findings(user).exclude(status=FindingStatus.FALSE_POSITIVE)
            .filter(Q(fixed_at__isnull=True) | Q(fixed_at__date__gte=points[0]))
            .values_list("severity", "first_seen", "fixed_at"))
    series = {s: [0] * len(points) for s in Severity.values}
    for severity, first_seen, fixed_at in rows.iterator(chunk_size=5000):
        start = timezone.localdate(first_seen)
        end = timezone.localdate(fixed_at) if fixed_at else None
        for i, point in enumerate(points):
            if start <= point and (end is None or end > point):
                series[severity][i] += 1
    peak = max((sum(series[s][i] for s in series) for i in range(len(points))), default=0)
    columns = []
    for i, point in enumerate(points):
        stack = [(s, series[s][i], round(100 * series[s][i] / peak, 1) if peak else 0) for s in Severity.values]
        columns.append({"date": point, "total": sum(n for _s, n, _p in stack), "stack": stack})
    return {"columns": columns, "peak": peak, "severities": Severity.choices}


def advisory_units(user, advisory):
    """Per unit (in the user's scope): findings of this CVE by status — the coordinator's cross-unit view."""
    rows = (findings(user).filter(Q(advisory=advisory) | Q(cve_id=advisory.cve_id)).values("unit")
            .annotate(total=Count("id"), open=Count("id", filter=Q(status__in=ACTIVE_STATUSES)),
                      fixed=Count("id", filter=Q(status__in=(FindingStatus.FIXED, FindingStatus.VERIFIED))),
                      overdue=Count("id", filter=Q(status__in=ACTIVE_STATUSES, due_date__lt=timezone.localdate())))
            .order_by("-open"))
    units = Unit.objects.restrict(user, VIEW).in_bulk([r["unit"] for r in rows])
    return [r | {"unit": units[r["unit"]]} for r in rows if r["unit"] in units]


def campaign_answers(user, campaign):
    return (CampaignAnswer.objects.restrict(user, VIEW).filter(campaign=campaign).select_related("unit", "answered_by")
            .order_by("unit__path"))


def campaign_figures(user, campaign, *, today=None):
    today = today or timezone.localdate()
    answers = campaign_answers(user, campaign)
    affected = answers.filter(affected=True)
    late = campaign.deadline is not None and campaign.deadline < today
    overdue = affected.exclude(status__in=(AnswerStatus.PATCHED, AnswerStatus.NOT_AFFECTED)) if late else \
        CampaignAnswer.objects.none()
    return {
        "affected": affected.count(),
        "answered": answers.exclude(status=AnswerStatus.PENDING).count(),
        "patched": answers.filter(status=AnswerStatus.PATCHED).count(),
        "overdue": list(overdue),
    }


def finding_rank(finding):
    """Sort key: KEV first, then severity, then CVSS (highest first)."""
    return (not finding.kev, SEVERITY_RANK.get(finding.severity, 9), -(finding.cvss or 0))


def known_cpe_pairs(limit_advisories=300000):
    """CPE (vendor, product) pairs named by the advisories and the inventory (cached ten minutes)."""
    pairs = cache.get("vulns:cpe_pairs")
    if pairs is not None:
        return pairs
    found = set()
    for (applicability,) in Advisory.objects.values_list("applicability")[:limit_advisories].iterator(chunk_size=2000):
        text = str(applicability)
        found.update(CPE_PAIR.findall(text))
        for item in (applicability or {}).get("affected", []):
            if item.get("vendor") and item.get("product"):
                found.add((item["vendor"].lower(), item["product"].lower()))
    for cpe in Software.objects.exclude(cpe="").values_list("cpe", flat=True).distinct():
        found.update(CPE_PAIR.findall(cpe + ":"))
    pairs = sorted(found)
    cache.set("vulns:cpe_pairs", pairs, 600)
    return pairs


def alias_queue(user, *, limit=100):
    """Inventory software (in the user's scope) without CPE and without a confirmed alias, with suggestions."""
    from .matching import normalise_name, suggest_aliases

    aliases = set(SoftwareAlias.objects.values_list("vendor", "product"))
    names = (Software.objects.restrict(user, VIEW).filter(cpe="").values("vendor", "product")
             .annotate(n=Count("id")).order_by("-n", "vendor", "product"))
    known = known_cpe_pairs()
    queue = []
    for row in names.iterator(chunk_size=1000):
        if (normalise_name(row["vendor"]), normalise_name(row["product"])) in aliases:
            continue
        suggestions = suggest_aliases(row["vendor"], row["product"], known, limit=5) if known else []
        queue.append(row | {"suggestions": suggestions})
        if len(queue) >= limit:
            break
    return queue


