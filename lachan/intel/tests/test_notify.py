import csv
import io

import pytest
from django.core import mail

from lachan.intel import notify, services
from lachan.intel.choices import NotificationChannel, NotificationStatus
from lachan.intel.models import Feed, Notification
from lachan.intel.tests.test_services import fake, fake_parse, prefixes  # noqa: F401  (fixtures)
from lachan.testing.factories import ContactFactory

LIST = """45.10.1.1,mirai,2026-10-01T10:00:00
45.10.1.2,=cmd|' /C calc'!A0,2026-10-01T10:00:00
45.10.5.7,conficker,2026-10-01T10:00:00
45.20.9.9,conficker,2026-10-01T10:00:00
"""


@pytest.fixture
def contacts(tree):
    return {
        "a_focal": ContactFactory(unit=tree["a"], roles="security_focal", emails="focal-a@a.gov.vn, it-a@a.gov.vn"),
        "a_duty": ContactFactory(unit=tree["a"], roles="on_duty", emails="truc-a@a.gov.vn"),
        "a_leader": ContactFactory(unit=tree["a"], roles="leader", emails="lanhdao-a@a.gov.vn"),
        "b_focal": ContactFactory(unit=tree["b"], roles="on_duty,security_focal", emails="focal-b@b.gov.vn"),
    }


@pytest.fixture
def imported(tmp_path, users, fake, prefixes, contacts, django_capture_on_commit_callbacks):  # noqa: F811
    feed = Feed.objects.create(name="Botnet VNCERT", default_tlp="TLP:AMBER", critical_families="mirai\nemotet")
    path = tmp_path / "botnet-2026-10.csv"
    path.write_text(LIST)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = services.feed_import(file=path, feed=feed, by=users["coordinator"])
    assert len(callbacks) == 1  # the notification job is enqueued after commit (immediate backend in tests)
    return result


def attachment_rows(message):
    (name, content, mimetype), = message.attachments
    assert mimetype == "text/csv" and name.endswith(".csv")
    text = (content.decode("utf-8") if isinstance(content, bytes) else content).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


def by_recipient(address):
    return [m for m in mail.outbox if address in m.to]


def digest_of(code, address):
    """The digest about unit ``code`` received by ``address`` (the attachment is named after the unit)."""
    found, = [m for m in by_recipient(address) if m.attachments and f"-{code}-" in m.attachments[0][0]]
    return found


def test_one_digest_per_unit_with_only_its_own_addresses(imported, tree):
    a_digest = digest_of("A", "focal-a@a.gov.vn")
    assert a_digest.to == ["focal-a@a.gov.vn", "it-a@a.gov.vn"]
    assert "[TLP:AMBER]" in a_digest.subject and "TLP:AMBER" in a_digest.body
    assert "Kính gửi" in a_digest.body and "Botnet VNCERT" in a_digest.body
    rows = attachment_rows(a_digest)
    assert {r["ip"] for r in rows} == {"45.10.1.1", "45.10.1.2"}  # not A1's, not B's
    b_digest, = [m for m in by_recipient("focal-b@b.gov.vn") if m.attachments]
    assert {r["ip"] for r in attachment_rows(b_digest)} == {"45.20.9.9"}
    assert "45.10" not in b_digest.body and "45.10" not in str(b_digest.attachments)
    assert not by_recipient("lanhdao-a@a.gov.vn")


def test_formula_cells_are_neutralised_in_the_attachment(imported):
    a_digest = digest_of("A", "focal-a@a.gov.vn")
    families = {r["family"] for r in attachment_rows(a_digest)}
    assert "'=cmd|' /c calc'!a0" in families
    assert not any(f.startswith("=") for f in families)


def test_critical_family_goes_to_the_on_duty_contact_separately(imported):
    urgent, = by_recipient("truc-a@a.gov.vn")
    assert urgent.to == ["truc-a@a.gov.vn"] and not urgent.attachments
    assert "KHẨN" in urgent.subject and "[TLP:AMBER]" in urgent.subject
    assert "45.10.1.1" in urgent.body and "45.10.1.2" not in urgent.body
    # B has no critical family: its on-duty contact gets the digest only (it is also the focal point).
    assert len(by_recipient("focal-b@b.gov.vn")) == 1


def test_delivery_log_and_nobody_notified_twice(imported, tree, tmp_path, users):
    log = {(n.unit.code, n.channel): n.status for n in Notification.objects.select_related("unit")}
    assert log == {
        ("A", NotificationChannel.DIGEST): NotificationStatus.SENT,
        ("A", NotificationChannel.CRITICAL): NotificationStatus.SENT,
        ("A1", NotificationChannel.DIGEST): NotificationStatus.SENT,  # through A: A1 declared no focal point
        ("B", NotificationChannel.DIGEST): NotificationStatus.SENT,
    }
    row = Notification.objects.get(unit=tree["a"], channel=NotificationChannel.DIGEST)
    assert row.attachment_rows == 2 and "focal-a@a.gov.vn" in row.recipients and row.sent_at
    sent = len(mail.outbox)
    assert notify.notify_import(imported.pk) == 0  # the job run again
    path = tmp_path / "again.csv"
    path.write_text(LIST)
    again = services.feed_import(file=path, feed=imported.feed, by=users["coordinator"])  # the same file again
    assert again.duplicate
    assert len(mail.outbox) == sent


def test_a_unit_without_a_focal_point_is_reached_through_its_parent(imported, tree):
    row = Notification.objects.get(unit=tree["a1"], channel=NotificationChannel.DIGEST)
    assert row.via_unit == tree["a"] and row.recipients == "focal-a@a.gov.vn, it-a@a.gov.vn"
    a1_digest = digest_of("A1", "focal-a@a.gov.vn")
    assert {r["ip"] for r in attachment_rows(a1_digest)} == {"45.10.5.7"}  # A1's address only
    assert f"{tree['a'].name}, để chuyển tới {tree['a1'].name}" in a1_digest.body
    assert "chưa khai báo đầu mối" in a1_digest.body
    # A's own digest does not say so
    a_digest = digest_of("A", "focal-a@a.gov.vn")
    assert "chưa khai báo đầu mối" not in a_digest.body


def test_nobody_up_the_chain_is_logged_as_no_recipients(tree, contacts):
    from lachan.organizations.models import Contact

    assert notify.recipients_for(tree["a1"], (notify.FOCAL_ROLE,)) == (["focal-a@a.gov.vn", "it-a@a.gov.vn"], tree["a"])
    assert notify.recipients_for(tree["a"], (notify.FOCAL_ROLE,)) == (["focal-a@a.gov.vn", "it-a@a.gov.vn"], None)
    # on duty first, then the focal point of the same unit, before going up
    assert notify.recipients_for(tree["a1"], (notify.ON_DUTY_ROLE, notify.FOCAL_ROLE)) == (["truc-a@a.gov.vn"], tree["a"])
    Contact.objects.filter(unit=tree["a"]).delete()
    assert notify.recipients_for(tree["a1"], (notify.FOCAL_ROLE,)) == ([], None)


def test_a_failed_delivery_is_logged_and_retried(tree, tmp_path, users, fake, prefixes, contacts,  # noqa: F811
                                                 monkeypatch):
    feed = Feed.objects.create(name="Retry")
    path = tmp_path / "l.csv"
    path.write_text("45.20.9.9,conficker,2026-10-01T10:00:00\n")
    result = services.feed_import(file=path, feed=feed, by=users["coordinator"])

    def down(self, *args, **kwargs):
        raise OSError("SMTP down")

    with monkeypatch.context() as patched:
        patched.setattr("django.core.mail.EmailMessage.send", down)
        notify.notify_import(result.pk)
    row = Notification.objects.get()
    assert row.status == NotificationStatus.FAILED and "SMTP down" in row.error
    assert notify.notify_import(result.pk) == 1
    assert Notification.objects.get().status == NotificationStatus.SENT and len(mail.outbox) == 1


def test_fake_parse_is_the_shared_batch_shape():
    batch, = fake_parse(io.BytesIO(b"45.10.1.1,mirai\n"))
    assert list(batch.rows())[0]["ip"] == "45.10.1.1"
