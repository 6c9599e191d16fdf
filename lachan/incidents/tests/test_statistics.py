"""Incident statistics on a crafted set: exact counts, medians and p90s, local months, scope, deadlines, ages."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from lachan.incidents import statistics
from lachan.incidents.choices import EventKind, IncidentStatus
from lachan.incidents.models import Incident, IncidentDeadline, IncidentEvent, ReportingRule
from lachan.testing.factories import IncidentFactory

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime.datetime(2026, 3, 15, 12, 0, tzinfo=HCM)
H = datetime.timedelta(hours=1)


def at(*args):
    return datetime.datetime(*args, tzinfo=HCM)


def make(unit, *, by=None, detected, created=None, triaged=None, resolved=None, status=IncidentStatus.NEW,
         severity="medium", incident_type="other", serious=False, **extra):
    incident = IncidentFactory(unit=unit, severity=severity, incident_type=incident_type, detected_at=detected,
                               created_by=by, status=status, **extra)
    # ``created`` is auto_now_add and the stamps are not editable: set them as the lifecycle would have.
    Incident.objects.filter(pk=incident.pk).update(created=created or detected, triaged_at=triaged,
                                                   resolved_at=resolved, serious=serious)
    incident.refresh_from_db()
    return incident


def event(incident, actor, when, kind=EventKind.COMMENT):
    return IncidentEvent.objects.create(incident=incident, actor=actor, at=when, kind=kind)


@pytest.fixture
def crafted(tree, users):
    """Four incidents in the period (A, A1, A, B) and an old open one in A outside it."""
    member_a, admin_a, operator_a = users["member_a"], users["admin_a"], users["operator_a"]
    # 00:30 local on 1 March is still February in UTC: it must count in March.
    d1 = at(2026, 3, 1, 0, 30)
    i1 = make(tree["a"], by=member_a, detected=d1, created=d1 + H, triaged=d1 + 4 * H, resolved=d1 + 10 * H,
              status=IncidentStatus.RESOLVED, severity="high", incident_type="malware")
    event(i1, member_a, d1 + 1.5 * H)  # the reporter's own comment: not an acknowledgement
    event(i1, admin_a, d1 + 3 * H)  # acknowledged 2 h after the report (before the triage at 3 h)
    d2 = at(2026, 3, 5, 9, 0)
    i2 = make(tree["a1"], by=member_a, detected=d2, triaged=d2 + 5 * H, resolved=d2 + 30 * H,
              status=IncidentStatus.CLOSED, severity="high", incident_type="ransomware", serious=True)
    d3 = at(2026, 2, 10, 8, 0)
    i3 = make(tree["a"], by=member_a, detected=d3, severity="medium", incident_type="defacement",
              status=IncidentStatus.CONTAINMENT)
    event(i3, member_a, d3 + H)  # the reporter
    event(i3, None, d3 + 2 * H, kind=EventKind.OVERDUE)  # the platform
    event(i3, operator_a, d3 + 4 * H)  # acknowledged after 4 h, never triaged
    d4 = at(2026, 2, 28, 23, 30)  # still February locally
    i4 = make(tree["b"], by=users["member_b"], detected=d4, triaged=d4 + 0.5 * H, resolved=d4 + 2 * H,
              status=IncidentStatus.RESOLVED, severity="critical", incident_type="ddos", serious=True)
    i5 = make(tree["a"], by=member_a, detected=at(2024, 1, 1, 9, 0), severity="low", status=IncidentStatus.NEW)
    rule = ReportingRule.objects.get(key="initial_report")
    IncidentDeadline.objects.create(incident=i1, rule=rule, due_at=d1 + 120 * H, done_at=d1 + 24 * H)  # met
    IncidentDeadline.objects.create(incident=i2, rule=rule, due_at=d2 + 120 * H, done_at=d2 + 144 * H)  # late
    IncidentDeadline.objects.create(incident=i3, rule=rule, due_at=d3 + 120 * H)  # overdue by NOW
    IncidentDeadline.objects.create(incident=i4, rule=rule, due_at=NOW + 24 * H)  # running
    IncidentDeadline.objects.create(incident=i5, rule=rule, due_at=at(2024, 1, 6, 9, 0))  # outside the period
    return {"i1": i1, "i2": i2, "i3": i3, "i4": i4, "i5": i5}


def stats_for(user, **kwargs):
    return statistics.incident_statistics(user, now=NOW, **kwargs)


def test_counts_per_severity_type_unit_and_totals(crafted, users, tree):
    stats = stats_for(users["coordinator"])
    assert (stats.start, stats.end) == (datetime.date(2025, 4, 1), datetime.date(2026, 3, 15))
    assert stats.totals == {"total": 4, "serious": 2, "not_serious": 2, "open": 1, "personal_data": 0}
    assert [(value, n) for value, _label, n in stats.per_severity] == [
        ("critical", 1), ("high", 2), ("medium", 1), ("low", 0), ("info", 0)]
    assert {r["key"]: (r["n"], r["serious"]) for r in stats.per_type} == {
        "malware": (1, 0), "ransomware": (1, 1), "defacement": (1, 0), "ddos": (1, 1)}
    # Types carry the names the authorities use
    assert "Tấn công mã hóa dữ liệu (ransomware)" in [r["name"] for r in stats.per_type]
    assert [(r["unit"].code, r["n"], r["serious"], r["open"]) for r in stats.top_units] == [
        ("A", 2, 0, 1), ("A1", 1, 1, 0), ("B", 1, 1, 0)]
    # The coordinator's subtree: the root itself, then each child's whole subtree (A holds A1's incident)
    assert [(r["label"], r["n"], r["own"]) for r in stats.subtree] == [
        ("Sở Thông tin và Truyền thông", 0, True), ("Đơn vị A", 3, False), ("Đơn vị B", 1, False)]


def test_months_are_local_and_stacked_by_severity(crafted, users):
    stats = stats_for(users["coordinator"])
    assert len(stats.monthly) == 12
    by_month = {m["month"]: m for m in stats.monthly}
    february, march = by_month[datetime.date(2026, 2, 1)], by_month[datetime.date(2026, 3, 1)]
    assert (february["total"], february["by_severity"]["critical"], february["by_severity"]["medium"]) == (2, 1, 1)
    assert (march["total"], march["by_severity"]["high"]) == (2, 2)
    assert sum(m["total"] for m in stats.monthly) == 4


def test_response_times_median_and_p90(crafted, users):
    stats = stats_for(users["coordinator"])
    times = {value: summaries for value, _label, summaries in stats.durations_by_severity}
    high = times["high"]
    # acknowledge: i1 2 h (admin's comment before the triage), i2 5 h (its triage)
    assert (high["ack"].n, high["ack"].median, high["ack"].p90) == (2, 3.5, pytest.approx(4.7))
    # triage: i1 3 h after the report, i2 5 h
    assert (high["triage"].n, high["triage"].median, high["triage"].p90) == (2, 4.0, pytest.approx(4.8))
    # resolve from detection: 10 h and 30 h
    assert (high["resolve"].n, high["resolve"].median, high["resolve"].p90) == (2, 20.0, pytest.approx(28.0))
    # i3: only the operator's comment acknowledges it (the reporter's and the platform's events do not)
    assert (times["medium"]["ack"].n, times["medium"]["ack"].median) == (1, 4.0)
    assert times["medium"]["triage"].n == 0 and times["medium"]["triage"].median is None
    assert (times["critical"]["triage"].median, times["critical"]["resolve"].median) == (0.5, 2.0)
    months = dict(stats.durations_by_month)
    assert months[datetime.date(2026, 3, 1)]["resolve"].median == 20.0
    assert months[datetime.date(2026, 2, 1)]["ack"].n == 2  # i3 (4 h) and i4 (its triage, 0.5 h)
    assert months[datetime.date(2026, 2, 1)]["ack"].median == pytest.approx(2.25)
    assert months[datetime.date(2025, 12, 1)]["ack"].n == 0


def test_open_ages_ignore_the_period_and_deadlines_split_met_late_overdue_running(crafted, users):
    stats = stats_for(users["coordinator"])
    ages = {value: (buckets, total) for value, _label, buckets, total in stats.open_ages}
    assert ages["medium"] == ({"lt1d": 0, "1to7d": 0, "7to30d": 0, "30to90d": 1, "gt90d": 0}, 1)  # i3, 33 days
    assert ages["low"][0]["gt90d"] == 1  # i5: detected in 2024, outside the period, still open
    assert ages["high"][1] == 0  # resolved and closed incidents are not open
    [initial] = stats.deadlines
    assert (initial["key"], initial["met"], initial["late"], initial["overdue"], initial["running"],
            initial["missed"]) == ("initial_report", 1, 1, 1, 1, 2)


def test_a_unit_user_counts_only_what_it_may_see(crafted, users, tree):
    stats_b = stats_for(users["member_b"])
    assert stats_b.totals["total"] == 1
    assert [r["key"] for r in stats_b.per_type] == ["ddos"]
    assert [r["unit"].code for r in stats_b.top_units] == ["B"]
    assert [(r["label"], r["n"]) for r in stats_b.subtree] == [("Đơn vị B", 1)]
    assert stats_b.deadlines[0]["running"] == 1 and stats_b.deadlines[0]["met"] == 0
    assert sum(total for *_rest, total in stats_b.open_ages) == 0
    stats_a = stats_for(users["member_a"])
    assert stats_a.totals["total"] == 3
    assert [(r["label"], r["n"], r["own"]) for r in stats_a.subtree] == [("Đơn vị A", 2, True), ("Đơn vị A1", 1, False)]
    assert "ddos" not in [r["key"] for r in stats_a.per_type]
    assert sum(total for *_rest, total in stats_a.open_ages) == 2  # i3 and the old i5


def test_filters_unit_subtree_type_and_period(crafted, users, tree):
    coordinator = users["coordinator"]
    assert stats_for(coordinator, unit=tree["a"]).totals["total"] == 3
    assert stats_for(coordinator, unit=tree["a1"]).totals["total"] == 1
    only_ransomware = stats_for(coordinator, incident_type="ransomware")
    assert only_ransomware.totals == {"total": 1, "serious": 1, "not_serious": 0, "open": 0, "personal_data": 0}
    february = stats_for(coordinator, start=datetime.date(2026, 2, 1), end=datetime.date(2026, 2, 28))
    assert february.totals["total"] == 2  # i3 and i4 (23:30 local on the 28th)
    assert [m["month"] for m in february.monthly] == [datetime.date(2026, 2, 1)]
    old = stats_for(coordinator, start=datetime.date(2023, 12, 1), end=datetime.date(2024, 1, 31))
    assert old.totals["total"] == 1 and old.deadlines[0]["overdue"] == 1


def test_percentile_and_duration_text():
    assert statistics.percentile([], 0.5) is None
    assert statistics.percentile([7.0], 0.9) == 7.0
    assert statistics.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert statistics.percentile([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9) == 90
    assert [statistics.duration_text(h) for h in (None, 0.5, 5.25, 72)] == ["–", "30 min", "5.2 h", "3.0 d"]
    assert statistics.months_between(datetime.date(2025, 11, 20), datetime.date(2026, 2, 3)) == [
        datetime.date(2025, 11, 1), datetime.date(2025, 12, 1), datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)]
