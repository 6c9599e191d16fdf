"""The gambling / betting / SEO-spam lexicon: Vietnamese (with and without diacritics, spaced and
obfuscated spellings), English and the Indonesian spam words common on hacked Vietnamese sites.

Text is first made comparable: NFKC (full-width letters), case folded, zero-width and soft-hyphen
characters dropped, common leetspeak undone (``c4 cuoc`` → ``ca cuoc``, ``nh@ cai`` → ``nha cai``).
Three forms are searched:

* **folded** (diacritics removed, ``đ`` → ``d``) for terms whose unaccented spelling means nothing else
  (``cá cược`` / ``ca cuoc``, ``tài xỉu``, ``casino``);
* **accented** for terms whose unaccented spelling is also ordinary Vietnamese (``lô đề`` vs ``lo để``,
  ``nổ hũ`` vs ``nó hư``, ``nhà cái`` vs ``nhà cải``, ``đánh bài`` vs ``đánh bại``): the accented
  spelling, and the plain-ASCII spelling only where the writer typed no diacritics at all;
* **raw folded** (no leetspeak) for brand names that contain digits (``w88``, ``188bet``, ``sv388``).

Every term matches at word boundaries (so ``bet`` is not found in ``alphabet``), with punctuation allowed
inside a word (``c.á c.ư.ợ.c``), any separator or none between words (``cá  độ``, ``nha-cai``,
``nhacai``), or one to three separators between every letter (``n h à c á i``). Words that are ordinary
out of context only count in context: ``slot`` only as ``slot online``/``game slot``/…, not in
``time slot``. Weights: ``STRONG`` (3) terms are spam on any public-sector page; ``MEDIUM`` (2) terms
also occur in news (arrests for ``cá độ``, ``đá gà``); ``WEAK`` (1) terms (``xổ số``, ``link vào``,
``bet``) count only when hidden or linked, or together with others.
"""

import bisect
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

import numpy as np

STRONG, MEDIUM, WEAK = 3, 2, 1
SPAM_SCORE = 3  # a text scoring this much is gambling spam

_INVISIBLE_CHARS = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u034f"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]+")
# Leetspeak undone: one ASCII character for another, none of the targets a source, so a chain of
# ``str.replace`` (C speed on any string) does what ``str.translate`` (a dict lookup per character) did.
_LEET = (("4", "a"), ("@", "a"), ("3", "e"), ("0", "o"), ("1", "i"), ("$", "s"))
_MARKS = re.compile(r"[\u0300-\u036f]+")
_BIG = 512  # texts from this many characters on are folded and squeezed with numpy, shorter ones with re

# (canonical term, weight, spellings). Folded terms: spellings without diacritics.
FOLDED_TERMS = [
    ("cá cược", STRONG, ["ca cuoc"]),
    ("tài xỉu", STRONG, ["tai xiu"]),
    ("xóc đĩa", STRONG, ["xoc dia"]),
    ("game bài", STRONG, ["game bai", "gamebai"]),
    ("soi kèo", STRONG, ["soi keo"]),
    ("kèo nhà cái", STRONG, ["keo nha cai", "ty le keo", "keo bong da"]),
    ("nhà cái uy tín", STRONG, ["nha cai uy tin", "nha cai online"]),
    ("cổng game", STRONG, ["cong game"]),
    ("đổi thưởng", MEDIUM, ["doi thuong"]),
    ("casino", STRONG, ["casino", "casinos", "live casino", "casino online"]),
    ("baccarat", STRONG, ["baccarat"]),
    ("poker", MEDIUM, ["poker"]),
    ("sportsbook", STRONG, ["sportsbook", "sbobet", "cmd368"]),
    ("betting", MEDIUM, ["betting", "sports betting"]),
    ("slot", STRONG, ["slot online", "slot game", "game slot", "slot gacor", "situs slot", "judi slot",
                      "slot doi thuong", "no hu slot", "slot machine", "slots online", "demo slot"]),
    ("judi", STRONG, ["judi", "judi online", "judi bola"]),
    ("togel", STRONG, ["togel"]),
    ("gacor", STRONG, ["gacor"]),
    ("maxwin", STRONG, ["maxwin"]),
    ("situs", WEAK, ["situs"]),
    ("bet", WEAK, ["bet"]),
]
# Accent-sensitive terms: (canonical, weight, accented spellings, ASCII spellings).
ACCENTED_TERMS = [
    ("nhà cái", STRONG, ["nhà cái"], ["nha cai"]),
    ("nổ hũ", STRONG, ["nổ hũ"], ["no hu"]),
    ("cá độ", MEDIUM, ["cá độ"], ["ca do"]),
    ("lô đề", MEDIUM, ["lô đề", "đánh đề", "số đề"], ["lo de", "danh de"]),
    ("bắn cá", MEDIUM, ["bắn cá"], ["ban ca"]),
    ("đánh bài", MEDIUM, ["đánh bài"], ["danh bai"]),
    ("rồng hổ", MEDIUM, ["rồng hổ"], ["rong ho"]),
    ("đá gà", MEDIUM, ["đá gà"], ["da ga"]),
    ("xổ số", WEAK, ["xổ số"], ["xo so"]),
    ("link vào", WEAK, ["link vào"], ["link vao"]),
]
BRANDS = ["w88", "fb88", "188bet", "fun88", "kubet", "ku bet", "new88", "jun88", "789bet", "hi88", "shbet",
          "j88", "okvip", "sv388", "8xbet", "bk8", "m88", "v9bet", "f8bet", "mb66", "33win", "79king", "hb88",
          "go88", "sunwin", "vn88", "1xbet", "bet365", "12bet", "dafabet", "typhu88", "kubet88", "ae888", "qh88",
          "oxbet", "five88", "debet", "win55", "nohu90", "cwin", "sodo66", "bet88", "may88", "8day", "rikvip",
          "hitclub", "iwin", "b52club", "manclub", "zbet", "nbet", "lucky88", "vz99", "abc8", "789club", "kuwin"]
# Compact strings searched inside host names (``nhacaiuytin.com``, ``w88vn.net``).
HOST_WORDS = ["nhacai", "cacuoc", "taixiu", "xocdia", "nohu", "casino", "soikeo", "keonhacai", "gamebai",
              "baccarat", "poker", "slotgacor", "slotonline", "sbobet", "togel", "gacor", "maxwin", "betting",
              "cado", "danhbai", "banca", "lode", "dagatructiep", "daga"]
_HOST_WEAK = {"cado", "danhbai", "banca", "lode", "daga", "poker"}


WEIGHTS = {t: w for t, w, *_ in FOLDED_TERMS + ACCENTED_TERMS}


def weight_of(term):
    """The weight of a canonical term (brands are strong)."""
    return WEIGHTS.get(term, STRONG)


@dataclass(frozen=True)
class Hit:
    term: str  # the canonical term
    weight: int
    text: str  # what was found (normalised)


def _spelled(spelling, letter):
    """A pattern for one spelling: punctuation inside words, any separator or none between words."""
    words = spelling.split()
    inside = r"[^\w\s]{0,2}"
    compact = r"[\W_]{0,3}".join(inside.join(map(re.escape, word)) for word in words)
    spaced = r"[\W_]{1,3}".join(map(re.escape, "".join(words)))
    # "(?<!L)x…" written "x(?<!Lx)…": starting with a literal lets the regex engine skip to where it occurs
    first = re.escape(words[0][0])
    return rf"{first}(?<!{letter}{first})(?:{compact[len(first):]}|{spaced[len(first):]})(?!{letter})"


class _Spelling:
    __slots__ = ("compact", "pattern", "term", "weight")

    def __init__(self, spelling, term, weight, letter):
        self.compact = spelling.replace(" ", "")
        self.pattern = _spelled(spelling, letter)
        self.term, self.weight = term, weight


def _spellings(entries, letter):
    out = [_Spelling(s, term, weight, letter) for term, weight, spellings in entries for s in spellings]
    return sorted(out, key=lambda sp: len(sp.compact), reverse=True)  # longest first in an alternation


_ASCII_LETTER = "[a-z0-9]"
_FOLDED = _spellings([(t, w, s) for t, w, s in FOLDED_TERMS], _ASCII_LETTER)
# Accented text: a letter is any word character, so ASCII "lo de" never matches inside "lo để".
_ACCENTED = _spellings([(t, w, a + s) for t, w, a, s in ACCENTED_TERMS], r"\w")
_BRAND_RE = re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(b).replace(r"\ ", r"\s?") for b in
                                                      sorted(BRANDS, key=len, reverse=True)) + r")(?![a-z0-9])")
_BRAND_COMPACT = [b.replace(" ", "") for b in BRANDS]
_SEPARATORS = re.compile(r"[\W_]+")


@lru_cache(maxsize=512)
def _regex(spellings):
    """One alternation of the given spellings (a tuple, longest first), group ``i`` ↔ ``spellings[i]``."""
    return re.compile("|".join(f"(?P<s{i}>{sp.pattern})" for i, sp in enumerate(spellings)))


def _codes(text):
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _text(codes):
    return codes.astype("<u4", copy=False).tobytes().decode("utf-32-le", "surrogatepass")


_SEPARATOR_TABLE = None
_ASCII_SEPARATORS = bytes(c for c in range(128) if _SEPARATORS.fullmatch(chr(c)))


def _separator_mask(codes):
    """``[\\W_]`` for each code point, as a boolean array (a table for the BMP, re for the rest)."""
    global _SEPARATOR_TABLE
    if _SEPARATOR_TABLE is None:
        table = np.ones(0x10000, dtype=bool)
        bmp = "".join(map(chr, range(0x10000)))
        for match in re.finditer(r"[^\W_]+", bmp):
            table[match.start():match.end()] = False
        _SEPARATOR_TABLE = table
    mask = _SEPARATOR_TABLE[np.minimum(codes, 0xFFFF)]
    astral = codes > 0xFFFF
    if astral.any():
        for code in np.unique(codes[astral]).tolist():
            mask[codes == code] = _SEPARATORS.fullmatch(chr(code)) is not None
    return mask


def squeeze(form):
    """``form`` without separators (``_SEPARATORS``): where a spelling's letters could stand together."""
    return _Squeezed(form).text


class _Squeezed:
    """A form without its separators, and (on demand) where each of its characters is in the form."""

    __slots__ = ("_grams", "_positions", "form", "text")

    def __init__(self, form):
        self.form = form
        self._positions = self._grams = None
        if len(form) < _BIG:
            self.text = _SEPARATORS.sub("", form)
        elif form.isascii():
            self.text = form.encode("ascii").translate(None, _ASCII_SEPARATORS).decode("ascii")
        else:
            codes = _codes(form)
            keep = ~_separator_mask(codes)
            self.text = _text(codes[keep])
            self._positions = np.flatnonzero(keep)

    @property
    def positions(self):
        """``positions[i]`` is the index in the form of ``text[i]``."""
        if self._positions is None:
            self._positions = np.flatnonzero(~_separator_mask(_codes(self.form)))
        return self._positions

    def present(self, spellings, compacts):
        """The spellings whose compact form (``compacts``, the same order) occurs in the text."""
        text = self.text
        if len(text) < _GRAM_MIN:
            return [sp for sp, compact in zip(spellings, compacts, strict=True) if compact in text]
        if self._grams is None:
            self._grams = np.zeros(1 << _GRAM_BITS, dtype=bool)
            self._grams[_gram_ids(_codes(text))] = True
        ids, starts = _needle_grams(tuple(compacts))
        possible = np.logical_and.reduceat(self._grams[ids], starts)
        return [spellings[i] for i in np.flatnonzero(possible).tolist() if compacts[i] in text]

    def windows(self, compacts):
        """Spans of the form ``(start, end)`` around every occurrence of the compact strings, merged where
        they overlap; None when there are too many for windows to pay."""
        text, spans = self.text, []
        for compact in compacts:
            i = text.find(compact)
            while i >= 0:
                spans.append((i, i + len(compact) - 1))
                if len(spans) > _WINDOWS_MAX:
                    return None
                i = text.find(compact, i + 1)
        positions = self.positions
        spans = sorted((int(positions[a]), int(positions[b]) + 2) for a, b in spans)
        merged = [list(spans[0])]
        for start, end in spans[1:]:
            if start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return merged


_GRAM_MIN = 2048  # texts from this long on are tested against character trigrams first
_GRAM_BITS = 18
_WINDOWS_MAX = 500  # past this many occurrences, one pass over the whole text costs less
_GRAM_MULTIPLIERS = (np.uint32(0x9E3779B1), np.uint32(0x85EBCA77))


def _gram_ids(codes):
    """A hash of every character trigram of a text (its code points, uint32), in ``_GRAM_BITS`` bits."""
    m1, m2 = _GRAM_MULTIPLIERS
    with np.errstate(over="ignore"):
        mixed = ((codes[:-2] * m1 + codes[1:-1]) * m2 + codes[2:]) * m1
    return mixed >> np.uint32(32 - _GRAM_BITS)


class Grams:
    """The character trigrams of a long text, to rule out substrings cheaply: ``may_contain(s)`` is False
    only when ``s`` is surely not in the text (a test of its trigrams against a table, no scan of the
    text); strings shorter than three characters are always "maybe"."""

    __slots__ = ("table", "text")

    def __init__(self, text):
        self.text = text
        self.table = None
        if len(text) >= _GRAM_MIN:
            self.table = np.zeros(1 << _GRAM_BITS, dtype=bool)
            self.table[_gram_ids(_codes(text))] = True

    def may_contain(self, needle):
        if self.table is None or len(needle) < 3:
            return True
        return bool(self.table[_needle_ids(needle)].all())

    def __contains__(self, needle):
        return self.may_contain(needle) and needle in self.text


@lru_cache(maxsize=1024)
def _needle_ids(needle):
    return _gram_ids(_codes(needle))


@lru_cache(maxsize=16)
def _needle_grams(compacts):
    """The trigram ids of each compact string, concatenated, and where each one's start."""
    ids, starts = [], []
    for compact in compacts:
        starts.append(len(ids))
        ids.extend(_gram_ids(_codes(compact)).tolist())
    return np.array(ids, dtype=np.uint32), np.array(starts, dtype=np.intp)


def _search(form, spellings, squeezed=None):
    """Hits of ``spellings`` in ``form``. A spelling can only match where its letters stand with nothing
    but separators between them, so the text with separators removed must contain it: the regex is built
    from those few spellings only (most texts contain none, and skip the regex), and on a long text runs
    only around where they occur."""
    return [hit for _, hit in _located(form, spellings, squeezed)]


def _located(form, spellings, squeezed=None):
    """``_search`` with where each hit starts in ``form``: [(start, Hit)]."""
    if not isinstance(squeezed, _Squeezed):
        squeezed = _Squeezed(form)
    present = tuple(squeezed.present(spellings, _compacts(spellings)))
    if not present:
        return []
    regex = _regex(present)
    hits = []
    for match in _finditer(regex, form, squeezed, [sp.compact for sp in present]):
        sp = present[int(match.lastgroup[1:])]
        hits.append((match.start(), Hit(sp.term, sp.weight, match.group())))
    return hits


def _finditer(regex, form, squeezed, compacts):
    """``regex.finditer(form)``; on a long form, only in the windows around the compact strings (every
    match of a spelling spans one of its occurrences in the squeezed text, and the windows keep a
    character after it for the look-ahead; look-behinds see before a window's start)."""
    if len(form) < _GRAM_MIN or not compacts:
        yield from regex.finditer(form)
        return
    windows = squeezed.windows(compacts)
    if windows is None:
        yield from regex.finditer(form)
        return
    for start, end in windows:
        yield from regex.finditer(form, start, min(end, len(form)))


_COMPACTS = {}


def _compacts(spellings):
    key = id(spellings)
    got = _COMPACTS.get(key)
    if got is None:
        got = _COMPACTS[key] = [sp.compact for sp in spellings]
    return got


def _leet(text):
    for source, target in _LEET:
        if source in text:
            text = text.replace(source, target)
    return text


def _base_form(text):
    """NFKC, case folded, invisible characters dropped (what every searched form starts from)."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", text).casefold()
    if any(c in text for c in _INVISIBLE_CHARS):
        text = _INVISIBLE.sub("", text)
    return text


def accent_form(text):
    """NFKC, case folded, invisible characters dropped, leetspeak undone; diacritics kept (NFC)."""
    if text.isascii():
        return _leet(text.lower())
    return unicodedata.normalize("NFC", _leet(_base_form(text)))


def _strip_marks(text):
    """Diacritics removed (NFD, combining marks U+0300-U+036F dropped), ``đ`` → ``d``."""
    if text.isascii():
        return text
    if len(text) < _BIG:
        return _MARKS.sub("", unicodedata.normalize("NFD", text)).replace("đ", "d")
    codes = _codes(text)
    table = _fold_table()
    out = table[np.minimum(codes, 0xFFFF)]
    astral = codes > 0xFFFF
    if astral.any():
        out = np.where(astral, codes, out)
    if not out.all():  # combining marks (→ 0) that NFC could not compose with their letter
        out = out[out != 0]
    return _text(out)


_FOLD_TABLE = None


def _fold_table():
    """For each BMP code point, what ``_strip_marks`` makes of it alone: its NFD without the combining
    marks U+0300-U+036F (0 when nothing is left), ``đ`` → ``d``; itself when more than one character is
    left (Hangul syllables: no spelling of the lexicon has them)."""
    global _FOLD_TABLE
    if _FOLD_TABLE is None:
        table = np.arange(0x10000, dtype=np.uint32)
        for code in range(0xC0, 0x10000):
            char = chr(code)
            if 0xD800 <= code < 0xE000:
                continue
            folded = _MARKS.sub("", unicodedata.normalize("NFD", char)).replace("đ", "d")
            if folded != char and len(folded) <= 1:
                table[code] = ord(folded) if folded else 0
        table[0x300:0x370] = 0
        _FOLD_TABLE = table
    return _FOLD_TABLE


def fold(text):
    """``accent_form`` without diacritics: ``Cá Cược`` → ``ca cuoc``; ``đ`` → ``d``."""
    return _strip_marks(accent_form(text))


def _raw_fold(text):
    return _strip_marks(_base_form(text))


class Forms:
    """The forms of one text the lexicon and the defacement markers search, each computed once.

    ``raw`` is the folded text with leetspeak kept; ``folded`` (= ``fold(text)``) is ``raw`` with leetspeak
    undone: removing diacritics commutes with the leetspeak replacements (ASCII characters for ASCII
    characters, none of them combining), and NFD of NFC text is NFD of the text, so the two are computed
    from one NFD pass instead of two.
    """

    __slots__ = ("accented", "folded", "raw", "text")

    def __init__(self, text):
        self.text = text
        base = _base_form(text)
        self.accented = _leet(base) if text.isascii() else unicodedata.normalize("NFC", _leet(base))
        self.raw = _strip_marks(base)
        self.folded = _leet(self.raw)


_BRAND_SPELLINGS = tuple(BRANDS)
_BRAND_FOLDED = [_leet(b.replace(" ", "")) for b in BRANDS]


def find_terms(text, forms=None):
    """Every lexicon hit in ``text``, in no particular order (``forms``: its ``Forms``, when known)."""
    if not text:
        return []
    if forms is None:
        forms = Forms(text)
    return [hit for _, located in _located_all(forms) for _, hit in located]


def _located_all(forms):
    """The hits in each form of a text, with where they start: [(form, [(start, Hit)])]."""
    accented, folded = forms.accented, forms.folded
    squeezed_folded = _Squeezed(folded)
    out = [(folded, _located(folded, _FOLDED, squeezed_folded)), (accented, _located(accented, _ACCENTED))]
    # brands are searched in the raw form (leetspeak kept: "188bet"); a brand matched there stands with
    # its leetspeak undone in the folded form, so the folded text (already squeezed) rules most out
    brands = squeezed_folded.present(_BRAND_SPELLINGS, _BRAND_FOLDED)
    if brands:
        raw = forms.raw  # the same object as folded when the text has no leetspeak
        squeezed = squeezed_folded if raw is folded else _Squeezed(raw)
        brands = [b for b in brands if b.replace(" ", "") in squeezed.text]
    if brands:
        out.append((raw, [(m.start(), Hit(m.group().replace(" ", ""), STRONG, m.group()))
                          for m in _finditer(_BRAND_RE, raw, squeezed, [b.replace(" ", "") for b in brands])]))
    return out


_BARRIER = "\n\n\n\n"  # no spelling bridges four separators, and no form changes a newline


def find_terms_many(texts):
    """``[find_terms(t) for t in texts]``, searched as one text (the texts joined by ``_BARRIER``, newlines
    inside them made spaces): a page's few hundred link texts cost about what one text of their length
    costs, not a few hundred searches."""
    texts = [t.replace("\n", " ") for t in texts]
    if len(texts) < 2:
        return [find_terms(t) for t in texts]
    out = [[] for _ in texts]
    for form, located in _located_all(Forms(_BARRIER.join(texts))):
        if not located:
            continue
        bounds = [m.start() for m in _BARRIERS.finditer(form)]
        if len(bounds) != len(texts) - 1:  # cannot happen: every form keeps newlines as they are
            return [find_terms(t) for t in texts]
        for start, hit in located:
            out[bisect.bisect_right(bounds, start)].append(hit)
    return out


_BARRIERS = re.compile(_BARRIER)
_PLAIN_NETLOC = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?")


def score(hits):
    return sum(hit.weight for hit in hits)


def terms(hits):
    """Canonical terms with their counts, most frequent first."""
    counts = {}
    for hit in hits:
        counts[hit.term] = counts.get(hit.term, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def is_spam(text, threshold=SPAM_SCORE):
    return score(find_terms(text)) >= threshold


@lru_cache(maxsize=4096)
def host_hits(host):
    """Hits in a host name: brands and compact terms anywhere in a label (``nhacaiuytin.com``)."""
    host = (host or "").lower()
    hits = []
    compact = host.replace("-", "")
    for label in compact.split("."):
        for brand in BRANDS:
            b = brand.replace(" ", "")
            if b in label and not (b.isalpha() and len(b) <= 4 and b != label):
                hits.append(Hit(b, STRONG, label))
        for word in HOST_WORDS:
            if word in label:
                hits.append(Hit(word, WEAK if word in _HOST_WEAK else STRONG, label))
    return tuple(hits)


def url_hits(url):
    """Hits in a link target: its host name and its path and query (``/nha-cai-uy-tin/``)."""
    host, rest = url_parts(url)
    return list(host_hits(host)) + find_terms(rest)


def url_parts(url):
    """(host, words of the path and query) of a URL, as ``url_hits`` searches them."""
    if url[:7].lower() == "http://" or url[:8].lower() == "https://":
        start = url.index("://") + 3
        slash = url.find("/", start)
        netloc = url[start:] if slash < 0 else url[start:slash]
        if _PLAIN_NETLOC.fullmatch(netloc):
            path, _, query = ("" if slash < 0 else url[slash:]).partition("#")[0].partition("?")
            return netloc.partition(":")[0].lower(), unquote(f"{path} {query}").replace("/", " ")
    try:
        parts = urlsplit(url)
    except ValueError:
        return "", unquote(url)
    return parts.hostname or "", unquote(f"{parts.path} {parts.query}").replace("/", " ")


def links_hits(links):
    """``url_hits(href) + find_terms(text)`` for each (href, text) pair, as a tuple, in one search."""
    links = list(links)
    parts = [url_parts(href) for href, _ in links]
    texts = list(dict.fromkeys([text for _, text in links] + [rest for _, rest in parts]))  # menus repeat
    found = dict(zip(texts, map(tuple, find_terms_many(texts)), strict=True))
    return [host_hits(host) + found[rest] + found[text] for (_, text), (host, rest) in zip(links, parts, strict=True)]
