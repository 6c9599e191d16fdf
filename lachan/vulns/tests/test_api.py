"""API of the vulns app: scoped reads and the finding status update."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from lachan.testing.factories import AdvisoryFactory, FindingFactory
from lachan.vulns.choices import FindingStatus


def api(client, user):
    token = Token.objects.create(user=user)
    return {"HTTP_AUTHORIZATION": f"Token {token.key}"}


@pytest.mark.django_db
def test_findings_api_is_scoped_and_status_updates(client, users, tree):
    mine = FindingFactory(unit=tree["a"], title="alpha")
    theirs = FindingFactory(unit=tree["b"], title="bravo")
    headers = api(client, users["member_a"])
    rows = client.get(reverse("vulns-finding-list"), **headers).json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    assert client.get(reverse("vulns-finding-detail", args=[theirs.pk]), **headers).status_code == 404
    url = reverse("vulns-finding-status", args=[mine.pk])
    response = client.post(url, {"status": "in_progress"}, content_type="application/json", **headers)
    assert response.status_code == 200 and response.json()["status"] == "in_progress"
    response = client.post(url, {"status": "risk_accepted"}, content_type="application/json", **headers)
    assert response.status_code == 400  # a member may not accept a risk; and no reason
    mine.refresh_from_db()
    assert mine.status == FindingStatus.IN_PROGRESS
    response = client.post(reverse("vulns-finding-status", args=[theirs.pk]), {"status": "in_progress"},
                           content_type="application/json", **headers)
    assert response.status_code == 404


@pytest.mark.django_db
def test_advisories_are_readable_by_everyone_and_kev_filter(client, users):
    AdvisoryFactory(cve_id="CVE-2021-44228", kev=True, severity="critical")
    AdvisoryFactory(cve_id="CVE-2020-0001", kev=False)
    headers = api(client, users["member_b"])
    rows = client.get(reverse("vulns-advisory-list"), {"kev": "true"}, **headers).json()["results"]
    assert [r["cve_id"] for r in rows] == ["CVE-2021-44228"]
