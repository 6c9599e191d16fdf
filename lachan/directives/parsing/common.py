"""Vocabulary and small text helpers shared by the parts of the parser (Decree 30/2020 layout)."""

import datetime
import re
import unicodedata

# Words an organisation name starts with, as written in running text (case-sensitive) and in headers
# (compared upper-cased). Longest first, so "Tổng cục" wins over "Tổng".
ORG_WORDS = sorted([
    "Bộ", "Sở", "Cục", "Tổng cục", "Chi cục", "Vụ", "Viện", "Phòng", "Ban", "Trung tâm", "Văn phòng",
    "Ủy ban nhân dân", "Uỷ ban nhân dân", "Ủy ban", "Uỷ ban", "UBND", "HĐND", "Hội đồng", "Trường",
    "Công an", "Ngân hàng", "Tập đoàn", "Tổng công ty", "Tổng Công ty", "Công ty", "Đảng ủy", "Đảng uỷ",
    "Thành ủy", "Tỉnh ủy", "Huyện ủy", "Quận ủy", "Bộ Chỉ huy", "Bệnh viện", "Đài", "Báo", "Kho bạc",
    "Thanh tra", "Tòa án", "Viện kiểm sát", "Học viện", "Đại học", "Chính phủ", "Thủ tướng", "Liên đoàn",
    "Hội", "Đoàn", "Mặt trận", "Cơ quan", "Tiểu ban", "Ban Chỉ đạo", "Bảo hiểm", "Quỹ",
], key=len, reverse=True)
ORG_START = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(w) for w in ORG_WORDS) + r")(?![\w])")

NATIONAL_HEADING = re.compile(
    r"C\S{1,3}NG\s+H\S{1,3}\s+X\S{1,2}\s+H\S{1,3}I\s+CH\S{1,2}\s+NGH\S{1,3}A\s+VI\S{1,3}T\s+NAM|"
    r"Đ\S{1,2}c\s+l\S{1,2}p\s*[-–]\s*T\S{1,2}\s+do\s*[-–]\s*H\S{1,2}nh\s+ph\S{1,2}c",
    re.IGNORECASE,
)

# A document number's symbol: "/BTTTT-CATTT", "/2017/QĐ-TTg", "/TTr-UBND". One trailing lower-case letter
# per part ("TTg", "TTr"), but never the start of a glued word ("5644/BTTTT-CATTTngày").
_PART = r"(?:[0-9A-ZĐ]+(?:[a-z](?![a-zà-ỹđ]))?)"
SYMBOL = rf"/(?:\d{{4}}/)?{_PART}(?:[-.&]{_PART})*"
NUMBER = re.compile(rf"(?P<num>\d{{1,6}})?\s*(?P<sym>{SYMBOL})")

DATE_WORDS = re.compile(
    r"ngày\s*(?P<d>\d{1,2})?\s*tháng\s*(?P<m>\d{1,2})?\s*năm\s*(?P<y>\d{4})", re.IGNORECASE)
DATE_NUMERIC = re.compile(r"(?<![\d/])(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>\d{4})(?!\d)")

DOC_TITLES = {
    "QUYẾT ĐỊNH": "quyet_dinh", "KẾ HOẠCH": "ke_hoach", "CHỈ THỊ": "chi_thi", "THÔNG BÁO": "thong_bao",
    "BÁO CÁO": "bao_cao", "TỜ TRÌNH": "to_trinh",
}
SYMBOL_CODES = {"QĐ": "quyet_dinh", "KH": "ke_hoach", "CT": "chi_thi", "TB": "thong_bao", "BC": "bao_cao",
                "TTr": "to_trinh"}

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def make_date(day, month, year):
    """ISO date or None when a part is blank or impossible (31/02)."""
    if not (day and month and year):
        return None
    try:
        return datetime.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def find_date(text):
    """The first date written in ``text`` as (iso or None, year or None, match)."""
    found = [m for m in (DATE_WORDS.search(text), DATE_NUMERIC.search(text)) if m]
    if not found:
        return None, None, None
    m = min(found, key=lambda x: x.start())
    return make_date(m["d"], m["m"], m["y"]), int(m["y"]), m


def upper_ratio(text):
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(c.isupper() for c in letters) / len(letters)


def is_upper_line(text, min_letters=4):
    letters = sum(c.isalpha() for c in text)
    return letters >= min_letters and upper_ratio(text) > 0.85


def squash(text):
    """One line, single spaces."""
    return re.sub(r"\s+", " ", text or "").strip()


def fold(text):
    """Accent-free lower case, for comparisons."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def starts_with_org(text, upper=False):
    """Whether ``text`` starts with an organisation word; ``upper``: a header line, compared without accents
    and case (so "SO THONG TIN" from an ASCII-only PDF still counts)."""
    if upper:
        head = fold(text)
        return any(head.startswith(w) and (len(head) == len(w) or not head[len(w)].isalnum()) for w in _ORG_FOLDED)
    return any(text.startswith(w) and (len(text) == len(w) or not text[len(w)].isalnum()) for w in ORG_WORDS)


def strip_item_end(text):
    """Remove list punctuation at the end: "Như trên;" → "Như trên"."""
    return squash(text).rstrip(" ;,.").strip()


SIGNER_TITLE_START = re.compile(r"^(?:KT|TM|TL|TUQ|Q)\s*\.\s*")
SIGNER_ROLES = ("GIÁM ĐỐC", "CHỦ TỊCH", "BỘ TRƯỞNG", "THỨ TRƯỞNG", "TRƯỞNG", "CHÁNH", "BÍ THƯ", "THỦ TRƯỞNG",
                "PHÓ", "TỔNG", "HIỆU TRƯỞNG", "CỤC TRƯỞNG", "VỤ TRƯỞNG", "THỦ TƯỚNG")


def is_signer_title(text):
    """"KT. GIÁM ĐỐC", "PHÓ CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN": a line of the signature block."""
    text = text.strip()
    return is_upper_line(text, 2) and len(text) < 80 and bool(
        SIGNER_TITLE_START.match(text) or any(r in text for r in SIGNER_ROLES))


_ORG_FOLDED = sorted({fold(w) for w in ORG_WORDS}, key=len, reverse=True)
