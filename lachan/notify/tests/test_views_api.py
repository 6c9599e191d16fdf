"""Delivery log and preferences: scope, own preferences only, targets validated."""

import pytest
from django.urls import reverse

from lachan.core.api.testing import api_client_for, ids
from lachan.notify.choices import Channel
from lachan.notify.models import NotificationPreference
from lachan.testing.factories import DeliveryFactory


@pytest.mark.django_db
def test_delivery_log_is_scoped(tree, users, client_for):
    a = DeliveryFactory(unit=tree["a"], subject="Gửi đơn vị A")
    a1 = DeliveryFactory(unit=tree["a1"], subject="Gửi đơn vị A1")
    b = DeliveryFactory(unit=tree["b"], subject="Gửi đơn vị B")
    desk = DeliveryFactory(unit=None, subject="Gửi bàn trực Sở")
    assert ids(api_client_for(users["member_a"]).get("/api/notify/deliveries/")) == {a.pk, a1.pk}
    assert ids(api_client_for(users["coordinator"]).get("/api/notify/deliveries/")) == {a.pk, a1.pk, b.pk, desk.pk}
    page = client_for(users["member_a"]).get(reverse("notify:delivery_list")).content.decode()
    assert "Gửi đơn vị A1" in page and "Gửi đơn vị B" not in page and "bàn trực Sở" not in page
    assert client_for(users["member_a"]).get(reverse("notify:delivery_detail", args=[b.pk])).status_code == 404


@pytest.mark.django_db
def test_delivery_api_hides_url_secrets(tree, users):
    row = DeliveryFactory(unit=tree["a"], channel=Channel.WEBHOOK, target="https://hooks.example.vn/T0/secret-token")
    body = api_client_for(users["member_a"]).get(f"/api/notify/deliveries/{row.pk}/").json()
    assert body["target"] == "https://hooks.example.vn/…"
    assert "secret-token" not in str(body)


@pytest.mark.django_db
def test_preferences_page_edits_only_the_users_own(users, client_for):
    client = client_for(users["member_a"])
    response = client.post(reverse("notify:preferences"), {"channel": "telegram", "target": "-100123",
                                                           "enabled": "on", "min_severity": "high"})
    assert response.status_code == 302
    mine = NotificationPreference.objects.get(user=users["member_a"])
    assert (mine.channel, mine.target, mine.min_severity) == ("telegram", "-100123", "high")
    bad = client.post(reverse("notify:preferences"), {"channel": "email", "target": "not-an-address",
                                                      "min_severity": "info"})
    assert bad.status_code == 200 and "target" in bad.context["form"].errors
    other = NotificationPreference.objects.create(user=users["admin_a"], channel="email", target="x@example.vn")
    assert client.get(reverse("notify:preference_change", args=[other.pk])).status_code == 404
    assert client.post(reverse("notify:preference_delete", args=[other.pk])).status_code == 404
    assert client.post(reverse("notify:preference_delete", args=[mine.pk])).status_code == 302
    assert not NotificationPreference.objects.filter(pk=mine.pk).exists()


@pytest.mark.django_db
def test_preferences_api_writes_only_own_rows(users, settings):
    settings.OUTBOUND_ALLOWLIST = []
    client = api_client_for(users["member_a"])
    response = client.post("/api/notify/preferences/", {"channel": "webhook", "target": "http://127.0.0.1:9/h"},
                           format="json")
    assert response.status_code == 400 and "loopback" in str(response.json()["target"])
    response = client.post("/api/notify/preferences/", {"channel": "webhook", "target": "https://hooks.example.vn/x",
                                                        "secret": "k"}, format="json")
    assert response.status_code == 201, response.json()
    assert NotificationPreference.objects.get().user == users["member_a"]
    other = NotificationPreference.objects.create(user=users["admin_a"], channel="email", target="x@example.vn")
    assert client.patch(f"/api/notify/preferences/{other.pk}/", {"enabled": False}, format="json").status_code == 404
    other.refresh_from_db()
    assert other.enabled
