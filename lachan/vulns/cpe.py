"""CPE 2.3 formatted strings (NISTIR 7695) and name matching (NISTIR 7696), without version ranges.

A parsed :class:`Cpe` holds each attribute's *logical* value, lower-cased (CPE names are case-insensitive):

- ``"*"`` is ANY, ``"-"`` is NA (not applicable);
- any other value is unescaped (``16.10.3\\(3794\\)`` → ``16.10.3(3794)``, ``node\\.js`` → ``node.js``)
  except that ``\\*``, ``\\?`` and ``\\\\`` stay escaped, so an unescaped ``*``/``?`` inside a value is a
  wildcard (``*`` any run of characters, ``?`` one character) and an escaped one is a literal.

Matching (:func:`cpe_matches`) compares attribute by attribute, the advisory's criterion as source and the
inventory item as target: ANY on either side matches everything (on the item side ANY means "unknown", which
is not held against it); NA matches only NA or an empty value; a value in the criterion never matches NA in
the item; values compare case-insensitively with wildcards. The version attribute is left to the matcher,
which applies version ranges (pass ``version=True`` to compare it as a plain attribute too).
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass
from functools import lru_cache

PREFIX = "cpe:2.3:"
ANY = "*"
NA = "-"
ATTRIBUTES = (
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
)
PARTS = frozenset({"a", "o", "h", ANY})
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")
_KEEP_ESCAPED = frozenset("\\*?")


@dataclass(slots=True, frozen=True)
class Cpe:
    part: str
    vendor: str
    product: str
    version: str = ANY
    update: str = ANY
    edition: str = ANY
    language: str = ANY
    sw_edition: str = ANY
    target_sw: str = ANY
    target_hw: str = ANY
    other: str = ANY

    @property
    def key(self) -> tuple[str, str]:
        """(vendor, product) — what the matcher indexes on."""
        return (self.vendor, self.product)

    def __str__(self) -> str:
        return PREFIX + ":".join(_bind(v) for v in astuple(self))


def _bind(value: str) -> str:
    """Logical value → formatted-string component (escapes punctuation other than ``. - _``)."""
    if value in (ANY, NA):
        return value
    out = []
    chars = iter(value)
    for ch in chars:
        if ch == "\\":
            out.append("\\" + next(chars, "\\"))
        elif ch in "*?" or ch.lower() in _PLAIN:
            out.append(ch)
        else:
            out.append("\\" + ch)
    return "".join(out)


def _component(raw: str, start: int, text: str) -> str:
    """Validate one raw component starting at ``start`` in ``text``; return its logical value."""
    if raw == "":
        raise ValueError(f"position {start}: empty attribute in CPE '{text}' (use * for ANY, - for NA)")
    if raw in (ANY, NA):
        return raw
    out = []
    i = 0
    n = len(raw)
    while i < n:
        ch = raw[i]
        pos = start + i
        if ch == "\\":
            if i + 1 >= n:
                raise ValueError(f"position {pos}: dangling escape '\\' in CPE '{text}'")
            nxt = raw[i + 1]
            if nxt.isalnum() or nxt.isspace() or not nxt.isprintable():
                raise ValueError(f"position {pos}: '\\{nxt}' is not a valid escape in CPE '{text}'")
            out.append("\\" + nxt if nxt in _KEEP_ESCAPED else nxt)
            i += 2
            continue
        if ch in "*?":
            # NISTIR 7695: unquoted wildcards only at the beginning or the end of a value
            lead = all(c in "*?" for c in raw[:i])
            trail = all(c in "*?" for c in raw[i + 1 :])
            if not (lead or trail):
                raise ValueError(f"position {pos}: wildcard '{ch}' inside a value in CPE '{text}'")
            out.append(ch)
        elif ch.lower() in _PLAIN:
            out.append(ch.lower())
        elif ch.isspace() or not ch.isprintable():
            raise ValueError(f"position {pos}: whitespace or control character {ch!r} in CPE '{text}'")
        else:
            raise ValueError(f"position {pos}: character {ch!r} must be escaped with '\\' in CPE '{text}'")
        i += 1
    value = "".join(out)
    return "\\-" if value == "-" else value  # an escaped lone hyphen is a literal, not NA


@lru_cache(maxsize=131_072)
def parse_cpe(text: str) -> Cpe:
    """Parse a CPE 2.3 formatted string; ValueError naming the position for anything malformed."""
    if not isinstance(text, str):
        raise ValueError(f"CPE must be a string, not {type(text).__name__}")
    if text[:5].lower() == "cpe:/":
        raise ValueError(f"position 0: '{text}' is a CPE 2.2 URI; a CPE 2.3 formatted string is expected")
    if text[: len(PREFIX)].lower() != PREFIX:
        raise ValueError(f"position 0: CPE '{text}' does not start with '{PREFIX}'")
    if "\\" not in text and text.isascii():
        # the common case: no escapes, ASCII; each component ANY, NA or plain characters only
        values = text[len(PREFIX) :].split(":")
        if len(values) == len(ATTRIBUTES) and all(v in (ANY, NA) or (v and _PLAIN.issuperset(v.lower())) for v in values):
            values = [v if v in (ANY, NA) else v.lower() for v in values]
            if values[0] in PARTS:
                return Cpe(*values)
    raws: list[tuple[str, int]] = []
    start = len(PREFIX)
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == ":":
            raws.append((text[start:i], start))
            start = i + 1
        i += 1
    raws.append((text[start:n], start))
    if len(raws) != len(ATTRIBUTES):
        raise ValueError(
            f"position {n}: CPE '{text}' has {len(raws) + 2} colon-separated fields, 13 expected"
        )
    values = [_component(raw, pos, text) for raw, pos in raws]
    if values[0] not in PARTS:
        raise ValueError(f"position {raws[0][1]}: part '{values[0]}' is not a, o, h or * in CPE '{text}'")
    return Cpe(*values)


def has_wildcard(value: str) -> bool:
    """Whether a logical value holds an unescaped ``*`` or ``?`` (ANY itself counts)."""
    escaped = False
    for ch in value:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in "*?":
            return True
    return False


@lru_cache(maxsize=16_384)
def _pattern(value: str) -> re.Pattern:
    parts = []
    chars = iter(value)
    for ch in chars:
        if ch == "\\":
            parts.append(re.escape(next(chars, "\\")))
        elif ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.DOTALL)


def _literal(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def value_matches(criterion: str, item: str) -> bool:
    """One attribute, NISTIR 7696 style (see the module docstring)."""
    if criterion == ANY or item == ANY:
        return True
    if criterion in (NA, "") or item in (NA, ""):
        return criterion in (NA, "") and item in (NA, "")
    if criterion == item:
        return True
    if has_wildcard(criterion):
        return _pattern(criterion).fullmatch(_literal(item)) is not None
    return False


_NON_VERSION = tuple(a for a in ATTRIBUTES if a != "version")


def cpe_matches(criterion: Cpe, item: Cpe, *, version: bool = False) -> bool:
    """Whether ``item`` is among the names ``criterion`` describes, version aside unless ``version``."""
    for name in ATTRIBUTES if version else _NON_VERSION:
        if not value_matches(getattr(criterion, name), getattr(item, name)):
            return False
    return True


def make_cpe(part: str, vendor: str, product: str, version: str = ANY) -> str:
    """A CPE 2.3 formatted string for an application/OS/hardware name, other attributes ANY.

    Whitespace becomes ``_`` (CPE names hold none); punctuation is escaped; ``*``/``-`` keep their meaning.
    """
    if part not in PARTS:
        raise ValueError(f"part '{part}' is not a, o, h or *")
    values = []
    for name, value in (("vendor", vendor), ("product", product), ("version", version)):
        value = "_".join((value or "").split()).lower()
        if not value:
            raise ValueError(f"{name} is empty (use '*' for ANY or '-' for NA)")
        if value in (ANY, NA):
            values.append(value)
        else:
            values.append("".join(ch if ch in _PLAIN else "\\" + ch for ch in value))
    return PREFIX + ":".join([part, *values, *([ANY] * 7)])
