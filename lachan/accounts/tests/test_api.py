import pytest
from auditlog.models import LogEntry

from lachan.accounts.choices import Role
from lachan.accounts.models import User
from lachan.core.api.testing import api_client_for, ids
from lachan.testing.factories import UserFactory

USERS = "/api/accounts/users/"
PASSWORD = "Bao-mat-thong-tin-2024"



def new_user(unit, **extra):
    return {"username": "nguyen.van.moi", "first_name": "Mới", "last_name": "Nguyễn Văn", "email": "moi@a1.gov.vn",
            "unit": unit.pk, "role": Role.UNIT_MEMBER, "password": PASSWORD, **extra}


@pytest.mark.django_db
def test_unit_admin_creates_a_user_in_their_subtree(tree, users):
    client = api_client_for(users["admin_a"])
    response = client.post(USERS, new_user(tree["a1"], phone="0912345678", is_active=False), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert "password" not in body
    assert body["unit"]["id"] == tree["a1"].pk
    user = User.objects.get(username="nguyen.van.moi")
    assert user.check_password(PASSWORD)
    assert (user.phone, user.is_active, user.role) == ("0912345678", False, Role.UNIT_MEMBER)
    entry = LogEntry.objects.get(content_type__model="user", object_pk=str(user.pk), action=LogEntry.Action.CREATE)
    assert entry.actor == users["admin_a"]
    assert "password" not in entry.changes_dict


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.AUDITOR])
def test_unit_admin_cannot_create_global_roles(tree, users, role):
    response = api_client_for(users["admin_a"]).post(USERS, new_user(tree["a"], role=role), format="json")
    assert response.status_code == 400
    assert "role" in response.json()
    assert not User.objects.filter(username="nguyen.van.moi").exists()


@pytest.mark.django_db
def test_unit_admin_cannot_promote_anybody(tree, users):
    client = api_client_for(users["admin_a"])
    member = users["member_a"]
    response = client.patch(f"{USERS}{member.pk}/", {"role": Role.AUDITOR}, format="json")
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.role == Role.UNIT_MEMBER
    assert client.patch(f"{USERS}{member.pk}/", {"role": Role.OPERATOR}, format="json").status_code == 200


@pytest.mark.django_db
def test_unit_admin_cannot_touch_accounts_above_them(tree, users):
    """A coordinator, auditor or superuser placed in unit A is inside admin A's scope, but not theirs to change."""
    client = api_client_for(users["admin_a"])
    for target in (
        UserFactory(role=Role.AUDITOR, unit=tree["a"]),
        UserFactory(role=Role.COORDINATOR, unit=tree["a1"]),
        UserFactory(role=Role.UNIT_MEMBER, unit=tree["a"], is_superuser=True),
    ):
        url = f"{USERS}{target.pk}/"
        assert client.get(url).status_code == 200
        assert client.patch(url, {"password": "Chiem-quyen-2024!"}, format="json").status_code == 403
        assert client.delete(url).status_code == 403
        target.refresh_from_db()
        assert not target.check_password("Chiem-quyen-2024!")


@pytest.mark.django_db
def test_coordinator_creates_any_role(tree, users):
    client = api_client_for(users["coordinator"])
    response = client.post(USERS, new_user(tree["root"], role=Role.AUDITOR, username="kiem.toan"), format="json")
    assert response.status_code == 201, response.json()
    assert User.objects.get(username="kiem.toan").role == Role.AUDITOR


@pytest.mark.django_db
def test_users_cannot_be_placed_in_another_unit(tree, users):
    client = api_client_for(users["admin_a"])
    response = client.post(USERS, new_user(tree["b"]), format="json")
    assert response.status_code == 400
    assert "unit" in response.json()
    response = client.patch(f"{USERS}{users['member_a'].pk}/", {"unit": tree["b"].pk}, format="json")
    assert response.status_code == 400
    assert client.patch(f"{USERS}{users['member_b'].pk}/", {"first_name": "x"}, format="json").status_code == 404
    response = client.post(USERS, new_user(tree["a"]) | {"unit": None}, format="json")
    assert response.status_code == 400
    assert "unit" in response.json()


@pytest.mark.django_db
def test_password_is_required_and_validated(tree, users):
    client = api_client_for(users["admin_a"])
    data = new_user(tree["a"])
    del data["password"]
    assert "password" in client.post(USERS, data, format="json").json()
    for weak in ("12345678901", "password123", "nguyen.van.moi", "short"):
        response = client.post(USERS, new_user(tree["a"], password=weak), format="json")
        assert response.status_code == 400, weak
        assert "password" in response.json()
    assert not User.objects.filter(username="nguyen.van.moi").exists()


@pytest.mark.django_db
def test_password_change_keeps_it_write_only(tree, users):
    client = api_client_for(users["admin_a"])
    url = f"{USERS}{users['member_a'].pk}/"
    assert client.patch(url, {"password": "123"}, format="json").status_code == 400
    response = client.patch(url, {"password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert "password" not in response.json()
    users["member_a"].refresh_from_db()
    assert users["member_a"].check_password(PASSWORD)
    # Without a password the current one stays.
    assert client.patch(url, {"first_name": "Thành"}, format="json").status_code == 200
    users["member_a"].refresh_from_db()
    assert users["member_a"].check_password(PASSWORD)


@pytest.mark.django_db
def test_duplicate_username_is_a_validation_error(tree, users):
    response = api_client_for(users["admin_a"]).post(USERS, new_user(tree["a"], username="member_a"), format="json")
    assert response.status_code == 400
    assert "username" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["member_a", "operator_a", "auditor"])
def test_other_roles_cannot_manage_users(tree, users, role):
    client = api_client_for(users[role])
    assert client.get(USERS).status_code == 200
    assert client.post(USERS, new_user(tree["a"]), format="json").status_code == 403
    assert client.patch(f"{USERS}{users['member_a'].pk}/", {"first_name": "x"}, format="json").status_code == 403
    assert client.delete(f"{USERS}{users['operator_a'].pk}/").status_code == 403
    assert User.objects.filter(pk=users["operator_a"].pk).exists()


@pytest.mark.django_db
def test_users_listed_by_scope_with_filters(tree, users):
    UserFactory(username="a1.user", unit=tree["a1"], role=Role.OPERATOR, first_name="Hoàng")
    client = api_client_for(users["member_a"])
    names = lambda r: {row["username"] for row in r.json()["results"]}  # noqa: E731
    assert names(client.get(USERS)) == {"admin_a", "member_a", "operator_a", "a1.user"}
    assert names(client.get(USERS, {"role": Role.OPERATOR})) == {"operator_a", "a1.user"}
    assert names(client.get(USERS, {"unit": tree["a1"].pk})) == {"a1.user"}
    assert names(client.get(USERS, {"q": "hoàng"})) == {"a1.user"}
    assert client.get(USERS, {"unit_tree": tree["b"].pk}).status_code == 400
    assert users["member_b"].pk not in ids(client.get(USERS, {"limit": 1000}))
    assert len(ids(api_client_for(users["auditor"]).get(USERS))) == User.objects.count()


@pytest.mark.django_db
def test_unit_admin_deletes_a_user(tree, users):
    target = UserFactory(unit=tree["a1"])
    assert api_client_for(users["admin_a"]).delete(f"{USERS}{target.pk}/").status_code == 204
    assert not User.objects.filter(pk=target.pk).exists()
