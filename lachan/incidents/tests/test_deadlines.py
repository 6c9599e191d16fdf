import datetime
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from lachan.incidents import deadlines, services
from lachan.incidents.choices import EventKind
from lachan.incidents.models import Incident, IncidentDeadline, ReportingRule
from lachan.incidents.notify import notify_overdue
from lachan.testing.factories import ContactFactory, InformationSystemFactory

pytestmark = pytest.mark.django_db

DETECTED = datetime.datetime(2025, 1, 2, 3, 0, tzinfo=datetime.UTC)  # 10:00 in Hà Nội


def report(user, unit, **fields):
    values = {"title": "Mã hóa dữ liệu máy chủ kế toán", "incident_type": "ransomware",
              "description": "Các tệp bị đổi đuôi .lockbit", "detected_at": DETECTED}
    return services.incident_create(by=user, unit=unit, **(values | fields))


def due(incident):
    return {d.rule.key: d.due_at for d in incident.deadlines.select_related("rule")}


def test_the_seeded_rules(db):
    rules = {r.key: r for r in ReportingRule.objects.all()}
    assert rules["initial_report"].hours == 120 and rules["initial_report"].applies_to == "all"
    assert rules["serious_report"].hours == 24 and rules["serious_report"].applies_to == "serious"
    assert rules["personal_data_breach"].hours == 72 and rules["personal_data_breach"].applies_to == "personal_data"
    assert (rules["half_year_report"].month, rules["half_year_report"].day) == (6, 20)
    assert (rules["year_report"].month, rules["year_report"].day) == (12, 15)


def test_every_incident_has_the_five_day_clock(tree, users):
    incident = report(users["member_a"], tree["a"])
    assert due(incident) == {"initial_report": DETECTED + timedelta(days=5)}


def test_serious_and_personal_data_clocks(tree, users):
    system = InformationSystemFactory(unit=tree["a"], security_level=4)
    incident = report(users["member_a"], tree["a"], system=system, crit_disruption=True, personal_data_breach=True)
    assert due(incident) == {"initial_report": DETECTED + timedelta(days=5),
                             "serious_report": DETECTED + timedelta(hours=24),
                             "personal_data_breach": DETECTED + timedelta(hours=72)}
    # No longer serious (the coordinator decides so): the 24-hour clock goes, the others stay.
    services.serious_override(incident, by=users["coordinator"], value=False, reason="Hệ thống dự phòng chạy ngay",
                              version=1)
    assert set(due(incident)) == {"initial_report", "personal_data_breach"}


def test_clocks_follow_the_detection_time_and_an_edited_rule(tree, users):
    incident = report(users["member_a"], tree["a"])
    later = DETECTED + timedelta(hours=6)
    services.incident_update(incident, by=users["member_a"], version=1, changes={"detected_at": later})
    assert due(incident)["initial_report"] == later + timedelta(days=5)
    ReportingRule.objects.filter(key="initial_report").update(hours=48)
    assert deadlines.deadlines_resync_open() == 1
    assert due(incident)["initial_report"] == later + timedelta(hours=48)


def test_clock_values_and_the_overdue_filter(tree, users):
    incident = report(users["member_a"], tree["a"])
    now = DETECTED + timedelta(days=4, hours=21)
    (clock,) = deadlines.clocks(incident, now=now)
    assert not clock.overdue and clock.left_text == "3 h 0 min"
    (clock,) = deadlines.clocks(incident, now=DETECTED + timedelta(days=6, hours=2))
    assert clock.overdue and clock.left_text == "1 d 2 h"
    fresh = report(users["member_a"], tree["a"], detected_at=timezone.now() - timedelta(hours=1))
    overdue = set(Incident.objects.filter(deadlines.overdue_q()).values_list("pk", flat=True))
    assert overdue == {incident.pk}  # DETECTED is long past; the fresh incident has 5 days
    services.deadline_mark_done(incident, by=users["member_a"], rule="initial_report", note="Gửi VNCERT/CC qua e-mail")
    assert not Incident.objects.filter(deadlines.overdue_q()).exists()
    assert incident.events.filter(kind=EventKind.REPORTED).exists()
    assert fresh.deadlines.get().done_at is None


def test_overdue_notice_is_sent_once_to_the_focal_point_and_the_coordinators(tree, users):
    ContactFactory(unit=tree["a"], emails="attt@a.example.vn", roles="security_focal")
    incident = report(users["member_a"], tree["a"])
    assert notify_overdue(now=DETECTED + timedelta(days=4)) == 0  # not yet due
    assert notify_overdue() == 1
    (message,) = mail.outbox
    assert set(message.to) == {"attt@a.example.vn", users["coordinator"].email}
    assert message.subject.startswith(f"[Lá Chắn] Quá hạn báo cáo sự cố số {incident.pk}: ")  # Vietnamese
    assert "07/01/2025 10:00" in message.body  # due 5 days after 02/01/2025 10:00 (Asia/Ho_Chi_Minh)
    assert notify_overdue() == 0 and len(mail.outbox) == 1  # claimed once
    assert IncidentDeadline.objects.get().overdue_notified_at is not None
    assert incident.events.filter(kind=EventKind.OVERDUE).count() == 1


def test_a_failed_notice_is_tried_again(tree, users, settings):
    ContactFactory(unit=tree["a"], emails="attt@a.example.vn", roles="security_focal")
    report(users["member_a"], tree["a"])
    settings.EMAIL_BACKEND = "lachan.incidents.tests.test_deadlines.BrokenBackend"
    assert notify_overdue() == 0
    assert IncidentDeadline.objects.get().overdue_notified_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notify_overdue() == 1


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP down")


def test_periodic_reports_next_dates(db):
    upcoming = deadlines.next_periodic(today=datetime.date(2025, 7, 1))
    assert [(r.key, d) for r, d in upcoming] == [("year_report", datetime.date(2025, 12, 15)),
                                                 ("half_year_report", datetime.date(2026, 6, 20))]
    upcoming = deadlines.next_periodic(today=datetime.date(2025, 6, 20))
    assert upcoming[0][1] == datetime.date(2025, 6, 20)
