"""Generality: letters of the same genre written here in other layouts (documents/), a .docx built with
python-docx (header in a two-column table, as real letters have it) and a PDF with a text layer."""

import io
from pathlib import Path

import docx
import pytest

from lachan.directives.parsing import KEYS, parse_document

DOCS = Path(__file__).resolve().parent / "documents"


def parse(name):
    result = parse_document(DOCS / name)
    assert tuple(result) == KEYS
    return result


def test_quyet_dinh_with_can_cu_and_articles():
    r = parse("quyet_dinh.txt")  # header columns side by side on the same lines
    assert (r["doc_type"], r["number"], r["number_blank"]) == ("quyet_dinh", "123/QĐ-UBND", False)
    assert (r["issuer"], r["place"], r["date"], r["year"]) == ("ỦY BAN NHÂN DÂN TỈNH QUẢNG NINH", "Quảng Ninh",
                                                               "2026-03-05", 2026)
    assert r["subject"] == ("ban hành Quy chế bảo đảm an toàn thông tin mạng trong hoạt động của các cơ quan nhà "
                            "nước tỉnh Quảng Ninh")
    assert r["references"] == [
        {"number": "85/2016/NĐ-CP", "kind": "Nghị định", "date": "2016-07-01", "issuer": "Chính phủ"},
        {"number": "05/2017/QĐ-TTg", "kind": "Quyết định", "date": "2017-03-16", "issuer": "Thủ tướng Chính phủ"},
        {"number": "45/TTr-STTTT", "kind": "Tờ trình", "date": "2026-02-20",
         "issuer": "Giám đốc Sở Thông tin và Truyền thông"}]
    assert [t["id"] for t in r["tasks"]] == ["1", "2", "3"]  # Điều 1, 2, 3
    assert r["signer"] == {"name": "Nguyễn Văn Thắng", "title": "CHỦ TỊCH"}
    assert r["cc"] == ["Như Điều 3", "Bộ Thông tin và Truyền thông (b/c)", "Lưu: VT, KGVX"]


def test_ke_hoach_markdown_table_header_and_roman_numbering():
    r = parse("ke_hoach.md")
    assert (r["doc_type"], r["number"]) == ("ke_hoach", "12/KH-VHTT")
    assert (r["issuer"], r["parent_issuer"]) == ("PHÒNG VĂN HÓA VÀ THÔNG TIN", "UBND HUYỆN THANH TRÌ")
    assert (r["place"], r["date"]) == ("Thanh Trì", "2026-03-05")  # "05/3/2026"
    assert r["subject"] == "Triển khai công tác bảo đảm an toàn thông tin mạng năm 2026"
    assert r["references"] == [{"number": "88/KH-UBND", "kind": "Kế hoạch", "date": "2026-01-15",
                                "issuer": "UBND huyện Thanh Trì"}]
    assert [s["id"] for s in r["sections"]] == ["I", "II"]
    assert [t["id"] for t in r["tasks"]] == ["I.1", "I.2", "II.1.1", "II.1.2", "II.2.a", "II.2.b"]
    assert r["tasks"][4] == {"id": "II.2.a", "text": "Cử cán bộ phụ trách an toàn thông tin;",
                             "audience": "Các trường học trên địa bàn huyện"}


def test_thong_bao():
    r = parse("thong_bao.txt")
    assert (r["doc_type"], r["number"], r["place"], r["date"]) == ("thong_bao", "77/TB-CATTT", "Hà Nội",
                                                                   "2025-08-12")
    assert (r["issuer"], r["parent_issuer"]) == ("CỤC AN TOÀN THÔNG TIN", "BỘ THÔNG TIN VÀ TRUYỀN THÔNG")
    assert r["subject"] == "Lịch diễn tập thực chiến an toàn thông tin mạng năm 2025"
    assert r["references"] == [{"number": "14/CT-TTg", "kind": "Chỉ thị", "date": "2019-06-07",
                                "issuer": "Thủ tướng Chính phủ"}]
    assert r["signer"] == {"name": "Trần Quang Hưng", "title": "KT. CỤC TRƯỞNG / PHÓ CỤC TRƯỞNG"}


def test_chi_thi():
    r = parse("chi_thi.txt")
    assert (r["doc_type"], r["number"], r["place"], r["date"]) == ("chi_thi", "08/CT-UBND", "Đà Nẵng", "2026-04-20")
    assert r["subject"] == "Về tăng cường bảo đảm an toàn thông tin mạng trên địa bàn thành phố"
    assert r["references"] == [{"number": "09/CT-TTg", "kind": "Chỉ thị", "date": "2024-02-23",
                                "issuer": "Thủ tướng Chính phủ"}]
    assert [(t["id"], t["audience"]) for t in r["tasks"]] == [
        ("1.a", "Các sở, ban, ngành, UBND các quận, huyện"), ("1.b", "Các sở, ban, ngành, UBND các quận, huyện"),
        ("2.a", "Sở Thông tin và Truyền thông"), ("2.b", "Sở Thông tin và Truyền thông")]
    assert r["tasks"][3]["text"] == "Tổng hợp, báo cáo Chủ tịch UBND thành phố trước ngày 15/12/2026./."


def test_cong_van_header_on_one_line_inline_recipient_and_contact():
    r = parse("cong_van_one_line.txt")
    assert (r["doc_type"], r["number"], r["place"], r["date"]) == ("cong_van", "456/SYT-VP", "Nghệ An", "2026-03-05")
    assert r["subject"] == "phòng, chống tấn công mạng dịp nghỉ lễ"
    assert r["recipients"] == ["Các bệnh viện trực thuộc Sở"]
    assert r["references"] == [{"number": "1234/STTTT-BCVT", "kind": "Công văn", "date": "2026-03-02",
                                "issuer": "Sở Thông tin và Truyền thông"}]
    assert [t["text"] for t in r["tasks"]] == ["Sao lưu dữ liệu quan trọng ra thiết bị ngoại tuyến.",
                                               "Kiểm tra phần mềm phòng chống mã độc trên máy trạm."]
    assert r["contacts"] == [{"organization": None, "person": "Hoàng Minh Tuấn", "phones": ["0912345678"],
                              "emails": ["tuan.hm@nghean.gov.vn"]}]
    assert r["signer"] == {"name": "Phan Văn Bình", "title": "GIÁM ĐỐC"}


def test_cong_van_subject_on_two_lines_and_year_in_number():
    r = parse("cong_van_vv_two_lines.txt")
    assert (r["doc_type"], r["number"], r["year"], r["date"]) == ("cong_van", "45/2026/TT-BTTTT", 2026, "2026-02-09")
    assert (r["issuer"], r["parent_issuer"]) == ("CỤC CÔNG NGHỆ THÔNG TIN", "BỘ TƯ PHÁP")
    assert r["subject"] == "hướng dẫn triển khai giám sát an toàn thông tin cho các cổng thông tin điện tử"
    assert r["references"] == [{"number": "210/KH-BTP", "kind": "Kế hoạch", "date": "2026-01-15",
                                "issuer": "Bộ Tư pháp"}]
    assert r["tasks"][-1]["audience"] == "Các doanh nghiệp cung cấp dịch vụ lưu trữ"


def _docx_bytes():
    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left.paragraphs[0].add_run("UBND TỈNH LÀO CAI")
    left.add_paragraph().add_run("SỞ THÔNG TIN VÀ TRUYỀN THÔNG").bold = True
    left.add_paragraph("Số: 301/STTTT-BCVT")
    left.add_paragraph("V/v cảnh báo lỗ hổng bảo mật")
    left.add_paragraph("trên thiết bị tường lửa")
    right.paragraphs[0].add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").bold = True
    right.add_paragraph("Độc lập - Tự do - Hạnh phúc")
    right.add_paragraph("Lào Cai, ngày 7 tháng 10 năm 2025")
    document.add_paragraph("Kính gửi: Các sở, ban, ngành tỉnh.")
    document.add_paragraph("Thực hiện Văn bản số 1552/CATTT-NCSC ngày 30/9/2025 của Cục An toàn thông tin, "
                           "Sở Thông tin và Truyền thông đề nghị các đơn vị:")
    document.add_paragraph("1. Cập nhật bản vá cho thiết bị tường lửa trước ngày 15/10/2025.")
    document.add_paragraph("2. Báo cáo kết quả về Sở trước ngày 20/10/2025./.")
    footer = document.add_table(rows=1, cols=2)
    footer.rows[0].cells[0].paragraphs[0].add_run("Nơi nhận:").bold = True
    footer.rows[0].cells[0].add_paragraph("- Như trên;")
    footer.rows[0].cells[0].add_paragraph("- Lưu: VT, BCVT.")
    footer.rows[0].cells[1].paragraphs[0].add_run("KT. GIÁM ĐỐC").bold = True
    footer.rows[0].cells[1].add_paragraph("PHÓ GIÁM ĐỐC")
    footer.rows[0].cells[1].add_paragraph("Hoàng Văn Nam")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_with_header_table():
    r = parse_document(io.BytesIO(_docx_bytes()), filename="cong-van.docx")
    assert (r["doc_type"], r["number"], r["place"], r["date"]) == ("cong_van", "301/STTTT-BCVT", "Lào Cai",
                                                                   "2025-10-07")
    assert (r["issuer"], r["parent_issuer"]) == ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "UBND TỈNH LÀO CAI")
    assert r["subject"] == "cảnh báo lỗ hổng bảo mật trên thiết bị tường lửa"
    assert r["recipients"] == ["Các sở, ban, ngành tỉnh"]
    assert r["references"] == [{"number": "1552/CATTT-NCSC", "kind": "Văn bản", "date": "2025-09-30",
                                "issuer": "Cục An toàn thông tin"}]
    assert [t["id"] for t in r["tasks"]] == ["1", "2"]
    assert r["cc"] == ["Như trên", "Lưu: VT, BCVT"]
    assert r["signer"] == {"name": "Hoàng Văn Nam", "title": "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"}


def minimal_pdf(lines):
    """A valid one-page PDF with a text layer in Helvetica (ASCII text)."""
    ops = ["BT", "/F1 11 Tf", "14 TL", "50 800 Td"]
    for line in lines:
        ops.append("(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_pdf_text_layer(tmp_path):
    path = tmp_path / "letter.pdf"
    path.write_bytes(minimal_pdf([
        "UBND TINH BAC NINH", "SO THONG TIN VA TRUYEN THONG", "So: 88/STTTT-CNTT", "V/v kiem tra an toan thong tin",
        "Bac Ninh, 05/3/2026", "Kinh gui: Cac so, ban, nganh.",
        "Thuc hien Quyet dinh so 05/2017/QD-TTg ngay 16/3/2017, So de nghi cac don vi:",
        "1. Ra soat he thong truoc ngay 30/3/2026.",
    ]))
    r = parse_document(path)
    assert (r["number"], r["date"], r["place"], r["doc_type"]) == ("88/STTTT-CNTT", "2026-03-05", "Bac Ninh",
                                                                   "cong_van")
    assert (r["issuer"], r["parent_issuer"]) == ("SO THONG TIN VA TRUYEN THONG", "UBND TINH BAC NINH")
    assert r["subject"] == "kiem tra an toan thong tin"
    assert [t["text"] for t in r["tasks"]] == ["Ra soat he thong truoc ngay 30/3/2026."]


@pytest.mark.parametrize("name", sorted(p.name for p in DOCS.iterdir()))
def test_every_document_has_number_date_and_signer(name):
    r = parse(name)
    assert r["number"] and r["date"] and r["signer"]["name"] and r["tasks"]
