"""Recipient names of a letter ("Kính gửi", appendix) → units, accent-insensitively, with a fuzzy score.

``match_names(names, units)`` returns, for each name, the best unit and its score (0–100, rapidfuzz
``token_sort_ratio`` over the unit's name, short name and code, all folded: lower case, no diacritics,
đ → d, punctuation dropped, leading honorifics such as "Các" removed). A score of at least ``AUTO_SCORE``
is taken as the unit; lower scores are proposed for a decision.
"""

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz, process

AUTO_SCORE = 92.0
PROPOSE_SCORE = 60.0

_LEADING = re.compile(r"^(?:[-+•*\d.)\s]+)?(?:cac|cac don vi|quy)\s+", re.IGNORECASE)


def fold(text):
    """Lower case, without diacritics (đ → d), punctuation as spaces, single spaces."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())


def _clean_name(name):
    folded = fold(name)
    folded = _LEADING.sub("", folded)
    return folded.strip()


@dataclass(frozen=True)
class Match:
    name: str
    unit_id: int | None
    score: float

    @property
    def automatic(self):
        return self.unit_id is not None and self.score >= AUTO_SCORE


def match_names(names, units):
    """[Match] in the order of ``names``; ``units``: iterable of objects with pk, name, short_name, code."""
    choices, owners = [], []
    for unit in units:
        for label in {fold(unit.name), fold(unit.short_name), fold(unit.code)}:
            if label:
                choices.append(label)
                owners.append(unit.pk)
    found = []
    for name in names:
        query = _clean_name(name)
        if not query or not choices:
            found.append(Match(name, None, 0.0))
            continue
        best = process.extractOne(query, choices, scorer=fuzz.token_sort_ratio)
        if best is None or best[1] < PROPOSE_SCORE:
            found.append(Match(name, None, round(best[1], 1) if best else 0.0))
        else:
            found.append(Match(name, owners[best[2]], round(best[1], 1)))
    return found
