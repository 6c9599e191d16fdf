"""National warning lists, as the Vietnamese authorities (Cục An toàn thông tin / NCSC / a Sở TTTT) send
them: a spreadsheet (CSV/XLSX), a table in a DOCX letter, or text pasted from a letter or an e-mail.

Tables: the header is the first of the first ``HEADER_ROWS`` rows that has a CVE column; columns are found
by their header, in Vietnamese or English, without regard to case, diacritics or notes in brackets (see
``ALIASES``). A cell may hold several CVE ids ("CVE-2024-21762, CVE-2024-23113"): one ``WarningItem`` each;
a row without a CVE id but with a product is a product-only item. Severity words ("Nghiêm trọng"/
"Critical", "Cao"/"High", "Trung bình"/"Medium", "Thấp"/"Low") or a CVSS score give ``severity``;
"Hạn xử lý"/"Thời hạn"/"Deadline" cells (dd/mm/yyyy) give the item's ``deadline``, and the earliest of them
the warning's when the letter sets none. A bad cell stops the whole list with an error naming the row and
the column ("row 7, column 'Mã lỗ hổng': 'CVE-24-1' is not a CVE id"); in CSV/XLSX a cell that a
spreadsheet would run as a formula is refused the same way (``lachan.core.tabular`` reads them, with its
encodings: UTF-8, UTF-16, cp1258).

Text (and DOCX paragraphs): every CVE id found (case-insensitive, normalised to upper case; a CVE repeated
later keeps its first line) with the rest of its line as the product text; "Mức độ: Cao" or "CVSS 9.8" on
the line gives the severity; a line "Hạn … dd/mm/yyyy" sets the deadline. Letters: "Số: 123/CATTT-NCSC"
gives the number, "…, ngày 05 tháng 11 năm 2026" the date, "V/v …" the title, the letterhead (upper-case
"CỤC …", "TRUNG TÂM …", "SỞ …") the issuer.

DOCX files are checked before python-docx opens them: more than ``MAX_DOCX_EXPANDED`` bytes unpacked, or
unpacked/packed above ``MAX_DOCX_RATIO``, is refused as a zip bomb.
"""

import datetime
import io
import re
import unicodedata
import zipfile

from django.utils.translation import gettext as _

from lachan.core import tabular
from lachan.vulns.records import SEVERITIES, NationalWarning, WarningItem, severity_from_score

from .base import CVE_ID, AdvisoryParseError

FORMATS = ("csv", "xlsx", "docx", "text")
MAX_BYTES = 50 * 1024 * 1024
MAX_DOCX_EXPANDED = 50 * 1024 * 1024
MAX_DOCX_RATIO = 100
MAX_ZIP_MEMBERS = 5000
HEADER_ROWS = 30

ALIASES = {
    "number": ["stt", "tt", "so tt", "so thu tu", "no", "#"],
    "cve": ["ma lo hong", "cve", "ma cve", "cve id", "cve ids", "id cve", "ma loi", "ma lo hong cve", "lo hong",
            "so hieu lo hong", "ma dinh danh", "ma dinh danh lo hong", "vulnerability", "vulnerability id"],
    "product": ["san pham", "san pham bi anh huong", "product", "products", "affected product",
                "affected products", "ten san pham", "phan mem", "phan mem bi anh huong", "he thong",
                "thanh phan bi anh huong", "doi tuong bi anh huong"],
    "vendor": ["hang", "nha cung cap", "vendor", "hang san xuat", "nha san xuat", "nha phat trien",
               "ten hang"],
    "versions": ["phien ban", "phien ban bi anh huong", "affected versions", "affected version", "versions",
                 "version", "phien ban anh huong"],
    "severity": ["muc do", "muc do nghiem trong", "severity", "muc do anh huong", "danh gia", "cvss",
                 "diem cvss", "cvss score", "muc do canh bao"],
    "deadline": ["han xu ly", "thoi han", "deadline", "han khac phuc", "thoi han xu ly", "thoi han khac phuc",
                 "due date", "han hoan thanh", "thoi han hoan thanh"],
}
_ALIAS_ROLE = {alias: role for role, aliases in ALIASES.items() for alias in aliases}
SEVERITY_WORDS = {
    "critical": ["nghiem trong", "critical", "khan cap", "rat cao", "dac biet nghiem trong"],
    "high": ["cao", "high"],
    "medium": ["trung binh", "medium", "moderate"],
    "low": ["thap", "low"],
    "info": ["thong tin", "info", "informational", "none"],
}
_SEVERITY = {word: severity for severity, words in SEVERITY_WORDS.items() for word in words}
NO_CVE = {"n a", "na", "-", "chua co", "khong", "khong co", "chua co ma", "chua co ma cve", "chua cap ma",
          "none", "no cve", "tbd"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_CVE_LIKE = re.compile(r"cve[-_ ]?[\w-]*", re.IGNORECASE)
_SEPARATORS = re.compile(r"[,;\s/|]+")
_DATE = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
_WORDY_DATE = re.compile(r"ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})")
_NUMBER = re.compile(r"^\s*s[oố]\s*(?:hi[eệ]u)?\s*[:.]\s*(\d+\s*/\s*[^\s,;]+)", re.IGNORECASE | re.MULTILINE)
_DEADLINE_LINE = re.compile(r"(?<!gioi )\b(?:thoi han|han xu ly|han khac phuc|han hoan thanh|han chot|deadline|han)\b"
                            r"(?!\s+che)")
_LINE_SEVERITY = re.compile(r"\b(?:muc do(?: nghiem trong)?|severity)\s*:?\s*(" + "|".join(
    sorted(_SEVERITY, key=len, reverse=True)) + r")\b")
_LINE_CVSS = re.compile(r"\bcvss(?:\s*v?[234](?:\.[01])?)?\s*(?:score)?\s*:?\s*(\d{1,2}(?:\.\d)?)\b")
_ISSUER = ("cuc ", "trung tam ", "so ", "bo ", "ban ", "ubnd ", "uy ban ", "vien ", "phong ", "cong an ")


def fold(text):
    """"Mã lỗ hổng (*)" → "ma lo hong": no diacritics (đ → d), lower case, notes in brackets left out,
    words separated by one space."""
    text = re.sub(r"\(.*?\)|\[.*?\]|\*", " ", str(text or "")).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9#.]+", " ", text).strip()


def fold_line(text):
    """Like ``fold`` but keeps brackets' content and the characters dates need (``/``)."""
    text = str(text or "").replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9#./:-]+", " ", text).strip()


# --- entry point -----------------------------------------------------------------------------------


def detect(data, filename=""):
    """"csv", "xlsx", "docx" or "text" for the bytes of a national list (``AdvisoryParseError`` for what
    cannot be one)."""
    name = (filename or "").lower()
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise AdvisoryParseError(_("The file is empty."))
    if data.startswith(_OLE_MAGIC) or name.endswith((".doc", ".xls")):
        raise AdvisoryParseError(_("Old Word/Excel 97-2003 files (.doc, .xls) are not supported: save the file as "
                                   ".docx, .xlsx or CSV."))
    if data.startswith(b"%PDF"):
        raise AdvisoryParseError(_("PDF letters are not read: copy the text of the letter and paste it."))
    if data.startswith(_ZIP_MAGIC):
        if name.endswith(".docx") or b"word/" in data[:65536]:
            return "docx"
        if name.endswith((".xlsx", ".xlsm")) or b"xl/" in data[:65536]:
            return "xlsx"
        raise AdvisoryParseError(_("A ZIP archive, not a warning list (DOCX, XLSX, CSV or text)."))
    sample = data if len(data) <= 1 << 20 else data[: 1 << 20].rsplit(b"\n", 1)[0]
    try:
        text = tabular.decode_text(sample)
    except tabular.TabularError as exc:
        raise AdvisoryParseError(str(exc)) from None
    return "csv" if _table_header(_csv_rows(text)) is not None else "text"


def parse(source, fmt=None, *, filename=""):
    """A national warning list → ``NationalWarning``."""
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown national format {fmt!r}; one of {', '.join(FORMATS)}")
    data, filename = _read_all(source, filename)
    fmt = fmt or detect(data, filename)
    if fmt == "docx":
        return _parse_docx(data)
    if fmt == "text":
        try:
            text = tabular.decode_text(data)
        except tabular.TabularError as exc:
            raise AdvisoryParseError(str(exc)) from None
        return _parse_text(text.splitlines())
    try:
        sheets = tabular.read_table(data, "list.xlsx" if fmt == "xlsx" else "list.csv")
    except tabular.TabularError as exc:
        raise AdvisoryParseError(str(exc)) from None
    return _parse_sheets(sheets)


def _read_all(source, filename):
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif hasattr(source, "read"):
        filename = filename or str(getattr(source, "name", "") or "")
        data = source.read(MAX_BYTES + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
    else:
        filename = filename or str(source)
        with open(source, "rb") as file:
            data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise AdvisoryParseError(_("The file is larger than %(limit)s MB.") % {"limit": MAX_BYTES // (1024 * 1024)})
    return data, filename.lower()


# --- tables ----------------------------------------------------------------------------------------


def _csv_rows(text):
    try:
        return tabular.read_csv(text, max_rows=HEADER_ROWS).rows
    except tabular.TabularError:
        return []


def _table_header(rows):
    """(index in rows, {role: column index}) of the header, or None."""
    for index, (_number, cells) in enumerate(rows[:HEADER_ROWS]):
        roles = {}
        loose_cve = None
        for column, cell in enumerate(cells):
            key = fold(cell)
            role = _ALIAS_ROLE.get(key)
            if role and role not in roles:
                roles[role] = column
            elif loose_cve is None and re.search(r"\bcve\b", key) and len(key) <= 40:
                loose_cve = column
        if "cve" not in roles and loose_cve is not None and roles:
            roles["cve"] = loose_cve
        if "cve" in roles:
            return index, roles
    return None


class _Table:
    """Rows of one table → items; ``where`` names the table in messages ("sheet 'Tháng 11'")."""

    def __init__(self, rows, where="", formulas=True):
        self.rows = rows
        self.where = where
        self.formulas = formulas

    def read(self):
        """(items, title above the header) or None when the table has no header."""
        found = _table_header(self.rows)
        if found is None:
            return None
        index, roles = found
        header = self.rows[index][1]
        title = next((c.strip() for _n, cells in self.rows[:index] for c in cells if c.strip()), "")
        items = []
        for number, cells in self.rows[index + 1:]:
            items += self._row(number, cells, roles, header)
        return items, title

    def _row(self, number, cells, roles, header):
        line = _("row %(row)s") % {"row": number}
        if self.where:
            line = f"{self.where}, {line}"

        def cell(role):
            column = roles.get(role)
            return cells[column].strip() if column is not None and column < len(cells) else ""

        if self.formulas:
            for column, value in enumerate(cells):
                if tabular.is_formula(value):
                    raise AdvisoryParseError(_("a formula is not accepted: %(value)r") % {"value": value[:60]},
                                             line=line, column=header[column] if column < len(header) else
                                             str(column + 1))
        values = {role: cell(role) for role in roles}
        if not any(values.get(r) for r in ("cve", "product", "vendor", "versions")):
            return []
        column = header[roles["cve"]]
        ids = _cell_cves(values.get("cve", ""), line, column)
        severity = _severity(values.get("severity", ""), line, header[roles["severity"]]) \
            if values.get("severity") else ""
        deadline = _date(values.get("deadline", ""), line, header[roles["deadline"]]) \
            if values.get("deadline") else None
        common = {"vendor": values.get("vendor", ""), "product": values.get("product", ""),
                  "versions_text": values.get("versions", ""), "severity": severity, "line": number,
                  "deadline": deadline}
        return [WarningItem(cve_id=cve, **common) for cve in ids] or [WarningItem(**common)]


def _cell_cves(value, line, column):
    """CVE ids of a cell; every piece that looks like a CVE id must be one ("CVE-24-1" is an error)."""
    if not value or fold(value) in NO_CVE:
        return []
    ids = []
    for piece in _SEPARATORS.split(value):
        piece = piece.strip("()[]{}.:\"'“”")
        if not piece:
            continue
        if CVE_ID.fullmatch(piece):
            ids.append(piece.upper())
        elif _CVE_LIKE.fullmatch(piece) or re.fullmatch(r"\d{4}-\d+", piece):
            raise AdvisoryParseError(_("%(value)r is not a CVE id") % {"value": piece}, line=line, column=column)
    if not ids:
        raise AdvisoryParseError(_("%(value)r is not a CVE id") % {"value": value[:60]}, line=line, column=column)
    return list(dict.fromkeys(ids))


def _severity(value, line, column):
    key = fold(value)  # "Cao (High)" → "cao"
    if key in _SEVERITY:
        return _SEVERITY[key]
    number = value.strip().replace(",", ".")
    if re.fullmatch(r"\d{1,2}(\.\d+)?", number) and float(number) <= 10:
        return severity_from_score(float(number))
    for part in re.split(r"[()/:,-]", value):  # "Critical/Nghiêm trọng", "Cao - 8.8"
        if fold(part) in _SEVERITY:
            return _SEVERITY[fold(part)]
    raise AdvisoryParseError(_("%(value)r is not a severity (Nghiêm trọng/Critical, Cao/High, Trung bình/Medium, "
                               "Thấp/Low, or a CVSS score)") % {"value": value}, line=line, column=column)


def _date(value, line, column):
    text = value.strip()
    try:
        return datetime.date.fromisoformat(text[:10])  # an Excel date cell, as tabular writes it
    except ValueError:
        pass
    found = _DATE.fullmatch(text) or _WORDY_DATE.fullmatch(fold_line(text))
    if found:
        try:
            return datetime.date(int(found[3]), int(found[2]), int(found[1]))
        except ValueError:
            pass
    raise AdvisoryParseError(_("%(value)r is not a date (dd/mm/yyyy)") % {"value": value},
                             line=line, column=column)


def _parse_sheets(sheets):
    warning = NationalWarning()
    read_any = False
    for sheet in sheets:
        where = _("sheet '%(name)s'") % {"name": sheet.name} if len(sheets) > 1 else ""
        result = _Table(sheet.rows, where).read()
        if result is None:
            if any(CVE_ID.search(c) for _n, cells in sheet.rows for c in cells):
                raise AdvisoryParseError(_("CVE ids found but no header row with a CVE column (Mã lỗ hổng/CVE)"),
                                         line=where or None)
            continue
        read_any = True
        items, title = result
        warning.items += items
        warning.title = warning.title or title
    if not read_any:
        first = next((cells for sheet in sheets for _n, cells in sheet.rows), [])
        raise AdvisoryParseError(_("No header row with a CVE column (Mã lỗ hổng/CVE ID) in the first %(rows)s rows; "
                                   "the first row is %(row)s.") % {"rows": HEADER_ROWS, "row": first[:8]})
    _fill_deadline(warning)
    return warning


def _fill_deadline(warning):
    if warning.deadline is None:
        deadlines = [item.deadline for item in warning.items if item.deadline]
        warning.deadline = min(deadlines) if deadlines else None


# --- text ------------------------------------------------------------------------------------------


def _parse_text(lines, warning=None):
    warning = warning or NationalWarning()
    _letter_fields(lines, warning)
    by_cve = {}
    for number, line in enumerate(lines, 1):
        ids = list(dict.fromkeys(m.upper() for m in CVE_ID.findall(line)))
        if not ids:
            continue
        rest = re.sub(r"^\s*\d+[.)]\s", " ", CVE_ID.sub(" ", line))  # "1. CVE-…: text" → "text"
        product = re.sub(r"\s+", " ", rest).strip(" \t-–—•*·,;:.|/")
        if product.startswith("(") and product.endswith(")"):
            product = product[1:-1].strip()
        folded = fold_line(line)
        found = _LINE_SEVERITY.search(folded)
        severity = _SEVERITY[found[1]] if found else ""
        if not severity and (score := _LINE_CVSS.search(folded)) and float(score[1]) <= 10:
            severity = severity_from_score(float(score[1]))
        deadline = None
        if _DEADLINE_LINE.search(folded) and (found := _DATE.search(folded) or _WORDY_DATE.search(folded)):
            deadline = _safe_date(found)
        for cve in ids:
            item = by_cve.get(cve)
            if item is None:
                by_cve[cve] = WarningItem(cve_id=cve, product=product, severity=severity, line=number,
                                          deadline=deadline)
            else:
                item.product = item.product or product
                item.severity = item.severity or severity
                item.deadline = item.deadline or deadline
    if not by_cve:
        raise AdvisoryParseError(_("No CVE id (CVE-yyyy-nnnn) found in the text."))
    warning.items += list(by_cve.values())
    _fill_deadline(warning)
    return warning


def _letter_fields(lines, warning):
    """Number, date, title, issuer and deadline of a letter from its lines."""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        folded = fold_line(stripped)
        if not warning.number and (found := _NUMBER.search(stripped)):
            warning.number = re.sub(r"\s+", "", found[1]).rstrip(".")
        if not warning.issued_on and (found := _WORDY_DATE.search(folded)):
            warning.issued_on = _safe_date(found)
        if not warning.title and re.match(r"v\s*/\s*v\b", folded):
            warning.title = re.sub(r"^[Vv]\s*/\s*[Vv]\s*[:.]?\s*", "", stripped)
        if not warning.deadline and _DEADLINE_LINE.search(folded) and not CVE_ID.search(stripped):
            found = _DATE.search(folded) or _WORDY_DATE.search(folded)
            if found:
                warning.deadline = _safe_date(found)
        if index < 25 and stripped == stripped.upper() and (folded + " ").startswith(_ISSUER) \
                and not warning.number:
            warning.issuer = stripped  # the last letterhead line before "Số: …" is the most specific
    if not warning.title:
        warning.title = next((line.strip() for line in lines if "canh bao" in fold_line(line)
                              and not CVE_ID.search(line)), "")


def _safe_date(found):
    try:
        return datetime.date(int(found[3]), int(found[2]), int(found[1]))
    except ValueError:
        return None


# --- DOCX ------------------------------------------------------------------------------------------


def _check_zip(data):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise AdvisoryParseError(_("The file is not a valid DOCX document (it may be damaged).")) from None
    expanded = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    if len(members) > MAX_ZIP_MEMBERS or expanded > MAX_DOCX_EXPANDED or expanded > MAX_DOCX_RATIO * max(packed, 1):
        raise AdvisoryParseError(_("The document unpacks to %(size)s bytes from %(packed)s: refused (a zip bomb?).")
                                 % {"size": expanded, "packed": packed})


def _parse_docx(data):
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    _check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:  # python-docx raises many kinds of errors on damaged files
        raise AdvisoryParseError(_("The file is not a valid DOCX document (it may be damaged).")) from None
    lines, data_tables = [], []
    table_number = 0
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines += Paragraph(child, document).text.splitlines()
        elif tag == "tbl":
            table_number += 1
            rows = [(n, [c.text.strip() for c in row.cells]) for n, row in enumerate(Table(child, document).rows, 1)]
            where = _("table %(number)s") % {"number": table_number}
            result = _Table(rows, where, formulas=False).read()
            if result is None:  # a letterhead, a signature block: text of the letter
                for _n, cells in rows:
                    for cell in dict.fromkeys(cells):  # merged cells repeat
                        lines += cell.splitlines()
            else:
                data_tables.append(result)
    warning = NationalWarning()
    if not data_tables:
        return _parse_text(lines, warning)
    _letter_fields(lines, warning)
    for items, title in data_tables:
        warning.items += items
        warning.title = warning.title or title
    _fill_deadline(warning)
    return warning


__all__ = ["FORMATS", "SEVERITIES", "detect", "parse"]
