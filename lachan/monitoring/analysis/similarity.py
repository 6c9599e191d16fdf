"""Comparable text and bottom-k sketches of shingle sets, to compare a page with its baseline.

``normalise`` replaces what changes on every visit of an unchanged page: dates in Vietnamese and English
forms (``Thứ Hai, ngày 15/01/2024``, ``15 tháng 1 năm 2024``, ``Monday, January 15, 2024``,
``2024-01-15T08:30:00Z``), times (``08:30``, ``8h30``, ``AM/PM``/``SA/CH``), relative times (``5 phút
trước``, ``3 hours ago``), counters (``Lượt truy cập: 123456``, ``Đang online: 12``) and long tokens
(CSRF tokens, session ids, cache busters) — all numbers become ``0``, weekday and month names one word each.

``words`` is the fast form used on whole pages: it leaves such parts out rather than replacing them.

A sketch keeps the ``SKETCH_SIZE`` smallest 53-bit hashes of a set of shingles (word 3-grams of the text,
4-grams of the tag stream of the DOM: element names in document order, ``/`` closing each); the Jaccard similarity of two sets is estimated from the sketches the
classic bottom-k way (exact for sets smaller than the sketch). Hashes are CRC-32 of the words mixed with
numpy, the same in every process (never Python's salted ``hash``), so stored sketches stay comparable.
"""

import re
import string
import zlib

import numpy as np

SKETCH_SIZE = 256
TEXT_SHINGLE = 3
DOM_SHINGLE = 4
_MASK53 = (1 << 53) - 1

# Patterns written to start with a literal or a character set, never with \b or a lookahead, so the regex
# engine skips ahead to where a match can start: "\bmon" is "mon" not preceded by a word character, written
# as a look-behind after the letters; "\b0" likewise.
_WEEKDAYS = (r"thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s+nhật|monday|tuesday|wednesday|thursday|friday|"
             r"saturday|sunday|(?:mon|tue|wed|thu|fri|sat|sun)(?<!\w[\s\S]{3})(?=,)")
_MONTHS = (r"january|february|march|april|may|june|july|august|september|october|november|december|"
           r"(?:jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)(?<!\w[\s\S]{3})\b\.?|sept(?<!\w[\s\S]{4})\b\.?")
_ZERO = r"0(?<!\w0)"  # \b0
_TOKEN = re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[a-z])[\w-]{16,}\b")  # tokens, session ids, hashes
# A token is a run of [\w-] (its \b edges and look-aheads stay inside the run), so it is searched in the
# runs of 16 or more such characters only.
_LONG_RUN = re.compile(r"[\w-]{16,}")
_RULES = [
    (re.compile(rf"(?:{_WEEKDAYS})"), " wd "),
    (re.compile(rf"(?:{_MONTHS})"), " mo "),
    (re.compile(r"\d+(?:[.,:/\-h]\d+)*(?:\s*(?:am|pm|a\.m\.|p\.m\.|sa|ch|gmt|utc|z)\b)?"), " 0 "),
    (re.compile(_ZERO + r"\s+(?:giây|phút|giờ|ngày|tuần|tháng|năm|seconds?|minutes?|mins?|hours?|days?|weeks?|"
                r"months?|years?)\s+(?:trước|ago)\b"), " 0 ago "),
    (re.compile(rf"{_ZERO}\s+(?:{_ZERO}\s+)*"), "0 "),
]
_WORD = re.compile(r"\w+")
_VN_WEEKDAY = re.compile(r"thứ\s+(?:hai|ba|tư|năm|sáu|bảy)(?!\w)")
VOLATILE = frozenset("""
monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
giây phút giờ ngày tuần tháng năm trước sáng chiều hôm nay qua
second seconds sec secs minute minutes min mins hour hours hr hrs day days week weeks month months year years
ago today yesterday am pm sa ch gmt utc
""".split())  # noqa: SIM905 (a table is easier to read than a list literal)
# stripped from a word's ends (a short list: str.strip scans it for every character it looks at); a word
# with any other symbol is not .isalpha() and is left out
_PUNCTUATION = string.punctuation + "“”‘’„«»‹›…–—―·•°§©®™¡¿、。，：；！？（）【】《》「」"
_HASHES = {}  # token → hash, shared by all pages (cleared past _HASHES_MAX entries)
_HASHES_MAX = 200_000


def _tokens(match):
    return _TOKEN.sub(" 0 ", match.group())


def normalise(text):
    """Case folded text with dates, times, counters and tokens replaced (see the module docstring)."""
    text = _LONG_RUN.sub(_tokens, text.casefold())
    for regex, repl in _RULES:
        text = regex.sub(repl, text)
    return text


def words(text):
    """The words of a page's text its sketch is made of: case folded, split at blanks, punctuation at a
    word's ends removed; what changes on every visit of an unchanged page left out — tokens with digits
    or inner punctuation (dates, times, counters, versions, session ids, e-mail addresses), Vietnamese
    weekdays (``thứ hai`` … ``chủ nhật``) and the words of ``VOLATILE`` (weekday, month and time-unit
    names, ``ago``/``trước``, AM/PM marks). ``normalise`` keeps such parts as placeholders; this is its
    fast form for whole pages (no regex over the text but two literal searches)."""
    text = text.casefold()
    if "thứ" in text:
        text = _VN_WEEKDAY.sub(" ", text)
    if "chủ nhật" in text:
        text = text.replace("chủ nhật", " ")
    tokens = [w if w.isalpha() else w.strip(_PUNCTUATION) for w in text.split()]
    return [w for w in tokens if w.isalpha() and w not in VOLATILE]


def _word_hashes(tokens):
    """CRC-32 of each token's UTF-8 with its length above (memoised across pages: words repeat)."""
    cache = _HASHES
    missing = set(tokens).difference(cache)
    if missing:
        if len(cache) > _HASHES_MAX:
            cache.clear()
            missing = set(tokens)
        for token in missing:
            cache[token] = zlib.crc32(token.encode("utf-8", "surrogatepass")) | (len(token) << 32)
    return np.fromiter(map(cache.__getitem__, tokens), dtype=np.uint64, count=len(tokens))


def sketch(tokens, n, size=SKETCH_SIZE):
    """Bottom-k sketch (sorted list of ints) of the set of ``n``-grams of ``tokens``."""
    if not tokens:
        return []
    hashes = _word_hashes(tokens)
    if len(hashes) < n:
        n = len(hashes)
    with np.errstate(over="ignore"):
        combined = np.zeros(len(hashes) - n + 1, dtype=np.uint64)
        for offset in range(n):
            combined = combined * np.uint64(0x100000001B3) + hashes[offset: len(hashes) - n + 1 + offset]
        combined ^= combined >> np.uint64(29)
        combined *= np.uint64(0xBF58476D1CE4E5B9)
        combined ^= combined >> np.uint64(32)
    unique = np.unique(combined & np.uint64(_MASK53))
    return [int(x) for x in unique[:size]]


def jaccard(a, b, size=SKETCH_SIZE):
    """Estimated Jaccard similarity of the two sets behind two sketches (1.0 when both are empty)."""
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    union = sorted(set(a) | set(b))[:size]
    sa, sb = set(a), set(b)
    return sum(1 for h in union if h in sa and h in sb) / len(union)
