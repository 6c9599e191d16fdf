import io
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from lachan.incidents import services
from lachan.incidents.choices import Source
from lachan.incidents.models import Incident, IncidentComment
from lachan.testing.factories import InformationSystemFactory

pytestmark = pytest.mark.django_db


def report(user, unit, title="Tấn công DDoS cổng thông tin", **fields):
    values = {"title": title, "incident_type": "ddos", "description": "Cổng thông tin không truy cập được",
              "detected_at": timezone.now() - timedelta(hours=2)}
    return services.incident_create(by=user, unit=unit, **(values | fields))


def form_data(**overrides):
    data = {"unit": "", "title": "Website bị deface", "incident_type": "defacement", "severity": "high",
            "description": "Trang chủ bị thay bằng nội dung lạ", "detected_at": "02/01/2025 10:30",
            "reporter_name": "Trần Thị Báo", "reporter_phone": "0912345678"}
    return data | overrides


def test_a_unit_user_files_an_incident_through_the_form(tree, users, client_for):
    client = client_for(users["member_a"])
    assert client.get(reverse("incidents:incident_add")).status_code == 200
    response = client.post(reverse("incidents:incident_add"), form_data(unit=tree["a1"].pk))
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()
    assert incident.unit == tree["a1"] and incident.source == Source.WEB and incident.created_by == users["member_a"]
    # dd/mm/yyyy hh:mm typed in Vietnam time, stored in UTC
    assert timezone.localtime(incident.detected_at).strftime("%d/%m/%Y %H:%M") == "02/01/2025 10:30"
    assert incident.detected_at.utcoffset() == timedelta(0) and incident.detected_at.hour == 3
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "02/01/2025 10:30" in page and "Website bị deface" in page


def test_another_units_unit_is_refused_in_the_form(tree, users, client_for):
    response = client_for(users["member_b"]).post(reverse("incidents:incident_add"), form_data(unit=tree["a"].pk))
    assert response.status_code == 200 and "unit" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_the_phone_form_needs_the_callers_details(tree, users, client_for):
    client = client_for(users["operator_a"])
    response = client.post(reverse("incidents:incident_phone"), form_data(unit=tree["a"].pk, reporter_phone=""))
    assert "reporter_phone" in response.context["form"].errors
    response = client.post(reverse("incidents:incident_phone"),
                           form_data(unit=tree["a"].pk, reporter_name="Ông Lê Gọi", reporter_position="Văn thư"))
    incident = Incident.objects.get()
    assert incident.source == Source.PHONE and incident.reporter_name == "Ông Lê Gọi"
    assert incident.reporter_email == ""  # not the operator's own address


def test_a_stale_edit_form_names_the_conflict_and_overwrites_nothing(tree, users, en_client_for):
    incident = report(users["member_a"], tree["a"])
    url = reverse("incidents:incident_edit", args=[incident.pk])
    client = en_client_for(users["member_a"])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data |= {"detected_at": timezone.localtime(incident.detected_at).strftime("%d/%m/%Y %H:%M")}
    assert data["version"] == 1
    # Someone else saves first.
    services.incident_update(incident, by=users["admin_a"], version=1, changes={"severity": "critical"})
    response = client.post(url, data | {"title": "Tiêu đề của tôi"})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "changed this incident" in errors and str(users["admin_a"]) in errors
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.title, stored.severity, stored.version) == (incident.title, "critical", 2)
    # With the version now shown, the edit goes through.
    response = client.post(url, data | {"title": "Tiêu đề của tôi", "version": 2, "severity": "critical"})
    assert response.status_code == 302
    assert Incident.objects.get(pk=incident.pk).title == "Tiêu đề của tôi"


def test_transition_comment_and_close_from_the_detail_page(tree, users, en_client_for):
    incident = report(users["member_a"], tree["a"])
    client = en_client_for(users["member_a"])
    client.post(reverse("incidents:incident_transition", args=[incident.pk]), {"to": "resolved", "version": 1})
    response = client.post(reverse("incidents:incident_transition", args=[incident.pk]),
                           {"to": "closed", "version": 2}, follow=True)
    assert "Write the lessons learned" in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == "resolved"
    client.post(reverse("incidents:incident_transition", args=[incident.pk]),
                {"to": "closed", "version": 2, "lessons_learned": "Bật chống DDoS của nhà mạng"})
    assert Incident.objects.get(pk=incident.pk).status == "closed"
    client.post(reverse("incidents:incident_comment", args=[incident.pk]), {"body": "<script>alert(1)</script>"})
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "Bật chống DDoS của nhà mạng" in page


def test_unit_users_cannot_delete_but_admins_can(tree, users, client_for):
    incident = report(users["member_a"], tree["a"])
    comment = services.comment_add(incident=incident, by=users["member_a"], body="Ghi chú")
    member = client_for(users["member_a"])
    assert member.post(reverse("incidents:incidentcomment_delete", args=[comment.pk])).status_code == 404
    assert member.post(reverse("incidents:incident_delete", args=[incident.pk])).status_code == 404
    assert IncidentComment.objects.exists() and Incident.objects.exists()
    admin = client_for(users["admin_a"])
    assert admin.post(reverse("incidents:incidentcomment_delete", args=[comment.pk])).status_code == 302
    assert admin.post(reverse("incidents:incident_delete", args=[incident.pk])).status_code == 302
    assert not Incident.objects.exists()


def test_member_b_never_sees_as_incidents(tree, users, client_for):
    mine = report(users["member_b"], tree["b"], title="Sự cố của B")
    theirs = report(users["member_a"], tree["a"], title="Sự cố bí mật của A")
    client = client_for(users["member_b"])
    page = client.get(reverse("incidents:incident_list")).content.decode()
    assert "Sự cố của B" in page and "Sự cố bí mật của A" not in page
    assert client.get(theirs.get_absolute_url()).status_code == 404
    assert client.get(reverse("incidents:incident_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("incidents:incident_transition", args=[theirs.pk]),
                       {"to": "triaged", "version": 1}).status_code == 404
    for fmt in ("csv", "xlsx"):
        content = client.get(reverse("incidents:incident_list"), {"export": fmt}).content
        if fmt == "xlsx":
            sheet = openpyxl.load_workbook(io.BytesIO(content)).active
            content = "\n".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row).encode()
        assert "Sự cố của B".encode() in content and "Sự cố bí mật của A".encode() not in content
    assert client.get(mine.get_absolute_url()).status_code == 200


def test_list_filters_serious_and_overdue(tree, users, client_for):
    system = InformationSystemFactory(unit=tree["a"], security_level=5)
    serious = report(users["member_a"], tree["a"], title="Nghiêm trọng", system=system, crit_disruption=True)
    old = report(users["member_a"], tree["a"], title="Quá hạn báo cáo", detected_at=timezone.now() - timedelta(days=6))
    client = client_for(users["coordinator"])
    listed = lambda **params: {row.record.pk for row in  # noqa: E731
                               client.get(reverse("incidents:incident_list"), params).context["table"].rows}
    assert listed(serious="true") == {serious.pk}
    assert listed(overdue="true") == {old.pk}
    assert listed(overdue="false") == {serious.pk}
    assert listed(unit_tree=tree["b"].pk) == set()
    assert listed(status="new", incident_type="ddos") == {serious.pk, old.pk}


def test_coordinators_edit_the_reporting_rules_and_the_clocks_follow(tree, users, client_for,
                                                                     django_capture_on_commit_callbacks):
    from lachan.incidents.models import ReportingRule

    incident = report(users["member_a"], tree["a"])
    rule = ReportingRule.objects.get(key="initial_report")
    url = reverse("incidents:reportingrule_edit", args=[rule.pk])
    assert client_for(users["admin_a"]).get(url).status_code == 404  # rules are the coordinators' data
    data = {"key": rule.key, "name": rule.name, "kind": "incident", "applies_to": "all", "hours": 48,
            "recipient": rule.recipient, "legal_basis": rule.legal_basis, "is_active": "on", "order": 10}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(users["coordinator"]).post(url, data)
    assert response.status_code == 302 and len(callbacks) == 1  # the clocks are refreshed after the commit
    assert incident.deadlines.get().due_at == incident.detected_at + timedelta(hours=48)
    response = client_for(users["coordinator"]).post(url, data | {"hours": ""})
    assert "hours" in response.context["form"].errors


def test_detail_page_shows_clocks_and_the_coordinators_serious_decision(tree, users, en_client_for):
    system = InformationSystemFactory(unit=tree["a"], security_level=4, operator_unit=tree["a1"])
    incident = report(users["member_a"], tree["a"], system=system, crit_loss_of_control=True,
                      detected_at=timezone.now() - timedelta(days=2))
    page = en_client_for(users["coordinator"]).get(incident.get_absolute_url()).content.decode()
    assert "Serious incident: coordinator&#x27;s decision" in page or "Serious incident: coordinator's decision" in page
    assert "Overdue by 1 d" in page  # the 24-hour clock of a serious incident, detected 2 days ago
    assert "left" in page  # the 5-day clock still runs
    assert str(tree["a1"]) in page  # the system's operator, from the inventory
    member_page = en_client_for(users["member_a"]).get(incident.get_absolute_url()).content.decode()
    assert "coordinator&#x27;s decision" not in member_page and "coordinator's decision" not in member_page
    assert reverse("incidents:incident_delete", args=[incident.pk]) not in member_page
