"""The header block: issuer (and parent issuer), number, place and date, document type, subject."""

import re

from .common import (
    DOC_TITLES,
    NATIONAL_HEADING,
    NUMBER,
    SYMBOL_CODES,
    find_date,
    is_upper_line,
    squash,
    starts_with_org,
)
from .normalise import MARKER

_NUMBER_LINE = re.compile(r"(?:^|\t|\s{2,}|\|)\s*S[ốoô]\s*:?\s*(?=\d|/)")  # "So:" in ASCII-only text
_PLACE_DATE = re.compile(
    r"(?P<place>[^\d,\t|]{2,60}?)\s*,\s*(?:ngày\s*(?:\d{1,2}\s*)?tháng|ngày\s*\d{1,2}\s*[/.-]|\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4})",
    re.IGNORECASE,
)
_SUBJECT = re.compile(r"^(?:V/[vV]|v/v|Về việc|VỀ VIỆC)\s*[:.]?\s*(?P<rest>.*)$")
_ADDRESS = re.compile(r"^(?:Đc|Địa chỉ|Đ/c|Tel|ĐT|Điện thoại|Fax|Website|Email|E-mail)\s*[:.]", re.IGNORECASE)
_BODY_START = re.compile(
    r"^(?:Căn cứ|Thực hiện|Theo|Nhằm|Để|Trong|Qua|Tiếp theo|Phúc đáp|Trả lời)\b")
_STOP_SUBJECT = re.compile(r"^(?:Kính gửi|Căn cứ|Nơi nhận)", re.IGNORECASE)


def find_body_start(lines):
    """Index of the first line of running text when there is no "Kính gửi" (decisions, plans, notices)."""
    seen_header = False
    for i, line in enumerate(lines[:80]):
        text = line.text.strip()
        if seen_header and (_BODY_START.match(text) or MARKER.match(text)):
            return i
        if _NUMBER_LINE.search(text) or find_date(text)[2] is not None or text.upper().rstrip(":") in DOC_TITLES:
            seen_header = True
            continue
        if _BODY_START.match(text) or (MARKER.match(text) and seen_header):
            return i
    return min(len(lines), 25)


def _columns(text):
    """Parts of a header line laid out in columns, the national heading removed."""
    parts = []
    for part in re.split(r"\t|\s{3,}|\|", text):
        part = squash(NATIONAL_HEADING.sub(" ", part))
        if part:
            parts.append(part)
    return parts


def _number(lines):
    for i, line in enumerate(lines):
        m = _NUMBER_LINE.search(line.text)
        if not m:
            continue
        n = NUMBER.match(line.text, m.end())
        if n and n["sym"]:
            sym = n["sym"].rstrip(".-")
            return i, (n["num"] or "") + sym, not n["num"], n.span()
    return None, None, False, None


def _issuer(lines, stop):
    """``(issuer, parent_issuer)`` from the upper-case lines above the number line."""
    parts = []
    for line in lines[:stop]:
        text = line.text.strip()
        if _ADDRESS.match(text) or _NUMBER_LINE.search(text):
            continue
        for part in _columns(text):
            if re.fullmatch(r"[-_=.*\s]+", part) or not is_upper_line(part, 2) or part.upper().rstrip(":") in DOC_TITLES:
                continue
            parts.append(part.strip(" -_"))
    levels = []
    for part in parts:
        if not levels or starts_with_org(part, upper=True):
            levels.append(part)
        else:
            levels[-1] = f"{levels[-1]} {part}"
    if not levels:
        return None, None
    return levels[-1], (levels[-2] if len(levels) > 1 else None)


def _place_date(lines, number_span, number_line):
    for i, line in enumerate(lines):
        text = line.text
        if i == number_line and number_span:
            text = text[: number_span[0]].replace("Số", " ") + " " * 3 + text[number_span[1]:]
        iso, year, m = find_date(text)
        if m is None:
            continue
        pm = _PLACE_DATE.search(text[: m.end()])
        place = None
        if pm:
            place = _columns(pm["place"])[-1] if _columns(pm["place"]) else None
            place = re.sub(r"^(?:Số\s*:?\s*)", "", place or "").strip(" :,") or None
        if pm or re.search(r"ngày", text[: m.end()], re.IGNORECASE):
            return place, iso, year
    return None, None, None


def _collect(lines, start, first_text, double_spaced):
    """A subject block: ``first_text`` plus the lines that continue it."""
    out = [first_text] if first_text else []
    for line in lines[start:start + 8]:
        text = line.text.strip()
        if out and line.blank_before and not double_spaced:
            break
        if (_STOP_SUBJECT.match(text) or _NUMBER_LINE.search(text) or find_date(text)[2] is not None
                or NATIONAL_HEADING.search(text) or MARKER.match(text) or _BODY_START.match(text)
                or (is_upper_line(text) and out)):
            break
        out.append(text)
    return squash(" ".join(out)) or None


def _subject(lines, double_spaced, title_at):
    for i, line in enumerate(lines):
        m = _SUBJECT.match(line.text.strip())
        if m:
            return _collect(lines, i + 1, m["rest"], double_spaced)
    if title_at is not None and title_at + 1 < len(lines):
        first = lines[title_at + 1].text.strip()
        m = _SUBJECT.match(first)
        return _collect(lines, title_at + 2, m["rest"] if m else first, double_spaced)
    return None


def _doc_type(lines, number, has_vv, has_kinh_gui):
    for i, line in enumerate(lines):
        for part in _columns(line.text):
            key = part.upper().rstrip(" :")
            if key in DOC_TITLES:
                return DOC_TITLES[key], i
    if has_vv:
        return "cong_van", None
    if number:
        code = re.sub(r"^/(?:\d{4}/)?", "", number[number.index("/"):]).split("-")[0]
        if code in SYMBOL_CODES:
            return SYMBOL_CODES[code], None
    return ("cong_van" if has_kinh_gui else "other"), None


def parse_header(lines, *, double_spaced, has_kinh_gui):
    """Header fields from the lines before the recipients / the body."""
    number_line, number, number_blank, span = _number(lines)
    has_vv = any(_SUBJECT.match(ln.text.strip()) and ln.text.strip()[:1] == "V" for ln in lines)
    doc_type, title_at = _doc_type(lines, number, has_vv, has_kinh_gui)
    stops = [i for i in (number_line, title_at) if i is not None]
    issuer, parent = _issuer(lines, min(stops) if stops else len(lines))
    place, date, year = _place_date(lines, span, number_line)
    if year is None and number:
        m = re.search(r"/(\d{4})/", number)
        year = int(m.group(1)) if m else None
    return {
        "doc_type": doc_type, "number": number, "number_blank": bool(number_blank), "issuer": issuer,
        "parent_issuer": parent, "place": place, "date": date, "year": year,
        "subject": _subject(lines, double_spaced, title_at),
    }
