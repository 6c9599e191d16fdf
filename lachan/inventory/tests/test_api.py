import pytest

from lachan.core.api.testing import api_client_for, ids
from lachan.inventory.models import Domain, Host, InformationSystem, IPPrefix, Software, Website
from lachan.testing.factories import (
    DomainFactory,
    HostFactory,
    InformationSystemFactory,
    IPPrefixFactory,
    SoftwareFactory,
    WebsiteFactory,
)

API = "/api/inventory/"



@pytest.fixture
def member(users):
    return api_client_for(users["member_a"])


# --- information systems --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_system_crud(tree, member):
    response = member.post(f"{API}systems/", {
        "unit": tree["a1"].pk, "operator_unit": tree["a"].pk, "name": "Cổng dịch vụ công", "security_level": 3,
        "approval_number": "123/QĐ-UBND", "approval_date": "2024-05-17", "status": "operating",
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["operator_unit"]["id"] == tree["a"].pk
    assert body["approval_date"] == "2024-05-17"
    url = f"{API}systems/{body['id']}/"
    assert member.patch(url, {"security_level": 4}, format="json").json()["security_level"] == 4
    assert member.delete(url).status_code == 204
    assert not InformationSystem.objects.exists()


@pytest.mark.django_db
def test_system_rules_are_the_forms_rules(tree, member):
    response = member.post(f"{API}systems/", {"unit": tree["a"].pk, "name": "HT", "approval_number": "1/QĐ"},
                           format="json")
    assert response.status_code == 400
    assert "security_level" in response.json()
    system = InformationSystemFactory(unit=tree["a"], name="HT", security_level=None)
    # Partial update: the rule looks at the stored security level too.
    response = member.patch(f"{API}systems/{system.pk}/", {"approval_number": "1/QĐ"}, format="json")
    assert response.status_code == 400
    # Name unique within the unit: a validation error, not a server error.
    response = member.post(f"{API}systems/", {"unit": tree["a"].pk, "name": "HT"}, format="json")
    assert response.status_code == 400
    assert member.post(f"{API}systems/", {"unit": tree["a"].pk, "name": "HT", "security_level": 6},
                       format="json").status_code == 400


@pytest.mark.django_db
def test_system_filters(tree, member):
    InformationSystemFactory(unit=tree["a"], name="Một cửa", security_level=2)
    InformationSystemFactory(unit=tree["a1"], name="Thư điện tử", security_level=3, status="planned")
    InformationSystemFactory(unit=tree["a1"], name="Website", security_level=1)
    names = lambda r: {row["name"] for row in r.json()["results"]}  # noqa: E731
    url = f"{API}systems/"
    assert names(member.get(url, {"security_level": [2, 3]})) == {"Một cửa", "Thư điện tử"}
    assert names(member.get(url, {"status": "planned"})) == {"Thư điện tử"}
    assert names(member.get(url, {"unit": tree["a1"].pk, "q": "thư"})) == {"Thư điện tử"}
    ordered = [row["security_level"] for row in member.get(url, {"ordering": "-security_level"}).json()["results"]]
    assert ordered == [3, 2, 1]


# --- hosts ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_host_addresses_are_canonical(tree, member):
    response = member.post(f"{API}hosts/", {"unit": tree["a"].pk, "hostname": "mail.a.gov.vn",
                                            "ip_addresses": "10.0.0.1; 2001:DB8::0001 10.0.0.2"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["ip_addresses"] == "10.0.0.1, 2001:db8::1, 10.0.0.2"
    response = member.post(f"{API}hosts/", {"unit": tree["a"].pk, "hostname": "x", "ip_addresses": "10.0.0.300"},
                           format="json")
    assert response.status_code == 400
    assert "10.0.0.300" in response.json()["ip_addresses"][0]


@pytest.mark.django_db
def test_host_system_must_belong_to_the_same_unit(tree, member):
    system_a = InformationSystemFactory(unit=tree["a"])
    response = member.post(f"{API}hosts/", {"unit": tree["a1"].pk, "hostname": "h", "system": system_a.pk},
                           format="json")
    assert response.status_code == 400
    assert "system" in response.json()
    host = HostFactory(unit=tree["a"], system=system_a)
    # Moving only the unit would leave the system in another unit.
    response = member.patch(f"{API}hosts/{host.pk}/", {"unit": tree["a1"].pk}, format="json")
    assert response.status_code == 400
    assert Host.objects.get(pk=host.pk).unit == tree["a"]
    response = member.patch(f"{API}hosts/{host.pk}/", {"unit": tree["a1"].pk, "system": None}, format="json")
    assert response.status_code == 200


@pytest.mark.django_db
def test_host_filters(tree, member):
    system = InformationSystemFactory(unit=tree["a"])
    HostFactory(unit=tree["a"], system=system, hostname="db1", role="server")
    HostFactory(unit=tree["a1"], hostname="sw1", role="network_device")
    HostFactory(unit=tree["b"], hostname="b-host")
    names = lambda r: {row["hostname"] for row in r.json()["results"]}  # noqa: E731
    url = f"{API}hosts/"
    assert names(member.get(url)) == {"db1", "sw1"}
    assert names(member.get(url, {"system": system.pk})) == {"db1"}
    assert names(member.get(url, {"role": "network_device"})) == {"sw1"}
    assert names(member.get(url, {"unit_tree": tree["a1"].pk})) == {"sw1"}
    assert member.get(url, {"system": InformationSystemFactory(unit=tree["b"]).pk}).status_code == 400


# --- IP prefixes ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_prefix_is_stored_canonical(tree, member):
    response = member.post(f"{API}prefixes/", {"unit": tree["a"].pk, "prefix": "203.0.113.77/25", "source": "isp"},
                           format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["prefix"], body["version"], body["prefix_length"]) == ("203.0.113.0/25", 4, 25)
    response = member.post(f"{API}prefixes/", {"unit": tree["a"].pk, "prefix": "2001:DB8:0:0::/48"}, format="json")
    assert response.json()["prefix"] == "2001:db8::/48"
    assert response.json()["version"] == 6


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["10.0.0.0/33", "not-a-prefix", "", "2001:db8::/129"])
def test_invalid_prefixes_are_refused(tree, member, value):
    response = member.post(f"{API}prefixes/", {"unit": tree["a"].pk, "prefix": value}, format="json")
    assert response.status_code == 400
    assert "prefix" in response.json()
    assert not IPPrefix.objects.exists()


@pytest.mark.django_db
def test_same_prefix_twice_in_a_unit_is_a_validation_error(tree, member):
    IPPrefixFactory(unit=tree["a"], prefix="198.51.100.0/24")
    response = member.post(f"{API}prefixes/", {"unit": tree["a"].pk, "prefix": "198.51.100.9/24"}, format="json")
    assert response.status_code == 400
    assert IPPrefix.objects.count() == 1
    # Another unit may declare it (overlaps are reported, not refused).
    assert member.post(f"{API}prefixes/", {"unit": tree["a1"].pk, "prefix": "198.51.100.0/24"},
                       format="json").status_code == 201


@pytest.mark.django_db
def test_prefix_contains_filter(tree, member):
    IPPrefixFactory(unit=tree["a"], prefix="10.10.0.0/16")
    IPPrefixFactory(unit=tree["a1"], prefix="10.10.5.0/24")
    IPPrefixFactory(unit=tree["a"], prefix="2001:db8::/32")
    IPPrefixFactory(unit=tree["b"], prefix="10.10.5.0/25")
    prefixes = lambda r: {row["prefix"] for row in r.json()["results"]}  # noqa: E731
    url = f"{API}prefixes/"
    assert prefixes(member.get(url, {"contains": "10.10.5.7"})) == {"10.10.0.0/16", "10.10.5.0/24"}
    assert prefixes(member.get(url, {"contains": "2001:db8::1"})) == {"2001:db8::/32"}
    assert prefixes(member.get(url, {"contains": "garbage"})) == set()
    assert prefixes(member.get(url, {"version": 6})) == {"2001:db8::/32"}


# --- domains, websites, software -------------------------------------------------------------------------


@pytest.mark.django_db
def test_domain_names_are_normalised(tree, member):
    response = member.post(f"{API}domains/", {"unit": tree["a"].pk, "name": "Cổng.Example.VN."}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == f"{'cổng'.encode('idna').decode()}.example.vn"
    for bad in ("localhost", "a..vn", "x" * 64 + ".vn"):
        response = member.post(f"{API}domains/", {"unit": tree["a"].pk, "name": bad}, format="json")
        assert response.status_code == 400, bad
    assert Domain.objects.count() == 1


@pytest.mark.django_db
def test_website_address_field(tree, member):
    system = InformationSystemFactory(unit=tree["a"])
    response = member.post(f"{API}websites/", {"unit": tree["a"].pk, "system": system.pk,
                                               "website_url": "https://a.gov.vn/", "name": "Cổng A"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["website_url"] == "https://a.gov.vn/"
    assert body["url"].startswith("http://testserver/api/inventory/websites/")
    response = member.post(f"{API}websites/", {"unit": tree["a1"].pk, "website_url": "https://a.gov.vn/"},
                           format="json")
    assert response.status_code == 400  # one row per address, across units
    assert member.post(f"{API}websites/", {"unit": tree["a"].pk, "website_url": "a.gov.vn"},
                       format="json").status_code == 400
    assert Website.objects.count() == 1
    assert member.get(f"{API}websites/", {"monitored": "true"}).json()["count"] == 1


@pytest.mark.django_db
def test_software_cpe_and_relations(tree, member):
    host = HostFactory(unit=tree["a"])
    payload = {"unit": tree["a"].pk, "host": host.pk, "vendor": "apache", "product": "http_server", "version": "2.4.49",
               "cpe": "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*"}
    response = member.post(f"{API}software/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["display"] == "apache http_server 2.4.49"
    response = member.post(f"{API}software/", payload | {"cpe": "cpe:/a:apache:http_server:2.4.49"}, format="json")
    assert response.status_code == 400
    assert "cpe" in response.json()
    response = member.post(f"{API}software/", payload | {"unit": tree["a1"].pk}, format="json")
    assert response.status_code == 400
    assert "host" in response.json()
    assert Software.objects.count() == 1
    SoftwareFactory(unit=tree["a1"], vendor="microsoft", product="exchange_server")
    assert member.get(f"{API}software/", {"vendor": "microsoft"}).json()["count"] == 1


# --- roles -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["operator_a", "auditor"])
def test_operator_and_auditor_are_read_only(tree, users, role):
    client = api_client_for(users[role])
    objects = {
        "systems": InformationSystemFactory(unit=tree["a"]), "hosts": HostFactory(unit=tree["a"]),
        "prefixes": IPPrefixFactory(unit=tree["a"]), "domains": DomainFactory(unit=tree["a"]),
        "websites": WebsiteFactory(unit=tree["a"]), "software": SoftwareFactory(unit=tree["a"]),
    }
    for prefix, obj in objects.items():
        url = f"{API}{prefix}/"
        assert obj.pk in ids(client.get(url)), prefix
        assert client.get(f"{url}{obj.pk}/").status_code == 200
        assert client.post(url, {"unit": tree["a"].pk}, format="json").status_code == 403
        assert client.patch(f"{url}{obj.pk}/", {"description": "x"}, format="json").status_code == 403
        assert client.delete(f"{url}{obj.pk}/").status_code == 403
        assert type(obj).objects.filter(pk=obj.pk).exists()


@pytest.mark.django_db
def test_auditor_reads_every_unit_member_only_their_own(tree, users):
    a, b = HostFactory(unit=tree["a1"]), HostFactory(unit=tree["b"])
    assert ids(api_client_for(users["auditor"]).get(f"{API}hosts/")) == {a.pk, b.pk}
    assert ids(api_client_for(users["member_a"]).get(f"{API}hosts/")) == {a.pk}
    assert ids(api_client_for(users["member_b"]).get(f"{API}hosts/")) == {b.pk}
    assert api_client_for(users["member_b"]).delete(f"{API}hosts/{a.pk}/").status_code == 404
    assert Host.objects.filter(pk=a.pk).exists()


@pytest.mark.django_db
def test_coordinator_writes_everywhere(tree, users):
    client = api_client_for(users["coordinator"])
    response = client.post(f"{API}domains/", {"unit": tree["b"].pk, "name": "b.gov.vn"}, format="json")
    assert response.status_code == 201
    assert client.delete(f"{API}domains/{response.json()['id']}/").status_code == 204
