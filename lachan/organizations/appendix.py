"""The appendix table of official letters: "Phụ lục — DANH SÁCH CÁC ĐƠN VỊ NHẬN VĂN BẢN".

The table, as text extracted from the letter, looks like::

    STT<TAB>TÊN ĐƠN VỊ
    <b>Khối các cơ quan Đảng thành phố</b><TAB>
    1.<TAB>Văn phòng Thành ủy
    2.<TAB>Ban Nội chính Thành ủy
    (blank lines may appear anywhere)
    <b>Tổ chức chính trị, xã hội</b><TAB>
    1.<TAB>Ủy ban Mặt trận Tổ quốc Việt Nam thành phố

The parser finds the header row (a "STT"/"TT" cell followed by a "Tên đơn vị"-like cell), then
reads group rows (bold ``<b>``/``**``, a roman numeral or letter in the number column, or a plain
unnumbered line) and numbered unit rows (number restarting at 1 in each group). Cells are separated
by tabs, ``|`` (markdown tables) or runs of spaces. A line starting in lower case continues the
name above it (names broken by the extraction). Anything else is reported, not guessed at.
Text without such a table raises ``AppendixError``.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from lachan.core.imports import ascii_fold, text_key

from .choices import UnitKind

_HEADER_NUMBER = {"stt", "tt", "so tt", "so thu tu"}
_HEADER_NAME = re.compile(r"\b(?:ten|don vi|co quan|noi nhan)\b")
_BOLD = re.compile(r"^(?:<(?:b|strong)>|\*\*)(?P<text>.*?)(?:</(?:b|strong)>|\*\*)\s*:?$", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"</?[a-z][^>]*>|\*\*", re.IGNORECASE)
_NUMBER = re.compile(r"^(\d{1,4})\s*[.)]?$")
_NUMBERED_LINE = re.compile(r"^(\d{1,4})\s*[.)]\s+(\S.*)$")
_GROUP_NUMBER = re.compile(r"^(?:[IVXLC]+|[A-Z])\s*[.)]?$")
_MARKDOWN_RULE = re.compile(r"^\|?[\s:|-]+\|?$")


class AppendixError(ValueError):
    """The text holds no appendix table of units; the message is meant for the user."""


@dataclass
class AppendixUnit:
    line: int
    number: int
    name: str


@dataclass
class AppendixGroup:
    line: int | None
    name: str  # "" for units listed before any group row
    units: list = field(default_factory=list)


@dataclass
class Appendix:
    header_line: int
    groups: list
    warnings: list  # [(line, message)]

    @property
    def units(self):
        return [unit for group in self.groups for unit in group.units]


def clean_name(text):
    text = _TAGS.sub("", unicodedata.normalize("NFC", text))
    return re.sub(r"\s+", " ", text).strip().rstrip(";,.").strip()


def split_cells(line):
    if "\t" in line:
        cells = line.split("\t")
    elif line.lstrip().startswith("|"):
        cells = line.strip().strip("|").split("|")
    else:
        cells = re.split(r"\s{2,}", line.strip())
    cells = [c.strip() for c in cells]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _is_header(cells):
    return (len(cells) >= 2 and text_key(_TAGS.sub("", cells[0])) in _HEADER_NUMBER
            and bool(_HEADER_NAME.search(text_key(_TAGS.sub("", cells[1])))))


def find_header(lines):
    for index, line in enumerate(lines):
        if _is_header(split_cells(line)):
            return index
    return None


def looks_like_appendix(text):
    return find_header(text.splitlines()) is not None


def parse_appendix(text):
    lines = text.splitlines()
    start = find_header(lines)
    if start is None:
        raise AppendixError(_("No appendix table found: expected a header row “STT<TAB>TÊN ĐƠN VỊ” followed by "
                              "group rows and numbered unit rows."))
    parser = _Parser(start + 1)
    for index in range(start + 1, len(lines)):
        parser.feed(index + 1, lines[index])
    return parser.finish()


class _Parser:
    def __init__(self, header_line):
        self.header_line = header_line
        self.groups = [AppendixGroup(None, "")]
        self.warnings = []
        self.last_unit = None  # the unit of the previous non-blank line, for continuation lines

    @property
    def group(self):
        return self.groups[-1]

    def feed(self, number, line):
        cells = split_cells(line)
        if not cells or _MARKDOWN_RULE.fullmatch(line.strip()):
            return
        if _is_header(cells):  # the header repeated (page break): skip
            self.last_unit = None
            return
        joined = " ".join(c for c in cells if c)
        bold = _BOLD.match(joined)
        if bold:
            return self.start_group(number, bold.group("text"))
        if len(cells) >= 2 and _NUMBER.match(cells[0]) and cells[1]:
            return self.add_unit(number, int(_NUMBER.match(cells[0]).group(1)), " ".join(cells[1:]))
        inline = _NUMBERED_LINE.match(joined) if len(cells) == 1 else None
        if inline:
            return self.add_unit(number, int(inline.group(1)), inline.group(2))
        if len(cells) >= 2 and _GROUP_NUMBER.match(cells[0]):
            return self.start_group(number, " ".join(cells[1:]))
        if len(cells) == 1:
            text = clean_name(cells[0])
            if self.last_unit is not None and text[:1].islower():
                self.last_unit.name = clean_name(f"{self.last_unit.name} {text}")
                return
            return self.start_group(number, text)
        self.warnings.append((number, _("Line not understood, ignored: %(line)s") % {"line": joined[:80]}))

    def start_group(self, number, name):
        self.close_group()
        self.groups.append(AppendixGroup(number, clean_name(name)))
        self.last_unit = None

    def add_unit(self, number, position, name):
        name = clean_name(name)
        if not name:
            self.warnings.append((number, _("A numbered row without a name, ignored.")))
            return
        expected = len(self.group.units) + 1
        if position != expected:
            self.warnings.append((number, _("Number %(found)s where %(expected)s was expected: check that no row is "
                                            "missing.") % {"found": position, "expected": expected}))
        unit = AppendixUnit(number, position, name)
        self.group.units.append(unit)
        self.last_unit = unit

    def close_group(self):
        group = self.group
        if group.line is not None and not group.units:
            self.groups.pop()
            self.warnings.append((group.line, _("“%(name)s” is followed by no unit; ignored.") % {"name": group.name}))

    def finish(self):
        self.close_group()
        groups = [g for g in self.groups if g.units]
        if not groups:
            raise AppendixError(_("The appendix table (header on line %(line)s) lists no numbered units.")
                                % {"line": self.header_line})
        return Appendix(self.header_line, groups, self.warnings)


# --- what the importer derives from a name -----------------------------------------------------------

def _name_text(name):
    return " ".join(unicodedata.normalize("NFC", name).casefold().split()) + " "


# Both tone placements are written out ("ủy"/"uỷ", "tòa"/"toà"): names use either.
_PARTY = re.compile(r"\b(?:thành|tỉnh|quận|huyện|thị|đảng) (?:ủy|uỷ)\b")
_KIND_PREFIXES = (
    (("hội đồng",), UnitKind.AGENCY),
    (("sở ",), UnitKind.DEPARTMENT),
    (("quận ", "huyện ", "thị xã "), UnitKind.DISTRICT),
    (("trường ",), UnitKind.SCHOOL),
    (("báo ", "đài ", "nhà xuất bản", "tạp chí"), UnitKind.PRESS),
    (("công ty", "tổng công ty", "tập đoàn"), UnitKind.ENTERPRISE),
    (("hội ", "liên đoàn", "đoàn ", "mặt trận", "liên hiệp", "liên minh"), UnitKind.MASS_ORGANIZATION),
    (("ngân hàng",), UnitKind.BANK),
    (("công an", "cục ", "kho bạc", "tòa án", "toà án", "viện kiểm sát", "bảo hiểm xã hội", "bộ chỉ huy"),
     UnitKind.CENTRAL_AGENCY),
)
_KIND_WORDS = ((("ngân hàng",), UnitKind.BANK), (("mặt trận",), UnitKind.MASS_ORGANIZATION))


def guess_kind(name):
    """The likely ``UnitKind`` of a unit from its Vietnamese name ("Sở Y tế" → department)."""
    text = _name_text(name)
    if _PARTY.search(text):
        return UnitKind.PARTY
    for prefixes, kind in _KIND_PREFIXES:
        if text.startswith(prefixes):
            return kind
    for words, kind in _KIND_WORDS:
        if any(word in text for word in words):
            return kind
    return UnitKind.AGENCY


def slug_code(name, max_length=46):
    """"Sở Y tế" → "SO-Y-TE": ASCII, upper case. A long name keeps its last words (the distinctive
    part of Vietnamese names) and shortens the first ones to initials (acronyms stay whole):
    "Công ty TNHH MTV Xổ số Hải Phòng" → "CTTNHHMTV-XO-SO-HAI-PHONG" only if needed."""
    words = re.findall(r"[A-Za-z0-9]+", ascii_fold(name))
    if not words:
        return "UNIT"
    code = ""
    for count in range(len(words) + 1):
        head = "".join(w if w.isupper() and len(w) > 1 else w[0] for w in words[:count]).upper()
        code = "-".join(([head] if head else []) + [w.upper() for w in words[count:]])
        if len(code) <= max_length:
            return code
    return code[:max_length]


def unique_code(name, taken):
    """A code for ``name`` not in ``taken`` (upper-cased codes); the caller adds it to ``taken``."""
    base = slug_code(name)
    code, n = base, 2
    while code.upper() in taken:
        code, n = f"{base}-{n}", n + 1
    return code


def name_key(name):
    """Key to match units by name: case, diacritics, tone placement and punctuation do not matter."""
    return text_key(name)
