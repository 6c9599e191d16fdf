from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from lachan.core.api.testing import api_client_for, ids
from lachan.incidents import services
from lachan.incidents.models import Incident, IncidentEvidence
from lachan.testing.factories import InformationSystemFactory

from .helpers import exe_bytes, png_bytes

pytestmark = pytest.mark.django_db

INCIDENTS = "/api/incidents/incidents/"


def payload(unit, **extra):
    return {"unit": unit.pk, "title": "Mã độc tống tiền", "incident_type": "ransomware", "severity": "critical",
            "description": "Máy chủ tệp bị mã hóa", "detected_at": (timezone.now() - timedelta(hours=3)).isoformat()} | extra


def test_create_read_and_the_clocks(tree, users):
    system = InformationSystemFactory(unit=tree["a"], security_level=4, operator_unit=tree["a1"])
    client = api_client_for(users["member_a"])
    response = client.post(INCIDENTS, payload(tree["a"], system=system.pk, crit_data_unrecoverable=True), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["source"] == "api" and body["serious"] is True and body["version"] == 1 and body["status"] == "new"
    assert body["system_info"] == {"name": system.name, "owner": str(tree["a"]), "operator": str(tree["a1"]),
                                   "security_level": 4}
    assert {d["rule"] for d in body["deadlines"]} == {"initial_report", "serious_report"}
    detail = client.get(f"{INCIDENTS}{body['id']}/").json()
    assert detail["title"] == "Mã độc tống tiền"


def test_patch_needs_the_version_and_a_stale_one_is_409(tree, users):
    incident = services.incident_create(by=users["member_a"], unit=tree["a"], title="Sự cố", description="Mô tả",
                                        detected_at=timezone.now())
    url = f"{INCIDENTS}{incident.pk}/"
    first, second = api_client_for(users["member_a"]), api_client_for(users["admin_a"])
    response = first.patch(url, {"severity": "high"}, format="json")
    assert response.status_code == 400 and "version" in response.json()
    assert second.patch(url, {"severity": "high", "version": 1}, format="json").json()["version"] == 2
    response = first.patch(url, {"severity": "low", "title": "Ghi đè", "version": 1}, format="json")
    assert response.status_code == 409
    conflict = response.json()
    assert conflict["current_version"] == 2 and conflict["changed_by"] == str(users["admin_a"])
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.severity, stored.title) == ("high", "Sự cố")
    response = first.put(url, payload(tree["a"], version=2, title="Đầy đủ"), format="json")
    assert response.status_code == 200 and response.json()["version"] == 3
    response = first.patch(url, {"unit": tree["a1"].pk, "version": 3}, format="json")
    assert response.status_code == 400 and "unit" in response.json()


def test_transitions_events_comments_and_indicators(tree, users):
    incident = services.incident_create(by=users["member_a"], unit=tree["a"], title="Botnet", incident_type="botnet",
                                        description="IP trong danh sách botnet", detected_at=timezone.now())
    client = api_client_for(users["member_a"])
    base = f"{INCIDENTS}{incident.pk}"
    assert client.get(f"{base}/transitions/").json() == {"status": "new", "version": 1,
                                                         "allowed": ["triaged", "resolved"]}
    assert client.post(f"{base}/transitions/", {"to": "closed", "version": 1}, format="json").status_code == 400
    response = client.post(f"{base}/transitions/", {"to": "triaged", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "triaged"
    assert client.post(f"{base}/transitions/", {"to": "containment", "version": 1}, format="json").status_code == 409
    response = client.post("/api/incidents/comments/", {"incident": incident.pk, "body": "Đã cách ly máy"},
                           format="json")
    assert response.status_code == 201 and response.json()["author"] == str(users["member_a"])
    response = client.post(f"{base}/indicators/", {"kind": "domain", "value": "c2[.]example.net"}, format="json")
    assert response.status_code == 201 and response.json()["value"] == "c2.example.net"
    assert client.post(f"{base}/indicators/", {"kind": "ip", "value": "nope"}, format="json").status_code == 400
    kinds = [e["kind"] for e in client.get(f"{base}/events/").json()]
    assert kinds == ["created", "transition", "comment", "indicator"]
    assert client.delete(f"/api/incidents/comments/{incident.comments.get().pk}/").status_code == 403
    assert client.delete(f"{base}/").status_code == 403


def test_serious_override_and_mark_reported(tree, users):
    incident = services.incident_create(by=users["member_a"], unit=tree["a"], title="Lộ dữ liệu",
                                        description="Rò rỉ", detected_at=timezone.now(), personal_data_breach=True)
    base = f"{INCIDENTS}{incident.pk}"
    member, coordinator = api_client_for(users["member_a"]), api_client_for(users["coordinator"])
    assert member.post(f"{base}/serious/", {"value": True, "reason": "x", "version": 1},
                       format="json").status_code == 403
    response = coordinator.post(f"{base}/serious/", {"value": True, "reason": "Ảnh hưởng diện rộng", "version": 1},
                                format="json")
    assert response.status_code == 200 and response.json()["serious"] is True
    rules = {d["rule"]: d for d in member.get(f"{base}/deadlines/").json()}
    assert set(rules) == {"initial_report", "serious_report", "personal_data_breach"}
    response = member.post(f"{base}/deadlines/", {"rule": "personal_data_breach", "note": "Gửi A05"}, format="json")
    assert response.status_code == 200 and response.json()["done_at"]
    assert member.post(f"{base}/deadlines/", {"rule": "nope"}, format="json").status_code == 400


def test_evidence_upload_and_download_are_scoped(tree, users):
    incident = services.incident_create(by=users["member_a"], unit=tree["a"], title="Deface", description="x",
                                        detected_at=timezone.now())
    client = api_client_for(users["member_a"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/api/incidents/evidence/", {"incident": incident.pk, "description": "Ảnh chụp",
                                                        "file": SimpleUploadedFile("shot.png", png_bytes())},
                           format="multipart")
    assert response.status_code == 201, response.json()
    evidence = response.json()
    assert evidence["file_type"] == "png" and len(evidence["sha256"]) == 64
    response = client.post("/api/incidents/evidence/", {"incident": incident.pk,
                                                        "file": SimpleUploadedFile("x.pdf", exe_bytes())},
                           format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    download = f"/api/incidents/evidence/{evidence['id']}/download/"
    response = client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == png_bytes()
    other = api_client_for(users["member_b"])
    assert other.get(download).status_code == 404
    assert other.get(f"/api/incidents/evidence/{evidence['id']}/").status_code == 404
    assert ids(other.get("/api/incidents/evidence/")) == set()
    response = other.post("/api/incidents/evidence/", {"incident": incident.pk,
                                                       "file": SimpleUploadedFile("shot.png", png_bytes())},
                          format="multipart")
    assert response.status_code == 400 and "incident" in response.json()
    assert IncidentEvidence.objects.count() == 1


def test_member_b_sees_none_of_as_incidents(tree, users):
    theirs = services.incident_create(by=users["member_a"], unit=tree["a"], title="A", description="x",
                                      detected_at=timezone.now())
    services.comment_add(incident=theirs, by=users["member_a"], body="bình luận của A")
    client = api_client_for(users["member_b"])
    assert ids(client.get(INCIDENTS)) == set()
    assert ids(client.get("/api/incidents/comments/")) == set()
    for suffix in ("", "events/", "transitions/", "indicators/", "deadlines/", "serious/"):
        assert client.get(f"{INCIDENTS}{theirs.pk}/{suffix}").status_code == 404
    assert client.patch(f"{INCIDENTS}{theirs.pk}/", {"title": "x", "version": 1}, format="json").status_code == 404
    response = client.post(INCIDENTS, payload(tree["a"]), format="json")
    assert response.status_code == 400 and "unit" in response.json()
    assert ids(api_client_for(users["coordinator"]).get(INCIDENTS)) == {theirs.pk}


def test_the_openapi_schema_has_no_incident_warnings(tmp_path, capsys):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--file", str(target))
    captured = capsys.readouterr()
    mine = [line for line in (captured.err + captured.out).splitlines() if "incident" in line.lower()]
    assert not mine, "\n".join(mine)
    schema = target.read_text()
    for path in ("/api/incidents/incidents/{id}/transitions/", "/api/incidents/incidents/{id}/events/",
                 "/api/incidents/evidence/{id}/download/", "/api/incidents/comments/", "/api/incidents/rules/"):
        assert path in schema
