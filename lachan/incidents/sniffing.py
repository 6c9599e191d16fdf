"""What an evidence file really is, from its bytes (never from its name).

``sniff(data)`` returns a ``FileType`` or raises ``ValueError`` with a message for the user. Accepted:
documents (PDF, Office Open XML, OpenDocument), images (PNG, JPEG, GIF, WebP), archives (ZIP, gzip, 7-Zip),
packet captures (pcap, pcapng), Windows event logs (EVTX) and text (UTF-8 or UTF-16 with a byte-order mark:
logs, CSV, JSON, e-mails). Executables are refused (malware samples go in a password-protected ZIP)."""

import codecs
import io
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class FileType:
    key: str
    extension: str
    content_type: str


PDF = FileType("pdf", ".pdf", "application/pdf")
PNG = FileType("png", ".png", "image/png")
JPEG = FileType("jpeg", ".jpg", "image/jpeg")
GIF = FileType("gif", ".gif", "image/gif")
WEBP = FileType("webp", ".webp", "image/webp")
DOCX = FileType("docx", ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = FileType("xlsx", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PPTX = FileType("pptx", ".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation")
ODF = FileType("odf", ".odt", "application/vnd.oasis.opendocument.text")
ZIP = FileType("zip", ".zip", "application/zip")
GZIP = FileType("gzip", ".gz", "application/gzip")
SEVEN_ZIP = FileType("7z", ".7z", "application/x-7z-compressed")
PCAP = FileType("pcap", ".pcap", "application/vnd.tcpdump.pcap")
PCAPNG = FileType("pcapng", ".pcapng", "application/octet-stream")
EVTX = FileType("evtx", ".evtx", "application/octet-stream")
TEXT = FileType("text", ".txt", "text/plain")

_MAGIC = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"\x1f\x8b", GZIP),
    (b"7z\xbc\xaf\x27\x1c", SEVEN_ZIP),
    (b"\xd4\xc3\xb2\xa1", PCAP),
    (b"\xa1\xb2\xc3\xd4", PCAP),
    (b"\x4d\x3c\xb2\xa1", PCAP),
    (b"\xa1\xb2\x3c\x4d", PCAP),
    (b"\x0a\x0d\x0d\x0a", PCAPNG),
    (b"ElfFile\x00", EVTX),
)
_EXECUTABLE = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
               b"\xca\xfe\xba\xbe", b"\x00asm")


class RefusedType(ValueError):
    pass


def sniff(data):
    """The type of ``data`` (bytes: the whole file, or at least its first ``SNIFF_BYTES``)."""
    if not data:
        raise RefusedType(_("The file is empty."))
    if any(data.startswith(m) for m in _EXECUTABLE):
        raise RefusedType(_("Executable files are refused; put malware samples in a password-protected ZIP archive."))
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _zip_kind(data)
    if _is_text(data[:SNIFF_BYTES]):
        return TEXT
    raise RefusedType(_("This kind of file is not accepted as evidence (allowed: PDF, Office documents, images, "
                        "ZIP/gzip/7z archives, packet captures, EVTX logs, text)."))


def _zip_kind(data):
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile:
        raise RefusedType(_("The file looks like a ZIP archive but cannot be read.")) from None
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return DOCX
        if any(n.startswith("xl/") for n in names):
            return XLSX
        if any(n.startswith("ppt/") for n in names):
            return PPTX
    if "mimetype" in names and "META-INF/manifest.xml" in names:
        return ODF
    return ZIP


def _is_text(head):
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        if b"\x00" in head:
            return False
        encoding = "utf-8-sig"
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\x1b")
    return controls <= len(text) // 100
