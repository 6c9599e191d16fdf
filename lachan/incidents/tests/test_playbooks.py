"""Playbooks: the checklists as data, attached by type when an incident is filed, ticked step by step."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lachan.incidents import playbook_data, playbooks, services, taxonomy
from lachan.incidents.choices import EventKind

pytestmark = pytest.mark.django_db


def report(user, unit, incident_type="defacement"):
    return services.incident_create(by=user, unit=unit, title="Sự cố", incident_type=incident_type,
                                    description="Mô tả", detected_at=timezone.now())


def test_every_playbook_is_a_real_checklist():
    phases = {key for key, _name in playbook_data.PHASES}
    keys = [p["key"] for p in playbook_data.PLAYBOOKS]
    assert set(keys) == {"ransomware", "defacement", "ddos", "data_leak", "botnet", "phishing", "generic"}
    for playbook in playbook_data.PLAYBOOKS:
        assert 8 <= len(playbook["steps"]) <= 15, playbook["key"]
        assert {phase for phase, _text in playbook["steps"]} <= phases
        assert any("VNCERT/CC" in text for _phase, text in playbook["steps"]), playbook["key"]
    # every incident type has a playbook, and only one
    for incident_type in taxonomy.BY_KEY:
        owners = [p["key"] for p in playbook_data.PLAYBOOKS if incident_type in p["types"]]
        assert len(owners) == 1, incident_type
    assert playbooks.for_type("malware") == "botnet" and playbooks.for_type("intrusion") == "generic"


def test_a_new_incident_gets_the_playbook_of_its_type(tree, users):
    incident = report(users["member_a"], tree["a"], "defacement")
    [attached] = incident.playbooks.all()
    assert attached.key == "defacement" and attached.attached_by == users["member_a"]
    texts = list(attached.steps.values_list("text", flat=True))
    assert len(texts) == 12 and texts[0].startswith("Chụp lại giao diện bị thay đổi")
    assert any(t.startswith("Kiểm tra webshell") for t in texts)
    assert [e.kind for e in incident.events.all()] == [EventKind.CREATED]  # the automatic attach adds no event
    assert playbooks.progress(incident) == playbooks.Progress(0, 12)


def test_ticking_steps_records_who_when_and_the_timeline(tree, users):
    incident = report(users["member_a"], tree["a"], "ransomware")
    first, second = incident.playbooks.get().steps.all()[:2]
    playbooks.step_tick(incident, by=users["operator_a"], step_id=first.pk, note="Đã kiểm tra bản sao lưu")
    first.refresh_from_db()
    assert first.done_by == users["operator_a"] and first.done_at is not None
    assert first.note == "Đã kiểm tra bản sao lưu"
    event = incident.events.get(kind=EventKind.PLAYBOOK)
    assert event.actor == users["operator_a"] and event.changes == {"playbook": "ransomware", "step": 1, "done": True}
    assert "Đã kiểm tra bản sao lưu" in event.message
    playbooks.step_tick(incident, by=users["member_a"], step_id=second.pk)
    assert playbooks.progress(incident) == playbooks.Progress(2, 13)
    assert playbooks.progress(incident).percent == 15
    playbooks.step_tick(incident, by=users["member_a"], step_id=second.pk, done=False)
    assert playbooks.progress(incident).done == 1
    assert incident.events.filter(kind=EventKind.PLAYBOOK).count() == 3
    other = report(users["member_b"], tree["b"])
    foreign = other.playbooks.get().steps.first()
    with pytest.raises(ValidationError, match="does not belong"):
        playbooks.step_tick(incident, by=users["member_a"], step_id=foreign.pk)


def test_attaching_another_playbook(tree, users):
    incident = report(users["member_a"], tree["a"], "data_leak")
    playbooks.playbook_attach(incident, by=users["member_a"], key="phishing")
    assert sorted(incident.playbooks.values_list("key", flat=True)) == ["data_leak", "phishing"]
    assert incident.events.filter(kind=EventKind.PLAYBOOK).count() == 1
    with pytest.raises(ValidationError, match="already attached"):
        playbooks.playbook_attach(incident, by=users["member_a"], key="phishing")
    with pytest.raises(ValidationError, match="Unknown playbook"):
        playbooks.playbook_attach(incident, by=users["member_a"], key="nope")


def test_the_incident_page_shows_and_ticks_the_playbook(tree, users, en_client_for):
    incident = report(users["member_a"], tree["a"], "ddos")
    step = incident.playbooks.get().steps.get(order=5)
    client = en_client_for(users["member_a"])
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Ứng cứu sự cố tấn công từ chối dịch vụ (DDoS)" in page and "0/11 · 0%" in page
    response = client.post(reverse("incidents:incident_playbook_step", args=[incident.pk]),
                           {"step": step.pk, "done": "1", "note": "ISP đã bật lọc"})
    assert response.status_code == 302
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "1/11 · 9%" in page and "ISP đã bật lọc" in page
    outsider = en_client_for(users["member_b"])
    assert outsider.post(reverse("incidents:incident_playbook_step", args=[incident.pk]),
                         {"step": step.pk, "done": "0"}).status_code == 404
    step.refresh_from_db()
    assert step.done_at is not None


def test_the_api_lists_attaches_and_ticks(tree, users):
    incident = report(users["member_a"], tree["a"], "botnet")
    api = APIClient()
    api.force_authenticate(users["member_a"])
    url = f"/api/incidents/incidents/{incident.pk}/playbooks/"
    [listed] = api.get(url).json()
    assert listed["key"] == "botnet" and (listed["done"], listed["total"]) == (0, 10)
    step_id = listed["steps"][1]["id"]
    [ticked] = api.post(url, {"step": step_id, "note": "Đã cách ly"}, format="json").json()
    assert ticked["done"] == 1 and ticked["steps"][1]["done_by"] == str(users["member_a"])
    assert ticked["steps"][1]["phase_name"] == "Ngăn chặn, loại bỏ và khôi phục"
    both = api.post(url, {"key": "generic"}, format="json").json()
    assert [p["key"] for p in both] == ["botnet", "generic"]
    assert api.post(url, {"key": "generic"}, format="json").status_code == 400
    assert api.post(url, {}, format="json").status_code == 400
    outsider = APIClient()
    outsider.force_authenticate(users["member_b"])
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, {"step": step_id, "done": False}, format="json").status_code == 404
