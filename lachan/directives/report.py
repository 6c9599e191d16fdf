"""The consolidated report of a directive as a DOCX file, in the Vietnamese administrative layout of
Decree 30/2020/NĐ-CP (national heading, number/date line, title, Times New Roman, A4 margins).

The document's content is written in Vietnamese directly, not through gettext: it is an administrative
document addressed to Vietnamese authorities, the same whatever the language of the user interface.

Everything comes from ``selectors.matrix`` for the requesting user, so the report shows exactly the rows
the matrix page shows to that user (same scope rule)."""

import io
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from lachan.core.scope import VIEW
from lachan.organizations.models import Unit

from .choices import DocType
from .models import Directive
from .selectors import CLOSED, matrix

FONT = "Times New Roman"
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NO_GROUP = "Đơn vị khác (chưa phân nhóm)"
# Decree 30/2020, appendix I: the name of each kind of document as written in a citation.
DOC_KIND = {DocType.CONG_VAN: "Công văn", DocType.KE_HOACH: "Kế hoạch", DocType.QUYET_DINH: "Quyết định",
            DocType.CHI_THI: "Chỉ thị", DocType.THONG_BAO: "Thông báo", DocType.BAO_CAO: "Báo cáo",
            DocType.TO_TRINH: "Tờ trình"}


@dataclass
class GroupLine:
    name: str
    units: int = 0
    done: int = 0
    applicable: int = 0
    overdue: int = 0

    @property
    def percent(self):
        return round(100 * self.done / self.applicable) if self.applicable else 0


@dataclass
class ReportData:
    directive: Directive
    unit: Unit  # the reporting unit
    today: object
    place: str
    total_units: int
    percent: int
    groups: list = field(default_factory=list)
    tasks: list = field(default_factory=list)  # (task, done, applicable, overdue)
    laggards: list = field(default_factory=list)  # (unit name, overdue count)
    cascades: list = field(default_factory=list)  # (child directive, done, total)


def _percent(done, total):
    return round(100 * done / total) if total else 0


def directive_citation(directive):
    """"Công văn số 5644/BTTTT-CATTT ngày 29/12/2024 của Bộ Thông tin và Truyền thông"."""
    kind = DOC_KIND.get(directive.doc_type, "Văn bản")
    number = directive.number or ""
    if directive.number_blank or number.startswith("/"):
        number = "…" + number.lstrip("…")
    text = f"{kind} số {number}" if number else kind
    if directive.date:
        text += f" ngày {directive.date:%d/%m/%Y}"
    issuer = directive.issuer or directive.unit.name
    return f"{text} của {issuer}"


def report_data(directive, user, *, today=None, place=None):
    """What the report says, computed from the user's matrix of ``directive`` (plus its re-issues)."""
    today = today or timezone.localdate()
    m = matrix(directive, user, with_checks=False)
    unit = getattr(user, "unit", None) or directive.unit
    if place is None:
        place = getattr(settings, "DIRECTIVES_REPORT_PLACE", "") or (
            (directive.parsed or {}).get("place") if unit.pk == directive.unit_id else "") or "……"
    unit_ids = [row.unit.pk for row in m.rows]
    names = {}
    for unit_id, name in Unit.groups.through.objects.filter(unit_id__in=unit_ids).order_by(
            "unitgroup__order", "unitgroup__name").values_list("unit_id", "unitgroup__name"):
        names.setdefault(unit_id, []).append(name)
    groups = {}
    tasks = [[task, 0, 0, 0] for task in m.tasks]
    laggards = []
    for row in m.rows:
        overdue = sum(1 for cell in row.cells if cell.overdue)
        for name in names.get(row.unit.pk) or [NO_GROUP]:
            line = groups.setdefault(name, GroupLine(name))
            line.units += 1
            line.done += row.done_count
            line.applicable += row.applicable
            line.overdue += overdue
        for entry, cell in zip(tasks, row.cells, strict=True):
            if cell.status is not None:
                entry[1] += cell.done
                entry[2] += 1
                entry[3] += cell.overdue
        if overdue:
            laggards.append((row.unit.name, overdue))
    ordered = [g for name, g in groups.items() if name != NO_GROUP] + ([groups[NO_GROUP]] if NO_GROUP in groups else [])
    laggards.sort(key=lambda item: (-item[1], item[0]))
    children = Directive.objects.restrict(user, VIEW).filter(parent=directive).select_related("unit").annotate(
        n_total=Count("tasks__answers"), n_done=Count("tasks__answers", filter=Q(tasks__answers__status__in=CLOSED)))
    cascades = [(child, child.n_done, child.n_total) for child in children.order_by("unit__path")]
    return ReportData(directive=directive, unit=unit, today=today, place=place, total_units=len(m.rows),
                      percent=m.completion(), groups=ordered, tasks=[tuple(t) for t in tasks], laggards=laggards,
                      cascades=cascades)


# --- writing -------------------------------------------------------------------------------------------------


def _font(run, size=None, bold=None, italic=None):
    run.font.name = FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    if size:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold
    if italic is not None:
        run.italic = italic
    return run


def _para(container, text="", *, size=14, bold=False, italic=False, align=None, indent=False, after=6):
    paragraph = container.add_paragraph()
    if text:
        _font(paragraph.add_run(text), size, bold, italic)
    if align is not None:
        paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_after, fmt.space_before = Pt(after), Pt(0)
    if indent:
        fmt.first_line_indent = Cm(1.27)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    return paragraph


def _cell(cell, text, *, size=13, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.CENTER):
    paragraph = cell.paragraphs[0]
    for line_no, line in enumerate(str(text).split("\n")):
        if line_no:
            paragraph = cell.add_paragraph()
        paragraph.alignment = align
        paragraph.paragraph_format.space_after = Pt(0)
        _font(paragraph.add_run(line), size, bold, italic)


def _setup(document):
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(14)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)


def _heading(document, data):
    """Issuing unit (left) and national heading (right); number (left) and place/date (right)."""
    unit = data.unit
    table = document.add_table(rows=2, cols=2)  # the default table style has no borders
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for row in table.rows:
        row.cells[0].width, row.cells[1].width = Cm(6.5), Cm(9.5)
    left = (unit.parent.name.upper() + "\n") if unit.parent_id else ""
    _cell(table.cell(0, 0), left.rstrip("\n") or unit.name.upper(), size=13, bold=not left)
    if left:
        _font(table.cell(0, 0).add_paragraph().add_run(unit.name.upper()), 13, True)
        table.cell(0, 0).paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _cell(table.cell(0, 1), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=13, bold=True)
    national = table.cell(0, 1).add_paragraph()
    national.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(national.add_run("Độc lập - Tự do - Hạnh phúc"), 14, True)
    symbol = (unit.code or "").upper()
    _cell(table.cell(1, 0), f"Số: …/BC-{symbol}" if symbol else "Số: …/BC", size=13)
    today = data.today
    _cell(table.cell(1, 1), f"{data.place}, ngày {today:%d} tháng {today:%m} năm {today:%Y}", size=14, italic=True)


def _grid(document, header, rows, widths):
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text, width in zip(table.rows[0].cells, header, widths, strict=True):
        cell.width = Cm(width)
        _cell(cell, text, size=13, bold=True)
    for values in rows:
        cells = table.add_row().cells
        for index, (cell, value, width) in enumerate(zip(cells, values, widths, strict=True)):
            cell.width = Cm(width)
            _cell(cell, value, size=13, align=WD_ALIGN_PARAGRAPH.LEFT if index == 1 else WD_ALIGN_PARAGRAPH.CENTER)
    return table


def build_report(data):
    """DOCX bytes of ``data`` (a ``ReportData``)."""
    directive = data.directive
    document = Document()
    _setup(document)
    _heading(document, data)
    citation = directive_citation(directive)
    _para(document, "", after=6)
    _para(document, "BÁO CÁO", size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _para(document, f"Kết quả triển khai {citation.split(' của ')[0]}", size=14, bold=True,
          align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    if directive.subject:
        _para(document, f"V/v {directive.subject[0].lower()}{directive.subject[1:]}", size=14,
              align=WD_ALIGN_PARAGRAPH.CENTER, after=12)

    _para(document, f"Thực hiện {citation}" + (f" về việc {directive.subject[0].lower()}{directive.subject[1:]}"
                                                if directive.subject else "")
          + f", {data.unit.name} báo cáo kết quả triển khai đến ngày {data.today:%d/%m/%Y} như sau:", indent=True)

    _para(document, "I. KẾT QUẢ CHUNG", bold=True)
    total_tasks = sum(t[2] for t in data.tasks)
    total_done = sum(t[1] for t in data.tasks)
    total_overdue = sum(t[3] for t in data.tasks)
    _para(document, f"Văn bản đã được gửi đến {data.total_units} đơn vị với {len(data.tasks)} nhiệm vụ "
          f"({total_tasks} lượt nhiệm vụ phải thực hiện). Đã hoàn thành {total_done}/{total_tasks} lượt, "
          f"đạt {data.percent}%; {total_overdue} lượt nhiệm vụ quá hạn chưa hoàn thành.", indent=True)
    _para(document, "Kết quả theo khối đơn vị:", indent=True)
    _grid(document, ["STT", "Khối đơn vị", "Số đơn vị", "Hoàn thành (%)", "Nhiệm vụ quá hạn"],
          [(n, g.name, g.units, f"{g.percent}%", g.overdue) for n, g in enumerate(data.groups, start=1)],
          (1.2, 7.5, 2.2, 2.6, 2.5))

    _para(document, "", after=0)
    _para(document, "II. KẾT QUẢ THEO TỪNG NHIỆM VỤ", bold=True)
    rows = []
    for task, done, applicable, overdue in data.tasks:
        text = task.text if len(task.text) <= 220 else task.text[:217].rstrip() + "…"
        deadline = f"\nHạn: {task.deadline:%d/%m/%Y}" if task.deadline else ""
        rows.append((task.ordinal, text + deadline, f"{done}/{applicable}", f"{_percent(done, applicable)}%", overdue))
    _grid(document, ["STT", "Nhiệm vụ", "Đơn vị hoàn thành", "Tỷ lệ", "Quá hạn"], rows, (1.2, 8.3, 2.5, 2, 2))

    _para(document, "", after=0)
    _para(document, "III. CÁC ĐƠN VỊ CHẬM THỰC HIỆN", bold=True)
    if data.laggards:
        _para(document, f"Có {len(data.laggards)} đơn vị còn nhiệm vụ quá hạn chưa hoàn thành:", indent=True)
        for name, count in data.laggards:
            _para(document, f"- {name}: {count} nhiệm vụ quá hạn.", indent=True, after=0)
    else:
        _para(document, "Không có đơn vị nào có nhiệm vụ quá hạn.", indent=True)

    if data.cascades:
        _para(document, "", after=0)
        _para(document, "IV. VIỆC TRIỂN KHAI TIẾP ĐẾN CÁC ĐƠN VỊ CẤP DƯỚI", bold=True)
        for child, done, total in data.cascades:
            number = child.number if child.number and not child.number_blank else "(chưa ghi số)"
            _para(document, f"- {child.unit.name} ban hành văn bản {number} triển khai đến các đơn vị trực thuộc: "
                  f"hoàn thành {done}/{total} lượt nhiệm vụ ({_percent(done, total)}%).", indent=True, after=0)

    _para(document, "", after=0)
    _para(document, f"Trên đây là báo cáo kết quả triển khai {citation.split(' của ')[0]} của {data.unit.name}./.",
          indent=True)
    _signature(document, data)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _signature(document, data):
    directive = data.directive
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    left, right = table.rows[0].cells
    left.width, right.width = Cm(7.5), Cm(8.5)
    _cell(left, "Nơi nhận:", size=12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    recipients = []
    if data.unit.pk != directive.unit_id:
        recipients.append(f"- {directive.issuer or directive.unit.name} (để b/c);")
    elif directive.parent_id:
        recipients.append(f"- {directive.parent.issuer or directive.parent.unit.name} (để b/c);")
    elif (directive.parsed or {}).get("issuer") and directive.parsed["issuer"] != data.unit.name:
        recipients.append(f"- {directive.parsed['issuer']} (để b/c);")
    recipients += ["- Lãnh đạo đơn vị;", f"- Lưu: VT{', ' + data.unit.code if data.unit.code else ''}."]
    for line in recipients:
        paragraph = left.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(0)
        _font(paragraph.add_run(line), 11)
    _cell(right, "THỦ TRƯỞNG ĐƠN VỊ", size=14, bold=True)
    _font(right.add_paragraph().add_run("(Ký, ghi rõ họ tên, đóng dấu)"), 13, italic=True)
    right.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for _blank in range(3):
        right.add_paragraph()


def directive_report(directive, user, *, today=None, place=None):
    """DOCX bytes of the consolidated report of ``directive`` as ``user`` may see it."""
    return build_report(report_data(directive, user, today=today, place=place))
