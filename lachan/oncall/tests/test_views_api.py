"""Pages and API of the duty roster: scope (unit schedules to the unit, the coordinator desk to
coordinators and auditors), the on-duty panel, acknowledging through UI and API."""

import datetime as dt

import pytest
from django.urls import reverse

from lachan.core.api.testing import api_client_for, ids
from lachan.oncall import services as oncall
from lachan.oncall.choices import EscalationStatus, StepTarget
from lachan.oncall.context import on_duty_panel
from lachan.oncall.models import EscalationPolicy, EscalationRule, Rotation, Schedule


@pytest.fixture
def desks(tree, users):
    a = Schedule.objects.create(name="Trực đơn vị A", unit=tree["a"])
    b = Schedule.objects.create(name="Trực đơn vị B", unit=tree["b"])
    hub = Schedule.objects.create(name="Trực Sở", unit=None)
    rotation = Rotation.objects.create(schedule=a, name="24h", start_date=dt.date(2020, 1, 1),
                                       shift_start=dt.time(0, 0), shift_end=dt.time(0, 0))
    oncall.rotation_set_participants(rotation, [users["operator_a"]])
    return {"a": a, "b": b, "hub": hub}


@pytest.fixture
def page(tree, users, desks):
    policy = EscalationPolicy.objects.create(name="A", unit=tree["a"])
    EscalationRule.objects.create(policy=policy, target=StepTarget.ON_DUTY, schedule=desks["a"], wait_minutes=5)
    return oncall.escalate("incident:1", policy=policy, subject="Sự cố A", body="b", unit=tree["a"])


@pytest.mark.django_db
def test_schedules_are_scoped_and_the_coordinator_desk_is_for_coordinators(users, desks):
    assert ids(api_client_for(users["member_a"]).get("/api/oncall/schedules/")) == {desks["a"].pk}
    assert ids(api_client_for(users["member_b"]).get("/api/oncall/schedules/")) == {desks["b"].pk}
    assert ids(api_client_for(users["auditor"]).get("/api/oncall/schedules/")) == {s.pk for s in desks.values()}
    assert api_client_for(users["member_a"]).get(f"/api/oncall/schedules/{desks['hub'].pk}/").status_code == 404
    # A unit user cannot create a coordinator-desk schedule (no unit).
    response = api_client_for(users["member_a"]).post("/api/oncall/schedules/", {"name": "x", "unit": None},
                                                     format="json")
    assert response.status_code == 400 and "unit" in response.json()


@pytest.mark.django_db
def test_on_duty_now_api_and_page(users, desks, client_for):
    rows = api_client_for(users["member_a"]).get("/api/oncall/on-duty/").json()["results"]
    assert [(r["id"], [u["display"] for u in r["users"]], r["source"]) for r in rows] == [
        (desks["a"].pk, [str(users["operator_a"])], "regular")]
    response = client_for(users["member_a"]).get(reverse("oncall:schedule_detail", args=[desks["a"].pk]))
    assert response.status_code == 200
    assert len(response.context["week"]) == 1  # one 24 h rotation of one person: a single row for 7 days
    assert str(users["operator_a"]) in response.content.decode()


@pytest.mark.django_db
def test_on_duty_panel_lists_only_visible_schedules(users, desks, page, rf):
    from django.template.loader import render_to_string

    context = on_duty_panel(users["member_a"])
    assert [row[0] for row in context["oncall_panel"]["rows"]] == [desks["a"]]
    assert context["oncall_panel"]["active_escalations"] == 1
    html = render_to_string("oncall/_on_duty_panel.html", context)
    assert "Trực đơn vị A" in html and "Trực đơn vị B" not in html and str(users["operator_a"]) in html
    coordinator = on_duty_panel(users["coordinator"])["oncall_panel"]["rows"]
    assert [row[0] for row in coordinator][0] == desks["hub"]  # the coordinator desk first
    assert on_duty_panel(users["member_b"])["oncall_panel"]["active_escalations"] == 0


@pytest.mark.django_db
def test_acknowledge_through_the_api(users, page):
    url = f"/api/oncall/escalations/{page.pk}/acknowledge/"
    assert api_client_for(users["member_b"]).post(url, {}, format="json").status_code == 404  # other unit
    assert api_client_for(users["auditor"]).post(url, {}, format="json").status_code == 403  # read-only role
    response = api_client_for(users["operator_a"]).post(url, {"note": "đã nhận"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == EscalationStatus.ACKNOWLEDGED and body["ack_note"] == "đã nhận"
    assert [s["notified"] for s in body["steps"]] == [[str(users["operator_a"])]]
    assert api_client_for(users["operator_a"]).post(url, {}, format="json").status_code == 409  # already done


@pytest.mark.django_db
def test_acknowledge_through_the_page(users, page, client_for):
    client = client_for(users["operator_a"])
    detail = client.get(reverse("oncall:escalation_detail", args=[page.pk]))
    assert detail.status_code == 200 and detail.context["can_ack"]
    response = client.post(reverse("oncall:escalation_ack", args=[page.pk]), {"note": "ok"})
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.status == EscalationStatus.ACKNOWLEDGED and page.acknowledged_by == users["operator_a"]
    assert client_for(users["member_b"]).post(reverse("oncall:escalation_ack", args=[page.pk])).status_code == 404


@pytest.mark.django_db
def test_rotation_form_keeps_the_turn_order_and_refuses_unknown_users(users, desks, client_for):
    client = client_for(users["admin_a"])
    data = {"schedule": desks["a"].pk, "name": "Ngày", "layer": "regular", "start_date": "02/03/2026",
            "shift_start": "07:30", "shift_end": "19:30", "length_days": 1,
            "participants_text": "member_a\nadmin_a\noperator_a"}
    response = client.post(reverse("oncall:rotation_add"), data)
    assert response.status_code == 302, response.context["form"].errors
    rotation = Rotation.objects.get(name="Ngày")
    assert [u.username for u in rotation.ordered_participants()] == ["member_a", "admin_a", "operator_a"]
    response = client.post(reverse("oncall:rotation_add"), data | {"name": "x", "participants_text": "member_b"})
    assert response.status_code == 200 and "member_b" in str(response.context["form"].errors)
    assert not Rotation.objects.filter(name="x").exists()
