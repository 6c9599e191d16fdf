"""Version ordering per ecosystem, on top of univers' version classes.

``compare(a, b, scheme)`` returns -1/0/1 or raises :class:`Uncomparable` (a ``ValueError`` whose message says
why) when the two strings cannot be ordered reliably: "7.x", "latest", "", a commit id, a date against a
dotted version, a Debian revision against an RPM release. Nothing is ever guessed silently: the matcher turns
``Uncomparable`` into an "uncertain" match for a human to look at.

Schemes and the univers class behind each:

- ``generic`` — ``MavenVersion`` (Maven's ComparableVersion): numeric components compare as numbers,
  ``alpha < beta < milestone < rc < release < sp < other qualifiers``. That orders Log4j ``2.0-beta9 <
  2.0-rc1 < 2.0 < 2.0.1``, OpenSSH ``7.4 < 7.4p1 < 7.4p2 < 7.5``, PAN-OS ``10.2.9 < 10.2.9-h1 < 10.2.10``,
  FortiOS, Windows builds ``10.0.19045.3570`` and OpenSSL letters alike. univers' own ``GenericVersion``
  compares the raw strings ("10.0" < "9.0") and ``SemverVersion`` drops a fourth component
  (10.0.19045.3570 == 10.0.19045.1), so neither is used for unknown ecosystems.
- ``openssl`` — ``OpensslVersion`` (legacy letter versions ``1.0.2zd`` and 3.x semver).
- ``debian`` — ``DebianVersion`` (epochs, ``~``, revisions such as ``2.4.41-4ubuntu3.14``).
- ``rpm`` — ``RpmVersion`` (``1.2.3-4.el8``, epochs).
- ``semver`` — ``SemverVersion``; ``maven`` — ``MavenVersion``; ``pypi`` — ``PypiVersion`` (PEP 440).
- ``date`` — our own: ``2021-12-10`` and ``20211210`` are the same day (univers has no class for these).
"""

from __future__ import annotations

import re
from functools import lru_cache

from univers import versions as uv

SCHEMES = {
    "generic": uv.MavenVersion,
    "maven": uv.MavenVersion,
    "openssl": uv.OpensslVersion,
    "debian": uv.DebianVersion,
    "rpm": uv.RpmVersion,
    "semver": uv.SemverVersion,
    "pypi": uv.PypiVersion,
    "date": None,  # handled by _date_key
}

# CVE 5 "versionType" values → our schemes ("semver" as CNAs write it is often not strict semver: the
# generic order agrees with semver on every well-formed semver string and keeps a fourth component).
VERSION_TYPES = {
    "semver": "generic",
    "custom": "generic",
    "": "generic",
    "maven": "maven",
    "python": "pypi",
    "pypi": "pypi",
    "rpm": "rpm",
    "deb": "debian",
    "debian": "debian",
}

NOT_VERSIONS = frozenset(
    {"*", "-", "x", "latest", "all", "any", "unknown", "n/a", "na", "none", "?", "various", "unspecified"}
)
_WILDCARD = re.compile(r"(?:^|[.\-_])(?:x|\*|\?)(?:$|[.\-_])", re.IGNORECASE)
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
_DATE_DASHED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DEBIAN = re.compile(r"^\d+:|ubuntu|\+deb|~|\+dfsg|-\d[\w.+]*build\d|-\d+(?:\.\d+)*\+", re.IGNORECASE)
_RPM = re.compile(r"\.(?:el\d+|fc\d+|amzn\d*|sles?\d*|suse|mga\d+|module\+el)", re.IGNORECASE)
_EPOCH = re.compile(r"^\d+:")
_NUMERIC = re.compile(r"^[vV]?(\d+(?:\.\d+)*)$")


class Uncomparable(ValueError):
    """Two version strings cannot be ordered reliably; the message says why."""


def _date_key(value: str) -> tuple[int, int, int] | None:
    m = _DATE_DASHED.match(value) or _DATE_COMPACT.match(value)
    if not m:
        return None
    year, month, day = (int(g) for g in m.groups())
    if 1980 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31:
        return (year, month, day)
    return None


def _check(value: str) -> str:
    """The usable form of ``value`` (stripped, no leading "v") or Uncomparable naming the problem."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise Uncomparable("empty version")
    if text.lower() in NOT_VERSIONS:
        raise Uncomparable(f"'{text}' is not a version")
    if any(ch.isspace() for ch in text):
        raise Uncomparable(f"version '{text}' contains spaces")
    if text[0] in "vV" and len(text) > 1 and text[1].isdigit():
        text = text[1:]
    if not any(ch.isdigit() for ch in text):
        raise Uncomparable(f"version '{text}' has no digits")
    if _WILDCARD.search(text):
        raise Uncomparable(f"version '{text}' contains a wildcard")
    if _COMMIT.match(text) and not text.isdigit() and any(ch.isdigit() for ch in text) and len(text) >= 7:
        raise Uncomparable(f"'{text}' looks like a commit id, not a version")
    return text


@lru_cache(maxsize=262_144)
def classify(version: str) -> str:
    """The scheme a single version string looks like: "date", "debian", "rpm" or "generic"."""
    if _date_key(version) is not None:
        return "date"
    if _RPM.search(version):
        return "rpm"
    if _DEBIAN.search(version):
        return "debian"
    return "generic"


def guess_scheme(vendor: str, product: str, version: str) -> str:
    """Scheme for a product's versions: openssl → "openssl", distribution revisions → "debian"/"rpm",
    dates → "date", else "generic"."""
    names = {(vendor or "").strip().lower(), (product or "").strip().lower()}
    kind = classify((version or "").strip())
    if "openssl" in names and kind == "generic":
        return "openssl"
    return kind


def _pair_scheme(a: str, b: str) -> str:
    ka, kb = classify(a), classify(b)
    if ka == kb:
        return ka
    if "date" in (ka, kb):
        raise Uncomparable(f"'{a}' and '{b}' mix a date with a dotted version")
    if {ka, kb} == {"debian", "rpm"}:
        raise Uncomparable(f"'{a}' and '{b}' mix a Debian and an RPM version")
    return ka if ka != "generic" else kb  # a distribution scheme also reads plain upstream versions


@lru_cache(maxsize=262_144)
def _parse(value: str, scheme: str):
    if scheme == "date":
        key = _date_key(value)
        if key is None:
            return Uncomparable(f"'{value}' is not a date (YYYY-MM-DD or YYYYMMDD)")
        return key
    cls = SCHEMES.get(scheme)
    if cls is None:
        return Uncomparable(f"unknown version scheme '{scheme}'")
    try:
        return cls(value)
    except (uv.InvalidVersion, ValueError, TypeError) as exc:
        return Uncomparable(f"'{value}' is not a valid {scheme} version ({exc})")


# (a, b, scheme) → -1/0/1 or the Uncomparable; holds exactly what compare_or_error(a, b, scheme) answers for
# the pairs it did not settle by numeric key (callers in a hot loop may look here first)
COMPARED: dict[tuple[str, str, str | None], object] = {}
COMPARED_MAX = 1_048_576


def _compare(a: str, b: str, scheme: str | None):
    """Memoised in a plain dict (emptied when full): its keys are tuples of strings, which the cycle
    collector stops scanning, where an lru_cache keeps two tracked objects per entry."""
    key = (a, b, scheme)
    result = COMPARED.get(key)
    if result is None:
        if len(COMPARED) >= COMPARED_MAX:
            COMPARED.clear()
        result = COMPARED[key] = _compare_uncached(a, b, scheme)
    return result


def _compare_uncached(a: str, b: str, scheme: str | None):
    try:
        a, b = _check(a), _check(b)
        if scheme is None:
            scheme = _pair_scheme(a, b)
        elif scheme not in ("debian", "rpm", "date") and (_date_key(a) is None) != (_date_key(b) is None):
            raise Uncomparable(f"'{a}' and '{b}' mix a date with a dotted version")
        elif scheme == "openssl" and not classify(a) == classify(b) == "generic":
            scheme = _pair_scheme(a, b)  # a distribution build of OpenSSL ("1.1.1f-1ubuntu2.16")
    except Uncomparable as exc:
        # kept in the cache: without its traceback, which would keep the raising frames and every caller's
        # frame (with its locals) alive for as long as the entry lives
        return exc.with_traceback(None)
    va, vb = _parse(a, scheme), _parse(b, scheme)
    for v in (va, vb):
        if isinstance(v, Uncomparable):
            return v
    try:
        return (va > vb) - (va < vb)
    except TypeError as exc:  # univers classes refuse some mixed values
        return Uncomparable(f"'{a}' and '{b}' cannot be ordered as {scheme} versions ({exc})")


@lru_cache(maxsize=262_144)
def numeric_key(value: str) -> tuple[int, ...] | None:
    """Dotted numbers as a tuple without trailing zeros ("10.0.19045.3570", "2.0" → (2,)); None otherwise.

    For these the generic (Maven) order is plain tuple order, so the common case skips univers' slower
    comparison. Dates are left out: "20211210" must not meet "1.2" as a number.
    """
    m = _NUMERIC.match(value)
    if m is None or _date_key(value) is not None:
        return None
    parts = [int(p) for p in m.group(1).split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def compare_or_error(a: str, b: str, scheme: str | None = None):
    """Like :func:`compare` but returns the Uncomparable instead of raising it (the matcher's hot path)."""
    if scheme is None or scheme == "generic" or scheme == "maven":
        ka = numeric_key(a)
        if ka is not None:
            kb = numeric_key(b)
            if kb is not None:
                return (ka > kb) - (ka < kb)
    if scheme is not None and scheme not in SCHEMES:
        return Uncomparable(f"unknown version scheme '{scheme}'")
    return _compare(a, b, scheme)


def compare(a: str, b: str, scheme: str | None = None) -> int:
    """-1, 0 or 1 as ``a`` is lower than, equal to or higher than ``b``; Uncomparable when unsure.

    ``scheme`` is one of :data:`SCHEMES`; ``None`` picks one from the two strings (a Debian or RPM
    revision on either side selects that scheme, two dates the date scheme, else "generic").
    """
    result = compare_or_error(a, b, scheme)
    if isinstance(result, Uncomparable):
        raise Uncomparable(*result.args)
    return result


def in_range(
    version: str,
    *,
    start_including: str = "",
    start_excluding: str = "",
    end_including: str = "",
    end_excluding: str = "",
    scheme: str | None = None,
) -> bool:
    """Whether ``version`` lies within the bounds given (empty bound = open). Uncomparable when unsure."""
    if not any((start_including, start_excluding, end_including, end_excluding)):
        _check(version)
        return True
    if start_including and compare(version, start_including, scheme) < 0:
        return False
    if start_excluding and compare(version, start_excluding, scheme) <= 0:
        return False
    if end_including and compare(version, end_including, scheme) > 0:
        return False
    return not (end_excluding and compare(version, end_excluding, scheme) >= 0)


def range_text(
    start_including: str = "", start_excluding: str = "", end_including: str = "", end_excluding: str = ""
) -> str:
    """Interval notation for reasons: "[2.13.0, 2.15.0)", "(, 1.2.9)", "[6.0.0, 6.0.16]"."""
    low = f"[{start_including}" if start_including else f"({start_excluding}"
    high = f"{end_including}]" if end_including else f"{end_excluding})"
    return f"{low}, {high}"


def upstream_version(version: str) -> str:
    """The upstream part of a Debian/RPM package version: no epoch, no revision/release.

    "1:2.4.41-4ubuntu3.14" → "2.4.41"; "1.1.1k-7.el8_6" → "1.1.1k"; "2.4.49" → "2.4.49".
    """
    text = _EPOCH.sub("", version.strip())
    if "-" in text:
        text = text.rsplit("-", 1)[0]
    return text


# --- versions written as text (national warning letters) --------------------------------------------

_V = r"v?(\d[0-9a-z.+~_]*(?:-[a-z][0-9a-z.+~_]*)*)"
_VER = r"(?:(?:các\s+)?phiên\s+bản|versions?)?\s*"
_FORMS = (
    ("range", rf"(?:từ|from)?\s*{_VER}{_V}\s*(?:đến|tới|->|-|–|—|to|through)\s*{_VER}{_V}"),
    ("lt", rf"(?:trước|dưới|nhỏ\s+hơn|<|before|prior\s+to|earlier\s+than|below)\s*{_VER}{_V}"),
    ("le", rf"(?:<=|≤|đến|tới|up\s+to|through)\s*{_VER}{_V}"),
    ("le", rf"{_V}\s*(?:trở\s+xuống|trở\s+về\s+trước|và\s+cũ\s+hơn|and\s+earlier|or\s+earlier|and\s+below|and\s+prior)"),
    ("ge", rf"(?:>=|≥|từ)\s*{_VER}{_V}(?:\s*trở\s+lên)?"),
    ("ge", rf"{_V}\s*(?:trở\s+lên|and\s+later|or\s+later|and\s+above)"),
    ("eq", rf"{_V}"),
)
_TEXT_PIECE = [(kind, re.compile(rf"^[^\d<>≤≥]*?\s*{form}\s*\.?$", re.IGNORECASE)) for kind, form in _FORMS]
_TEXT_SPLIT = re.compile(r"[,;\n]|\s+(?:và|and|hoặc|or)\s+", re.IGNORECASE)


def parse_versions_text(text: str):
    """Simple version ranges as letters write them, as CVE 5 style VersionSpecs; None when not understood.

    "trước 7.0.13" / "< 7.0.13" → lessThan 7.0.13; "7.0.0 đến 7.0.12", "7.0.0 - 7.0.12", "từ 7.0.0 đến
    7.0.12" → 7.0.0 ≤ v ≤ 7.0.12; "7.0.12 trở xuống" → ≤ 7.0.12; "7.0.0 trở lên" → ≥ 7.0.0; a bare version is
    exact. A product name without digits may come first ("FortiOS 7.0.0 đến 7.0.12"); several forms may be
    separated by commas, semicolons, "và"/"and"/"hoặc"/"or". Anything else: None (a human reads it).
    """
    from lachan.vulns.records import VersionSpec

    specs = []
    pieces = [p.strip() for p in _TEXT_SPLIT.split(text or "") if p and p.strip()]
    if not pieces:
        return None
    for piece in pieces:
        found = next(((kind, m) for kind, pattern in _TEXT_PIECE if (m := pattern.match(piece))), None)
        if found is None:
            return None
        kind, m = found
        if kind == "range":
            specs.append(VersionSpec(version=m.group(1), less_than_or_equal=m.group(2)))
        elif kind == "lt":
            specs.append(VersionSpec(version="0", less_than=m.group(1)))
        elif kind == "le":
            specs.append(VersionSpec(version="0", less_than_or_equal=m.group(1)))
        elif kind == "ge":
            specs.append(VersionSpec(version=m.group(1), less_than="*"))
        else:
            specs.append(VersionSpec(version=m.group(1)))
    return specs
