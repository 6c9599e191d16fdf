"""Escalation: step 1 at once, the next step when the wait has passed (time given explicitly), repeats,
acknowledgement stops it, racing sweeps advance once, every step logged with its deliveries."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import translation

from lachan.notify.models import Delivery
from lachan.oncall import services as oncall
from lachan.oncall.choices import EscalationStatus, StepTarget
from lachan.oncall.models import Escalation, EscalationPolicy, EscalationRule, Rotation, Schedule
from lachan.testing.factories import ContactFactory, UserFactory


@pytest.fixture(autouse=True)
def _english():
    """These tests read the English source messages."""
    with translation.override("en"):
        yield


T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 09:00 ICT, a Monday


@pytest.fixture
def setup(tree):
    duty = UserFactory(username="duty", unit=tree["a"], email="duty@a.example.vn")
    backup = UserFactory(username="backup", unit=tree["a"], email="backup@a.example.vn")
    ContactFactory(unit=tree["a"], full_name="Lãnh đạo", emails="leader@a.example.vn", roles="leader")
    schedule = Schedule.objects.create(name="Trực A", unit=tree["a"])
    rotation = Rotation.objects.create(schedule=schedule, name="24h", start_date=dt.date(2026, 1, 1),
                                       shift_start=dt.time(7, 30), shift_end=dt.time(7, 30))
    oncall.rotation_set_participants(rotation, [duty])
    policy = EscalationPolicy.objects.create(name="Sự cố A", unit=tree["a"], repeat=1)
    EscalationRule.objects.create(policy=policy, position=1, target=StepTarget.ON_DUTY, schedule=schedule,
                                  wait_minutes=5)
    EscalationRule.objects.create(policy=policy, position=2, target=StepTarget.USER, user=backup, wait_minutes=10)
    EscalationRule.objects.create(policy=policy, position=3, target=StepTarget.UNIT_LEADER, wait_minutes=15)
    return {"policy": policy, "duty": duty, "backup": backup, "unit": tree["a"]}


def recipients():
    return sorted(Delivery.objects.values_list("target", flat=True))


def start(setup):
    return oncall.escalate("incident:42", policy=setup["policy"], subject="Sự cố thay đổi giao diện",
                           body="Trang chủ bị thay đổi.", unit=setup["unit"], source_ref="incident 42", now=T0)


@pytest.mark.django_db
def test_escalation_walks_the_steps_then_repeats_then_stops(setup):
    esc = start(setup)
    assert recipients() == ["duty@a.example.vn"]  # step 1 at once: whoever is on duty
    assert esc.next_at == T0 + dt.timedelta(minutes=5)
    assert oncall.advance_due(now=T0 + dt.timedelta(minutes=4, seconds=59)) == 0  # not yet
    assert oncall.advance_due(now=T0 + dt.timedelta(minutes=5)) == 1
    assert recipients() == ["backup@a.example.vn", "duty@a.example.vn"]
    assert oncall.advance_due(now=T0 + dt.timedelta(minutes=14)) == 0  # the backup's 10 minutes run from 5
    assert oncall.advance_due(now=T0 + dt.timedelta(minutes=15)) == 1
    assert "leader@a.example.vn" in recipients()
    assert oncall.advance_due(now=T0 + dt.timedelta(minutes=30)) == 1  # repeat=1: round 2 starts at step 1
    esc.refresh_from_db()
    assert (esc.step, esc.round, esc.status) == (0, 1, EscalationStatus.ACTIVE)
    for minutes in (35, 45, 60):
        assert oncall.advance_due(now=T0 + dt.timedelta(minutes=minutes)) == 1
    esc.refresh_from_db()
    assert esc.status == EscalationStatus.EXHAUSTED and esc.next_at is None
    assert oncall.advance_due(now=T0 + dt.timedelta(hours=5)) == 0
    steps = list(esc.steps.order_by("round", "step"))
    assert [(s.round, s.step) for s in steps] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert [u.username for u in steps[0].notified.all()] == ["duty"]
    assert steps[2].addresses == ["leader@a.example.vn"]
    assert all(len(s.delivery_ids) == 1 for s in steps)
    assert Delivery.objects.count() == 6  # a new event key per step and round: the repeat notifies again


@pytest.mark.django_db
def test_acknowledgement_stops_the_escalation(setup):
    esc = start(setup)
    assert oncall.acknowledge(esc, setup["duty"], note="đang xử lý", now=T0 + dt.timedelta(minutes=3))
    assert (esc.status, esc.acknowledged_by, esc.next_at) == (EscalationStatus.ACKNOWLEDGED, setup["duty"], None)
    assert oncall.advance_due(now=T0 + dt.timedelta(hours=1)) == 0
    assert recipients() == ["duty@a.example.vn"]
    assert not oncall.acknowledge(esc, setup["backup"])  # already acknowledged: nothing changes
    esc.refresh_from_db()
    assert esc.acknowledged_by == setup["duty"]


@pytest.mark.django_db
def test_two_sweeps_racing_advance_once(setup):
    esc = start(setup)
    stale_copy = Escalation.objects.get(pk=esc.pk)  # what a second sweep read before the first one wrote
    later = T0 + dt.timedelta(minutes=6)
    assert oncall.advance(esc, now=later) is True
    assert oncall.advance(stale_copy, now=later) is False
    esc.refresh_from_db()
    assert (esc.step, esc.round) == (1, 0)
    assert esc.steps.count() == 2
    assert recipients() == ["backup@a.example.vn", "duty@a.example.vn"]


@pytest.mark.django_db
def test_escalate_is_idempotent_per_event(setup):
    first = start(setup)
    again = start(setup)
    assert first.pk == again.pk
    assert Delivery.objects.count() == 1 and first.steps.count() == 1


@pytest.mark.django_db
def test_deliveries_go_out_by_mail(setup, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        start(setup)
    assert [m.to for m in mail.outbox] == [["duty@a.example.vn"]]
    assert mail.outbox[0].subject == "Sự cố thay đổi giao diện"
    assert "incident 42" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_policy_without_rules_is_refused(tree):
    from django.core.exceptions import ValidationError

    policy = EscalationPolicy.objects.create(name="rỗng", unit=tree["a"])
    with pytest.raises(ValidationError, match="no rules"):
        oncall.escalate("x:1", policy=policy, subject="s", body="b")
    assert not Escalation.objects.exists()
