"""Vietnamese administrative documents (layout of Decree 30/2020/NĐ-CP) → a plain dict (issue 3).

    from lachan.directives.parsing import parse_document, parse_text, DocumentParseError
    parse_document(path_or_fileobj, *, filename="") -> dict   # .txt / .md / .docx / .pdf
    parse_text(text) -> dict

The dict has exactly the keys of ``KEYS``; see ``docs`` in issue 3 for their meaning. Sections are
``{"id", "marker", "text", "children"}``; ids are the markers' path ("2.b", "1.3" for the third dash of
item 1, "I.2.1"). Anything that is not such a document raises ``DocumentParseError`` with a message for the
user; nothing else is raised for any text.
"""

import re

from django.utils.translation import gettext as _

from . import appendix, body, footer, header
from .common import NATIONAL_HEADING, ORG_START, fold, squash
from .errors import DocumentParseError
from .normalise import clean_lines, is_double_spaced, remove_footnotes
from .reader import read_document

KEYS = ("doc_type", "number", "number_blank", "issuer", "parent_issuer", "place", "date", "year", "subject",
        "recipients", "references", "sections", "tasks", "contacts", "signer", "cc", "appendix_units")

_KINH_GUI = re.compile(r"^Kính\s+gửi\s*:?\s*", re.IGNORECASE)
_TRACES = re.compile(
    r"^\s*(?:Kính\s+gửi|Nơi\s+nhận|V/v\b|Về việc\b|Căn cứ\b)|(?:^|\s)Số\s*:\s*\d*\s*/[A-ZĐ]"
    r"|,\s*ngày\s+(?:\d{1,2}\s+)?tháng|^\s*(?:QUYẾT ĐỊNH|KẾ HOẠCH|CHỈ THỊ|THÔNG BÁO|BÁO CÁO|TỜ TRÌNH)\s*:?\s*$",
    re.MULTILINE | re.IGNORECASE,
)
_REQUESTS = re.compile(
    r"(?P<org>" + ORG_START.pattern + r"[^,.;:()\n]*?)\s*(?:\([^)]*\))?\s+(?:kính\s+)?(?:đề nghị|yêu cầu)\b")
_ANNEX_OF = re.compile(r"Kèm theo\s+[^()]*?\s+của\s+(?P<org>[^()]+?)\s*\)", re.IGNORECASE)


def parse_document(source, *, filename=""):
    """A path or a binary file object → the parsed dict. Raises ``DocumentParseError``."""
    return parse_text(read_document(source, filename=filename))


def _require_document(text):
    if not text.strip():
        raise DocumentParseError(_("The document is empty."))
    if not NATIONAL_HEADING.search(text) and not _TRACES.search(text):
        raise DocumentParseError(_(
            "This does not look like an administrative document: no number (\"Số: …/…\"), no place and "
            "date line, no \"V/v\" subject, no \"Kính gửi\" recipients, no \"Nơi nhận\" list and no document "
            "title (QUYẾT ĐỊNH, KẾ HOẠCH, …) was found."))


def parse_text(text):
    """Text of an official document → dict with the keys ``KEYS``."""
    if not isinstance(text, str):
        raise DocumentParseError(_("The document text must be a string."))
    _require_document(text)
    lines = remove_footnotes(clean_lines(text))
    double = is_double_spaced(lines)

    kg = next((i for i, ln in enumerate(lines) if _KINH_GUI.match(ln.text.strip())), None)
    head_end = kg if kg is not None else header.find_body_start(lines)
    result = header.parse_header(lines[:head_end], double_spaced=double, has_kinh_gui=kg is not None)

    recipients, body_start = [], head_end
    if kg is not None:
        inline = _KINH_GUI.sub("", lines[kg].text.strip())
        recipients, body_start = body.read_list(lines, kg + 1, double, inline)

    annex = next((i for i in range(body_start, len(lines))
                  if appendix.APPENDIX_START.match(lines[i].text.strip())), len(lines))
    noi_nhan = next((i for i in range(body_start, annex)
                     if re.match(r"^Nơi nhận", lines[i].text.strip(), re.IGNORECASE)), annex)
    paras = body.paragraphs(lines[body_start:noi_nhan], double)
    main, closing = body.split_closing(paras)
    sections, intro = body.build_tree(main)
    texts = [t for t, _b, _m in main] + [t for t, _b, _m in closing]
    node_texts = [node["text"] for node, _a in body.walk(sections)]

    footer_lines = lines[noi_nhan:annex]
    closing_upper = [ln for ln in lines[body_start:noi_nhan] if ln.text.strip() in {t for t, _b, _m in closing}]
    cc, span = footer.cc_list(footer_lines, double)
    rest = footer_lines if span is None else footer_lines[: span[0]] + footer_lines[span[1]:]
    signer = footer.signer(closing_upper + rest)

    result.update({
        "recipients": recipients,
        "references": body.references(texts + [result["subject"] or ""], result["number"]),
        "sections": sections,
        "tasks": body.tasks_of(sections, footer.is_contact),
        "contacts": footer.contacts(node_texts + intro + [t for t, _b, _m in closing]),
        "signer": signer,
        "cc": cc,
        "appendix_units": appendix.appendix_units(lines[annex:]),
    })
    if not result["issuer"]:
        result["issuer"] = _infer_issuer(lines[annex:], texts)
    if not result["subject"]:
        result["subject"] = _infer_subject(lines[:head_end], texts)
    return {key: result[key] for key in KEYS}


def _infer_issuer(annex_lines, texts):
    """When the header block was lost: the organisation named by the appendix ("Kèm theo … của X") or the
    one that "đề nghị"/"yêu cầu" in the body."""
    annex_text = " ".join(ln.text for ln in annex_lines[:8])
    m = _ANNEX_OF.search(annex_text)
    if m:
        return squash(m["org"])
    for text in texts:
        for sentence in re.split(r"(?<=[.;])\s+", text):
            m = _REQUESTS.search(sentence)
            if m:
                return squash(m["org"])
    return None


def _infer_subject(header_lines, texts):
    """No "V/v" line: a leftover fragment of it in the header (e.g. "Đảng Cộng sản Việt Nam.") completed from
    the subject of the cited document it ends, else None."""
    leftovers = [ln.text.strip() for ln in header_lines
                 if ln.text.strip() and not ln.text.strip().isupper() and not NATIONAL_HEADING.search(ln.text)
                 and not re.match(r"^(?:Số|Đc|Tel|Địa chỉ|Website|Email)\b", ln.text.strip())
                 and not re.search(r",\s*ngày", ln.text)]
    if not leftovers:
        return None
    tail = fold(leftovers[-1]).strip(" .")
    for subject in body.subject_of_reference(texts):
        if tail and fold(subject).strip(" .").endswith(tail):
            return subject.rstrip(" .")
    return None


__all__ = ["KEYS", "DocumentParseError", "parse_document", "parse_text"]
