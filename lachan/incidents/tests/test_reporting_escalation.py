"""Escalation to the national bodies: the DOCX and the "[TBSC]" e-mail reach a real SMTP server on loopback
(aiosmtpd), what was sent is recorded, the clocks stop; who may escalate; scope of the reports."""

import datetime
import hashlib
import io
from contextlib import contextmanager
from email.header import decode_header, make_header

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from docx import Document
from rest_framework.test import APIClient

from lachan.incidents import services
from lachan.incidents.choices import EventKind
from lachan.incidents.models import IncidentReport
from lachan.incidents.reporting import incident_escalate, may_escalate
from lachan.notify.models import Delivery
from lachan.organizations.models import ExternalContact
from lachan.testing.factories import InformationSystemFactory, OverrideFactory, ScheduleFactory

from .helpers import png_bytes

pytestmark = pytest.mark.django_db
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@contextmanager
def smtp_server():
    """aiosmtpd on 127.0.0.1, port 0 (the system picks a free one; read back once bound)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    class AnyPort(Controller):
        def _trigger_server(self):
            self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

    controller = AnyPort(Keep(), hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield controller.port, received
    finally:
        controller.stop()


def use_smtp(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


@pytest.fixture
def contacts(db):
    return {
        "vncert": ExternalContact.objects.create(organization="Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam",
                                                 short_name="VNCERT/CC", category="national_cert",
                                                 emails="ir@vncert.example.vn"),
        "ncsc": ExternalContact.objects.create(organization="Trung tâm Giám sát an toàn không gian mạng quốc gia",
                                               short_name="NCSC", category="monitoring",
                                               emails="ais@ncsc.example.vn; soc@ncsc.example.vn"),
        "a05": ExternalContact.objects.create(organization="Cục An ninh mạng và phòng, chống tội phạm sử dụng công "
                                                           "nghệ cao", short_name="A05", category="police",
                                              emails="a05@police.example.vn"),
        "phone_only": ExternalContact.objects.create(organization="Sở TTTT Hải Phòng", phones="0984.462472"),
    }


@pytest.fixture
def incident(tree, users):
    system = InformationSystemFactory(unit=tree["a"], name="Cổng thông tin điện tử", security_level=4)
    created = services.incident_create(
        by=users["admin_a"], unit=tree["a"], title="Cổng thông tin bị deface", incident_type="defacement",
        severity="high", system=system, description="Trang chủ bị thay bằng <b>nội dung lạ</b>",
        detected_at=timezone.now() - datetime.timedelta(hours=3), crit_disruption=True)
    assert created.serious  # level 4 + disruption: the "report immediately" clock applies too
    return created


def evidence(incident, user):
    return services.evidence_add(incident=incident, by=user, file=ContentFile(png_bytes(), name="anh-chup.png"),
                                 description="Ảnh chụp trang bị thay đổi")


def subject_of(message):
    return str(make_header(decode_header(message["Subject"])))


def test_the_report_and_the_tbsc_email_reach_a_real_smtp_server(settings, tree, users, incident, contacts,
                                                                  django_capture_on_commit_callbacks):
    proof = evidence(incident, users["admin_a"])
    with smtp_server() as (port, received):
        use_smtp(settings, port)
        with django_capture_on_commit_callbacks(execute=True):
            report = incident_escalate(incident, by=users["admin_a"], version=incident.version,
                                       recipients=[contacts["vncert"], contacts["ncsc"], "lanhdao@example.vn"],
                                       note="Đề nghị hỗ trợ khẩn", attachments=[proof.pk])
    # One copy per address: VNCERT/CC, both NCSC addresses, the typed one.
    assert sorted(m["X-RcptTo"] for m in received) == ["ais@ncsc.example.vn", "ir@vncert.example.vn",
                                                       "lanhdao@example.vn", "soc@ncsc.example.vn"]
    detected = timezone.localtime(incident.detected_at).strftime("%d/%m/%Y")
    stored = report.file.open("rb").read()
    assert hashlib.sha256(stored).hexdigest() == report.sha256 and len(stored) == report.size
    for message in received:
        subject = subject_of(message)
        assert subject == f"[TBSC] Đơn vị A — Cổng thông tin bị deface — {detected}" == report.subject
        parts = [p for p in message.walk() if not p.is_multipart()]
        body = parts[0].get_payload(decode=True).decode(parts[0].get_content_charset())
        assert "Kính gửi: Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam (VNCERT/CC)" in body
        assert "Cổng thông tin điện tử (cấp độ 4)" in body and "Sự cố nghiêm trọng: Có" in body
        assert "Ghi chú: Đề nghị hỗ trợ khẩn" in body and report.sha256 in body
        files = {p.get_filename(): p for p in parts if p.get_filename()}
        assert set(files) == {report.file_name, "anh-chup.png"}
        docx = files[report.file_name]
        assert docx.get_content_type() == DOCX_TYPE
        assert hashlib.sha256(docx.get_payload(decode=True)).hexdigest() == report.sha256
        assert files["anh-chup.png"].get_payload(decode=True) == png_bytes()
    # The attached DOCX is the report of this incident.
    document = Document(io.BytesIO(stored))
    assert "Cấp độ an toàn hệ thống thông tin: Cấp độ 4" in [p.text for p in document.paragraphs]
    # What was sent to whom and when, in the report and in the delivery log.
    report.refresh_from_db()
    assert report.sent_by == users["admin_a"] and report.incident_version == incident.version
    assert [r["email"] for r in report.recipients] == ["ir@vncert.example.vn", "ais@ncsc.example.vn",
                                                       "soc@ncsc.example.vn", "lanhdao@example.vn"]
    assert report.recipients[0]["contact"] == contacts["vncert"].pk
    assert report.attachments == [{"evidence": proof.pk, "file_name": "anh-chup.png", "sha256": proof.sha256,
                                   "size": proof.size}]
    assert Delivery.objects.filter(event_key=report.event_key, status="sent").count() == 4
    assert report.delivery_status == "sent"
    # Timeline and clocks: the initial and the serious-incident reports are done; the A05 one does not apply.
    event = incident.events.get(kind=EventKind.ESCALATED)
    assert event.actor == users["admin_a"] and event.changes["sha256"] == report.sha256
    done = {d.rule.key: d for d in incident.deadlines.select_related("rule")}
    assert done["initial_report"].done_at == report.sent_at and done["serious_report"].done_at == report.sent_at
    assert done["initial_report"].done_by == users["admin_a"]
    assert incident.events.filter(kind=EventKind.REPORTED).count() == 2


def test_the_personal_data_clock_stops_only_when_the_police_unit_is_a_recipient(users, incident, contacts):
    services.incident_update(incident, by=users["admin_a"], version=incident.version,
                             changes={"personal_data_breach": True})
    incident.refresh_from_db()
    incident_escalate(incident, by=users["admin_a"], version=incident.version, recipients=[contacts["vncert"]])
    assert incident.deadlines.get(rule__key="personal_data_breach").done_at is None
    incident_escalate(incident, by=users["admin_a"], version=incident.version, recipients=[contacts["a05"]])
    assert incident.deadlines.get(rule__key="personal_data_breach").done_at is not None
    assert incident.reports.count() == 2


def test_who_may_escalate(tree, users, incident):
    assert may_escalate(users["coordinator"], incident) and may_escalate(users["admin_a"], incident)
    assert not may_escalate(users["member_a"], incident)  # unit members report to their admins, not the nation
    assert not may_escalate(users["auditor"], incident)
    assert not may_escalate(users["member_b"], incident)
    assert not may_escalate(users["operator_a"], incident)  # not on duty
    schedule = ScheduleFactory(unit=tree["a"])
    now = timezone.now()
    OverrideFactory(schedule=schedule, user=users["operator_a"], starts=now - datetime.timedelta(hours=1),
                    ends=now + datetime.timedelta(hours=1))
    assert may_escalate(users["operator_a"], incident)
    for user in ("member_a", "member_b"):
        with pytest.raises(PermissionDenied):
            incident_escalate(incident, by=users[user], version=incident.version, recipients=["x@example.vn"])
    assert not IncidentReport.objects.exists()


def test_refusals_write_nothing(settings, users, incident, contacts):
    proof = evidence(incident, users["admin_a"])
    stale = incident.version
    services.incident_update(incident, by=users["member_a"], version=stale, changes={"current_status": "Đã khắc phục"})
    with pytest.raises(services.VersionConflict):
        incident_escalate(incident, by=users["admin_a"], version=stale, recipients=[contacts["vncert"]])
    version = stale + 1
    settings.INCIDENTS_REPORT_MAX_ATTACHMENT_BYTES = 20_000
    with pytest.raises(ValidationError) as error:
        incident_escalate(incident, by=users["admin_a"], version=version, recipients=[contacts["vncert"]],
                          attachments=[proof.pk])
    message = str(error.value)
    assert "at most 20,000 bytes" in message and "total" in message
    assert f"{proof.size:,}" not in message  # the total (report + evidence) is named, not the evidence alone
    with pytest.raises(ValidationError, match="has no e-mail address"):
        incident_escalate(incident, by=users["admin_a"], version=version, recipients=[contacts["phone_only"]])
    with pytest.raises(ValidationError, match="Not an e-mail address: ir@vncert"):
        incident_escalate(incident, by=users["admin_a"], version=version, recipients=["ir@vncert"])
    with pytest.raises(ValidationError, match="Choose at least one recipient"):
        incident_escalate(incident, by=users["admin_a"], version=version, recipients=[])
    other = services.incident_create(by=users["member_b"], unit=users["member_b"].unit, title="Khác",
                                     description="x", detected_at=timezone.now())
    foreign = evidence(other, users["member_b"])
    with pytest.raises(ValidationError, match="does not belong to this incident"):
        incident_escalate(incident, by=users["admin_a"], version=version, recipients=[contacts["vncert"]],
                          attachments=[foreign.pk])
    assert not IncidentReport.objects.exists() and not Delivery.objects.exists()
    assert not incident.deadlines.filter(done_at__isnull=False).exists()


def test_the_escalation_page_previews_sends_and_lists(users, incident, contacts, client_for):
    client = client_for(users["admin_a"])
    page = client.get(incident.get_absolute_url()).content.decode()
    assert reverse("incidents:incident_escalate", args=[incident.pk]) in page
    url = reverse("incidents:incident_escalate", args=[incident.pk])
    form = client.get(url)
    assert form.status_code == 200 and "VNCERT/CC" in form.content.decode()
    assert "Sở TTTT Hải Phòng" not in form.content.decode()  # no e-mail: not offered
    data = {"recipients": [contacts["vncert"].pk], "extra_emails": "lanhdao@example.vn", "note": "",
            "version": incident.version}
    preview = client.post(url, data | {"preview": "1"})
    assert preview.status_code == 200 and preview["Content-Type"] == DOCX_TYPE
    lines = [p.text for p in Document(io.BytesIO(preview.content)).paragraphs]
    assert "Cấp độ an toàn hệ thống thông tin: Cấp độ 4" in lines
    assert not IncidentReport.objects.exists()  # a preview sends nothing
    response = client.post(url, data | {"send": "1"})
    assert response.status_code == 302
    report = IncidentReport.objects.get()
    assert report.recipient_emails == ["ir@vncert.example.vn", "lanhdao@example.vn"]
    page = client.get(incident.get_absolute_url()).content.decode()
    download = reverse("incidents:incidentreport_download", args=[report.pk])
    assert download in page and report.sha256 in page
    body = b"".join(client.get(download).streaming_content)
    assert hashlib.sha256(body).hexdigest() == report.sha256
    stale = client.post(url, data | {"send": "1", "version": incident.version + 5})
    assert stale.status_code == 409 and IncidentReport.objects.count() == 1


def test_unit_b_cannot_escalate_or_download_as_reports(users, incident, contacts, client_for):
    report = incident_escalate(incident, by=users["admin_a"], version=incident.version,
                               recipients=[contacts["vncert"]])
    client = client_for(users["member_b"])
    assert client.get(reverse("incidents:incident_escalate", args=[incident.pk])).status_code == 404
    assert client.post(reverse("incidents:incident_escalate", args=[incident.pk]),
                       {"extra_emails": "x@example.vn", "version": incident.version}).status_code == 404
    assert client.get(reverse("incidents:incidentreport_download", args=[report.pk])).status_code == 404
    assert client.get(report.get_absolute_url()).status_code == 404
    member_a = client_for(users["member_a"])
    assert member_a.get(reverse("incidents:incident_escalate", args=[incident.pk])).status_code == 403
    assert member_a.get(reverse("incidents:incidentreport_download", args=[report.pk])).status_code == 200


def test_the_api_escalates_and_lists_reports(users, incident, contacts):
    api = APIClient()
    api.force_authenticate(users["admin_a"])
    base = f"/api/incidents/incidents/{incident.pk}"
    options = api.get(f"{base}/escalate/").json()
    assert options["allowed"] is True and options["version"] == incident.version
    assert {c["id"] for c in options["contacts"]} == {contacts[k].pk for k in ("vncert", "ncsc", "a05")}
    response = api.post(f"{base}/escalate/", {"contacts": [contacts["vncert"].pk], "emails": ["lanhdao@example.vn"],
                                              "version": incident.version}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["subject"].startswith("[TBSC] Đơn vị A — ") and created["delivery_status"] == "pending"
    assert [r["email"] for r in created["recipients"]] == ["ir@vncert.example.vn", "lanhdao@example.vn"]
    listed = api.get(f"{base}/reports/").json()
    assert [r["id"] for r in listed] == [created["id"]]
    download = api.get(created["download_url"])
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == created["sha256"]
    assert api.post(f"{base}/escalate/", {"contacts": [contacts["vncert"].pk], "version": incident.version + 5},
                    format="json").status_code == 409
    assert api.post(f"{base}/escalate/", {"contacts": [999999], "version": incident.version},
                    format="json").status_code == 400
    member = APIClient()
    member.force_authenticate(users["member_a"])
    assert member.get(f"{base}/escalate/").json()["allowed"] is False
    assert member.post(f"{base}/escalate/", {"emails": ["x@example.vn"], "version": incident.version},
                       format="json").status_code == 403
    outsider = APIClient()
    outsider.force_authenticate(users["member_b"])
    assert outsider.post(f"{base}/escalate/", {"emails": ["x@example.vn"], "version": incident.version},
                         format="json").status_code == 404
    assert outsider.get(f"{base}/reports/").status_code == 404
    assert outsider.get(f"/api/incidents/reports/{created['id']}/download/").status_code == 404
