"""Alert notices: claimed once, the right recipients, hostile evidence as defanged plain text, retry after a
failed delivery, the sweep and the periodic jobs."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from lachan.monitoring import notify, tasks
from lachan.monitoring.choices import AlertState, EventKind
from lachan.monitoring.models import Alert, Check, SiteEvent, WatchedSite
from lachan.testing.factories import (
    AlertFactory,
    CheckFactory,
    ContactFactory,
    UnitFactory,
    WatchedSiteFactory,
)


@pytest.fixture
def alert(tree):
    ContactFactory(unit=tree["a"], emails="focal.a@example.vn", roles="security_focal")
    ContactFactory(unit=tree["a"], emails="truc.a@example.vn; focal.a@example.vn", roles="on_duty")
    ContactFactory(unit=tree["b"], emails="focal.b@example.vn", roles="security_focal,on_duty")
    now = timezone.now()
    return AlertFactory(
        unit=tree["a"], kind="gambling_injection", severity="high", state=AlertState.CONFIRMED, confirmed_at=now,
        summary="Hidden gambling content", opened_at=now, last_seen_at=now,
        evidence={"links": ["https://nhacai.example/x?a=1"], "snippet": "<b>nổ hũ</b>\u202e\x07 https://w88.bet"})


def test_opening_notice_is_sent_once_to_focal_and_on_duty(alert):
    assert notify.send_alert_notices([alert.pk, alert.pk]) == 1
    assert notify.send_notice(alert.pk, notify.OPENING) is False  # claimed already
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["focal.a@example.vn", "truc.a@example.vn"]
    assert message.content_subtype == "plain" and not getattr(message, "alternatives", None)
    assert "hxxps://nhacai[.]example/x?a=1" in message.body and "hxxps://w88[.]bet" in message.body
    assert "https://" not in message.body.split("Bằng chứng")[1]
    assert "\u202e" not in message.body and "\x07" not in message.body
    assert "<b>nổ hũ</b>" in message.body  # plain text: shown as written, never rendered
    event = SiteEvent.objects.get(alert=alert, kind=EventKind.NOTIFIED)
    assert event.data["recipients"] == ["focal.a@example.vn", "truc.a@example.vn"]


def test_recovery_only_after_a_sent_opening(alert):
    alert.state, alert.resolved_at = AlertState.RESOLVED, timezone.now()
    alert.save()
    assert notify.send_alert_notices([alert.pk]) == 0  # never announced: no recovery either
    Alert.objects.filter(pk=alert.pk).update(notified_at=timezone.now())
    assert notify.send_alert_notices([alert.pk]) == 1
    assert "Đã hết" in mail.outbox[0].subject
    assert notify.send_alert_notices([alert.pk]) == 0


def test_failed_delivery_is_given_back_for_the_sweep(alert, settings):
    settings.EMAIL_BACKEND = "lachan.monitoring.tests.test_notify.BrokenBackend"
    assert notify.send_notice(alert.pk, notify.OPENING) is False
    alert.refresh_from_db()
    assert alert.notified_at is None
    assert notify.pending_alert_ids() == [alert.pk]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.send_pending_notices.call() == 1
    assert notify.pending_alert_ids() == []


def test_unit_without_contacts_is_reached_through_its_parent(tree):
    ContactFactory(unit=tree["root"], emails="so@example.vn", roles="on_duty")
    school = UnitFactory(code="S1", parent=tree["a1"])
    now = timezone.now()
    alert = AlertFactory(unit=school, kind="defacement", severity="critical", state=AlertState.CONFIRMED,
                         confirmed_at=now, opened_at=now, last_seen_at=now)
    assert notify.send_alert_notices([alert.pk]) == 1
    assert mail.outbox[0].to == ["so@example.vn"]
    assert tree["root"].name in mail.outbox[0].body


def test_periodic_jobs_purge_and_release(tree, settings):
    settings.MONITOR_HISTORY_DAYS = 30
    old = CheckFactory(unit=tree["a"], checked_at=timezone.now() - timedelta(days=31))
    recent = CheckFactory(site=old.site, checked_at=timezone.now() - timedelta(days=29))
    assert tasks.purge_old_checks.call() == 1
    assert list(Check.objects.values_list("pk", flat=True)) == [recent.pk]
    stale = WatchedSiteFactory(unit=tree["a"], claimed_by="dead:host:1:x",
                               claimed_until=timezone.now() - timedelta(minutes=1))
    live = WatchedSiteFactory(unit=tree["a"], claimed_by="live:host:2:y",
                              claimed_until=timezone.now() + timedelta(minutes=5))
    assert tasks.release_stale_claims.call() == 1
    assert WatchedSite.objects.get(pk=stale.pk).claimed_by == ""
    assert WatchedSite.objects.get(pk=live.pk).claimed_by == "live:host:2:y"


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server away")
