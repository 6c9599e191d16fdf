"""What is not a document gets a DocumentParseError naming the problem; nothing else is ever raised."""

import io
import os
import zipfile

import docx
import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from lachan.directives.parsing import KEYS, DocumentParseError, parse_document, parse_text
from lachan.directives.parsing.reader import MAX_BYTES


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def refused(data, filename="", match=""):
    with pytest.raises(DocumentParseError, match=match) as info:
        parse_document(io.BytesIO(data), filename=filename)
    return str(info.value)


def test_binary_garbage():
    refused(os.urandom(4096), "letter.txt", "binary file")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(DocumentParseError, match="The file is empty"):
        parse_document(path)
    refused(b"   \n\n  ", "blank.txt", "The document is empty")


def test_file_over_50_mb_refused_before_reading(tmp_path):
    path = tmp_path / "big.txt"
    with open(path, "wb") as fh:  # sparse: 50 MB + 1 byte, costs nothing on disk
        fh.truncate(MAX_BYTES + 1)
    with pytest.raises(DocumentParseError, match="too large .*limit is 50 MB"):
        parse_document(path)
    refused(b"a" * (MAX_BYTES + 1), "big.md", "too large")


def test_docx_zip_bomb_refused_from_declared_sizes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document/>" + b" " * (40 * 1024 * 1024))
    message = refused(buffer.getvalue(), "bomb.docx", "zip bomb")
    assert "word/document.xml" in message


def test_zip_that_is_not_word_and_docx_that_is_not_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    refused(buffer.getvalue(), "x.docx", "not a Word document")
    refused(b"just text pretending", "x.docx", "not a Word document")
    refused(b"PK\x03\x04broken", "x.docx", "damaged zip")


def test_pdf_without_text_layer():
    from lachan.directives.tests.test_parse_general import minimal_pdf

    refused(minimal_pdf([]), "scan.pdf", "no text layer")
    refused(b"%PDF-1.4\n garbage garbage", "bad.pdf", "PDF")


def test_random_english_text():
    text = ("The quick brown fox jumps over the lazy dog. This report summarises the quarterly sales figures "
            "for the northern region, which rose by four per cent.\n") * 20
    refused(text.encode(), "notes.txt", "does not look like an administrative document")


def test_old_word_document():
    refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old.doc", "97-2003")


def test_docx_without_letter_text():
    document = docx.Document()
    document.add_paragraph("Shopping list: milk, eggs, bread.")
    buffer = io.BytesIO()
    document.save(buffer)
    refused(buffer.getvalue(), "list.docx", "administrative document")


_LINE = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["Kính gửi:", "Nơi nhận:", "- ", "+ ", "a)", "1.", "1.1.", "Điều 1.", "I.", "Số: /",
                     "Số: 12/QĐ-UBND", "V/v", "Hà Nội, ngày  tháng  năm 2025", "**", "<b>x</b>\t", "| a | b |",
                     "|---|", "Phụ lục", "STT\tTÊN", "1.\tSở X", "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "1 Tại x",
                     "công bố1.", "ông Nguyễn Văn A 0912.345.678", "Trân trọng./.", "QUYẾT ĐỊNH", "",
                     "Văn bản số 12/ABC ngày 31/02/2024 của Sở Y", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=40))
def test_any_text_gives_a_dict_or_a_parse_error(lines):
    try:
        result = parse_text("\n".join(lines))
    except DocumentParseError as exc:
        assert str(exc)
        return
    assert tuple(result) == KEYS
    assert isinstance(result["sections"], list) and isinstance(result["tasks"], list)
    assert set(result["signer"]) == {"name", "title"}
