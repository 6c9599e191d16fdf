import pytest

from lachan.core.api.testing import api_client_for, ids
from lachan.organizations.models import Contact, ExternalContact, Unit, UnitGroup
from lachan.testing.factories import ContactFactory, ExternalContactFactory, UnitFactory, UnitGroupFactory

UNITS = "/api/organizations/units/"
GROUPS = "/api/organizations/groups/"
CONTACTS = "/api/organizations/contacts/"
DIRECTORY = "/api/organizations/directory/"




def codes(response):
    return {row["code"] for row in response.json()["results"]}


# --- units -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_units_visible_by_role(tree, users):
    assert codes(api_client_for(users["member_a"]).get(UNITS)) == {"A", "A1"}
    assert codes(api_client_for(users["operator_a"]).get(UNITS)) == {"A", "A1"}
    assert codes(api_client_for(users["member_b"]).get(UNITS)) == {"B"}
    assert codes(api_client_for(users["auditor"]).get(UNITS)) == {"ROOT", "A", "A1", "B"}
    assert api_client_for(users["member_a"]).get(f"{UNITS}{tree['b'].pk}/").status_code == 404


@pytest.mark.django_db
def test_unit_representation(tree, users):
    group = UnitGroupFactory(name="Khối sở, ngành")
    tree["a1"].groups.add(group)
    body = api_client_for(users["member_a"]).get(f"{UNITS}{tree['a1'].pk}/").json()
    assert body["path"] == tree["a1"].path
    assert body["depth"] == 2
    assert body["parent"] == {"id": tree["a"].pk, "url": f"http://testserver{UNITS}{tree['a'].pk}/",
                              "display": "Đơn vị A"}
    assert body["groups"] == [{"id": group.pk, "url": f"http://testserver{GROUPS}{group.pk}/",
                               "display": "Khối sở, ngành"}]
    assert body["display"] == "Đơn vị A1"


@pytest.mark.django_db
def test_coordinator_creates_a_top_level_unit_and_moves_a_subtree(tree, users):
    client = api_client_for(users["coordinator"])
    response = client.post(UNITS, {"code": "SYT", "name": "Sở Y tế", "kind": "department"}, format="json")
    assert response.status_code == 201, response.json()
    new = Unit.objects.get(code="SYT")
    assert new.path == f"/{new.pk}/"
    assert new.depth == 0
    # Moving A under the new unit rewrites the whole subtree's paths (services.unit_update).
    response = client.patch(f"{UNITS}{tree['a'].pk}/", {"parent": new.pk}, format="json")
    assert response.status_code == 200, response.json()
    tree["a1"].refresh_from_db()
    assert tree["a1"].path == f"/{new.pk}/{tree['a'].pk}/{tree['a1'].pk}/"
    assert response.json()["path"] == f"/{new.pk}/{tree['a'].pk}/"


@pytest.mark.django_db
def test_unit_admin_creates_units_inside_their_unit_only(tree, users):
    client = api_client_for(users["admin_a"])
    response = client.post(UNITS, {"code": "A2", "name": "Đơn vị A2", "parent": tree["a1"].pk, "groups": []},
                           format="json")
    assert response.status_code == 201, response.json()
    assert Unit.objects.get(code="A2").path.startswith(tree["a1"].path)
    # No parent: a top-level unit outside their scope.
    response = client.post(UNITS, {"code": "X1", "name": "Đơn vị X1"}, format="json")
    assert response.status_code == 400
    assert "parent" in response.json()
    # Another unit's subtree, or a unit that does not exist: the same answer.
    for parent in (tree["b"].pk, tree["root"].pk, 999999):
        response = client.post(UNITS, {"code": "X2", "name": "X2", "parent": parent}, format="json")
        assert response.status_code == 400
        assert "parent" in response.json()
    assert not Unit.objects.filter(code__in=["X1", "X2"]).exists()


@pytest.mark.django_db
def test_unit_admin_edits_their_own_unit_keeping_its_parent(tree, users):
    client = api_client_for(users["admin_a"])
    body = client.get(f"{UNITS}{tree['a'].pk}/").json()
    payload = {"code": "A", "name": "Đơn vị A (mới)", "parent": body["parent"]["id"], "kind": body["kind"]}
    response = client.put(f"{UNITS}{tree['a'].pk}/", payload, format="json")
    assert response.status_code == 200, response.json()
    assert Unit.objects.get(pk=tree["a"].pk).name == "Đơn vị A (mới)"
    # The out-of-scope current parent is accepted for the unit itself, not elsewhere.
    response = client.patch(f"{UNITS}{tree['a1'].pk}/", {"parent": tree["root"].pk}, format="json")
    assert response.status_code == 400
    # A unit cannot go under its own sub-unit (the service's rule).
    response = client.patch(f"{UNITS}{tree['a'].pk}/", {"parent": tree["a1"].pk}, format="json")
    assert response.status_code == 400
    assert "parent" in response.json()
    assert client.patch(f"{UNITS}{tree['b'].pk}/", {"name": "x"}, format="json").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["member_a", "operator_a", "auditor"])
def test_units_are_read_only_for_other_roles(tree, users, role):
    client = api_client_for(users[role])
    assert client.get(UNITS).status_code == 200
    assert client.post(UNITS, {"code": "Z", "name": "Z", "parent": tree["a"].pk}, format="json").status_code == 403
    assert client.patch(f"{UNITS}{tree['a1'].pk}/", {"name": "Z"}, format="json").status_code == 403
    assert client.delete(f"{UNITS}{tree['a1'].pk}/").status_code == 403
    assert not Unit.objects.filter(code="Z").exists()
    assert Unit.objects.get(pk=tree["a1"].pk).name == "Đơn vị A1"


@pytest.mark.django_db
def test_unit_validation_errors(tree, users):
    client = api_client_for(users["coordinator"])
    response = client.post(UNITS, {"code": "A", "name": "Trùng mã", "parent": tree["root"].pk, "email": "x"},
                           format="json")
    assert response.status_code == 400
    assert {"code", "email"} <= set(response.json())


@pytest.mark.django_db
def test_unit_filters_and_ordering(tree, users):
    group = UnitGroupFactory()
    tree["a1"].groups.add(group)
    UnitFactory(code="A-SCHOOL", name="Trường THPT", kind="school", parent=tree["a1"])
    client = api_client_for(users["coordinator"])
    assert codes(client.get(UNITS, {"within": tree["a"].pk})) == {"A", "A1", "A-SCHOOL"}
    assert codes(client.get(UNITS, {"parent": tree["root"].pk})) == {"A", "B"}
    assert codes(client.get(UNITS, {"kind": "school"})) == {"A-SCHOOL"}
    assert codes(client.get(UNITS, {"group": group.pk})) == {"A1"}
    assert codes(client.get(UNITS, {"q": "thpt"})) == {"A-SCHOOL"}
    ordered = [row["code"] for row in client.get(UNITS, {"ordering": "-code"}).json()["results"]]
    assert ordered == sorted(ordered, reverse=True)
    # A unit user cannot filter on another unit's subtree: the choice is invalid, not empty.
    assert api_client_for(users["member_a"]).get(UNITS, {"within": tree["b"].pk}).status_code == 400


@pytest.mark.django_db
def test_deleting_a_unit(tree, users):
    client = api_client_for(users["admin_a"])
    leaf = UnitFactory(code="LEAF", parent=tree["a1"])
    assert client.delete(f"{UNITS}{leaf.pk}/").status_code == 204
    assert client.delete(f"{UNITS}{tree['a'].pk}/").status_code == 409  # it has sub-units and users
    assert Unit.objects.filter(pk=tree["a"].pk).exists()


# --- unit groups and the external directory (global reference data) -----------------------------------


@pytest.mark.django_db
def test_groups_read_by_everyone_written_by_coordinators(users):
    UnitGroupFactory(name="Khối Đảng")
    for role in ("member_a", "admin_a", "operator_a", "auditor"):
        client = api_client_for(users[role])
        assert [row["name"] for row in client.get(GROUPS).json()["results"]] == ["Khối Đảng"]
        assert client.post(GROUPS, {"name": "Khối mới"}, format="json").status_code == 403
    response = api_client_for(users["coordinator"]).post(GROUPS, {"name": "Khối mới", "order": 3}, format="json")
    assert response.status_code == 201
    assert UnitGroup.objects.filter(name="Khối mới", order=3).exists()


@pytest.mark.django_db
def test_directory_needs_a_way_to_reach_the_organisation(users):
    client = api_client_for(users["coordinator"])
    response = client.post(DIRECTORY, {"organization": "Trung tâm Giám sát an toàn không gian mạng quốc gia"},
                           format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    response = client.post(DIRECTORY, {"organization": "NCSC", "hotline": "(024) 3640.4421", "category": "monitoring",
                                       "emails": "ir@ncsc.gov.vn; soc@ncsc.gov.vn"}, format="json")
    assert response.status_code == 201, response.json()
    entry = ExternalContact.objects.get(organization="NCSC")
    assert entry.hotline == "02436404421"
    assert entry.emails == "ir@ncsc.gov.vn, soc@ncsc.gov.vn"
    assert api_client_for(users["admin_a"]).patch(f"{DIRECTORY}{entry.pk}/", {"person": "x"},
                                                  format="json").status_code == 403


@pytest.mark.django_db
def test_directory_filters(users):
    ExternalContactFactory(organization="VNCERT/CC", category="national_cert")
    ExternalContactFactory(organization="Cục A05", category="police", is_active=False)
    client = api_client_for(users["member_b"])
    assert [r["organization"] for r in client.get(DIRECTORY, {"category": "police"}).json()["results"]] == ["Cục A05"]
    assert [r["organization"] for r in client.get(DIRECTORY, {"is_active": "true"}).json()["results"]] == ["VNCERT/CC"]
    assert client.get(DIRECTORY, {"q": "vncert"}).json()["count"] == 1


# --- contacts -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_contact_crud_in_scope(tree, users):
    client = api_client_for(users["member_a"])
    response = client.post(CONTACTS, {
        "unit": tree["a1"].pk, "full_name": "Trần Thị Trực", "phones": "0888.133.359; (024) 3640.4421",
        "emails": "truc@a1.gov.vn", "roles": ["security_focal", "on_duty"],
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phones"] == "0888133359, 02436404421"
    assert body["roles"] == ["security_focal", "on_duty"]
    contact = Contact.objects.get(pk=body["id"])
    assert contact.roles == "security_focal,on_duty"
    url = f"{CONTACTS}{contact.pk}/"
    assert client.patch(url, {"roles": ["leader"]}, format="json").json()["roles"] == ["leader"]
    assert client.get(url).json()["unit"]["id"] == tree["a1"].pk
    assert client.delete(url).status_code == 204


@pytest.mark.django_db
def test_contact_validation_reuses_the_form_rules(tree, users):
    client = api_client_for(users["member_a"])
    response = client.post(CONTACTS, {"unit": tree["a"].pk, "full_name": "X", "phones": "12ab", "emails": "not-mail",
                                      "roles": ["boss"]}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"phones", "emails", "roles"}
    assert "12ab" in errors["phones"][0]


@pytest.mark.django_db
def test_contacts_cannot_be_attached_to_another_unit(tree, users):
    client = api_client_for(users["member_a"])
    response = client.post(CONTACTS, {"unit": tree["b"].pk, "full_name": "X"}, format="json")
    assert response.status_code == 400
    assert "unit" in response.json()
    own = ContactFactory(unit=tree["a"])
    assert client.patch(f"{CONTACTS}{own.pk}/", {"unit": tree["b"].pk}, format="json").status_code == 400
    other = ContactFactory(unit=tree["b"])
    assert client.patch(f"{CONTACTS}{other.pk}/", {"unit": tree["a"].pk}, format="json").status_code == 404
    assert Contact.objects.get(pk=own.pk).unit == tree["a"]
    assert Contact.objects.get(pk=other.pk).unit == tree["b"]


@pytest.mark.django_db
def test_contact_filters(tree, users):
    ContactFactory(unit=tree["a"], full_name="Lê Văn Lãnh Đạo", roles="leader")
    ContactFactory(unit=tree["a1"], full_name="Phạm Trực Ban", roles="on_duty,security_focal")
    ContactFactory(unit=tree["b"], full_name="Người của B", roles="leader")
    client = api_client_for(users["member_a"])
    names = lambda r: {row["full_name"] for row in r.json()["results"]}  # noqa: E731
    assert names(client.get(CONTACTS, {"role": "leader"})) == {"Lê Văn Lãnh Đạo"}
    assert names(client.get(CONTACTS, {"unit": tree["a1"].pk})) == {"Phạm Trực Ban"}
    assert names(client.get(CONTACTS, {"unit_tree": tree["a"].pk})) == {"Lê Văn Lãnh Đạo", "Phạm Trực Ban"}
    assert names(client.get(CONTACTS, {"q": "trực"})) == {"Phạm Trực Ban"}
    assert client.get(CONTACTS, {"unit": tree["b"].pk}).status_code == 400


@pytest.mark.django_db
def test_operator_and_auditor_read_contacts_but_never_write(tree, users):
    contact = ContactFactory(unit=tree["a"])
    for role in ("operator_a", "auditor"):
        client = api_client_for(users[role])
        assert contact.pk in ids(client.get(CONTACTS))
        assert client.post(CONTACTS, {"unit": tree["a"].pk, "full_name": "X"}, format="json").status_code == 403
        assert client.put(f"{CONTACTS}{contact.pk}/", {"unit": tree["a"].pk, "full_name": "X"},
                          format="json").status_code == 403
        assert client.delete(f"{CONTACTS}{contact.pk}/").status_code == 403
    assert Contact.objects.get(pk=contact.pk).full_name == contact.full_name
