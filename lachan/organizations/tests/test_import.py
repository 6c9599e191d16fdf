"""Units import/export: the real appendix of letter 03/STTTT-BCVT, CSV/XLSX tables, scope, the UI and the CLI."""

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone, translation

from lachan.core.tests.test_tabular import to_cp1258
from lachan.organizations.appendix import AppendixError, guess_kind, parse_appendix, slug_code, unique_code
from lachan.organizations.importers import UnitImporter
from lachan.organizations.models import Unit, UnitGroup
from lachan.organizations.services import unit_update
from lachan.testing.factories import UserFactory

SEEDS = Path(__file__).resolve().parents[3].parent / "shared" / "seeds"
APPENDIX = SEEDS / "000_b653d81f557cb6f6.txt"
needs_seeds = pytest.mark.skipif(not APPENDIX.is_file(), reason=f"the seed letters are not in {SEEDS}")
BOM = b"\xef\xbb\xbf"


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Messages are asserted in the source language (the Vietnamese catalogue is maintained separately)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # pages too, not only messages built in the test
    with translation.override("en"):
        yield


def run_csv(text, user=None, **kwargs):
    return UnitImporter(user=user, **kwargs).run_bytes(text.encode(), "donvi.csv")


def messages(result):
    return [str(issue) for issue in result.errors]


# --- the appendix of the real letter -----------------------------------------------------------------

@needs_seeds
def test_appendix_of_the_letter_creates_88_units_in_7_groups_and_is_idempotent(db):
    result = UnitImporter().run_path(APPENDIX)
    assert result.ok and result.written, messages(result)
    assert (result.created, result.updated, result.unchanged) == (88, 0, 0)
    groups = list(UnitGroup.objects.order_by("order"))
    assert [g.units.count() for g in groups] == [26, 15, 13, 7, 12, 9, 6]
    assert groups[0].name == "Khối các cơ quan quản lý nhà nước trực thuộc Ủy ban nhân dân thành phố"
    assert groups[3].name == "Khối các cơ quan Đảng thành phố"
    units = Unit.objects.all()
    assert units.count() == 88
    assert all(u.parent_id is None and u.depth == 0 and u.path == f"/{u.pk}/" for u in units)
    codes = [u.code for u in units]
    assert len(set(codes)) == 88 and all(c.isascii() and c == c.upper() and len(c) <= 50 for c in codes)
    kinds = dict(units.values_list("name", "kind"))
    assert kinds["Sở Y tế"] == "department"
    assert kinds["Quận Ngô Quyền"] == kinds["Huyện Bạch Long Vĩ"] == "district"
    assert kinds["Trường Đại học Hải Phòng"] == "school"
    assert kinds["Ban Tuyên giáo Thành ủy"] == kinds["Văn phòng Thành ủy"] == "party"
    assert kinds["Báo Hải Phòng"] == kinds["Đài Phát thanh và Truyền hình Hải Phòng"] == "press"
    assert kinds["Công ty TNHH MTV Xổ số Hải Phòng"] == "enterprise"
    assert kinds["Hội Nông dân thành phố"] == kinds["Đoàn Thanh niên Cộng sản Hồ Chí Minh thành phố"] == "mass_organization"
    assert kinds["Ủy ban Mặt trận Tổ quốc Việt Nam thành phố"] == "mass_organization"
    assert kinds["Chi nhánh Ngân hàng nhà nước Hải Phòng"] == "bank"
    for name in ("Công an thành phố", "Cục Thuế thành phố", "Kho bạc Nhà nước", "Tòa án nhân dân thành phố",
                 "Viện kiểm sát nhân dân thành phố", "Bảo hiểm xã hội thành phố", "Bộ Chỉ huy Quân sự thành phố"):
        assert kinds[name] == "central_agency", name
    assert kinds["Vườn Quốc gia Cát Bà"] == "agency"
    assert Unit.objects.get(name="Sở Y tế").groups.get().name == groups[0].name
    assert LogEntry.objects.get_for_object(Unit.objects.get(name="Sở Y tế")).exists()

    entries = LogEntry.objects.count()
    again = UnitImporter().run_path(APPENDIX)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 88)
    assert Unit.objects.count() == 88 and UnitGroup.objects.count() == 7
    assert LogEntry.objects.count() == entries


@needs_seeds
def test_appendix_under_a_parent_unit(tree):
    result = UnitImporter(parent=tree["root"]).run_path(APPENDIX)
    assert result.ok and result.created == 88
    children = Unit.objects.filter(parent=tree["root"])
    assert children.count() == 88 + 2  # and A, B
    assert all(u.path.startswith(tree["root"].path) and u.depth == 1 for u in children)
    assert UnitImporter(parent=tree["root"]).run_path(APPENDIX).created == 0
    # elsewhere in the tree the same names are other units
    assert UnitImporter(parent=tree["b"]).run_path(APPENDIX, dry_run=True).created == 88


@needs_seeds
@pytest.mark.parametrize("name", ["001_40c69271d93fd071.txt", "002_009c2500aa5e3533.txt",
                                  "003_0021695bf5c6d11d.txt", "004_4f3196f2396613e4.txt"])
def test_letters_without_an_appendix_are_refused_clearly(db, name):
    result = UnitImporter().run_path(SEEDS / name)
    assert not result.ok
    assert "appendix" in messages(result)[0] and "STT" in messages(result)[0]
    assert not Unit.objects.exists()


@needs_seeds
def test_appendix_with_unit_user_needs_a_parent_in_scope(users, tree):
    result = UnitImporter(user=users["admin_a"]).run_path(APPENDIX)
    assert not result.ok and "Only coordinators" in messages(result)[0]
    result = UnitImporter(user=users["admin_a"], parent=tree["b"]).run_path(APPENDIX)
    assert not result.ok and "outside the part of the tree" in messages(result)[0]
    result = UnitImporter(user=users["admin_a"], parent=tree["a1"]).run_path(APPENDIX)
    assert not result.ok and "only coordinators create groups" in messages(result)[0]
    assert Unit.objects.count() == 4


def test_appendix_parser_is_general():
    markdown = (
        "**Phụ lục**\n\n| STT | Tên cơ quan, đơn vị |\n|---|---|\n| **I. Các sở, ngành** | |\n"
        "| 1 | Sở Nội vụ |\n| 2 | Sở Tư pháp |\n\n| **II. Các huyện** | |\n| 1 | Huyện Định Quán |\n"
        "| 3 | Huyện Tân Phú |\n"
    )
    appendix = parse_appendix(markdown)
    assert [(g.name, [u.name for u in g.units]) for g in appendix.groups] == [
        ("I. Các sở, ngành", ["Sở Nội vụ", "Sở Tư pháp"]), ("II. Các huyện", ["Huyện Định Quán", "Huyện Tân Phú"])]
    assert [line for line, _message in appendix.warnings] == [11]

    spaced = (
        "DANH SÁCH ĐƠN VỊ\nTT    Tên đơn vị\nI.    Khối sở, ngành\n1.    Sở Công Thương\n"
        "2.    Ban Quản lý các khu công nghiệp\n      tỉnh Đồng Nai\n\nII.   Khối doanh nghiệp\n"
        "1. Viễn thông Đồng Nai (VNPT)\nKT. GIÁM ĐỐC\n"
    )
    appendix = parse_appendix(spaced)
    assert [(g.name, [u.name for u in g.units]) for g in appendix.groups] == [
        ("Khối sở, ngành", ["Sở Công Thương", "Ban Quản lý các khu công nghiệp tỉnh Đồng Nai"]),
        ("Khối doanh nghiệp", ["Viễn thông Đồng Nai (VNPT)"])]
    assert "KT. GIÁM ĐỐC" in str(appendix.warnings)


@pytest.mark.parametrize("text", ["Kính gửi: các Sở, ban, ngành.\n1. Tăng cường giám sát.\n",
                                  "STT\tTÊN ĐƠN VỊ\n<b>Khối trống</b>\t\n", ""])
def test_appendix_parser_refuses_other_text(text):
    with pytest.raises(AppendixError):
        parse_appendix(text)


@pytest.mark.parametrize("name, kind", [
    ("Sở Y tế", "department"), ("Quận Hải An", "district"), ("Thị xã Long Khánh", "district"),
    ("Huyện ủy An Dương", "party"), ("Văn phòng Tỉnh uỷ", "party"), ("Trường THPT Trần Phú", "school"),
    ("Báo Đồng Nai", "press"), ("Tổng công ty Viễn thông MobiFone", "enterprise"), ("Công ty CP Cấp nước", "enterprise"),
    ("Liên đoàn Lao động tỉnh", "mass_organization"), ("Hội Cựu chiến binh", "mass_organization"),
    ("Ngân hàng Nhà nước chi nhánh Đồng Nai", "bank"), ("Toà án nhân dân tỉnh", "central_agency"),
    ("Cục Hải quan", "central_agency"), ("Văn phòng Hội đồng nhân dân", "agency"), ("Hội đồng nhân dân tỉnh", "agency"),
    ("Trung tâm Công nghệ thông tin", "agency"), ("Đại học Quốc gia", "agency"),
])
def test_guess_kind(name, kind):
    assert guess_kind(name) == kind


def test_codes():
    assert slug_code("Sở Y tế") == "SO-Y-TE"
    assert slug_code("Đài Phát thanh") == "DAI-PHAT-THANH"
    long_name = "Công ty TNHH MTV Khai thác công trình thủy lợi Vĩnh Bảo"
    assert len(slug_code(long_name)) <= 46 and slug_code(long_name).endswith("VINH-BAO")
    taken = {"SO-Y-TE", "SO-Y-TE-2"}
    assert unique_code("Sở Y tế", taken) == "SO-Y-TE-3"


# --- tables ------------------------------------------------------------------------------------------

def test_csv_with_vietnamese_headers_and_a_parent_defined_later(tree):
    text = ("MÃ;TEN DON VI;Mã đơn vị cha;Khối;Loại;Địa chỉ\n"
            "PX-1;Phòng Một;PX;Khối phòng;;<b>Số 1</b> Lê Lợi\n"
            "PX;Phòng Xa;ROOT;\"Khối phòng; Khối khác\";division;\n")
    result = run_csv(text)
    assert result.ok, messages(result)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    px1 = Unit.objects.get(code="PX-1")
    assert px1.parent.code == "PX" and px1.parent.parent == tree["root"] and px1.depth == 2
    assert px1.path.startswith(Unit.objects.get(code="PX").path)
    assert px1.kind == "agency" and px1.address == "<b>Số 1</b> Lê Lợi"  # HTML is text; templates escape it
    assert sorted(g.name for g in Unit.objects.get(code="PX").groups.all()) == ["Khối khác", "Khối phòng"]
    assert Unit.objects.get(code="PX").kind == "division"
    assert run_csv(text).unchanged == 2
    changed = run_csv(text.replace("Phòng Một", "Phòng Một (mới)"))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    assert Unit.objects.get(code="PX-1").name == "Phòng Một (mới)"


def test_row_errors_name_row_and_column_and_nothing_is_written(tree):
    text = ("code,name,parent_code,email,kind,website\n"
            "OK1,Đơn vị tốt,ROOT,,,\n"
            "BAD1,Đơn vị 1,XYZ,,,\n"
            "BAD2,,ROOT,,,\n"
            "BAD3,Đơn vị 3,ROOT,not-an-email,,\n"
            "BAD4,Đơn vị 4,ROOT,,planet,\n"
            "OK1,Trùng mã,ROOT,,,\n"
            "BAD5,Đơn vị 5,ROOT,,,javascript:alert(1)\n"
            "BAD6,=HYPERLINK(\"http://evil\"),ROOT,,,\n")
    result = run_csv(text)
    found = messages(result)
    assert "Row 3, column parent_code: No unit with code “XYZ”." in found
    assert any(m.startswith("Row 4, column name:") for m in found)
    assert any(m.startswith("Row 5, column email:") for m in found)
    assert any(m.startswith("Row 6, column kind: “planet” is not one of") for m in found)
    assert "Row 7, column code: Duplicate of row 2." in found
    assert any(m.startswith("Row 8, column website:") for m in found)
    assert any(m.startswith("Row 9, column name: Formulas are not accepted") for m in found)
    assert not result.written and not Unit.objects.filter(code="OK1").exists()
    assert result.summary().startswith("Nothing was imported: 7 error(s)")


def test_parent_loops_and_missing_columns(tree):
    result = run_csv("code,name,parent_code\nX,Ex,Y\nY,Why,X\nZ,Zed,X\n")
    found = messages(result)
    assert "Row 2, column parent_code: The parent units form a loop: X → Y → X." in found
    assert "Row 3, column parent_code: The parent units form a loop: Y → X → Y." in found or \
        "Row 3, column parent_code: The parent units form a loop: X → Y → X." in found
    assert any(m.startswith("Row 4, column parent_code: The parent unit “X” (row 2) has errors") for m in found)
    result = run_csv("mã,địa chỉ\nX,Hải Phòng\n")
    assert messages(result) == [
        "Row 1: Missing required column(s): name. The first row must hold the column names; accepted columns: "
        "code, name, short_name, kind, parent_code, groups, address, email, phone, website, description."]
    result = run_csv("code,name\n")
    assert "no data rows" in messages(result)[0]


def test_cannot_move_a_unit_under_its_own_descendant(tree):
    result = run_csv("code,name,parent_code\nA,Đơn vị A,A1\n")
    assert messages(result) == ["Row 2, column parent_code: A unit cannot be placed under itself or one of its "
                                "sub-units."]


def test_cp1258_semicolon_file(tree):
    data = to_cp1258("mã;tên;tên viết tắt\nHP-SYT;Sở Y tế Hải Phòng;Sở Y tế\n")
    result = UnitImporter().run_bytes(data, "donvi.csv")
    assert result.ok, messages(result)
    assert Unit.objects.get(code="HP-SYT").name == "Sở Y tế Hải Phòng"


def test_xlsx_units_with_title_rows(tree, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Đơn vị"
    sheet.append(["DANH SÁCH ĐƠN VỊ"])
    sheet.append(["Mã", "Tên", "Mã đơn vị cha", "Điện thoại"])
    sheet.append(["X1", "Đơn vị X1", "ROOT", "02253123456"])
    path = tmp_path / "donvi.xlsx"
    workbook.save(path)
    result = UnitImporter().run_path(path)
    assert result.ok and result.created == 1
    assert Unit.objects.get(code="X1").phone == "02253123456"


def test_limits(tree, settings, tmp_path):
    settings.UPLOAD_MAX_BYTES = 100
    path = tmp_path / "big.csv"
    path.write_text("code,name\n" + "X,Y\n" * 50)
    assert "too large" in messages(UnitImporter().run_path(path))[0]
    settings.UPLOAD_MAX_BYTES = 10_000
    settings.IMPORT_MAX_ROWS = 10
    assert "more than 10 rows" in messages(UnitImporter().run_path(path))[0]


# --- scope -------------------------------------------------------------------------------------------

def test_unit_admin_imports_only_inside_their_scope(users, tree):
    admin = users["admin_a"]
    text = ("code,name,parent_code\n"
            "A1-NEW,Con của A1,A1\n"
            "B-NEW,Con của B,B\n"
            "TOP,Gốc mới,\n"
            "B,Đổi tên B,ROOT\n")
    result = run_csv(text, user=admin)
    found = {issue.row: str(issue) for issue in result.errors}
    assert found == {
        3: "Row 3, column parent_code: The parent unit “B” (row 5) has errors.",
        4: "Row 4, column parent_code: Only coordinators create top-level units: give the code of a parent unit "
           "within your scope.",
        5: "Row 5, column code: The code “B” is already used by another unit.",
    }
    assert not Unit.objects.filter(code="A1-NEW").exists()
    assert messages(run_csv("code,name,parent_code\nB-NEW,Con của B,B\n", user=admin)) == [
        "Row 2, column parent_code: No unit with code “B”."]
    result = run_csv("code,name,parent_code\nA1-NEW,Con của A1,A1\n", user=admin)
    assert result.ok and result.written
    created = Unit.objects.get(code="A1-NEW")
    assert LogEntry.objects.get_for_object(created).filter(actor=admin).exists()
    assert not run_csv("code,name,parent_code\nX,X,A1\n", user=users["member_a"]).ok  # members do not manage units


# --- UI and exports ----------------------------------------------------------------------------------

def test_import_view_shows_row_errors_escaped_and_dry_run_writes_nothing(client_for, users, tree):
    client = client_for(users["coordinator"])
    url = reverse("organizations:unit_import")
    bad = SimpleUploadedFile("u.csv", "code,name,parent_code\nX1,Tên,<script>alert(1)</script>\n".encode())
    response = client.post(url, {"file": bad}, HTTP_ACCEPT_LANGUAGE="en")
    content = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in content
    assert "No unit with code “&lt;script&gt;alert(1)&lt;/script&gt;”." in content
    assert "parent_code" in content and not Unit.objects.filter(code="X1").exists()

    good = "code,name,parent_code\nX1,<i>Tên</i>,ROOT\n".encode()
    response = client.post(url, {"file": SimpleUploadedFile("u.csv", good), "dry_run": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Check passed, nothing was written: 1 to create" in response.content.decode()
    assert not Unit.objects.filter(code="X1").exists()
    response = client.post(url, {"file": SimpleUploadedFile("u.csv", good)}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Imported: 1 created" in response.content.decode()
    assert Unit.objects.get(code="X1").name == "<i>Tên</i>"


def test_import_view_refuses_broken_xlsx_without_traceback(client_for, users, tree):
    client = client_for(users["coordinator"])
    upload = SimpleUploadedFile("units.xlsx", b"code,name\nA,B\n")
    response = client.post(reverse("organizations:unit_import"), {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "not a valid XLSX workbook" in response.content.decode()


def test_unit_export_is_scoped_filtered_neutralised_and_reimportable(client_for, users, tree):
    unit_update(unit=tree["a1"], description='=HYPERLINK("http://evil","x")')
    client = client_for(users["admin_a"])
    response = client.get(reverse("organizations:unit_list"), {"export": "csv"})
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="don-vi-{today}.csv"'
    assert response.content.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["code"] for r in rows} == {"A", "A1"}
    assert next(r for r in rows if r["code"] == "A1")["description"] == '\'=HYPERLINK("http://evil","x")'
    response = client.get(reverse("organizations:unit_list"), {"export": "xlsx", "q": "A1"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == ["code", "A1"]

    exported = client.get(reverse("organizations:unit_list"), {"export": "csv"}).content
    result = UnitImporter(user=users["admin_a"]).run_bytes(exported, "don-vi.csv")
    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 0, 2), messages(result)
    assert Unit.objects.get(code="A1").description == '=HYPERLINK("http://evil","x")'


def test_other_organisation_lists_export(client_for, users, tree):
    client = client_for(users["coordinator"])
    for name in ("unitgroup_list", "contact_list", "externalcontact_list"):
        response = client.get(reverse(f"organizations:{name}"), {"export": "xlsx"})
        assert response.status_code == 200 and response.content.startswith(b"PK")


# --- CLI ---------------------------------------------------------------------------------------------

def test_cli_import_export_round_trip(tree, tmp_path):
    actor = UserFactory(username="operator-cli", unit=tree["root"])
    source = tmp_path / "units.csv"
    source.write_text("code,name,parent_code,groups\nC1,Con 1,ROOT,Khối C\nC2,Con 2,C1,Khối C\n", encoding="utf-8")
    out = io.StringIO()
    call_command("units", "import", str(source), "--actor", "operator-cli", stdout=out)
    assert out.getvalue().strip().endswith("Imported: 2 created, 0 updated, 0 unchanged.")
    assert LogEntry.objects.get_for_object(Unit.objects.get(code="C2")).filter(actor=actor).exists()

    target = tmp_path / "all.xlsx"
    call_command("units", "export", "--format", "xlsx", "-o", str(target), stdout=io.StringIO())
    out = io.StringIO()
    call_command("units", "import", str(target), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["ok"] and data["created"] == 0 and data["unchanged"] == 6

    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,parent_code\nC3,Con 3,NOPE\n", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("units", "import", str(bad), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["errors"] == [{"sheet": "", "row": 2, "column": "parent_code", "message": "No unit with code “NOPE”."}]
    with pytest.raises(CommandError, match="unknown unit code"):
        call_command("units", "import", str(source), "--parent", "NOPE", stdout=io.StringIO())


@needs_seeds
def test_appendix_recognises_units_already_in_its_group_elsewhere_in_the_tree(db):
    """The demo (or an earlier import with --parent) placed the recipients under the city's
    People's Committee; importing the letter again at the top level must not duplicate them."""
    call_command("demo", "load", stdout=io.StringIO())
    units_before = Unit.objects.count()
    sizes_before = [g.units.count() for g in UnitGroup.objects.order_by("order")]
    result = UnitImporter().run_path(APPENDIX)
    assert result.ok, messages(result)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 88)
    assert Unit.objects.count() == units_before
    sizes = {g.name: g.units.count() for g in UnitGroup.objects.all()}
    assert sizes["Khối các cơ quan Đảng thành phố"] == 7
    assert [g.units.count() for g in UnitGroup.objects.order_by("order")] == sizes_before


def test_group_unit_counts_only_count_units_in_scope(tree, users, client_for):
    from lachan.testing.factories import UnitGroupFactory

    group = UnitGroupFactory(name="Khối thử phạm vi")
    tree["a"].groups.add(group)
    tree["b"].groups.add(group)
    tree["root"].groups.add(group)
    client = client_for(users["member_a"])
    response = client.get(reverse("organizations:unitgroup_list"), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][0] == "Khối thử phạm vi" and rows[1][-1] == "1"
    client_for(users["coordinator"])
    response = client.get(reverse("organizations:unitgroup_list"), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][-1] == "3"


def test_unit_admin_edits_own_unit_keeping_its_parent(tree, users, client_for):
    client = client_for(users["admin_a"])
    unit = tree["a"]
    response = client.post(reverse("organizations:unit_edit", args=[unit.pk]), {
        "code": unit.code, "name": "Đơn vị A (đổi tên)", "kind": unit.kind, "parent": tree["root"].pk,
        "is_active": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    unit.refresh_from_db()
    assert unit.name == "Đơn vị A (đổi tên)" and unit.parent_id == tree["root"].pk
    # but may not move it under another unit outside the scope
    response = client.post(reverse("organizations:unit_edit", args=[unit.pk]), {
        "code": unit.code, "name": unit.name, "kind": unit.kind, "parent": tree["b"].pk, "is_active": "on"})
    assert response.status_code == 200
    unit.refresh_from_db()
    assert unit.parent_id == tree["root"].pk
