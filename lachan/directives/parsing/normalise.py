"""Raw extracted text → clean logical lines, then lines → paragraphs.

What extraction leaves behind and is undone here: markdown bold (``**…**``, ``<b>…</b>``), links
(``[x](mailto:x)``, ``<https://…>``), hard line breaks (two trailing spaces), ``|`` tables (a docx table or
a markdown one: the national-heading table is read column by column, other rows become tab-separated
lines), footnotes (a marker glued to a word, "công bố1.", and the note text "1 Tại …" placed wherever the
page ended) and lines broken in the middle of a sentence, with or without blank lines between them.
"""

import re
from dataclasses import dataclass

from .common import NATIONAL_HEADING, is_upper_line

MARKER = re.compile(
    r"^(?:(?P<article>Điều\s+\d+)\s*[.:]?|(?P<roman>[IVX]{1,5})[.)]|(?P<multi>\d{1,2}(?:\.\d{1,2})+)\.?"
    r"|(?P<number>\d{1,2})[.)]|(?P<letter>[a-zđ])\)|(?P<dash>[-–•])|(?P<plus>\+))(?=\s|$)"
)
_LINK_MD = re.compile(r"\[([^\]\n]*)\]\((?:mailto:)?[^)\s]*\)")
_LINK_ANGLE = re.compile(r"<((?:https?|ftp)://[^>\s]+)>")
_TAGS = re.compile(r"</?(?:b|strong|i|em|u|br\s*/?)>", re.IGNORECASE)
_TABLE_SEPARATOR = re.compile(r"^:?-{2,}:?$")
_FOOTNOTE_TEXT = re.compile(r"^(\d{1,2})\s+[A-ZĐÀ-Ỵ]")
_CLOSING = re.compile(r"^(?:Trân trọng|Trân trọng cảm ơn|Trên đây là)\b|\./\.\s*$")


@dataclass
class Line:
    text: str
    bold: bool = False
    blank_before: bool = False
    index: int = 0  # position in the cleaned document


def _cells(row):
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _expand_table_row(raw):
    """A ``| a | b |`` row → the lines it stands for."""
    cells = _cells(raw)
    if all(_TABLE_SEPARATOR.match(c) or not c for c in cells):
        return []
    if any("<br" in c.lower() for c in cells) or any(NATIONAL_HEADING.search(c) for c in cells):
        out = []
        for cell in cells:
            out.extend(part for part in re.split(r"<br\s*/?>", cell, flags=re.IGNORECASE))
            out.append("")
        return out
    return ["\t".join(cells)]


def clean_lines(text):
    """Text → ``Line`` list (blank lines folded into ``blank_before``)."""
    raw_lines = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        raw = raw.replace("\xa0", " ").replace("\u200b", "").replace("\f", "")
        stripped = raw.strip()
        if stripped.startswith("|") and stripped.endswith("|") and stripped.count("|") >= 2:
            raw_lines.extend(_expand_table_row(stripped))
        else:
            raw_lines.append(raw)
    lines, blank, bold_open = [], True, False
    for raw in raw_lines:
        starts_bold = raw.lstrip().startswith(("**", "<b>", "<B>", "<strong>"))
        bold = bold_open or starts_bold
        bold_open = (raw.count("**") % 2 == 1) != bold_open
        if re.search(r"<b>", raw, re.IGNORECASE) and not re.search(r"</b>", raw, re.IGNORECASE):
            bold_open = True
        elif re.search(r"</b>", raw, re.IGNORECASE) and not re.search(r"<b>", raw, re.IGNORECASE):
            bold_open = False
        line = _LINK_MD.sub(r"\1", raw)
        line = _LINK_ANGLE.sub(r"\1", line)
        line = _TAGS.sub("", line)
        line = line.replace("*", "").rstrip()
        line = line.strip(" ")
        if not line.strip():
            blank = True
            continue
        lines.append(Line(line, bold=bold, blank_before=blank, index=len(lines)))
        blank = False
    return lines


def is_double_spaced(lines):
    """True when (nearly) every line is followed by a blank one, so blank lines say nothing."""
    if len(lines) < 6:
        return False
    return sum(1 for ln in lines if ln.blank_before) / len(lines) > 0.8


def remove_footnotes(lines):
    """Drop footnote text ("1 Tại văn bản …" up to the next list item) when a glued marker for it exists;
    the marker is removed from the word and the note is appended to that line after "[n]"."""
    out = list(lines)
    i = 0
    while i < len(out):
        m = _FOOTNOTE_TEXT.match(out[i].text)
        if not m or "\t" in out[i].text or MARKER.match(out[i].text):
            i += 1
            continue
        digit = m.group(1)
        glued = re.compile(rf"(?<=[^\W\d_]){digit}(?=[\s.,;:)]|$)")
        ref = next((k for k in range(i - 1, max(-1, i - 80), -1) if glued.search(out[k].text)), None)
        if ref is None:
            i += 1
            continue
        end = i + 1
        while end < len(out) and not MARKER.match(out[end].text) and not _CLOSING.search(out[end].text) \
                and not out[end].text.lstrip().startswith(("Nơi nhận", "Kính gửi")):
            end += 1
        note = " ".join(ln.text.strip() for ln in out[i:end])
        note = re.sub(rf"^{digit}\s+", "", note)
        target = out[ref]
        target.text = f"{glued.sub('', target.text, count=1).rstrip()} [{digit}] {note}"
        del out[i:end]
    return out


def starts_upper(text):
    return bool(text) and text[0].isupper()


def ends_sentence(text):
    return text.rstrip().endswith((".", ":", ";", "!", "?"))


def new_paragraph(prev_text, line, double_spaced):
    """Whether ``line`` starts a new paragraph after a paragraph ending in ``prev_text``."""
    text = line.text.strip()
    if MARKER.match(text):
        return True
    if not starts_upper(text):
        return False
    if is_upper_line(text) and len(text.split()) >= 2:
        return True
    if ends_sentence(prev_text):
        return True
    return line.blank_before and not double_spaced


def is_closing(text):
    return bool(_CLOSING.search(text.strip()))
