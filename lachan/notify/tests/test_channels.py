"""The channels against real servers on loopback: SMTP (aiosmtpd), webhook and Telegram Bot API (aiohttp)."""

import hashlib
import hmac
import json

import pytest
from django.utils import translation

from lachan.notify import services as notify
from lachan.notify.channels import telegram
from lachan.notify.choices import Channel, DeliveryStatus
from lachan.notify.models import NotificationPreference
from lachan.testing.factories import UserFactory

from .servers import Recorder, http_server, smtp_server


@pytest.fixture(autouse=True)
def _english():
    """These tests read the English source messages."""
    with translation.override("en"):
        yield


LOOPBACK = ["127.0.0.0/8"]
DOCX = b"PK\x03\x04 fake docx bytes \x00\xff"


@pytest.mark.django_db
def test_email_reaches_a_real_smtp_server_with_subject_body_and_attachment(settings, tree):
    with smtp_server() as (port, received):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        [row] = notify.send("incident.report:7", addresses=["vncert@example.vn"], unit=tree["a"],
                            subject="[TBSC] Báo cáo sự cố ban đầu", body="Đơn vị A báo cáo sự cố tấn công thay đổi giao diện.",
                            attachments=[("bao-cao.docx", DOCX, "application/vnd.openxmlformats-officedocument"
                                                                ".wordprocessingml.document")], enqueue=False)
        row = notify.deliver(row.pk)
    assert row.status == DeliveryStatus.SENT and row.attempts == 1 and row.sent_at is not None
    [message] = received
    assert message["X-RcptTo"] == "vncert@example.vn"
    from email.header import decode_header, make_header

    assert str(make_header(decode_header(message["Subject"]))) == "[TBSC] Báo cáo sự cố ban đầu"
    parts = [p for p in message.walk() if not p.is_multipart()]
    assert "thay đổi giao diện" in parts[0].get_payload(decode=True).decode(parts[0].get_content_charset())
    [attachment] = [p for p in parts if p.get_filename()]
    assert attachment.get_filename() == "bao-cao.docx"
    assert attachment.get_payload(decode=True) == DOCX


@pytest.mark.django_db
def test_webhook_posts_signed_json_to_an_allowlisted_loopback_server(settings, tree):
    settings.OUTBOUND_ALLOWLIST = LOOPBACK
    user = UserFactory(unit=tree["a"])
    recorder = Recorder()
    with http_server(recorder) as base:
        NotificationPreference.objects.create(user=user, channel=Channel.WEBHOOK, target=f"{base}/hook",
                                              secret="s3cret")
        [row] = notify.send("monitoring.alert:3", users=[user], subject="Trang web bị thay đổi giao diện",
                            body="https://a.example.vn", severity="high", unit=tree["a"], enqueue=False)
        row = notify.deliver(row.pk)
    assert row.status == DeliveryStatus.SENT, row.error
    [request] = recorder.requests
    assert request["method"] == "POST" and request["path"] == "/hook"
    payload = json.loads(request["body"])
    assert payload["event"] == "monitoring.alert:3" and payload["severity"] == "high"
    assert payload["subject"] == "Trang web bị thay đổi giao diện" and payload["unit"]["code"] == "A"
    expected = "sha256=" + hmac.new(b"s3cret", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-LaChan-Signature"] == expected


@pytest.mark.django_db
def test_webhook_to_loopback_without_allowlist_is_refused_before_any_request(settings, tree):
    settings.OUTBOUND_ALLOWLIST = []
    recorder = Recorder()
    with http_server(recorder) as base:
        [row] = notify.send("monitoring.alert:4", addresses=[f"{base}/hook"], subject="x", body="y", enqueue=False)
        row = notify.deliver(row.pk)
    assert recorder.requests == []
    assert row.status == DeliveryStatus.FAILED  # the guard's refusal is final: retrying cannot help
    assert row.error == "blocked: loopback address"


@pytest.mark.django_db
def test_webhook_failing_twice_is_delivered_on_the_third_attempt(settings, tree):
    settings.OUTBOUND_ALLOWLIST = LOOPBACK
    settings.NOTIFY_RETRY_BASE_SECONDS = 60
    from datetime import timedelta

    from django.utils import timezone

    recorder = Recorder(statuses=[500, 503, 200])
    now = timezone.now()
    with http_server(recorder) as base:
        [row] = notify.send("incident.opened:9", addresses=[f"{base}/hook"], subject="x", body="y",
                            enqueue=False, now=now)
        row = notify.deliver(row.pk, now=now)
        assert (row.status, row.attempts) == (DeliveryStatus.RETRY, 1)
        assert row.error.startswith("HTTP 500")
        assert row.next_attempt_at == now + timedelta(seconds=60)
        assert notify.retry_due(now=now + timedelta(seconds=59)) == 0  # not due yet: nothing sent
        assert len(recorder.requests) == 1
        assert notify.retry_due(now=now + timedelta(seconds=60)) == 0  # second attempt: 503
        row.refresh_from_db()
        assert (row.status, row.attempts, row.error[:8]) == (DeliveryStatus.RETRY, 2, "HTTP 503")
        assert row.next_attempt_at == now + timedelta(seconds=60 + 120)  # backoff doubles
        assert notify.retry_due(now=now + timedelta(seconds=180)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == (DeliveryStatus.SENT, 3, "")
    assert len(recorder.requests) == 3


@pytest.mark.django_db
def test_gives_up_after_the_maximum_attempts(settings, tree):
    settings.OUTBOUND_ALLOWLIST = LOOPBACK
    settings.NOTIFY_MAX_ATTEMPTS = 2
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    with http_server(Recorder(statuses=[502])) as base:
        [row] = notify.send("x:1", addresses=[f"{base}/h"], subject="x", body="y", enqueue=False, now=now)
        notify.deliver(row.pk, now=now)
        notify.retry_due(now=now + timedelta(hours=2))
        assert notify.retry_due(now=now + timedelta(hours=4)) == 0
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 2)
    assert row.error.startswith("HTTP 502")


FAKE_BOT_OK = json.dumps({"ok": True, "result": {"message_id": 1}})


@pytest.mark.django_db
def test_telegram_through_apprise_to_a_fake_bot_api_on_loopback(settings, tree):
    settings.OUTBOUND_ALLOWLIST = LOOPBACK
    settings.NOTIFY_TELEGRAM_BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    recorder = Recorder(body=FAKE_BOT_OK)
    with http_server(recorder) as base:
        settings.NOTIFY_TELEGRAM_API_URL = base
        [row] = notify.send("oncall.page:1:r0s0", addresses=["telegram:-1001234567890"], subject="Cảnh báo",
                            body="Sự cố tại đơn vị A", severity="critical", enqueue=False)
        row = notify.deliver(row.pk)
    assert row.status == DeliveryStatus.SENT, row.error
    [request] = recorder.requests
    assert request["path"] == f"/bot{settings.NOTIFY_TELEGRAM_BOT_TOKEN}/sendMessage"
    payload = json.loads(request["body"])
    assert payload["chat_id"] == -1001234567890 or str(payload["chat_id"]) == "-1001234567890"
    assert "Cảnh báo" in payload["text"] and "Sự cố tại đơn vị A" in payload["text"]


@pytest.mark.django_db
def test_telegram_to_loopback_without_allowlist_is_refused_by_the_guard(settings, tree):
    settings.OUTBOUND_ALLOWLIST = []
    settings.NOTIFY_TELEGRAM_BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    recorder = Recorder(body=FAKE_BOT_OK)
    with http_server(recorder) as base:
        settings.NOTIFY_TELEGRAM_API_URL = base
        [row] = notify.send("oncall.page:2:r0s0", addresses=["telegram:42"], subject="x", body="y", enqueue=False)
        row = notify.deliver(row.pk)
    assert recorder.requests == []
    assert row.status == DeliveryStatus.RETRY
    assert "loopback address" in row.error


def test_telegram_url_building():
    plugin = telegram.build("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "-100987")
    assert type(plugin).__name__ == "NotifyTelegram"
    assert plugin.notify_url == "https://api.telegram.org/bot"
    assert plugin.bot_token == "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    assert [str(t[0]) for t in plugin.targets] == ["-100987"]
    assert telegram.build("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "5", "http://10.0.0.5:8081/").notify_url \
        == "http://10.0.0.5:8081/bot"


@pytest.mark.django_db
def test_apprise_ntfy_goes_through_the_guard(settings, tree):
    recorder = Recorder(body="{}")
    with http_server(recorder) as base:
        url = base.replace("http://", "ntfy://") + "/lachan-alerts"
        settings.OUTBOUND_ALLOWLIST = []
        [refused] = notify.send("t:1", addresses=[url], subject="x", body="y", enqueue=False)
        refused = notify.deliver(refused.pk)
        assert recorder.requests == [] and "loopback address" in refused.error
        settings.OUTBOUND_ALLOWLIST = LOOPBACK
        [row] = notify.send("t:2", addresses=[url], subject="Tiêu đề", body="Nội dung", enqueue=False)
        row = notify.deliver(row.pk)
    assert row.status == DeliveryStatus.SENT, row.error
    [request] = recorder.requests
    assert request["method"] == "POST"
    payload = json.loads(request["body"])
    assert (payload["topic"], payload["title"], payload["message"]) == ("lachan-alerts", "Tiêu đề", "Nội dung")


def test_other_apprise_services_are_refused():
    from django.core.exceptions import ValidationError

    from lachan.notify.addresses import parse_address

    with pytest.raises(ValidationError, match="not offered"):
        parse_address("xml://hooks.example.vn/x")  # generic XML POST: arbitrary hosts, not offered
    with pytest.raises(ValidationError, match="not offered"):
        parse_address("json://hooks.example.vn/x")
    assert parse_address("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ")[0] == Channel.APPRISE
