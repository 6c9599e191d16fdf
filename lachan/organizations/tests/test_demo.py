"""`lachan demo load`: the shipped demo data loads, matches the appendix of letter 03/STTTT-BCVT,
is idempotent, written atomically, and its accounts can log in."""

import ipaddress
import json
from io import StringIO

import pytest
import yaml
from auditlog.models import LogEntry
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from lachan.accounts.choices import Role
from lachan.accounts.models import User
from lachan.demo import loader
from lachan.inventory.ipam import address_key
from lachan.inventory.models import Domain, Host, InformationSystem, IPPrefix, Software, Website
from lachan.organizations.models import Contact, ExternalContact, Unit, UnitGroup
from lachan.testing.factories import UnitFactory

ALL_MODELS = (UnitGroup, Unit, Contact, ExternalContact, InformationSystem, Host, IPPrefix, Domain, Website, Software,
              User)


@pytest.fixture(autouse=True)
def _no_demo_password_env(monkeypatch):
    monkeypatch.delenv(loader.PASSWORD_ENV, raising=False)


def run_load(*args):
    out = StringIO()
    call_command("demo", "load", *args, stdout=out)
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in ALL_MODELS}


def appendix():
    """The appendix file read independently of the loader: [(group name, [unit name, …]), …]."""
    data = yaml.safe_load(loader.APPENDIX_FILE.read_text(encoding="utf-8"))
    return [(g["name"], [line.split("|")[2].strip() for line in g["units"]]) for g in data["groups"]]


def test_appendix_file_is_the_letter_88_units_in_7_groups():
    groups = appendix()
    assert [len(names) for _name, names in groups] == [26, 15, 13, 7, 12, 9, 6]
    assert groups[0][0] == "Khối các cơ quan quản lý nhà nước trực thuộc Ủy ban nhân dân thành phố"
    assert groups[0][1][14] == "Sở Thông tin và Truyền thông"
    assert groups[6][1][-1] == "Công ty TNHH MTV Xổ số Hải Phòng"


@pytest.mark.django_db
def test_load_builds_the_unit_tree_and_groups_as_the_appendix():
    output = run_load()
    assert "Demo data loaded" in output or "310" in output  # 303 + the duty desk (lachan.demo.duty): 7

    groups = list(UnitGroup.objects.order_by("order"))
    assert [(g.name, g.order) for g in groups] == [(name, i) for i, (name, _units) in enumerate(appendix(), start=1)]
    for group, (_name, names) in zip(groups, appendix(), strict=True):
        assert group.units.count() == len(names)
        assert sorted(group.units.values_list("name", flat=True)) == sorted(names)

    # materialised paths are consistent everywhere
    for unit in Unit.objects.select_related("parent"):
        expected = f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"
        assert (unit.path, unit.depth) == (expected, unit.parent.depth + 1 if unit.parent else 0), unit.code

    city = Unit.objects.get(code="HP-UBND")
    sttt = Unit.objects.get(code="HP-STTTT")
    assert (sttt.name, sttt.parent, sttt.kind) == ("Sở Thông tin và Truyền thông", city, "department")
    assert str(sttt) == "Sở TTTT Hải Phòng"
    sgd = Unit.objects.get(code="HP-SGDDT")
    schools = Unit.objects.filter(path__startswith=sgd.path, kind="school")
    assert schools.filter(name__startswith="Trường THPT").count() >= 3
    assert all("demo" in s.description for s in schools)
    assert Unit.objects.filter(path__startswith=sgd.path, kind="division", name__startswith="Phòng Giáo dục và Đào tạo").exists()
    # the other letters' senders and recipients are separate trees
    for code in ("BTTTT", "DN-UBND", "DN-NHNN", "VNPT", "VIETTEL", "MOBIFONE", "FPT-TELECOM", "TD-UBND"):
        assert Unit.objects.get(code=code).parent is None, code
    assert Unit.objects.get(code="BTTTT-CATTT").parent.code == "BTTTT"
    assert Unit.objects.get(code="DN-STTTT").parent.code == "DN-UBND"
    assert Unit.objects.filter(parent__code="TD-UBND", kind="commune").count() >= 3
    assert all(code.isascii() for code in Unit.objects.values_list("code", flat=True))


@pytest.mark.django_db
def test_second_run_creates_nothing_and_writes_nothing():
    run_load()
    before, log_entries = counts(), LogEntry.objects.count()
    assert log_entries > 0  # the first run is in the audit trail
    with translation.override("en"):
        output = run_load()
    assert counts() == before
    assert LogEntry.objects.count() == log_entries
    assert "nothing created" in output or "0 created" in output

    result = json.loads(run_load("--json"))
    assert sum(result["created"].values()) == 0 and result["unit_group_links_added"] == 0
    assert result["existing"]["unit"] == before["Unit"]


@pytest.mark.django_db
def test_json_summary():
    result = json.loads(run_load("--json"))
    assert result["created"]["unitgroup"] == 7
    assert result["created"]["unit"] == Unit.objects.count()
    assert {a["username"] for a in result["accounts"]} == {"dieuphoi", "quantri.sgd", "canbo.sgd", "truc.ca", "kiemtra"}
    assert all(a["password"] == loader.DEFAULT_PASSWORD and a["created"] for a in result["accounts"])


@pytest.mark.django_db
def test_existing_objects_are_left_alone_but_joined_to_their_group():
    UnitFactory(code="HP-SYT", name="Sở Y tế (đã sửa tay)", kind="department")
    run_load()
    unit = Unit.objects.get(code="HP-SYT")
    assert unit.name == "Sở Y tế (đã sửa tay)"
    group = UnitGroup.objects.get(order=1)
    assert group.units.filter(pk=unit.pk).exists() and group.units.count() == 26


@pytest.mark.django_db
def test_directory_from_the_letters_with_normalised_phones():
    run_load()
    vncert = ExternalContact.objects.get(short_name="VNCERT/CC")
    assert (vncert.phones, vncert.hotline, vncert.emails) == ("02436404421", "0869100317", "ir@vncert.vn")
    assert vncert.category == "national_cert"

    ncsc = ExternalContact.objects.filter(short_name="NCSC")
    assert {e.hotline for e in ncsc} == {"0389942878", "0336666905"}
    assert {e.phones for e in ncsc} == {"02432091616"}
    by_hotline = {e.hotline: e for e in ncsc}
    assert "03/STTTT-BCVT" in by_hotline["0336666905"].source
    assert "5644/BTTTT-CATTT" in by_hotline["0389942878"].source
    assert all("0389.942.878" in e.notes and "033.6666.905" in e.notes for e in ncsc)

    athttt = ExternalContact.objects.get(emails="athttt@mic.gov.vn")
    assert athttt.hotline == "0888133359" and "Bộ Công an" in athttt.notes
    assert ExternalContact.objects.filter(phones="0984462472", person__contains="Nguyễn Đông Huy").exists()
    assert ExternalContact.objects.filter(emails="attt@dongnai.gov.vn").count() == 2
    for entry in ExternalContact.objects.all():
        entry.full_clean()


@pytest.mark.django_db
def test_contacts_from_the_letters_with_normalised_phones():
    run_load()
    huy = Contact.objects.get(full_name="Nguyễn Đông Huy")
    assert (huy.unit.code, huy.phones, huy.role_list) == ("HP-STTTT", "0984462472", ["security_focal"])
    assert Contact.objects.get(full_name="Trần Tiến Chinh").phones == "0914463645"
    assert Contact.objects.get(full_name="Nguyễn Thế Hùng").phones == "0384828284"
    assert Contact.objects.get(full_name="Nguyễn Hoàng Chương").phones == "0937192307"
    fictional = Contact.objects.exclude(notes__startswith="Nguồn:")
    assert fictional.exists() and all("demo" in c.notes for c in fictional)
    assert all(p.isdigit() for c in Contact.objects.all() for p in c.phones.split(", ") if p)


@pytest.mark.django_db
def test_inventory_uses_documentation_ranges_and_has_something_to_match():
    run_load()
    for prefix in IPPrefix.objects.all():
        network = ipaddress.ip_network(prefix.prefix)
        assert any(network.version == n.version and network.subnet_of(n) for n in loader.DEMO_NETWORKS), prefix
        assert (prefix.first_key, prefix.last_key) == (address_key(network.network_address),
                                                       address_key(network.broadcast_address))
    for host in Host.objects.exclude(ip_addresses=""):
        for address in host.ip_addresses.split(", "):
            assert any(ipaddress.ip_address(address) in n for n in loader.DEMO_NETWORKS), host
    assert IPPrefix.objects.filter(version=6).exists()

    # the intentional overlap: the Department's /22 holds the education department's /24
    inner = IPPrefix.objects.get(prefix="100.64.1.0/24")
    outer = IPPrefix.objects.filter(first_key__lte=inner.first_key, last_key__gte=inner.last_key).exclude(pk=inner.pk)
    assert [(p.prefix, p.unit.code) for p in outer] == [("100.64.0.0/22", "HP-STTTT")]
    assert inner.unit.code == "HP-SGDDT"

    levels = set(InformationSystem.objects.values_list("security_level", flat=True))
    assert {1, 2, 3, 4} <= levels and None in levels
    approved = InformationSystem.objects.exclude(security_level=None)
    assert all(s.approval_number and s.approval_date for s in approved)
    assert Software.objects.filter(vendor="apache", product="http_server", version="2.4.49",
                                   cpe="cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*").exists()
    assert {"fortios", "pan-os", "exchange_server", "openssl"} <= set(Software.objects.values_list("product", flat=True))
    assert not Website.objects.filter(monitored=True).exists()
    assert all(d.name.endswith(".demo.lachan.vn") for d in Domain.objects.all())


@pytest.mark.django_db
def test_demo_users_can_log_in(client, settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = ["coordinator"]
    output = run_load()
    assert "  dieuphoi / LaChan@2025demo  (Điều phối viên — Sở TTTT Hải Phòng)" in output.splitlines()
    assert "mã QR" in output
    expected = {
        "dieuphoi": (Role.COORDINATOR, "HP-STTTT"),
        "quantri.sgd": (Role.UNIT_ADMIN, "HP-SGDDT"),
        "canbo.sgd": (Role.UNIT_MEMBER, "HP-SGDDT"),
        "truc.ca": (Role.OPERATOR, "HP-STTTT"),
        "kiemtra": (Role.AUDITOR, "HP-STTTT"),
    }
    for username, (role, unit_code) in expected.items():
        user = User.objects.get(username=username)
        assert (user.role, user.unit.code) == (role, unit_code)
        assert client.login(username=username, password="LaChan@2025demo"), username
        client.logout()
    assert not client.login(username="dieuphoi", password="wrong-password")
    # the unit admin sees the education department's subtree only
    admin = User.objects.get(username="quantri.sgd")
    visible = Unit.objects.restrict(admin)
    assert visible.filter(code="HP-THPT-CTP").exists() and not visible.filter(code="HP-STTTT").exists()


@pytest.mark.django_db
def test_password_from_environment(client, monkeypatch):
    monkeypatch.setenv(loader.PASSWORD_ENV, "Khac-Mat-Khau-2025")
    output = run_load()
    assert "  truc.ca / Khac-Mat-Khau-2025  (Trực ca 24/7 — Sở TTTT Hải Phòng)" in output.splitlines()
    assert client.login(username="truc.ca", password="Khac-Mat-Khau-2025")


@pytest.mark.django_db
def test_coordinator_first_login_shows_the_totp_qr_code(client, settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = ["coordinator"]
    run_load()
    assert client.login(username="dieuphoi", password="LaChan@2025demo")
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:two_factor"))
    page = client.get(reverse("accounts:two_factor"))
    assert page.status_code == 200 and page.context["setup"] is True  # first login: the QR code to scan
    assert TOTPDevice.objects.filter(user__username="dieuphoi", confirmed=False).exists()


@pytest.mark.django_db
def test_a_failure_writes_nothing():
    with pytest.raises(loader.DemoDataError, match="dieuphoi"):
        loader.load(password="123")  # rejected by the password validators at the very last step
    assert sum(counts().values()) == 0


def test_bad_data_files_are_refused_with_the_item_named(tmp_path):
    data = yaml.safe_load(loader.DATA_FILE.read_text(encoding="utf-8"))
    data["inventory"][0]["prefixes"].append({"prefix": "8.8.8.0/24"})
    bad = tmp_path / "demo.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(loader.DemoDataError, match=r"HP-STTTT.*8\.8\.8\.0/24 is outside"):
        loader.read_data(bad)

    data = yaml.safe_load(loader.DATA_FILE.read_text(encoding="utf-8"))
    data["contacts"][0]["phones"] = 984.462472  # what an unquoted 0984.462472 becomes
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(loader.DemoDataError, match=r"contacts\[1\].*in quotes"):
        loader.read_data(bad)

    data = yaml.safe_load(loader.DATA_FILE.read_text(encoding="utf-8"))
    data["units"][0]["parent"] = "NO-SUCH-UNIT"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(loader.DemoDataError, match="unknown parent 'NO-SUCH-UNIT'"):
        loader.read_data(bad)


def test_account_lines_without_database(monkeypatch, settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = []
    monkeypatch.setenv(loader.PASSWORD_ENV, "Mat-khau-khac-1")
    lines = loader.account_lines()
    assert "  kiemtra / Mat-khau-khac-1  (Kiểm tra viên (chỉ xem) — Sở TTTT Hải Phòng)" in lines
    assert any("TẮT" in line for line in lines)
