"""National warning lists: CSV (UTF-8, cp1258, UTF-16), XLSX (openpyxl), a DOCX letter (python-docx), pasted
text; all written here in tmp_path the way the authorities send them."""

import datetime
import io
import unicodedata
import zipfile

import docx
import openpyxl
import pytest
from django.utils import translation

from lachan.vulns.advisories import AdvisoryParseError, detect_format, parse_national
from lachan.vulns.records import NationalWarning, WarningItem

D = datetime.date


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


HEADER = ["STT", "Mã lỗ hổng", "Hãng", "Sản phẩm bị ảnh hưởng", "Phiên bản bị ảnh hưởng", "Mức độ nghiêm trọng",
          "Hạn xử lý"]
ROWS = [
    ["1", "CVE-2024-21762, CVE-2024-23113", "Fortinet", "FortiOS", "7.0.0 đến 7.0.13; 7.2.0 đến 7.2.6",
     "Nghiêm trọng", "15/11/2026"],
    ["2", "cve-2024-3400", "Palo Alto Networks", "PAN-OS GlobalProtect", "10.2, 11.0, 11.1", "Critical",
     "10/11/2026"],
    ["3", "CVE-2023-46805", "Ivanti", "Connect Secure", "9.x, 22.x", "Cao", ""],
    ["4", "", "Microsoft", "Exchange Server 2016", "CU23", "Trung bình", "30/11/2026"],
]
EXPECTED = [
    WarningItem("CVE-2024-21762", "Fortinet", "FortiOS", "7.0.0 đến 7.0.13; 7.2.0 đến 7.2.6", "critical", 3,
                D(2026, 11, 15)),
    WarningItem("CVE-2024-23113", "Fortinet", "FortiOS", "7.0.0 đến 7.0.13; 7.2.0 đến 7.2.6", "critical", 3,
                D(2026, 11, 15)),
    WarningItem("CVE-2024-3400", "Palo Alto Networks", "PAN-OS GlobalProtect", "10.2, 11.0, 11.1", "critical", 4,
                D(2026, 11, 10)),
    WarningItem("CVE-2023-46805", "Ivanti", "Connect Secure", "9.x, 22.x", "high", 5, None),
    WarningItem("", "Microsoft", "Exchange Server 2016", "CU23", "medium", 6, D(2026, 11, 30)),
]
TITLE = "DANH SÁCH LỖ HỔNG BẢO MẬT CẦN KHẮC PHỤC THÁNG 11/2026"


def csv_text(rows, header=HEADER, title=TITLE):
    lines = [title] if title else []
    lines += [",".join(f'"{c}"' if "," in c else c for c in row) for row in [header, *rows]]
    return "\r\n".join(lines) + "\r\n"


def to_cp1258(text):
    """Windows-1258 as Excel writes it: base letters precomposed, tones as combining marks."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
        out.append(base + "".join(c for c in decomposed if c in tones))
    return "".join(out).encode("cp1258")


def test_csv_utf8(tmp_path):
    path = tmp_path / "canh-bao.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text(ROWS).encode("utf-8"))
    assert detect_format(path) == "csv"
    warning = parse_national(path)
    assert warning.items == EXPECTED
    assert warning.title == TITLE
    assert warning.deadline == D(2026, 11, 10)  # the earliest line deadline, the list giving none of its own


@pytest.mark.parametrize("encoding", ["cp1258", "utf-16"])
def test_csv_windows_encodings(encoding):
    data = to_cp1258(csv_text(ROWS)) if encoding == "cp1258" else csv_text(ROWS).encode(encoding)
    warning = parse_national(io.BytesIO(data), filename="canh-bao.csv")
    assert warning.items == EXPECTED
    assert warning.title == TITLE


def test_english_headers_semicolons_and_scores():
    text = ("No;CVE ID;Vendor;Product;Affected versions;Severity (CVSS);Deadline\n"
            "1;CVE-2024-21887;Ivanti;Policy Secure;22.x;9.1;2026-12-01\n"
            "2;CVE-2024-21893 / CVE-2024-22024;Ivanti;ZTA gateways;;High/Cao;01/12/2026\n")
    warning = parse_national(text.encode(), "csv")
    assert [(i.cve_id, i.product, i.severity, i.deadline, i.line) for i in warning.items] == [
        ("CVE-2024-21887", "Policy Secure", "critical", D(2026, 12, 1), 2),
        ("CVE-2024-21893", "ZTA gateways", "high", D(2026, 12, 1), 3),
        ("CVE-2024-22024", "ZTA gateways", "high", D(2026, 12, 1), 3),
    ]


def test_xlsx(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Tháng 11"
    sheet.append([TITLE])
    sheet.append([])
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append([int(row[0]), *row[1:6], datetime.datetime.strptime(row[6], "%d/%m/%Y") if row[6] else None])
    path = tmp_path / "canh-bao.xlsx"
    workbook.save(path)
    assert detect_format(path) == "xlsx"
    warning = parse_national(path)
    assert [(i.cve_id, i.product, i.severity, i.deadline) for i in warning.items] == [
        (i.cve_id, i.product, i.severity, i.deadline) for i in EXPECTED]
    assert [i.line for i in warning.items] == [4, 4, 5, 6, 7]  # Excel row numbers (title, blank row, header)
    assert warning.title == TITLE


def test_bad_cells_name_row_and_column():
    rows = [*ROWS[:3], ["7", "CVE-24-1", "Cisco", "IOS XE", "17.x", "Cao", ""]]
    with pytest.raises(AdvisoryParseError) as error:
        parse_national(csv_text(rows, title="").encode(), "csv")
    assert str(error.value) == "row 5, column 'Mã lỗ hổng': 'CVE-24-1' is not a CVE id"
    rows = [*ROWS[:1], ["2", "CVE-2024-20399", "Cisco", "NX-OS", "", "Rất nguy hiểm", ""]]
    with pytest.raises(AdvisoryParseError, match=r"^row 3, column 'Mức độ nghiêm trọng': 'Rất nguy hiểm' is not a "):
        parse_national(csv_text(rows, title="").encode(), "csv")
    rows = [["1", "CVE-2024-20399", "Cisco", "NX-OS", "", "Cao", "31/11/2026"]]
    with pytest.raises(AdvisoryParseError, match=r"^row 2, column 'Hạn xử lý': '31/11/2026' is not a date"):
        parse_national(csv_text(rows, title="").encode(), "csv")


def test_formula_cells_refused_with_the_row():
    rows = [*ROWS[:2], ["3", "CVE-2023-46805", "Ivanti", '=HYPERLINK("http://evil.example","Connect Secure")',
                        "", "Cao", ""]]
    with pytest.raises(AdvisoryParseError) as error:
        parse_national(csv_text(rows).encode(), "csv")
    assert str(error.value).startswith("row 5, column 'Sản phẩm bị ảnh hưởng': a formula is not accepted: '=HYPERLINK(")


def test_xlsx_formula_refused(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER)
    workbook.active.append(["1", "CVE-2024-3400", "Palo Alto", "PAN-OS", "", "=1+1", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(AdvisoryParseError, match=r"^row 2, column 'Mức độ nghiêm trọng': a formula is not accepted"):
        parse_national(buffer.getvalue())


def test_no_header():
    with pytest.raises(AdvisoryParseError, match="No header row with a CVE column"):
        parse_national(b"a,b,c\n1,2,3\n", "csv")


LETTER_TEXT = """BỘ THÔNG TIN VÀ TRUYỀN THÔNG
CỤC AN TOÀN THÔNG TIN
Số: 123/CATTT-NCSC
V/v cảnh báo lỗ hổng bảo mật ảnh hưởng cao, nghiêm trọng trong các sản phẩm Fortinet, Palo Alto
Hà Nội, ngày 05 tháng 11 năm 2026
Kính gửi: Các đơn vị chuyên trách về CNTT
1. CVE-2024-21762: lỗ hổng ghi ngoài vùng nhớ trong FortiOS SSL VPN, mức độ: nghiêm trọng
2. Lỗ hổng CVE-2024-3400 trong PAN-OS GlobalProtect (CVSS 10.0)
3. cve-2024-23113, CVE-2024-21762 - FortiOS fgfmd
Đề nghị các đơn vị kiểm tra, cập nhật bản vá. Hạn báo cáo: trước ngày 20/11/2026.
"""


def test_pasted_text():
    assert detect_format(io.BytesIO(LETTER_TEXT.encode())) == "text"
    warning = parse_national(LETTER_TEXT.encode())
    assert (warning.number, warning.issued_on, warning.deadline, warning.issuer) == (
        "123/CATTT-NCSC", D(2026, 11, 5), D(2026, 11, 20), "CỤC AN TOÀN THÔNG TIN")
    assert warning.title == ("cảnh báo lỗ hổng bảo mật ảnh hưởng cao, nghiêm trọng trong các sản phẩm Fortinet, "
                             "Palo Alto")
    assert warning.items == [
        WarningItem("CVE-2024-21762", product="lỗ hổng ghi ngoài vùng nhớ trong FortiOS SSL VPN, mức độ: nghiêm trọng",
                    severity="critical", line=7),
        WarningItem("CVE-2024-3400", product="Lỗ hổng trong PAN-OS GlobalProtect (CVSS 10.0)", severity="critical",
                    line=8),
        WarningItem("CVE-2024-23113", product="FortiOS fgfmd", line=9),  # CVE-2024-21762 again: kept once
    ]


def letter_docx(path, *, rows=ROWS):
    document = docx.Document()
    head = document.add_table(rows=1, cols=2)  # the letterhead: issuer and number left, motto and date right
    head.cell(0, 0).text = "BỘ THÔNG TIN VÀ TRUYỀN THÔNG\nCỤC AN TOÀN THÔNG TIN\nSố: 123/CATTT-NCSC"
    head.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nHà Nội, ngày 05 tháng 11 năm 2026"
    document.add_paragraph("V/v cảnh báo lỗ hổng bảo mật tháng 11/2026")
    document.add_paragraph("Kính gửi: Sở Thông tin và Truyền thông các tỉnh, thành phố")
    document.add_paragraph("Cục An toàn thông tin cảnh báo các lỗ hổng sau (chi tiết trong bảng):")
    table = document.add_table(rows=1, cols=len(HEADER))
    for cell, text in zip(table.rows[0].cells, HEADER, strict=True):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    document.add_paragraph("Thời hạn hoàn thành: 25/11/2026.")
    document.save(path)


def test_docx_letter(tmp_path):
    path = tmp_path / "cong-van-123.docx"
    letter_docx(path)
    assert detect_format(path) == "docx"
    warning = parse_national(path)
    assert isinstance(warning, NationalWarning)
    assert (warning.number, warning.issued_on, warning.issuer, warning.title, warning.deadline) == (
        "123/CATTT-NCSC", D(2026, 11, 5), "CỤC AN TOÀN THÔNG TIN", "cảnh báo lỗ hổng bảo mật tháng 11/2026",
        D(2026, 11, 25))
    assert [(i.cve_id, i.vendor, i.severity, i.deadline) for i in warning.items] == [
        (i.cve_id, i.vendor, i.severity, i.deadline) for i in EXPECTED]
    assert [i.line for i in warning.items] == [2, 2, 3, 4, 5]  # rows of the table (header = row 1)
    with path.open("rb") as file:
        assert parse_national(file, "docx") == warning


def test_docx_errors_name_the_table():
    path = io.BytesIO()
    letter_docx(path, rows=[["1", "CVE-2024-3400", "Palo Alto", "PAN-OS", "", "Cao", "hôm nay"]])
    with pytest.raises(AdvisoryParseError, match=r"^table 2, row 2, column 'Hạn xử lý': 'hôm nay' is not a date"):
        parse_national(path.getvalue())


def test_docx_without_table_reads_the_paragraphs(tmp_path):
    document = docx.Document()
    for line in LETTER_TEXT.splitlines():
        document.add_paragraph(line)
    path = tmp_path / "letter.docx"
    document.save(path)
    warning = parse_national(path)
    assert [i.cve_id for i in warning.items] == ["CVE-2024-21762", "CVE-2024-3400", "CVE-2024-23113"]
    assert warning.number == "123/CATTT-NCSC"


def zip_bomb(size):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b" " * size)
    return buffer.getvalue()


def test_zip_bomb_docx_refused():
    small_but_dense = zip_bomb(4 * 1024 * 1024)  # 4 MiB of spaces pack to a few KiB: ratio far above 100
    assert len(small_but_dense) < 40_000
    with pytest.raises(AdvisoryParseError, match=r"unpacks to 4194\d+ bytes .*refused"):
        parse_national(small_but_dense, filename="canh-bao.docx")
    with pytest.raises(AdvisoryParseError, match=r"unpacks to 5242\d+ bytes"):
        parse_national(zip_bomb(50 * 1024 * 1024 + 1), "docx")


def test_unsupported_inputs():
    with pytest.raises(AdvisoryParseError, match="empty"):
        parse_national(b"  \r\n")
    with pytest.raises(AdvisoryParseError, match=r"\.doc, \.xls"):
        parse_national(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(AdvisoryParseError, match="not a valid DOCX"):
        parse_national(b"PK\x03\x04 not really a zip", "docx")
