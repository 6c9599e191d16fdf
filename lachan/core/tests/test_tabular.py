"""core.tabular: real files in the encodings, delimiters and formats people send, and hostile ones."""

import codecs
import io
import unicodedata
import zipfile

import openpyxl
import pytest
from django.utils import translation

from lachan.core import tabular
from lachan.core.tabular import TabularError


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the Vietnamese catalogue is checked by test_i18n)."""
    from django.utils import translation

    with translation.override("en"):
        yield

VIETNAMESE = "mã;tên;địa chỉ\nSO-YT;Sở Y tế;Số 1 Đường Lê Lợi, Hải Phòng\nQ-NQ;Quận Ngô Quyền;Ủy ban nhân dân\n"
TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text):
    """Encode as Windows-1258 does: base letters (â, ơ, ư, đ…) precomposed, tones as combining marks."""
    out = []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONES))
        out.append(base + "".join(c for c in decomposed if c in TONES))
    return "".join(out).encode("cp1258")


def rows(sheet):
    return [cells for _number, cells in sheet.rows]


@pytest.fixture(autouse=True)
def _english():
    """The messages are matched in English; the site's default language is Vietnamese."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize("data", [
    VIETNAMESE.encode("utf-8"),
    codecs.BOM_UTF8 + VIETNAMESE.encode("utf-8"),
    to_cp1258(VIETNAMESE),
    VIETNAMESE.encode("utf-16"),
], ids=["utf8", "utf8-bom", "cp1258", "utf16"])
def test_encodings_are_detected_and_text_is_nfc(data):
    [sheet] = tabular.read_table(data, "donvi.csv")
    assert rows(sheet)[1] == ["SO-YT", "Sở Y tế", "Số 1 Đường Lê Lợi, Hải Phòng"]
    assert rows(sheet)[2][2] == "Ủy ban nhân dân"
    assert all(unicodedata.is_normalized("NFC", cell) for row in rows(sheet) for cell in row)


def test_cp1258_really_uses_combining_tones():
    data = to_cp1258("Sở Y tế")
    assert data != "Sở Y tế".encode("cp1258", errors="replace")  # "ở" is o-horn + combining hook
    assert tabular.decode_text(data) == "Sở Y tế"


def test_cp1252_file():
    text = "code,name\nX,Société Générale – café\n"
    assert tabular.decode_text(text.encode("cp1252")) == text


def test_encoding_override_and_its_errors():
    data = to_cp1258("tên\nHải Phòng\n")
    assert tabular.decode_text(data, "cp1258") == "tên\nHải Phòng\n"
    with pytest.raises(TabularError, match="Unknown text encoding"):
        tabular.decode_text(data, "no-such-codec")
    with pytest.raises(TabularError, match="not valid utf-8"):
        tabular.decode_text(data, "utf-8")


def test_binary_is_refused():
    with pytest.raises(TabularError, match="not a text file"):
        tabular.read_table(b"\x00\x01\x02binary\x00", "x.csv")


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters(delimiter):
    text = delimiter.join(["code", "name", "address"]) + "\n" + delimiter.join(
        ["A", '"Sở Y tế, Hải Phòng"', '"Số 1; Lê Lợi\tA"']) + "\n"
    [sheet] = tabular.read_table(text.encode(), "x.csv")
    assert rows(sheet) == [["code", "name", "address"], ["A", "Sở Y tế, Hải Phòng", "Số 1; Lê Lợi\tA"]]


def test_row_numbers_are_as_the_user_sees_them():
    [sheet] = tabular.read_table(b"code,name\n\nA,x\n,\nB,y\n", "x.csv")
    assert [number for number, _cells in sheet.rows] == [1, 3, 5]


def test_empty_files():
    with pytest.raises(TabularError, match="empty"):
        tabular.read_table(b"", "x.csv")
    with pytest.raises(TabularError, match="empty"):
        tabular.read_table(b" \r\n\r\n", "x.csv")


def test_row_limit():
    data = ("code\n" + "".join(f"U{i}\n" for i in range(11))).encode()
    with pytest.raises(TabularError, match="more than 10 rows"):
        tabular.read_table(data, "x.csv", max_rows=10)
    assert len(tabular.read_table(data, "x.csv", max_rows=11)[0].rows) == 12


def _workbook_bytes(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_sheets_values_and_formulas():
    import datetime

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Máy chủ"
    sheet["A1"] = "DANH SÁCH MÁY CHỦ"
    sheet.append([])
    sheet.append(["unit_code", "hostname", "ngày", "cấp độ"])
    sheet.append(["A", '=HYPERLINK("http://x","y")', datetime.datetime(2024, 3, 15), 3])
    sheet.append(["B", "web", datetime.date(2024, 1, 2), 2.0])
    workbook.create_sheet("Trống")
    sheets = tabular.read_table(_workbook_bytes(workbook), "kiemke.xlsx")
    assert [s.name for s in sheets] == ["Máy chủ", "Trống"]
    assert sheets[0].rows == [
        (1, ["DANH SÁCH MÁY CHỦ"]),
        (3, ["unit_code", "hostname", "ngày", "cấp độ"]),
        (4, ["A", '=HYPERLINK("http://x","y")', "2024-03-15", "3"]),
        (5, ["B", "web", "2024-01-02", "2"]),
    ]
    assert tabular.is_formula(sheets[0].rows[2][1][1])


@pytest.mark.parametrize("data, name", [
    (b"code,name\nA,B\n", "fake.xlsx"),
    (b"PK\x03\x04 truncated zip", "broken.xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls"),
], ids=["csv-named-xlsx", "truncated", "xls"])
def test_broken_or_disguised_workbooks_give_a_clear_message(data, name):
    with pytest.raises(TabularError) as excinfo:
        tabular.read_table(data, name)
    assert "xlsx" in str(excinfo.value).lower()


def test_zip_that_is_not_a_workbook(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(TabularError, match="not a valid XLSX"):
        tabular.read_table(buffer.getvalue(), "x.xlsx")


@pytest.mark.parametrize("text, formula", [
    ("=1+1", True), ("=HYPERLINK(\"http://evil\")", True), ("@SUM(A1)", True), ("+cmd|' /C calc'!A0", True),
    ("-2+3", True), ("\t=1", True), ("\rabc", True), ("  =1+1", True),
    ("+84 24 3640 4421", False), ("-5", False), ("-", False), ("Sở Y tế", False), ("a=b", False), ("", False),
])
def test_is_formula(text, formula):
    assert tabular.is_formula(text) is formula


@pytest.mark.parametrize("value", ["=1+1", "+84 912", "-x", "@a", "\tx", "\rx", "'=already", "''=twice", "plain", "'quote"])
def test_neutralise_round_trip(value):
    safe = tabular.neutralise(value)
    assert not tabular.is_formula(safe)
    assert tabular.unescape_cell(safe) == value


def test_write_csv_has_bom_and_neutralised_cells():
    data = tabular.write_csv(["name", "note"], [["=cmd()", "Hải Phòng"], ["@x", None]])
    assert data.startswith(codecs.BOM_UTF8)
    text = data.decode("utf-8-sig")
    assert text.splitlines() == ["name,note", "'=cmd(),Hải Phòng", "'@x,"]


def test_write_xlsx_writes_text_never_formulas():
    data = tabular.write_xlsx([("Hệ thống: [thông tin]/?", ["a", "b"], [["=1+1", 5], ["-2+3", "x"]])])
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    assert sheet.title == "Hệ thống   thông tin"
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert [c.value for c in cells] == ["'=1+1", "5", "'-2+3", "x"]
    assert {c.data_type for c in cells} == {"s"}


# --- streaming helpers (feed parsers) ---------------------------------------------------------------------

@pytest.mark.parametrize("data, expected", [
    (VIETNAMESE.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + VIETNAMESE.encode("utf-8"), "utf-8-sig"),
    (VIETNAMESE.encode("utf-16"), "utf-16"),
    (to_cp1258(VIETNAMESE), "cp1258"),
    ("code,name\nX,Société Générale – café\n".encode("cp1252"), "cp1252"),
    (b"plain ascii,1\n", "utf-8"),
], ids=["utf8", "utf8-bom", "utf16", "cp1258", "cp1252", "ascii"])
def test_detect_encoding_agrees_with_decode_text(data, expected):
    assert tabular.detect_encoding(data) == expected
    assert tabular.normalise_text(data.decode(expected).removeprefix("\ufeff")) == tabular.decode_text(data)


def test_detect_encoding_of_a_head_cut_inside_a_character():
    data = "Hải Phòng".encode()
    head = data[:2]  # "H" and the first byte of "ả"
    assert tabular.detect_encoding(head, partial=True) == "utf-8"
    assert tabular.detect_encoding(head, partial=False) != "utf-8"  # as a whole file it is not UTF-8


def test_detect_encoding_refuses_binary():
    with pytest.raises(TabularError, match="not a text file"):
        tabular.detect_encoding(b"\x00\x01\x02binary\x00")


def test_normalise_text():
    decomposed = unicodedata.normalize("NFD", "Sở Y tế")
    assert tabular.normalise_text(decomposed) == "Sở Y tế"
    ascii_text = "plain"
    assert tabular.normalise_text(ascii_text) is ascii_text


def test_iter_xlsx_streams_raw_values(tmp_path):
    import datetime

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách"
    sheet.append(["Địa chỉ IP", "Thời gian", "Cổng"])
    sheet.append(["192.0.2.1", datetime.datetime(2024, 3, 15, 8, 30), 80])
    sheet.append(["=1+1", None, None])
    workbook.create_sheet("Trống")
    path = tmp_path / "ds.xlsx"
    workbook.save(path)
    seen = [(title, list(rows)) for title, rows in tabular.iter_xlsx(str(path))]
    assert seen == [
        ("Danh sách", [(1, ("Địa chỉ IP", "Thời gian", "Cổng")),
                       (2, ("192.0.2.1", datetime.datetime(2024, 3, 15, 8, 30), 80)),
                       (3, ("=1+1", None, None))]),
        ("Trống", []),
    ]
    with open(path, "rb") as handle:  # a binary file works the same
        assert [title for title, _rows in tabular.iter_xlsx(handle)] == ["Danh sách", "Trống"]


def test_iter_xlsx_refuses_a_zip_bomb_before_parsing(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["x" * 1000])
    path = tmp_path / "big.xlsx"
    workbook.save(path)
    with pytest.raises(TabularError, match="too large"):
        list(tabular.iter_xlsx(str(path), max_expanded=100))
    with pytest.raises(TabularError, match="not a valid XLSX"):
        list(tabular.iter_xlsx(io.BytesIO(b"PK\x03\x04 truncated")))
