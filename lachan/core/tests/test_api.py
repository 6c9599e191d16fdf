"""The API as a whole: authentication, root, pagination, schema, docs, audit actor, query counts."""

import io
import re

import pytest
from auditlog.models import LogEntry
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from lachan.core.api.router import API_APPS
from lachan.core.api.testing import api_client_for
from lachan.inventory.models import Host
from lachan.testing.factories import FACTORIES, HostFactory, InformationSystemFactory, make_for_unit

HOSTS = "/api/inventory/hosts/"




@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/", HOSTS, "/api/organizations/units/", "/api/accounts/users/",
                                 "/api/inventory/prefixes/1/", "/api/schema/"])
def test_requests_without_credentials_are_refused(url):
    response = APIClient().get(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


@pytest.mark.django_db
def test_docs_page_needs_a_login():
    assert APIClient().get("/api/docs/").status_code == 401


@pytest.mark.django_db
def test_a_wrong_or_inactive_token_is_refused(users):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert client.get(HOSTS).status_code == 401
    client = api_client_for(users["member_a"])
    users["member_a"].is_active = False
    users["member_a"].save()
    assert client.get(HOSTS).status_code == 401


@pytest.mark.django_db
def test_writes_without_credentials_create_nothing(tree):
    response = APIClient().post(HOSTS, {"unit": tree["a"].pk, "hostname": "x"}, format="json")
    assert response.status_code == 401
    assert not Host.objects.exists()


@pytest.mark.django_db
def test_token_from_the_command_line_authenticates(users, tree):
    HostFactory(unit=tree["a"], hostname="cli-host")
    out = io.StringIO()
    call_command("token", "create", "member_a", stdout=out)
    key = out.getvalue().strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get(HOSTS)
    assert response.status_code == 200
    assert [row["hostname"] for row in response.json()["results"]] == ["cli-host"]


@pytest.mark.django_db
def test_session_authentication_for_the_browsable_api(users, client_for):
    client = client_for(users["member_a"])
    assert client.get(HOSTS).status_code == 200
    response = client.get(HOSTS, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "text/html" in response["Content-Type"]
    # Session writes need the CSRF token like any form.
    csrf_client = APIClient(enforce_csrf_checks=True)
    csrf_client.force_login(users["member_a"])
    assert csrf_client.post(HOSTS, {"unit": users["member_a"].unit_id, "hostname": "x"}, format="json").status_code == 403


@pytest.mark.django_db
def test_root_lists_every_endpoint(users):
    response = api_client_for(users["member_a"]).get("/api/")
    assert response.status_code == 200
    endpoints = response.json()
    expected = {
        "organizations/units", "organizations/groups", "organizations/contacts", "organizations/directory",
        "accounts/users", "inventory/systems", "inventory/hosts", "inventory/prefixes", "inventory/domains",
        "inventory/websites", "inventory/software",
        "intel/feeds", "intel/unmapped", "intel/cases", "intel/imports", "intel/uploads", "intel/indicators",
        "intel/sightings", "intel/asns", "intel/notifications",
        "vulns/advisories", "vulns/findings", "vulns/scans", "vulns/campaigns", "vulns/answers",
        "vulns/advisory-imports", "vulns/aliases", "vulns/sla",
        "directives/directives", "directives/dispatches", "directives/answers",
        "monitoring/sites", "monitoring/alerts", "monitoring/checks", "monitoring/snapshots", "monitoring/events",
        "incidents/incidents", "incidents/comments", "incidents/evidence", "incidents/rules", "incidents/plans",
        "incidents/reports",
        "notify/deliveries", "notify/preferences", "oncall/schedules", "oncall/on-duty", "oncall/rotations",
        "oncall/overrides", "oncall/handovers", "oncall/policies", "oncall/rules", "oncall/escalations",
    }
    assert set(endpoints) == expected
    assert {key.split("/")[0] for key in endpoints} == set(API_APPS)
    for url in endpoints.values():
        assert url.startswith("http://testserver/api/")


@pytest.mark.django_db
def test_every_model_has_an_endpoint():
    for model in FACTORIES:
        meta = model._meta
        assert reverse(f"{meta.app_label}-{meta.model_name}-list").startswith("/api/")


@pytest.mark.django_db
def test_lists_are_paginated_by_limit_and_offset(tree, users):
    HostFactory.create_batch(60, unit=tree["a"])
    client = api_client_for(users["member_a"])
    page = client.get(HOSTS).json()
    assert page["count"] == 60
    assert len(page["results"]) == 50
    assert "limit=50" in page["next"] and "offset=50" in page["next"]
    last = client.get(HOSTS, {"limit": 10, "offset": 55}).json()
    assert len(last["results"]) == 5
    assert last["next"] is None


@pytest.mark.django_db
def test_every_list_is_paginated(tree, users):
    client = api_client_for(users["coordinator"])
    for model in FACTORIES:
        meta = model._meta
        body = client.get(reverse(f"{meta.app_label}-{meta.model_name}-list"), {"limit": 1}).json()
        assert set(body) == {"count", "next", "previous", "results"}, model
        assert len(body["results"]) <= 1


@pytest.mark.django_db
def test_schema_generates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = target.read_text()
    assert "/api/inventory/prefixes/{id}/" in schema
    assert "tokenAuth" in schema


@pytest.mark.django_db
def test_schema_endpoint(users):
    response = api_client_for(users["member_a"]).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/accounts/users/" in schema["paths"]
    # Relations: a primary key in requests, a brief object in responses.
    host_request = schema["components"]["schemas"]["HostRequest"]["properties"]
    assert host_request["unit"]["type"] == "integer"
    unit_schema = schema["components"]["schemas"]["Host"]["properties"]["unit"]
    # in Vietnamese the translated title ("Đơn vị") differs from the component's, so it is wrapped in allOf
    assert unit_schema.get("$ref", (unit_schema.get("allOf") or [{}])[0].get("$ref")) == "#/components/schemas/Brief"


@pytest.mark.django_db
def test_docs_page_is_served_locally(users, client_for):
    response = client_for(users["member_a"]).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert references
    for ref in references:
        assert ref.startswith("/static/"), ref
        assert finders.find(ref.removeprefix("/static/")), ref
    assert "cdn" not in html.lower()
    assert "/api/schema/" in html


@pytest.mark.django_db
def test_audit_log_records_the_token_user(tree, users):
    """AuditlogMiddleware runs before DRF authenticates the token; the viewset sets the actor."""
    user = users["member_a"]
    client = api_client_for(user)
    response = client.post(HOSTS, {"unit": tree["a"].pk, "hostname": "audited"}, format="json",
                           REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 201
    host = Host.objects.get(pk=response.json()["id"])
    assert client.patch(f"{HOSTS}{host.pk}/", {"os": "Debian 12"}, format="json").status_code == 200
    assert client.delete(f"{HOSTS}{host.pk}/").status_code == 204
    entries = LogEntry.objects.filter(object_pk=str(host.pk), content_type__model="host").order_by("timestamp")
    assert [e.action for e in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE]
    assert all(e.actor == user for e in entries)
    assert entries[0].remote_addr == "192.0.2.9"


@pytest.mark.django_db
def test_audit_log_records_the_session_user(tree, users, client_for):
    client = client_for(users["admin_a"])
    response = client.post("/api/organizations/units/", {"code": "A2", "name": "Đơn vị A2", "parent": tree["a"].pk},
                           content_type="application/json")
    assert response.status_code == 201
    entry = LogEntry.objects.get(object_pk=str(response.json()["id"]), content_type__model="unit",
                                 action=LogEntry.Action.CREATE)
    assert entry.actor == users["admin_a"]


@pytest.mark.django_db
def test_deleting_an_object_still_in_use_is_a_conflict(tree, users):
    InformationSystemFactory(unit=tree["a1"])
    response = api_client_for(users["admin_a"]).delete(f"/api/organizations/units/{tree['a1'].pk}/")
    assert response.status_code == 409
    assert "information systems" in response.json()["detail"].lower() or "hệ thống" in response.json()["detail"]
    assert tree["a1"].__class__.objects.filter(pk=tree["a1"].pk).exists()


def _list_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"limit": 100}).status_code == 200
    return len(queries)


def _add_objects(tree, n):
    """``n`` objects of every model in A and in A1, with every relation the API shows filled in."""
    for unit in (tree["a"], tree["a1"]):
        for _ in range(n):
            system = InformationSystemFactory(unit=unit, operator_unit=unit)
            host = HostFactory(unit=unit, system=system)
            related = {"system": system, "host": host}
            for model in FACTORIES:
                names = {f.name for f in model._meta.concrete_fields}
                obj = make_for_unit(model, unit, **{k: v for k, v in related.items() if k in names})
                for m2m in model._meta.many_to_many:
                    if m2m.related_model in FACTORIES:
                        getattr(obj, m2m.name).add(make_for_unit(m2m.related_model, unit))


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_the_page(tree, users):
    client = api_client_for(users["coordinator"])
    urls = {model: reverse(f"{model._meta.app_label}-{model._meta.model_name}-list") for model in FACTORIES}
    _add_objects(tree, 1)
    few = {model.__name__: _list_queries(client, url) for model, url in urls.items()}
    _add_objects(tree, 4)
    many = {model.__name__: _list_queries(client, url) for model, url in urls.items()}
    assert few == many


@pytest.mark.django_db
def test_a_session_without_the_second_factor_cannot_use_the_api(tree, users, client_for, settings):
    """Session authentication serves the browsable API; it must not be a way around the second factor."""
    settings.TWO_FACTOR_REQUIRED_ROLES = ["coordinator"]
    HostFactory(unit=tree["b"])
    response = client_for(users["coordinator"]).get(HOSTS)
    assert response.status_code == 403
    assert "results" not in response.json()
    # Scripts use tokens issued by an administrator.
    assert api_client_for(users["coordinator"]).get(HOSTS).json()["count"] == 1


@pytest.mark.django_db
def test_browsable_form_preselects_the_current_relations(tree, users, client_for):
    """A PUT from the browsable API's HTML form must not silently move the object to the first unit listed."""
    system = InformationSystemFactory(unit=tree["a1"])
    host = HostFactory(unit=tree["a1"], system=system)
    html = client_for(users["admin_a"]).get(f"{HOSTS}{host.pk}/", {"format": "api"}).content.decode()
    selected = re.findall(r'<option value="(\d+)"\s*selected', html)
    assert str(tree["a1"].pk) in selected
    assert str(system.pk) in selected
    assert 'value="%d"' % tree["b"].pk not in html
