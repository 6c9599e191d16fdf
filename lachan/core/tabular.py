"""Reading and writing the tables people exchange: CSV and XLSX.

Reading turns any file into ``Sheet`` objects whose cells are plain text, with the row numbers the
user sees in Excel (header = row 1, blank rows skipped but counted). Text files may be UTF-8 (with
or without BOM), UTF-16 (Excel's "Unicode text") or a Windows code page (cp1258 for Vietnamese,
cp1252 otherwise), and use ``,``, ``;`` or tab between cells. Everything is normalised to NFC
(cp1258 writes tones as combining marks).

Writing neutralises cells that a spreadsheet would run as a formula (OWASP "CSV injection"): such
a cell is written with a leading apostrophe, which importing removes again (``unescape_cell``).
Every error a user can cause raises ``TabularError`` with a translated message, never a traceback.
"""

import codecs
import csv
import datetime
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

import charset_normalizer
import openpyxl
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_TRIGGERS = "=+-@\t\r"
_ESCAPED_FORMULA = re.compile(r"'+[=+\-@\t\r]")
_NUMBER_LIKE = re.compile(r"[+-][\d\s().,]*")  # "+84 24 3640 4421", "-5", "-": data, not formulas
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_CANDIDATE_ENCODINGS = ["cp1258", "cp1252"]
_MAX_XLSX_EXPANSION = 20  # uncompressed XLSX content may be this many times the upload limit


class TabularError(ValueError):
    """A file that cannot be read as a table; the message is meant for the user."""


@dataclass
class Sheet:
    name: str
    rows: list = field(default_factory=list)  # [(row number as shown, [cell text, ...]), ...], blank rows left out

    def __bool__(self):
        return bool(self.rows)


# --- cells -------------------------------------------------------------------------------------------

def cell_text(value):
    """A cell value from openpyxl (or anything) as the text an importer validates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def is_formula(text):
    """Whether a spreadsheet would evaluate this cell (``=…``, ``@…``, ``+``/``-`` followed by more than
    a number, or a leading tab / carriage return)."""
    if not text:
        return False
    if text[0] in "\t\r":
        return True
    text = text.strip()
    if not text:
        return False
    if text[0] in "=@":
        return True
    return text[0] in "+-" and not _NUMBER_LIKE.fullmatch(text)


def is_escaped_formula(text):
    """A cell written as ``'=…`` (by our exports, or by hand): literal text, not a formula."""
    return bool(text) and bool(_ESCAPED_FORMULA.match(text))


def unescape_cell(text):
    """``'=SUM(A1)`` → ``=SUM(A1)``: undo ``neutralise``; other text is returned unchanged."""
    return text[1:] if is_escaped_formula(text) else text


def neutralise(value):
    """A cell value as safe text for CSV/XLSX: formula triggers (and already escaped text) get a ``'``."""
    text = cell_text(value)
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if text and (text[0] in FORMULA_TRIGGERS or is_escaped_formula(text)):
        return "'" + text
    return text


# --- reading -----------------------------------------------------------------------------------------

def is_xlsx(data):
    return data.startswith(_XLSX_MAGIC)


def read_table(data, filename="", *, encoding=None, max_rows=None):
    """Bytes of a CSV or XLSX file → list of ``Sheet`` (one for CSV). Raises ``TabularError``."""
    if not data:
        raise TabularError(_("The file is empty."))
    name = (filename or "").lower()
    if data.startswith(_OLE_MAGIC) or name.endswith(".xls"):
        raise TabularError(_("Old Excel 97-2003 files (.xls) are not supported: save the file as .xlsx or CSV."))
    if is_xlsx(data) or name.endswith((".xlsx", ".xlsm")):
        return read_xlsx(data, max_rows=max_rows)
    return [read_csv(decode_text(data, encoding), max_rows=max_rows)]


def decode_text(data, encoding=None):
    """Bytes → NFC text. UTF-8 (BOM or not) and UTF-16 with BOM first, then cp1258/cp1252 as detected
    by charset-normalizer; ``encoding`` overrides the detection."""
    if encoding:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise TabularError(_("Unknown text encoding: %(encoding)s.") % {"encoding": encoding}) from None
        except UnicodeDecodeError as exc:
            raise TabularError(_("The file is not valid %(encoding)s text (byte %(position)s).")
                               % {"encoding": encoding, "position": exc.start + 1}) from None
        return _clean_text(text)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _clean_text(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise TabularError(_("The file is not valid UTF-16 text.")) from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return _clean_text(data[len(codecs.BOM_UTF8):].decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise TabularError(_("The file starts like UTF-8 but is not valid UTF-8 (byte %(position)s).")
                               % {"position": exc.start + 4}) from None
    if b"\x00" in data:
        raise TabularError(_("This is not a text file (CSV) nor an XLSX workbook."))
    try:
        return _clean_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    return _clean_text(str(_guess_code_page(data)))


def _guess_code_page(data):
    best = charset_normalizer.from_bytes(data, cp_isolation=_CANDIDATE_ENCODINGS).best()
    if best is None:
        raise TabularError(_("Cannot tell the text encoding of the file: save it as UTF-8 (or give the encoding)."))
    return best


def detect_encoding(head, *, partial=True):
    """The codec ``decode_text`` would use for a file that starts with ``head``, for decoding a stream
    incrementally: "utf-16" (BOM), "utf-8-sig" (BOM), "utf-8", or the Windows code page charset-normalizer
    picks (cp1258/cp1252). ``partial``: ``head`` is only the beginning of the file, so a multi-byte character
    may be cut at its end. Raises ``TabularError`` for binary data. Text decoded with cp1258 must still be
    normalised to NFC (``normalise_text``)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if b"\x00" in head:
        raise TabularError(_("This is not a text file (CSV) nor an XLSX workbook."))
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=not partial)
    except UnicodeDecodeError:
        return _guess_code_page(head).encoding
    return "utf-8"


def normalise_text(text):
    """NFC, as every text read here is (cp1258 writes tones as combining marks); ASCII is returned as is."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _clean_text(text):
    return unicodedata.normalize("NFC", text.removeprefix("\ufeff"))


def sniff_delimiter(text):
    """``,``, ``;`` or tab: csv.Sniffer on a sample, checked against the header line."""
    sample = text[:65536]
    header = next((line for line in sample.splitlines() if line.strip()), "")
    in_header = [d for d in ",;\t" if d in header]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = None
    if delimiter in in_header or (delimiter and not in_header):
        return delimiter
    if in_header:
        return max(in_header, key=header.count)
    return ","


def read_csv(text, *, name="", max_rows=None):
    if not text.strip():
        raise TabularError(_("The file is empty."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text), strict=False)
    sheet = Sheet(name=name)
    limit = _RowLimit(max_rows)
    number = 0
    try:
        for number, cells in enumerate(reader, 1):
            limit.add(sheet, number, cells)
    except csv.Error as exc:
        raise TabularError(_("Row %(row)s cannot be read as CSV: %(error)s") % {"row": number + 1, "error": exc}) from None
    return sheet


class _RowLimit:
    """Adds non-blank rows to sheets and stops once the data rows of all sheets exceed ``max_rows``
    (the first row of each sheet, its header, is not counted)."""

    def __init__(self, max_rows):
        self.max_rows = max_rows
        self.count = 0

    def add(self, sheet, number, cells):
        cells = [_clean_text(cell_text(c)) for c in cells]
        while cells and not cells[-1].strip():
            cells.pop()
        if not cells:
            return
        if sheet.rows:
            self.count += 1
            if self.max_rows is not None and self.count > self.max_rows:
                raise TabularError(_("The file has more than %(limit)s rows; split it into smaller files.")
                                   % {"limit": self.max_rows})
        sheet.rows.append((number, cells))


def read_xlsx(data, *, max_rows=None):
    sheets = []
    limit = _RowLimit(max_rows)
    for title, rows in iter_xlsx(io.BytesIO(data)):
        sheet = Sheet(name=title)
        for number, values in rows:
            limit.add(sheet, number, values)
        sheets.append(sheet)
    if not any(sheets):
        raise TabularError(_("The workbook is empty."))
    return sheets


def iter_xlsx(file, *, max_expanded=None):
    """Stream an XLSX workbook (a path or a seekable binary file) with openpyxl's read-only reader, in
    bounded memory: yields ``(sheet title, rows)`` per sheet, ``rows`` iterating ``(row number as shown,
    raw cell values)``. Formulas come as their text (``"=SUM(A1)"``), never evaluated. ``max_expanded``:
    the most bytes the archive may unpack to (default ``_MAX_XLSX_EXPANSION`` × ``UPLOAD_MAX_BYTES``), so
    a zip bomb is refused before any XML is parsed. Raises ``TabularError``."""
    from django.conf import settings

    if max_expanded is None:
        max_expanded = _MAX_XLSX_EXPANSION * settings.UPLOAD_MAX_BYTES
    try:
        with zipfile.ZipFile(file) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise TabularError(_("The file is not a valid XLSX workbook (it may be damaged, or another format renamed to .xlsx).")) from None
    if expanded > max_expanded:
        raise TabularError(_("The workbook is too large once unpacked."))
    if hasattr(file, "seek"):
        file.seek(0)
    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds of errors on damaged files; none is the user's business
        raise TabularError(_("The file is not a valid XLSX workbook (it may be damaged, or another format renamed to .xlsx).")) from None
    try:
        for worksheet in workbook.worksheets:
            yield _clean_text(worksheet.title), _xlsx_rows(worksheet)
    finally:
        workbook.close()


def _xlsx_rows(worksheet):
    rows = enumerate(worksheet.iter_rows(values_only=True), 1)
    while True:
        try:
            number, values = next(rows)
        except StopIteration:
            return
        except Exception:
            raise TabularError(_("The workbook cannot be read (it may be damaged).")) from None
        yield number, values


# --- writing -----------------------------------------------------------------------------------------

def write_csv(header, rows):
    """UTF-8 with BOM (so that Excel shows Vietnamese correctly), comma-separated, CRLF, neutralised cells."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def write_xlsx(sheets):
    """``[(title, header, rows), ...]`` → XLSX bytes; every cell is written as (neutralised) text."""
    workbook = openpyxl.Workbook(write_only=True)
    for title, header, rows in sheets:
        worksheet = workbook.create_sheet(title=sheet_title(title))
        worksheet.append([neutralise(h) for h in header])
        for row in rows:
            worksheet.append([neutralise(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_title(title):
    """Excel sheet names: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", " ", str(title)).strip()[:31] or "Sheet"
