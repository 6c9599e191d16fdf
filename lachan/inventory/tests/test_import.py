"""Inventory import/export: workbooks with a sheet per kind, CSVs, the forms' rules, scope, UI, CLI, round trips."""

import datetime
import io
import json

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone, translation

from lachan.core.tests.test_tabular import to_cp1258
from lachan.inventory.importers import IMPORTERS, HostImporter, InventoryImporter
from lachan.inventory.models import Domain, Host, InformationSystem, IPPrefix, Software, Website
from lachan.testing.factories import (
    DomainFactory,
    HostFactory,
    InformationSystemFactory,
    IPPrefixFactory,
    SoftwareFactory,
    WebsiteFactory,
)

CPE = "cpe:2.3:a:f5:nginx:1.24.0:*:*:*:*:*:*:*"
MODELS = (InformationSystem, Host, IPPrefix, Domain, Website, Software)
LIST_URLS = {"systems": "informationsystem", "hosts": "host", "prefixes": "ipprefix", "domains": "domain",
             "websites": "website", "software": "software"}


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # pages too, not only messages built in the test
    with translation.override("en"):
        yield


def xlsx(sheets):
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def messages(result):
    return [str(issue) for issue in result.errors]


def inventory_counts():
    return [model.objects.count() for model in MODELS]


WORKBOOK = {
    "Phần mềm": [["Mã đơn vị", "Nhà sản xuất", "Sản phẩm", "Phiên bản", "Máy chủ", "Hệ thống", "CPE"],
                 ["A", "nginx", "nginx", "1.24.0", "web01", "Cổng thông tin điện tử", CPE]],
    "Hệ thống thông tin": [["Mã đơn vị", "Tên hệ thống", "Cấp độ", "Số quyết định", "Ngày phê duyệt", "Trạng thái"],
                           ["A", "Cổng thông tin điện tử", "Cấp độ 3", "12/QĐ-UBND", "15/03/2024", "operating"],
                           ["A1", "Quản lý văn bản", 2, None, None, None]],
    "Máy chủ": [["unit_code", "hostname", "system", "ip_addresses", "os", "role"],
                ["A", "web01", "cổng thông tin điện tử", "10.1.2.3 10.1.2.4", "Ubuntu 24.04", "server"]],
    "Dải IP": [["unit_code", "prefix", "system", "description"],
               ["A", "10.1.2.7/24", "Cổng thông tin điện tử", "<b>DMZ</b>"]],
    "Tên miền": [["unit_code", "name", "expires_on"], ["A", "Cong-TT.Example.VN.", "2026-01-31"]],
    "Trang web": [["unit_code", "url", "name", "monitored", "system"],
                  ["A", "https://congtt.example.vn/", "Cổng TT", "không", "Cổng thông tin điện tử"]],
    "Hướng dẫn": [["Điền mỗi loại vào một trang."]],
}


def test_workbook_of_every_kind_with_references_inside_the_file(tree):
    result = InventoryImporter().run_bytes(xlsx(WORKBOOK), "kiemke.xlsx")
    assert result.ok and result.written, messages(result)
    assert {kind: dict(c) for kind, c in result.counts.items()} == {
        "systems": {"created": 2}, "hosts": {"created": 1}, "prefixes": {"created": 1}, "domains": {"created": 1},
        "websites": {"created": 1}, "software": {"created": 1}}
    assert [str(w) for w in result.warnings] == [
        "Sheet “Hướng dẫn” was skipped: its name and columns match no inventory kind."]
    portal = InformationSystem.objects.get(name="Cổng thông tin điện tử")
    assert (portal.unit, portal.security_level, portal.approval_date) == (tree["a"], 3, datetime.date(2024, 3, 15))
    host = Host.objects.get(hostname="web01")
    assert host.system == portal and host.ip_addresses == "10.1.2.3, 10.1.2.4"
    assert IPPrefix.objects.get().prefix == "10.1.2.0/24" and IPPrefix.objects.get().system == portal
    assert IPPrefix.objects.get().description == "<b>DMZ</b>"
    assert Domain.objects.get().name == "cong-tt.example.vn"
    assert Website.objects.get().monitored is False and Website.objects.get().system == portal
    software = Software.objects.get()
    assert (software.host, software.system, software.cpe) == (host, portal, CPE)
    assert all(LogEntry.objects.get_for_object(obj).exists() for obj in (portal, host, software))

    entries = LogEntry.objects.count()
    again = InventoryImporter().run_bytes(xlsx(WORKBOOK), "kiemke.xlsx")
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 7)
    assert LogEntry.objects.count() == entries
    changed = dict(WORKBOOK, **{"Máy chủ": [WORKBOOK["Máy chủ"][0], ["A", "web01", "", "10.1.2.3", "Debian 12", ""]]})
    result = InventoryImporter(kind="hosts").run_bytes(xlsx(changed), "kiemke.xlsx")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    host.refresh_from_db()
    assert (host.os, host.system, host.ip_addresses, host.role) == ("Debian 12", None, "10.1.2.3", "server")


def test_every_rule_gives_row_and_column_and_nothing_is_written(tree):
    sheets = {
        "systems": [["unit_code", "name", "security_level", "approval_date", "approval_number"],
                    ["A", "Hệ thống tốt", "2", "", ""],
                    ["XYZ", "Hệ thống 2", "3", "", ""],
                    ["A", "Hệ thống 3", "7", "31/02/2024", ""],
                    ["A", "Hệ thống 4", "", "", "QĐ 1"],
                    ["A", "hệ thống TỐT", "1", "", ""]],
        "hosts": [["unit_code", "hostname", "ip_addresses", "system"],
                  ["A", "h1", "10.0.0.300", ""], ["A", "h2", "10.0.0.1", "Không có"]],
        "prefixes": [["unit_code", "prefix"], ["A", "10.0.0.0/33"], ["A", "10.9.0.0/16"], ["A", "10.9.0.1/16"]],
        "software": [["unit_code", "vendor", "product", "cpe"], ["A", "apache", "httpd", "cpe:2.3:a:apache"]],
        "websites": [["unit_code", "url"], ["A", "javascript:alert(1)"], ["A", '=HYPERLINK("http://x")']],
        "domains": [["unit_code", "name"], ["A", "not a domain"]],
    }
    result = InventoryImporter().run_bytes(xlsx(sheets), "bad.xlsx")
    found = messages(result)
    expected_prefixes = [
        "Sheet “systems”, row 3, column unit_code: No unit with code “XYZ”.",
        "Sheet “systems”, row 4, column security_level: The security level must be a number from 1 to 5 (found 7).",
        "Sheet “systems”, row 4, column approval_date: Not a date: 31/02/2024 (write dd/mm/yyyy or yyyy-mm-dd).",
        "Sheet “systems”, row 5, column security_level: An approval decision needs the approved security level.",
        "Sheet “systems”, row 6, column name: Duplicate of row 2.",
        "Sheet “hosts”, row 2, column ip_addresses: Not an IP address: 10.0.0.300",
        "Sheet “hosts”, row 3, column system: No information system named “Không có” in unit A.",
        "Sheet “prefixes”, row 2, column prefix: Invalid IP prefix:",
        "Sheet “prefixes”, row 4, column prefix: Duplicate of row 3.",
        "Sheet “software”, row 2, column cpe: Not a valid CPE 2.3",
        "Sheet “websites”, row 2, column url: Enter a valid URL.",
        "Sheet “websites”, row 3, column url: Formulas are not accepted",
        "Sheet “domains”, row 2, column name: Not a valid domain name.",
    ]
    for prefix in expected_prefixes:
        assert any(m.startswith(prefix) for m in found), (prefix, found)
    assert len(found) == len(expected_prefixes), found
    assert not result.written and inventory_counts() == [0] * 6


def test_csv_kind_from_header_or_option(tree):
    hosts = "unit_code;hostname;ip_addresses\nA;h1;10.0.0.1\n"
    result = InventoryImporter().run_bytes(hosts.encode(), "may.csv")
    assert result.ok and result.counts["hosts"]["created"] == 1
    ambiguous = "unit_code,name\nA,Something\n"
    result = InventoryImporter().run_bytes(ambiguous.encode(), "x.csv")
    assert "Cannot tell which inventory" in messages(result)[0]
    result = InventoryImporter(kind="domains").run_bytes(ambiguous.encode(), "x.csv")
    assert "Not a valid domain name" in messages(result)[0]
    assert InventoryImporter(kind="systems").run_bytes(ambiguous.encode(), "x.csv").created == 1
    assert InventoryImporter().run_bytes(b"unit_code,name,registrar\nA,a.example.vn,VNNIC\n", "x.csv").ok


def test_hostile_text_files(tree):
    data = to_cp1258("Mã đơn vị\tTên hệ thống\tMục đích\nA\tQuản lý hồ sơ\t'=CMD|' /C calc'!A0\n")
    result = InventoryImporter(kind="systems").run_bytes(data, "httt.txt")
    assert result.ok, messages(result)
    system = InformationSystem.objects.get()
    assert system.name == "Quản lý hồ sơ" and system.purpose == "=CMD|' /C calc'!A0"
    bom = b"\xef\xbb\xbf" + "unit_code,name,purpose\nA,Quản lý hồ sơ,@SUM(1)\n".encode()
    result = InventoryImporter(kind="systems").run_bytes(bom, "httt.csv")
    assert messages(result) == ["Row 2, column purpose: Formulas are not accepted (@SUM(1)): type the value itself, "
                                "or start the cell with an apostrophe."]
    result = InventoryImporter().run_bytes(b"PK\x03\x04garbage", "kiemke.xlsx")
    assert "not a valid XLSX workbook" in messages(result)[0]


def test_real_formula_cells_in_xlsx_are_refused(tree):
    result = InventoryImporter().run_bytes(xlsx({"hosts": [["unit_code", "hostname", "os"],
                                                           ["A", "h1", "=1+1"]]}), "x.xlsx")
    assert messages(result) == ["Row 2, column os: Formulas are not accepted (=1+1): type the value itself, or start "
                                "the cell with an apostrophe."]


def test_unit_users_import_only_into_their_scope(users, tree):
    data = b"unit_code,hostname\nA1,h1\nB,h2\n"
    result = HostImporter(user=users["member_a"]).run_bytes(data, "hosts.csv")
    assert messages(result) == ["Row 3, column unit_code: No unit with code “B” within your scope."]
    assert not Host.objects.exists()
    result = HostImporter(user=users["member_a"]).run_bytes(b"unit_code,hostname\nA1,h1\n", "hosts.csv")
    assert result.ok and LogEntry.objects.get_for_object(Host.objects.get()).filter(actor=users["member_a"]).exists()
    result = HostImporter(user=users["operator_a"]).run_bytes(b"unit_code,hostname\nA1,h9\n", "hosts.csv")
    assert messages(result) == ["You may not change hosts."]
    DomainFactory(unit=tree["b"], name="b.example.vn")
    result = InventoryImporter(user=users["member_a"], kind="domains").run_bytes(
        b"unit_code,name\nA,b.example.vn\n", "d.csv")
    assert messages(result) == ["Row 2, column name: “b.example.vn” already exists in a unit outside your scope."]


def test_prefix_import_warns_about_overlaps_it_creates_within_scope(users, tree):
    IPPrefixFactory(unit=tree["root"], prefix="10.0.0.0/8")
    IPPrefixFactory(unit=tree["a"], prefix="10.5.0.0/16")
    data = b"unit_code,prefix\nA1,10.5.1.0/24\nA1,10.6.0.0/24\nA1,192.0.2.0/24\n"
    result = InventoryImporter(kind="prefixes").run_bytes(data, "p.csv", dry_run=True)
    assert result.ok and not result.written and not IPPrefix.objects.filter(unit=tree["a1"]).exists()
    assert [str(w) for w in result.warnings] == [
        "Row 2, column prefix: 10.5.1.0/24 (unit A1) overlaps 10.0.0.0/8 of unit ROOT.",
        "Row 2, column prefix: 10.5.1.0/24 (unit A1) overlaps 10.5.0.0/16 of unit A.",
        "Row 3, column prefix: 10.6.0.0/24 (unit A1) overlaps 10.0.0.0/8 of unit ROOT."]
    result = InventoryImporter(user=users["member_a"], kind="prefixes").run_bytes(data, "p.csv")
    assert result.ok and result.created == 3
    assert [str(w) for w in result.warnings] == [
        "Row 2, column prefix: 10.5.1.0/24 (unit A1) overlaps 10.5.0.0/16 of unit A."]


def _inventory_of(unit):
    system = InformationSystemFactory(unit=unit, security_level=3, approval_number="1/QĐ",
                                      approval_date=datetime.date(2024, 5, 6), description="=SUM(A1:A9)")
    host = HostFactory(unit=unit, system=system, os="Windows Server 2019")
    IPPrefixFactory(unit=unit, system=system, description="-mạng nội bộ")
    DomainFactory(unit=unit, expires_on=datetime.date(2027, 1, 1))
    WebsiteFactory(unit=unit, system=system, monitored=False)
    SoftwareFactory(unit=unit, host=host, system=system, cpe="cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_list_exports_are_scoped_neutralised_and_reimportable(client_for, users, tree, fmt):
    _inventory_of(tree["a1"])
    _inventory_of(tree["b"])
    client = client_for(users["member_a"])
    today = timezone.localdate().isoformat()
    for kind, name in LIST_URLS.items():
        response = client.get(reverse(f"inventory:{name}_list"), {"export": fmt})
        assert response.status_code == 200
        stem = IMPORTERS[kind].file_stem
        assert response["Content-Disposition"] == f'attachment; filename="{stem}-{today}.{fmt}"'
        if fmt == "csv":
            assert response.content.startswith(b"\xef\xbb\xbf")
            assert "'=SUM(A1:A9)" in response.content.decode("utf-8-sig") or kind != "systems"
        assert "B" not in {row.split(",")[0] for row in _lines(response.content, fmt)[1:]}
        before = inventory_counts()
        result = IMPORTERS[kind](user=users["member_a"]).run_bytes(response.content, f"export.{fmt}")
        assert result.ok, (kind, messages(result))
        assert (result.created, result.updated, result.unchanged) == (0, 0, 1), kind
        assert inventory_counts() == before
    assert InformationSystem.objects.get(unit=tree["a1"]).description == "=SUM(A1:A9)"
    response = client.get(reverse("inventory:host_list"), {"export": fmt, "q": "no-such-host"})
    assert len(_lines(response.content, fmt)) == 1


def _lines(content, fmt):
    if fmt == "csv":
        return content.decode("utf-8-sig").splitlines()
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [",".join(str(v or "") for v in row) for row in sheet.iter_rows(values_only=True)]


def test_import_views(client_for, users, tree):
    client = client_for(users["member_a"])
    url = reverse("inventory:host_import")
    upload = SimpleUploadedFile("hosts.csv", b"unit_code,hostname,ip_addresses\nA1,web,10.0.0.x\n")
    content = client.post(url, {"file": upload}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Not an IP address: 10.0.0.x" in content and "ip_addresses" in content and not Host.objects.exists()
    upload = SimpleUploadedFile("hosts.xlsx", xlsx({"Máy chủ": [["unit_code", "hostname"], ["A1", "web"]]}))
    content = client.post(url, {"file": upload}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Imported: 1 created" in content and Host.objects.get().unit == tree["a1"]
    for name in LIST_URLS.values():
        assert client.get(reverse(f"inventory:{name}_import")).status_code == 200
    assert client_for(users["auditor"]).get(url).status_code == 403


def test_cli_inventory_import_export(tree, tmp_path):
    source = tmp_path / "kiemke.xlsx"
    source.write_bytes(xlsx(WORKBOOK))
    out = io.StringIO()
    call_command("inventory", "import", str(source), "--dry-run", stdout=out)
    assert out.getvalue().strip().endswith("Dry run, nothing written: 7 to create, 0 to update, 0 unchanged.")
    assert inventory_counts() == [0] * 6
    call_command("inventory", "import", str(source), stdout=io.StringIO())
    assert inventory_counts() == [2, 1, 1, 1, 1, 1]

    everything = tmp_path / "all.xlsx"
    out = io.StringIO()
    call_command("inventory", "export", "--kind", "all", "--format", "xlsx", "-o", str(everything), "--json", stdout=out)
    assert json.loads(out.getvalue())["rows"] == 7
    assert openpyxl.load_workbook(everything).sheetnames == [
        "Hệ thống thông tin", "Máy chủ", "Dải IP", "Tên miền", "Trang web", "Phần mềm"]
    out = io.StringIO()
    call_command("inventory", "import", str(everything), "--json", stdout=out)
    assert json.loads(out.getvalue())["unchanged"] == 7

    hosts = tmp_path / "hosts.csv"
    call_command("inventory", "export", "--kind", "hosts", "--format", "csv", "-o", str(hosts), stdout=io.StringIO())
    assert hosts.read_bytes().decode("utf-8-sig").splitlines()[0] == "unit_code,hostname,system,ip_addresses,os,role,description"
    hosts.write_text("unit_code,hostname\nNOPE,x\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("inventory", "import", str(hosts), "--kind", "hosts", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("inventory", "export", "--kind", "all", "--format", "csv", stdout=io.StringIO())
