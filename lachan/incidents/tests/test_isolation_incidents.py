"""The project's isolation sweep (``lachan/core/tests/test_isolation.py``) run on the incident routes alone —
incidents, comments, evidence (and its downloads), reporting rules, UI and API — so that a leak here is
reported even while other apps' routes are being built."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from lachan.core.tests.test_isolation import make_world, run_sweep
from lachan.incidents.models import Incident, IncidentComment, IncidentEvidence, ReportingRule


def incident_route(route):
    name = route.name or ""
    return name.startswith("incidents:") or name.startswith("incidents-")


@pytest.fixture
def world(tree, users):
    return make_world(tree, users)


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["member_a", "admin_a", "operator_a"])
def test_no_incident_route_reveals_or_touches_bs_objects(client, world, username):
    sweep = run_sweep(client, world, world.users[username], only=incident_route)
    assert not sweep.problems, "\n".join(sweep.problems)
    reached = set().union(*(models for kind, models in sweep.visited.items() if kind != "non-object"))
    assert {Incident, IncidentComment, IncidentEvidence, ReportingRule} <= reached
    for kind in ("ui-list", "ui-detail", "ui-edit", "ui-add", "ui-delete", "ui-other", "api"):
        assert sweep.visited.get(kind), kind


@pytest.mark.django_db
def test_the_coordinator_sees_bs_incident_objects(client, world):
    coordinator = world.users["coordinator"]
    client.force_login(coordinator)
    token = Token.objects.create(user=coordinator)
    for model in (Incident, IncidentComment, IncidentEvidence):
        obj = world.b[model]
        name = model._meta.model_name
        page = client.get(reverse(f"incidents:{name}_list"), {"per_page": 500}).content.decode()
        assert f'href="{obj.get_absolute_url()}"' in page, model
        assert client.get(obj.get_absolute_url()).status_code == 200
        api = client.get(reverse(f"incidents-{name}-list"), {"limit": 1000}, HTTP_AUTHORIZATION=f"Token {token.key}")
        assert obj.pk in {row["id"] for row in api.json()["results"]}, model
    download = client.get(reverse("incidents:incidentevidence_download", args=[world.b[IncidentEvidence].pk]))
    assert download.status_code == 200
