"""The initial report (form 03) as DOCX: opened again with python-docx and its fields read back."""

import datetime
import io
import zipfile

import pytest
from django.utils import timezone
from docx import Document

from lachan.incidents import services
from lachan.incidents.reporting import form03
from lachan.testing.factories import InformationSystemFactory, UnitFactory

pytestmark = pytest.mark.django_db

HOSTILE = "Trang chủ bị chèn <script>alert('x')</script> & \"lạ\"\x00\x07\x1b\x0b hết\ufffe."
DETECTED = datetime.datetime(2025, 1, 2, 3, 30, tzinfo=datetime.UTC)  # 10:30 in Hà Nội


def make_incident(tree, users, **fields):
    operator = UnitFactory(name="Trung tâm Dữ liệu tỉnh", parent=tree["root"])
    system = InformationSystemFactory(unit=tree["a"], operator_unit=operator, name="Cổng thông tin điện tử",
                                      security_level=3)
    values = {"title": "Cổng thông tin bị deface", "incident_type": "defacement", "description": "Trang chủ bị thay đổi",
              "detected_at": DETECTED, "system": system, "reporter_position": "Chuyên viên CNTT",
              "reporter_phone": "0912 345 678", "domains_ips": "congthongtin.example.vn, 203.0.113.10",
              "providers": "VNPT (kết nối), Viettel IDC (an toàn thông tin)", "current_status": "Đã bật trang bảo trì",
              "detection_method": "Hệ thống giám sát phát hiện", "notified_parties": "Sở TTTT",
              "os_info": "Ubuntu 22.04", "services_info": "nginx, PHP-FPM", "security_measures": "WAF, sao lưu hằng ngày",
              "support_requested": "Hỗ trợ phân tích mã độc", "confidential": True}
    return services.incident_create(by=users["admin_a"], unit=tree["a"], **(values | fields))


def fields_of(data):
    """{label: value} of the "label: value" paragraphs, plus every paragraph and cell text."""
    document = Document(io.BytesIO(data))
    lines = {}
    for paragraph in document.paragraphs:
        if ": " in paragraph.text:
            label, value = paragraph.text.split(": ", 1)
            lines[label] = value
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return lines, [p.text for p in document.paragraphs], cells, document


def test_the_report_carries_the_form_03_fields(tree, users):
    incident = make_incident(tree, users, description=HOSTILE)
    ctx = form03.ReportContext(day=datetime.date(2025, 1, 5), place="Hải Phòng",
                               recipients=["Trung tâm VNCERT/CC"], attachments=[("anh-chup.png", "ab" * 32)])
    data = form03.build(incident, ctx)
    lines, paragraphs, cells, document = fields_of(data)
    assert lines["Tên đơn vị"] == "Đơn vị A"
    assert lines["Người báo cáo"] == incident.reporter_name and lines["Chức vụ"] == "Chuyên viên CNTT"
    assert lines["Điện thoại"] == "0912 345 678" and lines["Thư điện tử"] == users["admin_a"].email
    assert lines["Tên hệ thống thông tin"] == "Cổng thông tin điện tử"
    assert lines["Đơn vị chủ quản"] == "Đơn vị A" and lines["Đơn vị vận hành"] == "Trung tâm Dữ liệu tỉnh"
    assert lines["Cấp độ an toàn hệ thống thông tin"] == "Cấp độ 3"
    assert lines["Tên miền, địa chỉ IP"] == "congthongtin.example.vn, 203.0.113.10"
    assert lines["Thời điểm phát hiện sự cố"] == "02/01/2025 10:30"  # Asia/Ho_Chi_Minh
    assert lines["Loại sự cố"] == "Tấn công thay đổi giao diện (deface)"
    assert lines["Tình trạng hiện tại của sự cố"] == "Đã bật trang bảo trì"
    assert lines["Đề nghị hỗ trợ"] == "Hỗ trợ phân tích mã độc"
    assert lines["Đề nghị giữ bí mật thông tin về sự cố"] == "Có"
    assert lines["Sự cố nghiêm trọng (Quyết định 05/2017/QĐ-TTg)"] == "Không"
    assert "anh-chup.png (SHA-256: " + "ab" * 32 + ")" in lines["Tài liệu, bằng chứng gửi kèm"]
    # Hostile text survives as text: markup kept literally (escaped in the XML), control characters dropped.
    assert lines["Mô tả sơ bộ về sự cố"] == "Trang chủ bị chèn <script>alert('x')</script> & \"lạ\" hết."
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert "&lt;script&gt;alert" in xml and "<script>" not in xml
    # Header, title, addressee, signature.
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cells[1] and "Độc lập - Tự do - Hạnh phúc" in cells[1]
    assert "Hải Phòng, ngày 05 tháng 01 năm 2025" in cells[1]
    assert "SỞ THÔNG TIN VÀ TRUYỀN THÔNG" in cells[0] and "ĐƠN VỊ A" in cells[0]
    assert "BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG" in paragraphs
    assert "Kính gửi: Trung tâm VNCERT/CC" in paragraphs
    assert "NGƯỜI BÁO CÁO" in cells[-1] and incident.reporter_name in cells[-1]
    assert document.core_properties.author == "Đơn vị A"
    assert document.core_properties.created == datetime.datetime(2025, 1, 5, 0, 0, tzinfo=datetime.UTC)


def test_python_docx_itself_refuses_control_characters():
    """Why ``form03.clean`` exists: python-docx raises on characters XML 1.0 forbids."""
    with pytest.raises(ValueError):
        Document().add_paragraph("a\x00b")
    assert form03.clean("a\x00b\x1b\r\nc\td") == "ab\nc\td"


def test_an_incident_outside_the_inventory_and_empty_fields(tree, users):
    incident = make_incident(tree, users, system=None, system_name="Máy chủ thư điện tử", security_level=None,
                             providers="", confidential=False)
    lines, *_rest = fields_of(form03.build(incident, form03.ReportContext(day=datetime.date(2025, 1, 5))))
    assert lines["Tên hệ thống thông tin"] == "Máy chủ thư điện tử"
    assert lines["Cấp độ an toàn hệ thống thông tin"] == "Chưa xác định"
    assert lines["Nhà cung cấp dịch vụ an toàn thông tin và kết nối Internet"] == "—"
    assert lines["Đề nghị giữ bí mật thông tin về sự cố"] == "Không"


def test_the_output_is_deterministic(tree, users):
    incident = make_incident(tree, users)
    ctx = form03.ReportContext(day=datetime.date(2025, 1, 5), place="Hải Phòng")
    first = form03.build(incident, ctx)
    second = form03.build(incident, ctx)
    assert first == second
    archive = zipfile.ZipFile(io.BytesIO(first))
    assert {info.date_time for info in archive.infolist()} == {form03.ZIP_TIME}
    other_day = form03.build(incident, form03.ReportContext(day=datetime.date(2025, 1, 6), place="Hải Phòng"))
    assert other_day != first


def test_vn_datetime_crosses_midnight():
    late = datetime.datetime(2024, 12, 31, 18, 5, tzinfo=datetime.UTC)
    assert form03.vn_datetime(late) == "01/01/2025 01:05"
    assert form03.vn_datetime(timezone.make_aware(datetime.datetime(2025, 1, 2, 8, 0))) == "02/01/2025 08:00"
