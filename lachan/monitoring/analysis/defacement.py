"""Defacement: the page against its last good baseline, and the marks defacers leave.

* **Similarity**: text (word 3-gram sketches of the normalised visible text, dates/counters/tokens made
  equal) and structure (4-grams of tag paths). Both low → ``defacement_suspected``; with a marker or a
  near-empty page → ``defacement_confirmed``. A news item added or a date changed moves neither much.
* **Markers** (``find_markers``): "hacked by", "defaced by", "h4ck3d", "bị hack bởi", greetings lists
  ("greetz", "greetings to"), ransom notes ("your files have been encrypted", a Bitcoin address next to
  "bitcoin"/"BTC"/"ransom"/"decrypt"). "owned by" and "greetings to" alone are weak: ordinary English has
  them ("owned by the Ministry"); they count with another marker or a page that changed.
* **Replaced by a short page**: few words, and a ``<marquee>``, audio, or images only, where the baseline
  had many times more text.
"""

import difflib
import re

from .findings import DIFF_MAX, Finding, gettext_noop
from .lexicon import Grams, fold
from .similarity import TEXT_SHINGLE, jaccard, sketch, words

# Similarity below these (text, DOM) means "this is another page".
TEXT_SUSPECT = 0.35
DOM_SUSPECT = 0.45
TEXT_CHANGED = 0.6  # below this with the DOM kept: a large content change (medium)
SHORT_PAGE_WORDS = 80

_BY = r"[\s_-]+(?:by|8y)\b"  # "hacked by", "hacked-by-x", "pawn3d 8y" (text folded: leetspeak undone)
_STRONG_MARKERS = [
    ("hacked by", r"\b(?:hacked|h[a4]ck[e3]d|hekd)" + _BY),
    ("defaced by", r"\bdefaced" + _BY),
    ("h4ck3d", r"\bh4ck3d\b|\bh[a4]x[o0]r[e3]d\b"),
    ("pwned by", r"\b(?:p[a4]?wn[e3]?d|0wn[e3]d)" + _BY),
    ("bị hack bởi", r"\bbi\s+hack\s+boi\b|\bda\s+bi\s+hack\b"),
    ("files encrypted", r"\b(?:your|all)\s+(?:important\s+)?files\s+(?:have\s+been|are|were)\s+encrypted\b"),
    ("hacked", r"\bsite\s+(?:has\s+been\s+)?hacked\b|\bhacked\s+(?:site|website)\b"),
    ("security team", r"\b(?:cyber\s+(?:army|team|team\s+\w+))\b.{0,80}\b(?:was\s+here|hacked)\b"),
]
# Weak markers are ordinary words elsewhere: they count with another marker, on a page that changed, or on
# a short page. Faint ones (``FAINT_NAMES``) are common words and count on a near-empty page only.
_WEAK_MARKERS = [
    ("owned by", r"\bowned\s+by\b"),
    ("greetz", r"\bgreetz\b|\bgreetings?\s+to\b|\bthanks\s+to\s*:|\bsalves\s*:"),
    ("was here", r"\bwas\s+here\b"),
    ("security is low", r"\byour\s+security\s+is\s+(?:low|weak|poor)\b|\bpatch\s+your\s+(?:system|site)\b"),
    ("touched by", r"\b(?:touched|stamped|samped)\s+by\b"),
    ("is here", r"\bis\s+here\b"),
    ("weak systems", r"\bweak\s+(?:systems?|admins?|developers?)\b"),
    ("shell seller", r"\b(?:shell|cpanel|upshell|webshell|backdoor)s?\b"),
]
FAINT_NAMES = frozenset({"touched by", "is here", "weak systems", "shell seller"})
_MARKER_RE = [(name, re.compile(rx), True) for name, rx in _STRONG_MARKERS] + \
             [(name, re.compile(rx), False) for name, rx in _WEAK_MARKERS]
# Strings each marker's regex cannot match without (all of the first tuple's groups, each group by any of
# its strings): a plain substring test over a page's text is far cheaper than a regex starting with \b,
# so most markers are ruled out without running their regex.
_NEEDS = {
    "hacked by": (("by", "8y"), ("ck", "hekd")),
    "defaced by": (("defaced",),),
    "h4ck3d": (("h4ck3d", "xor", "x0r"),),
    "pwned by": (("by", "8y"), ("wn",)),
    "bị hack bởi": (("hack",),),
    "files encrypted": (("encrypted",),),
    "hacked": (("hacked",),),
    "security team": (("cyber",),),
    "owned by": (("owned",),),
    "touched by": (("touched", "stamped", "samped"),),
    "greetz": (("greet", "thanks", "salves"),),
    "was here": (("here",),),
    "is here": (("here",),),
    "security is low": (("security", "patch"),),
    "weak systems": (("weak",),),
    "shell seller": (("shell", "cpanel", "backdoor"),),
}
# A ransom note: a Bitcoin address next to words only ransom notes use, or encrypted files and payment.
# (A page asking for donations shows an address and "bitcoin" too.)
_RANSOM_NEEDS = ("ransom", "decrypt", "encrypted", "tien chuoc", "giai ma", "bitcoin", "btc", "wallet")
_BTC = re.compile(r"(?<![A-Za-z0-9])(?:bc1[ac-hj-np-z02-9]{25,62}|[13][a-km-zA-HJ-NP-Z1-9]{25,34})(?![A-Za-z0-9])")
_RANSOM_WORDS = re.compile(r"\b(?:ransom|decrypt|decryption|encrypted|tien chuoc|giai ma)\b")
_PAYMENT_WORDS = re.compile(r"\b(?:bitcoin|btc|wallet|ransom|decrypt|decryption|tien chuoc|giai ma)\b")
STRONG_NAMES = frozenset(name for name, _ in _STRONG_MARKERS) | {"ransom note"}


def _possible(name, folded):
    """Whether the text (``folded``: a str or a ``lexicon.Grams``) holds what the marker needs."""
    return all(any(s in folded for s in group) for group in _NEEDS[name])


def find_markers(text, folded=None):
    """Defacement markers in ``text`` (names, strong ones as listed in ``STRONG_NAMES``); ``folded`` is
    ``lexicon.fold(text)`` when the caller has it already."""
    if folded is None:
        folded = fold(text)
    grams = Grams(folded)  # on a long text, most needles are ruled out without scanning it
    found = [name for name, regex, _ in _MARKER_RE if _possible(name, grams) and regex.search(folded)]
    if any(w in grams for w in _RANSOM_NEEDS):
        encrypted = "files encrypted" in found and _PAYMENT_WORDS.search(folded)
        if encrypted or (_RANSOM_WORDS.search(folded) and any(map(_is_address, _BTC.findall(text)))):
            found.append("ransom note")
    return found


def _is_address(candidate):
    """A Bitcoin address, not a run of hexadecimal digits (a key or a fingerprint): legacy addresses mix
    cases, bech32 ones are lower case."""
    return candidate.startswith("bc1") or (any(c.islower() for c in candidate)
                                           and any(c.isupper() for c in candidate))


def marker_snippet(text, limit=500):
    folded = fold(text)
    for _, regex, _ in _MARKER_RE:
        match = regex.search(folded)
        if match:
            start = max(0, match.start() - 150)
            return text[start: start + limit] if len(text) == len(folded) else folded[start: start + limit]
    return text[:limit]


def diff_excerpt(before, after, budget=DIFF_MAX):
    """The changed lines of the two texts in ``budget`` characters: removed lines (``-``) in the first
    half, added lines (``+``) in the second, so a page replaced wholesale still shows what replaced it."""
    a = [x for x in before.splitlines() if x.strip()][:3000]
    b = [x for x in after.splitlines() if x.strip()][:3000]
    half = budget // 2
    removed, added, sizes = [], [], {"-": 0, "+": 0}
    for line in difflib.unified_diff(a, b, "baseline", "current", n=0, lineterm=""):
        if line.startswith(("---", "+++", "@@")):
            continue
        sign = line[0]
        line = line[:120]
        if sizes[sign] + len(line) + 1 <= half:
            (removed if sign == "-" else added).append(line)
            sizes[sign] += len(line) + 1
    return "\n".join(removed + added)


def _image_only(page):
    """A page showing only images: what a home page replaced by a defacer's picture looks like (no site
    has a home page without a word, a link or a script)."""
    return (page.images > 0 and page.word_count == 0 and not page.title.strip() and not page.links
            and not page.scripts and not page.iframes and not page.meta_refresh)


def _short_page(page):
    media = page.marquees or page.audio or (page.images and page.word_count < 30)
    return page.word_count < SHORT_PAGE_WORDS and bool(media)


def check(current, baseline):
    """Defacement findings for ``current`` against ``baseline`` (which may be None)."""
    findings = []
    tiny = current.word_count < SHORT_PAGE_WORDS
    # faint markers count on a near-empty page only
    markers = [m for m in current.markers if (baseline is None or m not in baseline.markers)
               and (tiny or m not in FAINT_NAMES)]
    strong = [m for m in markers if m in STRONG_NAMES]
    short = _short_page(current)
    # evidence goes with markers only: the snippet (a fold of the whole text) is made when there are some
    evidence = {"snippet": marker_snippet(current.title + "\n" + current.text) if markers else "",
                "markers": markers}
    if baseline is None:
        if strong or (markers and short):
            findings.append(Finding.make("defacement_confirmed", "critical", gettext_noop(
                "The page carries defacement markers: %(markers)s."), {"markers": ", ".join(markers)},
                **evidence))
        elif markers and tiny:
            findings.append(Finding.make("defacement_suspected", "high", gettext_noop(
                "A near-empty page carrying words defacers leave: %(markers)s."), {"markers": ", ".join(markers)},
                **evidence))
        elif short and current.marquees and (current.audio or current.images):
            findings.append(Finding.make("defacement_suspected", "medium", gettext_noop(
                "The page is a short page of marquee, images or audio, as defacement pages are."),
                snippet=current.text[:500]))
        elif _image_only(current):
            findings.append(Finding.make("defacement_suspected", "medium", gettext_noop(
                "The page is nothing but %(images)s image(s): no text, no links, no scripts."),
                {"images": current.images}))
        elif markers:
            findings.append(Finding.make("defacement_marker", "low", gettext_noop(
                "Words often left by defacers: %(markers)s."), {"markers": ", ".join(markers)}, **evidence))
        return findings

    text_sim, dom_sim = similarities(current, baseline)
    figures = {"text_similarity": round(text_sim, 3), "dom_similarity": round(dom_sim, 3)}
    replaced = short and baseline.word_count >= 4 * max(current.word_count, 1) and baseline.word_count >= 100
    different = text_sim < TEXT_SUSPECT and dom_sim < DOM_SUSPECT
    title_changed = _title_key(current.title) != _title_key(baseline.title)
    params = {"text": round(text_sim * 100), "dom": round(dom_sim * 100)}
    diff = diff_excerpt(baseline.text, current.text) if (different or replaced or text_sim < TEXT_CHANGED) else ""
    if strong or (markers and (different or replaced)):
        findings.append(Finding.make("defacement_confirmed", "critical", gettext_noop(
            "The page was replaced and carries defacement markers: %(markers)s."),
            {"markers": ", ".join(markers)}, diff=diff, **evidence, **figures))
    elif replaced:
        findings.append(Finding.make("defacement_suspected", "high", gettext_noop(
            "The page was replaced by a short page of marquee, images or audio."),
            snippet=current.text[:500], diff=diff, **figures))
    elif different:
        severity = "high" if title_changed else "medium"
        findings.append(Finding.make("defacement_suspected", severity, gettext_noop(
            "The page no longer resembles its baseline (text %(text)s%%, structure %(dom)s%% alike)."),
            params, diff=diff, **figures))
    elif text_sim < TEXT_CHANGED:
        findings.append(Finding.make("defacement_suspected", "low", gettext_noop(
            "Much of the page's text changed (text %(text)s%%, structure %(dom)s%% alike)."),
            params, diff=diff, **figures))
    elif markers:
        findings.append(Finding.make("defacement_marker", "medium" if strong else "low", gettext_noop(
            "New words often left by defacers: %(markers)s."), {"markers": ", ".join(markers)}, **evidence))
    if title_changed and current.title != baseline.title:
        severity = "medium" if findings and findings[0].rank <= 1 else "low"
        findings.append(Finding.make("title_changed", severity, gettext_noop("The page title changed."),
                                     before=baseline.title, after=current.title))
    return findings


def similarities(current, baseline):
    """(text, structure) similarity of two pages' features. A baseline stored by an older version of the
    extraction (``PageFeatures.version``) has sketches made another way: its text sketch is made again
    from its text, and its structure, which cannot be, is taken to be as alike as its text."""
    if baseline.version == current.version:
        return (jaccard(current.text_sketch, baseline.text_sketch),
                jaccard(current.dom_sketch, baseline.dom_sketch))
    text_sim = jaccard(current.text_sketch, sketch(words(baseline.text), TEXT_SHINGLE))
    return text_sim, text_sim


def _title_key(title):
    from .similarity import normalise

    return " ".join(normalise(title or "").split())
