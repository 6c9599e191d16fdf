"""The initial incident report as DOCX: form 03 ("Báo cáo ban đầu sự cố an toàn thông tin mạng") of Circular
20/2017/TT-BTTTT, built with python-docx.

The form is an official Vietnamese document: its labels are Vietnamese whatever the UI language (like
``taxonomy.IncidentType.official_name``), so they are not gettext strings. Every user text goes through
``clean()`` (characters XML 1.0 forbids are dropped — python-docx refuses them — and line breaks kept);
python-docx escapes the rest. The output is deterministic for the same incident and arguments: fixed core
properties and fixed timestamps of the ZIP entries (``normalise_zip``).
"""

import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = "Times New Roman"
EMPTY = "—"
# XML 1.0 forbids C0 controls other than tab/LF/CR, lone surrogates and U+FFFE/U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def clean(value):
    """``value`` as text a DOCX can hold: forbidden control characters removed, CR/LF made LF."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _FORBIDDEN.sub("", text).strip()


def vn_datetime(value):
    """dd/mm/yyyy HH:MM in Vietnam time (the form's convention)."""
    return value.astimezone(VN).strftime("%d/%m/%Y %H:%M") if value else EMPTY


def vn_date_line(place, day):
    """"Hải Phòng, ngày 05 tháng 01 năm 2025" (the place left as dots when unknown)."""
    return f"{clean(place) or '……'}, ngày {day:%d} tháng {day:%m} năm {day:%Y}"


@dataclass
class ReportContext:
    """What the form needs beyond the incident itself."""

    day: datetime.date  # the date of the report (printed in the header)
    place: str = ""
    recipients: list = field(default_factory=list)  # names for "Kính gửi"
    attachments: list = field(default_factory=list)  # [(file name, sha256)]
    note: str = ""
    number: str = ""  # the document number, when the unit gives one


def _font(run, size=13, bold=False, italic=False):
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold, run.italic = bold, italic
    rpr = run._element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    return run


def _para(container, text="", *, bold=False, italic=False, size=13, align=None, space_after=2):
    paragraph = container.add_paragraph()
    if text:
        _font(paragraph.add_run(clean(text)), size=size, bold=bold, italic=italic)
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(space_after)
    return paragraph


def _field(document, label, value):
    """A "label: value" line (label in bold); an empty value prints as a dash."""
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.left_indent = Pt(14)
    paragraph.paragraph_format.space_after = Pt(2)
    _font(paragraph.add_run(f"{label}: "), bold=True)
    _font(paragraph.add_run(clean(value) or EMPTY))
    return paragraph


def _heading(document, text):
    return _para(document, text, bold=True, space_after=4)


def _no_borders(table):
    borders = table._tbl.tblPr.first_child_found_in("w:tblBorders")
    if borders is not None:
        table._tbl.tblPr.remove(borders)


def _header(document, incident, ctx):
    unit = incident.unit
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    left, right = table.rows[0].cells
    left.paragraphs[0].text = ""
    parent = unit.parent.name if unit.parent_id else ""
    if parent:
        _font(left.paragraphs[0].add_run(clean(parent).upper()), size=12)
        left.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _para(left, unit.name.upper(), bold=True, size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    else:
        _font(left.paragraphs[0].add_run(clean(unit.name).upper()), size=12, bold=True)
        left.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(left, f"Số: {clean(ctx.number) or '……'}/BC-SC", size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    _font(right.paragraphs[0].add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), size=12, bold=True)
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(right, "Độc lập - Tự do - Hạnh phúc", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(right, vn_date_line(ctx.place, ctx.day), italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)


def _system(incident):
    system = incident.system
    if system is not None:
        return (system.name, str(system.unit), str(system.operator_unit) if system.operator_unit_id else "",
                system.security_level)
    return incident.system_name, "", "", incident.security_level


def build(incident, ctx):
    """The DOCX bytes of ``incident``'s initial report (``incident`` with ``unit``, ``system`` loaded)."""
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(13)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    _header(document, incident, ctx)
    _para(document, "")
    _para(document, "BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG", bold=True, size=14,
          align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _para(document, "(Mẫu 03 — Thông tư số 20/2017/TT-BTTTT ngày 12/9/2017 của Bộ Thông tin và Truyền thông)",
          italic=True, size=12, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=8)
    recipients = "; ".join(clean(r) for r in ctx.recipients if clean(r)) or "Cơ quan điều phối quốc gia (VNCERT/CC)"
    _para(document, f"Kính gửi: {recipients}", align=WD_ALIGN_PARAGRAPH.CENTER, space_after=8)

    unit = incident.unit
    _heading(document, "1. Thông tin về đơn vị, cá nhân báo cáo sự cố")
    _field(document, "Tên đơn vị", unit.name)
    _field(document, "Địa chỉ", unit.address)
    _field(document, "Người báo cáo", incident.reporter_name)
    _field(document, "Chức vụ", incident.reporter_position)
    _field(document, "Điện thoại", incident.reporter_phone)
    _field(document, "Thư điện tử", incident.reporter_email)

    name, owner, operator, level = _system(incident)
    _heading(document, "2. Thông tin về hệ thống thông tin bị sự cố")
    _field(document, "Tên hệ thống thông tin", name)
    _field(document, "Đơn vị chủ quản", owner)
    _field(document, "Đơn vị vận hành", operator)
    _field(document, "Cấp độ an toàn hệ thống thông tin", f"Cấp độ {level}" if level else "Chưa xác định")
    _field(document, "Tên miền, địa chỉ IP", incident.domains_ips)
    _field(document, "Nhà cung cấp dịch vụ an toàn thông tin và kết nối Internet", incident.providers)

    _heading(document, "3. Thông tin về sự cố")
    _field(document, "Loại sự cố", incident.type_info.official_name)
    _field(document, "Mô tả sơ bộ về sự cố", incident.description)
    _field(document, "Thời điểm phát hiện sự cố", vn_datetime(incident.detected_at))
    _field(document, "Tình trạng hiện tại của sự cố", incident.current_status)
    _field(document, "Phương thức phát hiện", incident.detection_method)
    _field(document, "Sự cố nghiêm trọng (Quyết định 05/2017/QĐ-TTg)", "Có" if incident.serious else "Không")
    _field(document, "Đã thông báo sự cố cho", incident.notified_parties)

    _heading(document, "4. Thông tin về hệ thống bị sự cố (gửi kèm)")
    _field(document, "Hệ điều hành", incident.os_info)
    _field(document, "Các dịch vụ đang chạy", incident.services_info)
    _field(document, "Các biện pháp bảo đảm an toàn thông tin đã triển khai", incident.security_measures)
    files = "\n".join(f"{clean(n)} (SHA-256: {sha})" for n, sha in ctx.attachments)
    _field(document, "Tài liệu, bằng chứng gửi kèm", files)

    _heading(document, "5. Kiến nghị, đề xuất hỗ trợ ứng cứu sự cố")
    _field(document, "Đề nghị hỗ trợ", incident.support_requested)

    _heading(document, "6. Thông tin bảo mật")
    _field(document, "Đề nghị giữ bí mật thông tin về sự cố", "Có" if incident.confidential else "Không")
    if clean(ctx.note):
        _field(document, "Ghi chú", ctx.note)

    _para(document, "")
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    _font(left.paragraphs[0].add_run("Nơi nhận:"), size=12, bold=True, italic=True)
    _para(left, "- Như trên;", size=11)
    _para(left, "- Lưu: VT.", size=11)
    _font(right.paragraphs[0].add_run("NGƯỜI BÁO CÁO"), bold=True)
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(right, "(Ký, ghi rõ họ tên)", italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=48)
    _para(right, incident.reporter_name, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)

    _core_properties(document, incident, ctx)
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_zip(buffer.getvalue())


def _core_properties(document, incident, ctx):
    props = document.core_properties
    fixed = datetime.datetime.combine(ctx.day, datetime.time(0, 0))
    props.title = "Báo cáo ban đầu sự cố an toàn thông tin mạng"
    props.subject = clean(incident.title)[:255]
    props.author = props.last_modified_by = clean(incident.unit.name)[:255]
    props.keywords = "TBSC; Thông tư 20/2017/TT-BTTTT; mẫu 03"
    props.comments = ""
    props.category = "Báo cáo sự cố"
    props.identifier = f"incident-{incident.pk}-v{incident.version}"
    props.created = props.modified = props.last_printed = fixed
    props.revision = 1


def normalise_zip(data):
    """The same archive with entries in the same order and fixed timestamps (byte-identical output)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
