"""send(): one row per (event, channel, target), never delivered twice; preferences decide the targets."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from lachan.notify import services as notify
from lachan.notify.choices import Channel, DeliveryStatus
from lachan.notify.models import Delivery, NotificationPreference
from lachan.testing.factories import UserFactory


@pytest.fixture(autouse=True)
def _english():
    """These tests read the English source messages."""
    with translation.override("en"):
        yield


@pytest.mark.django_db
def test_sending_the_same_event_twice_delivers_once(tree):
    user = UserFactory(unit=tree["a"], email="an@a.example.vn")
    first = notify.send("incident.opened:1", users=[user], addresses=["soc@example.vn"], subject="s", body="b",
                        enqueue=False)
    second = notify.send("incident.opened:1", users=[user], addresses=["soc@example.vn"], subject="s", body="b",
                         enqueue=False)
    assert [d.pk for d in first] == [d.pk for d in second]
    assert Delivery.objects.count() == 2
    for row in first:
        notify.deliver(row.pk)
        assert notify.deliver(row.pk) is None  # already sent: nobody may claim it again
    notify.send("incident.opened:1", users=[user], subject="s", body="b")  # enqueue path: nothing pending
    assert notify.retry_due() == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["an@a.example.vn", "soc@example.vn"]


@pytest.mark.django_db
def test_two_workers_claiming_the_same_delivery_send_it_once(tree):
    [row] = notify.send("x:1", addresses=["a@example.vn"], subject="s", body="b", enqueue=False)
    now = timezone.now()
    assert [notify.claim(row.pk, now), notify.claim(row.pk, now)] == [True, False]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENDING, 1)


@pytest.mark.django_db
def test_a_stuck_claim_is_retried_after_the_lease(tree, settings):
    settings.NOTIFY_SENDING_LEASE_SECONDS = 600
    now = timezone.now()
    [row] = notify.send("x:2", addresses=["a@example.vn"], subject="s", body="b", enqueue=False, now=now)
    assert notify.claim(row.pk, now)  # a worker took it and died
    assert notify.retry_due(now=now + dt.timedelta(seconds=599)) == 0
    assert notify.retry_due(now=now + dt.timedelta(seconds=601)) == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_preferences_filter_by_kind_severity_and_quiet_hours(tree, settings):
    settings.TIME_ZONE = "Asia/Ho_Chi_Minh"
    user = UserFactory(unit=tree["a"], email="fallback@example.vn")
    NotificationPreference.objects.create(user=user, channel=Channel.EMAIL, target="pages@example.vn",
                                          event_kinds="oncall.page", min_severity="high")
    NotificationPreference.objects.create(user=user, channel=Channel.TELEGRAM, target="42",
                                          quiet_start=dt.time(22, 0), quiet_end=dt.time(6, 0))
    NotificationPreference.objects.create(user=user, channel=Channel.EMAIL, target="off@example.vn", enabled=False)
    noon = dt.datetime(2026, 3, 2, 5, 0, tzinfo=dt.UTC)  # 12:00 ICT
    night = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)  # 23:00 ICT

    def plan(event, severity, at):
        rows = notify.send(event, users=[user], subject="s", body="b", severity=severity, enqueue=False, now=at)
        return sorted((r.channel, r.target, r.status) for r in rows)

    assert plan("oncall.page:1:r0s0", "high", noon) == [("email", "pages@example.vn", "pending"),
                                                       ("telegram", "42", "pending")]
    assert plan("oncall.page:2:r0s0", "medium", noon) == [("telegram", "42", "pending")]  # below high
    assert plan("incident.opened:3", "critical", noon) == [("telegram", "42", "pending")]  # other kind
    assert plan("incident.opened:4", "high", night) == [("telegram", "42", "skipped")]  # quiet hours
    assert plan("incident.opened:5", "critical", night) == [("telegram", "42", "pending")]  # breaks through
    # No preference at all: the account's e-mail.
    other = UserFactory(unit=tree["a"], email="other@example.vn")
    rows = notify.send("incident.opened:6", users=[other], subject="s", body="b", enqueue=False)
    assert [(r.channel, r.target, r.unit_id) for r in rows] == [("email", "other@example.vn", tree["a"].pk)]


@pytest.mark.django_db
def test_bad_input_is_refused_before_anything_is_written(tree, settings):
    settings.NOTIFY_MAX_ATTACHMENT_BYTES = 10
    with pytest.raises(ValidationError, match="big.bin"):
        notify.send("x:1", addresses=["a@example.vn"], subject="s", body="b", attachments=[("big.bin", b"x" * 11)])
    with pytest.raises(ValidationError):
        notify.send("x:1", addresses=["not an address"], subject="s", body="b")
    with pytest.raises(ValidationError, match="severity"):
        notify.send("x:1", addresses=["a@example.vn"], subject="s", body="b", severity="apocalyptic")
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_send_enqueues_delivery_after_commit(tree, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [row] = notify.send("x:9", addresses=["a@example.vn"], subject="Tiêu đề", body="b")
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT
    assert [m.subject for m in mail.outbox] == ["Tiêu đề"]
