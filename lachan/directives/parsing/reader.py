"""File → text: .txt / .md (any usual encoding), .docx (paragraphs and tables), .pdf (text layer).

The format is told by the magic bytes first, the file name second. Limits are checked before any work:
50 MB per file; a .docx is a zip, whose members' declared sizes and compression ratios are checked
before anything is inflated (zip bombs).
"""

import io
import os
import zipfile

from django.utils.translation import gettext as _

from lachan.core.tabular import TabularError, decode_text

from .errors import DocumentParseError

MAX_BYTES = 50 * 1024 * 1024
MAX_DOCX_EXPANDED = 200 * 1024 * 1024  # all members of a .docx together, once inflated
MAX_RATIO = 200  # a member inflating more than this many times its compressed size is refused
_ZIP = b"PK\x03\x04"
_PDF = b"%PDF-"
_OLE = b"\xd0\xcf\x11\xe0"
_RTF = b"{\\rtf"


def _read_bytes(source):
    if isinstance(source, (str, os.PathLike)):
        try:
            size = os.path.getsize(source)
            if size > MAX_BYTES:
                raise DocumentParseError(_too_big(size))
            with open(source, "rb") as fh:
                return fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise DocumentParseError(_("Cannot read the file: %(error)s") % {"error": exc.strerror or exc}) from None
    data = source.read(MAX_BYTES + 1)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise DocumentParseError(_too_big(len(data)))
    return data


def _too_big(size):
    return _("The file is too large (%(size)s MB); the limit is %(limit)s MB.") % {
        "size": f"{size / 1048576:.1f}" if size < MAX_BYTES + 1048576 else f"more than {MAX_BYTES // 1048576}",
        "limit": MAX_BYTES // 1048576}


def read_document(source, *, filename=""):
    """The text of a document file (path or binary file object)."""
    name = (filename or (str(source) if isinstance(source, (str, os.PathLike)) else getattr(source, "name", "")
                         or "")).lower()
    data = _read_bytes(source)
    if not data:
        raise DocumentParseError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise DocumentParseError(_too_big(len(data)))
    if data.startswith(_ZIP):
        return read_docx(data)
    if data.startswith(_PDF) or data[:1024].lstrip().startswith(_PDF):
        return read_pdf(data)
    if data.startswith(_OLE):
        raise DocumentParseError(_("Old Word 97-2003 files (.doc) are not supported: save the file as .docx or PDF."))
    if name.endswith(".docx"):
        raise DocumentParseError(_("The file is named .docx but is not a Word document (not a zip archive)."))
    if name.endswith(".pdf"):
        raise DocumentParseError(_("The file is named .pdf but does not start like a PDF (%%PDF-)."))
    if data.startswith(_RTF):
        raise DocumentParseError(_("RTF files are not supported: save the file as .docx, PDF or plain text."))
    return read_plain(data)


def read_plain(data):
    """.txt / .md bytes → text (UTF-8, UTF-16 with BOM, cp1258 / cp1252)."""
    sample = data[:65536]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")) or controls > len(sample) // 100 + 2:
        raise DocumentParseError(_(
            "This is a binary file, not a document: only .txt, .md, .docx and .pdf (with a text layer) are read."))
    try:
        text = decode_text(data)
    except TabularError:
        raise DocumentParseError(_(
            "Cannot tell the text encoding of the file: save it as UTF-8.")) from None
    bad = text.count("\ufffd")
    if bad > 10 and bad > len(text) // 200:
        raise DocumentParseError(_("The file is not readable text (%(count)s undecodable characters).")
                                 % {"count": bad})
    return text


def _check_zip(data):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DocumentParseError(_("The file is a damaged zip archive, not a readable Word document.")) from None
    if "word/document.xml" not in {m.filename for m in members}:
        raise DocumentParseError(_("The file is a zip archive but not a Word document (no word/document.xml)."))
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > MAX_RATIO:
            raise DocumentParseError(_(
                "The Word document looks like a zip bomb: %(member)s would inflate %(ratio)s times "
                "(%(size)s MB); refused.") % {"member": member.filename, "ratio": int(ratio),
                                             "size": member.file_size // 1048576})
        if total > MAX_DOCX_EXPANDED:
            raise DocumentParseError(_(
                "The Word document would inflate to more than %(limit)s MB; refused.")
                % {"limit": MAX_DOCX_EXPANDED // 1048576})


def read_docx(data):
    """Paragraphs in order; a bold paragraph as ``**…**``; tables as ``| a | b |`` rows, a cell's own lines
    joined with ``<br>``."""
    _check_zip(data)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds (KeyError, XMLSyntaxError, ValueError…)
        raise DocumentParseError(_("The Word document cannot be read: %(error)s")
                                 % {"error": type(exc).__name__}) from None
    out = []

    def paragraph_text(p):
        text = p.text.strip()
        runs = [r for r in p.runs if r.text.strip()]
        if text and runs and all(r.bold for r in runs):
            return f"**{text}**"
        return text

    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            out.append(paragraph_text(Paragraph(child, document)))
        elif tag == "tbl":
            table = Table(child, document)
            for row in table.rows:
                cells, seen = [], set()
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    lines = [paragraph_text(p).replace("|", "/") for p in cell.paragraphs]
                    cells.append("<br>".join(x for x in lines if x))
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
    return "\n".join(out)


def read_pdf(data):
    """The text layer of a PDF (pdfminer.six); a scan without one is refused."""
    from pdfminer.high_level import extract_text
    from pdfminer.layout import LAParams

    try:
        text = extract_text(io.BytesIO(data), laparams=LAParams())
    except Exception as exc:  # pdfminer raises PDFSyntaxError, PSEOF, struct.error, … on damaged files
        raise DocumentParseError(_("The PDF cannot be read (%(error)s).") % {"error": type(exc).__name__}) from None
    if not text.strip():
        raise DocumentParseError(_(
            "The PDF has no text layer (a scanned image?): run OCR on it first or upload the .docx."))
    return text
