import pytest
from django.urls import reverse

from lachan.testing.factories import InformationSystemFactory, UnitFactory


@pytest.fixture
def many_units(tree):
    return [UnitFactory(name=f"Trường THPT số {i}", parent=tree["a"]) for i in range(6)] + [
        UnitFactory(name=f"Trường THPT ngoài phạm vi {i}", parent=tree["b"]) for i in range(6)
    ]


@pytest.mark.django_db
def test_long_choice_lists_render_as_search_box_with_only_the_selected_option(settings, many_units, users, client_for):
    settings.AUTOCOMPLETE_THRESHOLD = 3
    body = client_for(users["coordinator"]).get(reverse("inventory:informationsystem_add")).content.decode()
    assert 'class="lc-autocomplete"' in body
    assert "Trường THPT số 3" not in body  # not 2,000 options in the page
    assert reverse("core:autocomplete") in body


@pytest.mark.django_db
def test_short_lists_stay_plain_selects(settings, tree, users, client_for):
    settings.AUTOCOMPLETE_THRESHOLD = 100
    body = client_for(users["member_a"]).get(reverse("inventory:informationsystem_add")).content.decode()
    assert "lc-autocomplete" not in body
    assert "Đơn vị A1" in body


@pytest.mark.django_db
def test_autocomplete_offers_only_units_in_scope(many_units, users, client_for):
    client = client_for(users["member_a"])
    body = client.get(reverse("core:autocomplete"), {"model": "organizations.unit", "term": "THPT"}).content.decode()
    assert body.count("<option") == 1 + 6
    assert "ngoài phạm vi" not in body
    coordinator = client_for(users["coordinator"])
    body = coordinator.get(reverse("core:autocomplete"), {"model": "organizations.unit", "term": "THPT"}).content.decode()
    assert body.count("<option") == 1 + 12


@pytest.mark.django_db
def test_autocomplete_escapes_and_refuses_unknown_models(tree, users, client_for):
    InformationSystemFactory(unit=tree["a"], name="<img src=x onerror=alert(1)>")
    client = client_for(users["member_a"])
    body = client.get(reverse("core:autocomplete"), {"model": "inventory.informationsystem", "term": "img"}).content.decode()
    assert "<img" not in body and "&lt;img" in body
    assert client.get(reverse("core:autocomplete"), {"model": "accounts.user"}).status_code == 404
    assert client.get(reverse("core:autocomplete"), {"model": "auditlog.logentry"}).status_code == 404


@pytest.mark.django_db
def test_posting_a_unit_outside_scope_through_the_search_box_is_refused(settings, many_units, tree, users, client_for):
    settings.AUTOCOMPLETE_THRESHOLD = 3
    client = client_for(users["member_a"])
    response = client.post(reverse("inventory:informationsystem_add"),
                           {"unit": tree["b"].pk, "name": "Hệ thống lạc chỗ", "status": "operating"})
    assert response.status_code == 200
    assert "lc-autocomplete" in response.content.decode()
    from lachan.inventory.models import InformationSystem

    assert not InformationSystem.objects.filter(name="Hệ thống lạc chỗ").exists()
