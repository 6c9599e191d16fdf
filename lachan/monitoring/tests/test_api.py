"""The website watch API: read-only lists in the user's scope, the POST actions (through the services) with
their scope and role rules, and the schema of the actions."""

import pytest
from django.utils import timezone

from lachan.core.api.testing import api_client_for
from lachan.monitoring.choices import AlertState, EventKind, SiteStatus, Verdict
from lachan.monitoring.models import Alert, SiteEvent, Snapshot, WatchedSite
from lachan.testing.factories import (
    AlertFactory,
    CheckFactory,
    SiteEventFactory,
    SnapshotFactory,
    WatchedSiteFactory,
    WebsiteFactory,
)

pytestmark = pytest.mark.django_db
API = "/api/monitoring"


@pytest.fixture
def data(tree):
    a = WatchedSiteFactory(unit=tree["a1"], status=SiteStatus.DOWN, verdict=Verdict.DOWN,
                           website=WebsiteFactory(unit=tree["a1"], url="https://a1.example.vn/"))
    b = WatchedSiteFactory(unit=tree["b"], status=SiteStatus.UP, verdict=Verdict.COMPROMISED,
                           website=WebsiteFactory(unit=tree["b"], url="https://b.example.vn/"))
    objects = {"a": a, "b": b}
    for key, site in list(objects.items()):
        objects[f"{key}_alert"] = AlertFactory(site=site, kind="defacement", state=AlertState.CONFIRMED,
                                               url=site.website.url, summary=f"alert {key}")
        objects[f"{key}_check"] = CheckFactory(site=site)
        objects[f"{key}_snapshot"] = SnapshotFactory(site=site, url=site.website.url, text=f"trang {key}")
        objects[f"{key}_event"] = SiteEventFactory(site=site, message=f"event {key}")
    return objects


@pytest.mark.parametrize("route, key", [("sites", "a"), ("alerts", "a_alert"), ("checks", "a_check"),
                                        ("snapshots", "a_snapshot"), ("events", "a_event")])
def test_lists_are_scoped(users, data, route, key):
    ids = {row["id"] for row in api_client_for(users["member_a"]).get(f"{API}/{route}/").json()["results"]}
    b_key = key.replace("a", "b", 1)
    assert ids == {data[key].pk}
    assert api_client_for(users["member_a"]).get(f"{API}/{route}/{data[b_key].pk}/").status_code == 404
    everyone = {row["id"] for row in api_client_for(users["auditor"]).get(f"{API}/{route}/").json()["results"]}
    assert everyone == {data[key].pk, data[b_key].pk}


def test_site_representation(users, data, tree):
    row = api_client_for(users["member_a"]).get(f"{API}/sites/{data['a'].pk}/").json()
    assert row["health"] == "down" and row["open_alert_count"] == 1 and row["site_url"] == "https://a1.example.vn/"
    assert row["unit"]["id"] == tree["a1"].pk and row["website"]["id"] == data["a"].website_id
    assert row["url"].endswith(f"/api/monitoring/sites/{data['a'].pk}/")


def test_filters(users, data, tree):
    client = api_client_for(users["coordinator"])
    ids = {r["id"] for r in client.get(f"{API}/sites/", {"verdict": "compromised"}).json()["results"]}
    assert ids == {data["b"].pk}
    ids = {r["id"] for r in client.get(f"{API}/sites/", {"unit_tree": tree["a"].pk}).json()["results"]}
    assert ids == {data["a"].pk}
    ids = {r["id"] for r in client.get(f"{API}/alerts/", {"site": data["b"].pk, "is_open": "true"}).json()["results"]}
    assert ids == {data["b_alert"].pk}


def test_acknowledge_and_false_positive(users, data):
    client = api_client_for(users["member_a"])
    alert = data["a_alert"]
    response = client.post(f"{API}/alerts/{alert.pk}/acknowledge/", {"note": "đã nhận"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "acknowledged"
    assert response.json()["acknowledged_by"]["id"] == users["member_a"].pk
    response = client.post(f"{API}/alerts/{alert.pk}/false-positive/", {}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    response = client.post(f"{API}/alerts/{alert.pk}/false-positive/", {"note": "nội dung hợp lệ"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "false_positive"
    # The service refuses a closed alert: a 400 naming the reason, nothing changes.
    response = client.post(f"{API}/alerts/{alert.pk}/acknowledge/", {}, format="json")
    assert response.status_code == 400
    assert Alert.objects.get(pk=alert.pk).state == AlertState.FALSE_POSITIVE
    assert SiteEvent.objects.filter(alert=alert, kind=EventKind.FALSE_POSITIVE).count() == 1


def test_accept_baseline_and_recheck(users, data):
    client = api_client_for(users["operator_a"])  # on-duty operators act too
    site = data["a"]
    response = client.post(f"{API}/sites/{site.pk}/accept-baseline/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert Snapshot.objects.get(site=site, is_baseline=True).pk == data["a_snapshot"].pk
    assert Alert.objects.get(pk=data["a_alert"].pk).state == AlertState.RESOLVED
    response = client.post(f"{API}/sites/{site.pk}/recheck/", format="json")
    assert response.status_code == 200
    assert WatchedSite.objects.get(pk=site.pk).next_check_at <= timezone.now()


def test_actions_outside_scope_or_role_change_nothing(users, data):
    b_alert, b_site = data["b_alert"], data["b"]
    member_a = api_client_for(users["member_a"])
    assert member_a.post(f"{API}/alerts/{b_alert.pk}/acknowledge/", {}, format="json").status_code == 404
    assert member_a.post(f"{API}/alerts/{b_alert.pk}/false-positive/", {"note": "x"}, format="json").status_code == 404
    assert member_a.post(f"{API}/sites/{b_site.pk}/accept-baseline/", {}, format="json").status_code == 404
    assert member_a.post(f"{API}/sites/{b_site.pk}/recheck/", format="json").status_code == 404
    auditor = api_client_for(users["auditor"])
    assert auditor.get(f"{API}/alerts/{b_alert.pk}/acknowledge/").status_code == 200  # reads
    assert auditor.post(f"{API}/alerts/{b_alert.pk}/acknowledge/", {}, format="json").status_code == 403
    assert auditor.post(f"{API}/sites/{b_site.pk}/recheck/", format="json").status_code == 403
    assert Alert.objects.get(pk=b_alert.pk).state == AlertState.CONFIRMED
    assert WatchedSite.objects.get(pk=b_site.pk).next_check_at is None
    assert not Snapshot.objects.filter(site=b_site, is_baseline=True).exists()
    # Read-only endpoints: no writes at all.
    assert member_a.delete(f"{API}/sites/{data['a'].pk}/").status_code in (403, 405)
    assert member_a.patch(f"{API}/alerts/{data['a_alert'].pk}/", {"state": "resolved"}, format="json").status_code \
        in (403, 405)


def test_schema_describes_the_actions(users):
    schema = api_client_for(users["member_a"]).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path in ("/api/monitoring/sites/", "/api/monitoring/alerts/{id}/false-positive/",
                 "/api/monitoring/alerts/{id}/acknowledge/", "/api/monitoring/sites/{id}/accept-baseline/",
                 "/api/monitoring/sites/{id}/recheck/", "/api/monitoring/checks/", "/api/monitoring/snapshots/",
                 "/api/monitoring/events/"):
        assert path in paths, path
    body = paths["/api/monitoring/alerts/{id}/false-positive/"]["post"]["requestBody"]["content"]["application/json"]
    ref = body["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][ref]["required"] == ["note"]
    assert "post" not in paths["/api/monitoring/sites/"] and "put" not in paths["/api/monitoring/sites/{id}/"]
