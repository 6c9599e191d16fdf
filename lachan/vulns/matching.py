"""Which inventory software an advisory affects. Pure Python: the services feed plain records in and store
the :class:`Match` es that come out.

Index. Items are indexed by their CPE (vendor, product) — from the item's CPE when it has one, else through
the ``aliases`` table, else the free-text names folded by :func:`normalise_name` — so one advisory only
looks at the items of the products it names. Items of one product that share a version (and CPE) form one
*variant*, evaluated once per criterion: 2,000 hosts running OpenSSL in 30 versions cost 30 comparisons.

NVD configurations. A configuration whose operator is "OR" (or absent) affects an item as soon as one
vulnerable ``cpeMatch`` of one of its nodes matches it (attributes per NISTIR 7696, see ``cpe.py``, then the
version range or the exact version). An "AND" configuration ("running on"/"with": firmware on hardware,
Office on Windows) holds for a group of items — the same host, else the same information system, else the
item alone — when every node is satisfied by some item of the group; negated nodes must then be satisfied
by none. Only items hit by a *vulnerable* criterion are reported: a platform criterion (vulnerable=false)
alone never produces a match. Negated nodes of OR configurations and negated configurations cannot be
enumerated from an inventory and are skipped.

CVE 5 / national ``affected`` entries. Vendor and product are folded with :func:`normalise_name` and the
aliases; versions follow CVE 5 (exact, lessThan, lessThanOrEqual, "unaffected" entries excluding,
``defaultStatus``); free text from a letter is read by ``versions.parse_versions_text`` when it has one of
the simple forms, else the item is reported "uncertain" with the text as the reason.

Status. "affected" when the version is known to lie in the range; "uncertain" when a human has to look:
no version, a version that cannot be compared ("7.x"), a criterion without version ("-"), or a Debian/RPM
package whose upstream version lies in the range (distributions backport fixes). Items clearly outside the
range give no match. One item gets at most one Match per advisory ("affected" wins over "uncertain").
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from lachan.vulns import versions as vv
from lachan.vulns.cpe import ANY, NA, Cpe, has_wildcard, parse_cpe, value_matches
from lachan.vulns.records import AffectedProduct, VersionSpec

AFFECTED = "affected"
UNCERTAIN = "uncertain"

_BOUNDS = ("version_start_including", "version_start_excluding", "version_end_including", "version_end_excluding")
_OTHER_ATTRIBUTES = ("update", "edition", "language", "sw_edition", "target_sw", "target_hw", "other")
_OPEN = frozenset({"", "0", "*", "-"})
RULE_CACHE = 200_000  # prepared criteria kept between advisories
_UNSET = object()


@dataclass(slots=True, frozen=True)
class SoftwareItem:
    id: int
    vendor: str
    product: str
    version: str
    cpe: str = ""  # CPE 2.3 when the inventory has one
    host_id: int | None = None
    system_id: int | None = None
    unit_id: int | None = None


@dataclass(slots=True)
class Match:
    software_id: int
    cve_id: str
    status: str  # "affected" | "uncertain"
    reason: str  # short technical English
    criteria: str  # the CPE criteria string, or "vendor:product" for CVE 5 / national data


# --- names -----------------------------------------------------------------------------------------

_NON_WORD = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=262_144)
def normalise_name(s: str) -> str:
    """Lower-case, accents folded, every run of punctuation/space → "_" (like CPE names).

    "Apache HTTP Server" → "apache_http_server"; "Node.js" → "node_js"; "Công ty Đông Á" → "cong_ty_dong_a".
    CPE names go through the same function, so "node.js" in a criterion meets "Node.js" in the inventory.
    """
    text = unicodedata.normalize("NFKD", (s or "").replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return _NON_WORD.sub("_", text).strip("_")


def _cpe_key(cpe: Cpe) -> tuple[str, str]:
    return (normalise_name(_literal(cpe.vendor)), normalise_name(_literal(cpe.product)))


def _literal(value: str) -> str:
    return value.replace("\\", "") if "\\" in value else value


def suggest_aliases(
    vendor: str, product: str, known: Iterable[tuple[str, str]], limit: int = 5
) -> list[tuple[str, str, float]]:
    """The CPE (vendor, product) pairs of ``known`` closest to a free-text name, best first, scored 0..100."""
    query = f"{normalise_name(vendor)} {normalise_name(product)}".replace("_", " ").strip()
    pairs = list(dict.fromkeys(known))
    choices = [f"{normalise_name(v)} {normalise_name(p)}".replace("_", " ") for v, p in pairs]
    found = process.extract(query, choices, scorer=fuzz.token_set_ratio, limit=limit, processor=None)
    return [(pairs[index][0], pairs[index][1], float(score)) for _, score, index in found]


# --- the index -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Variant:
    """Items of one product sharing the CPE attributes and the version."""

    cpe: Cpe
    version: str  # what version comparisons use ("" when unknown)
    ids: set[int] = field(default_factory=set)
    nkey: tuple[int, ...] | None = None  # versions.numeric_key(version): the fast comparison path

    def __post_init__(self):
        self.nkey = vv.numeric_key(self.version) if self.version else None


class _Table:
    """One product's variants as range criteria read them: the dotted-number versions sorted by numeric key
    (a range of such bounds is then two bisections), the others (no version, "7.x", letters, distribution
    packages) to evaluate one by one. Built on first use, dropped when the product's items change."""

    __slots__ = ("variants", "keys", "numeric", "others")

    def __init__(self, variants: Mapping[tuple, _Variant]):
        self.variants = list(variants.values())  # insertion order: the per-variant path
        self.numeric = sorted((v for v in self.variants if v.nkey is not None), key=lambda v: v.nkey)
        self.keys = [v.nkey for v in self.numeric]
        self.others = [v for v in self.variants if v.nkey is None]


def _effective(version: str, update: str) -> str:
    """CPE version plus a pre-release/patch-level update: ("2.0", "beta9") → "2.0-beta9"."""
    if version in (ANY, NA, ""):
        return ""
    version = _literal(version)
    if update in (ANY, NA, ""):
        return version
    return f"{version}-{_literal(update)}"


class Matcher:
    """Inventory index plus the advisory evaluation. Build once, then ``match()`` each advisory.

    ``fast=False`` evaluates every candidate variant against every criterion each time (no bisection of the
    sorted versions, no hit lists kept per criterion): the straightforward path the tests compare with.
    """

    BISECT_MIN = 8  # dotted-number variants of a product from which range criteria bisect instead of scanning

    def __init__(
        self,
        items: Iterable[SoftwareItem],
        aliases: Mapping[tuple[str, str], tuple[str, str]] | None = None,
        *,
        fast: bool = True,
    ):
        self.aliases = {
            (normalise_name(v), normalise_name(p)): (normalise_name(cv), normalise_name(cp))
            for (v, p), (cv, cp) in (aliases or {}).items()
        }
        self.fast = fast
        self.rejected: dict[int, str] = {}  # item id → why its CPE was ignored (indexed by its names)
        self._rules: dict[tuple, _Rule] = {}
        self._items: dict[int, tuple[SoftwareItem, tuple, tuple]] = {}
        self._groups: dict[int, tuple[str, int]] = {}  # item id → its AND group (host, system or itself)
        self._index: dict[tuple[str, str], dict[tuple, _Variant]] = defaultdict(dict)
        self._tables: dict[tuple[str, str], _Table] = {}
        for item in items:
            self.add(item)

    def __len__(self) -> int:
        return len(self._items)

    # -- inventory changes ---------------------------------------------------------------------------

    def add(self, item: SoftwareItem) -> None:
        """Index one item (replaces an item with the same id)."""
        if item.id in self._items:
            self.remove(item.id)
        cpe = None
        if item.cpe:
            try:
                cpe = parse_cpe(item.cpe.strip())
            except ValueError as exc:
                self.rejected[item.id] = str(exc)
        if cpe is not None:
            key = _cpe_key(cpe)
            version = _effective(cpe.version, cpe.update) or (item.version or "").strip()
        else:
            names = (normalise_name(item.vendor), normalise_name(item.product))
            key = self.aliases.get(names, names)
            version = (item.version or "").strip()
            cpe = Cpe(ANY, key[0], key[1], version or ANY)
        vkey = (cpe, version)
        variant = self._index[key].get(vkey)
        if variant is None:
            variant = self._index[key][vkey] = _Variant(cpe, version)
        self._tables.pop(key, None)  # the kept hit lists of the product's criteria are stale
        variant.ids.add(item.id)
        self._items[item.id] = (item, key, vkey)
        if item.host_id is not None:
            self._groups[item.id] = ("host", item.host_id)
        elif item.system_id is not None:
            self._groups[item.id] = ("system", item.system_id)
        else:
            self._groups[item.id] = ("item", item.id)

    def remove(self, item_id: int) -> None:
        """Forget one item (no error when it is unknown)."""
        entry = self._items.pop(item_id, None)
        if entry is None:
            return
        del self._groups[item_id]
        _, key, vkey = entry
        self._tables.pop(key, None)
        variants = self._index.get(key)
        variant = variants.get(vkey) if variants else None
        if variant is not None:
            variant.ids.discard(item_id)
            if not variant.ids:
                del variants[vkey]
            if not variants:
                del self._index[key]

    def _group(self, item_id: int) -> tuple[str, int]:
        return self._groups[item_id]

    def _candidates(self, cpe: Cpe) -> Iterable[_Variant]:
        if has_wildcard(cpe.vendor) or has_wildcard(cpe.product):
            for (vendor, product), variants in self._index.items():
                if value_matches(cpe.vendor, vendor) and value_matches(cpe.product, product):
                    yield from variants.values()
            return
        variants = self._index.get(_cpe_key(cpe))
        if variants:
            yield from variants.values()

    def _table(self, key: tuple[str, str]) -> _Table | None:
        table = self._tables.get(key)
        if table is None:
            variants = self._index.get(key)
            if not variants:
                return None
            table = self._tables[key] = _Table(variants)
        return table

    # -- advisories ----------------------------------------------------------------------------------

    def match(self, cve_id: str, applicability: dict) -> list[Match]:
        """Matches of one advisory (``Advisory.applicability()``), at most one per item.

        While evaluating, an item's first "affected" hit and its first "uncertain" hit are kept as
        (status, reason, criteria); Match objects are built once at the end ("affected" wins)."""
        affected: dict[int, tuple[str, str, str]] = {}
        uncertain: dict[int, tuple[str, str, str]] = {}
        for config in applicability.get("configurations") or ():
            self._configuration(config, affected, uncertain)
        for entry in applicability.get("affected") or ():
            self._affected(entry, affected, uncertain)
        found = [Match(i, cve_id, hit[0], hit[1], hit[2]) for i, hit in affected.items()]
        if uncertain:
            found += [Match(i, cve_id, hit[0], hit[1], hit[2]) for i, hit in uncertain.items() if i not in affected]
        return found

    @staticmethod
    def _keep(affected: dict, uncertain: dict, item_id: int, hit: tuple[str, str, str]) -> None:
        target = affected if hit[0] == AFFECTED else uncertain
        if item_id not in target:
            target[item_id] = hit

    def _rule(self, cpe_match: dict) -> _Rule | None:
        """The prepared criterion, shared by every advisory that repeats it (NVD repeats a product's range
        across all the CVEs one release fixes); None for a criterion that does not parse."""
        get = cpe_match.get
        key = (
            get("criteria", ""),
            get("version_start_including") or "",
            get("version_start_excluding") or "",
            get("version_end_including") or "",
            get("version_end_excluding") or "",
        )
        rule = self._rules.get(key)
        if rule is None:
            try:
                rule = _Rule(cpe_match, key)
            except ValueError:
                return None
            if len(self._rules) >= RULE_CACHE:
                self._rules.clear()
            self._rules[key] = rule
        return rule

    def _hits(self, cpe_match: dict) -> Sequence[tuple[set[int], str, tuple[str, str, str]]]:
        """(item ids, status, (status, reason, criteria)) for every variant one cpeMatch matches.

        For a criterion naming one product the list is kept on the prepared criterion until that product's
        items change, so an advisory repeating a criterion costs one lookup."""
        rule = self._rule(cpe_match)
        if rule is None:
            return []
        if rule.wild:
            return [hit for v in self._candidates(rule.crit) if (hit := self._variant_hit(rule, v)) is not None]
        if not self.fast:
            variants = self._index.get(rule.key, {}).values()
            return [hit for v in variants if (hit := self._variant_hit(rule, v)) is not None]
        table = self._table(rule.key)
        if table is None:
            return []
        cached = rule.hits
        if cached is not None and cached[0] is table:
            return cached[1]
        if rule.nchecks and len(table.numeric) >= self.BISECT_MIN:
            lo, hi = rule.window(table.keys)
            hits = []
            if lo < hi:
                part, plain, crit, span, criteria = rule.crit.part, rule.plain, rule.crit, rule.span, rule.criteria
                for variant in table.numeric[lo:hi]:
                    if part != ANY and not value_matches(part, variant.cpe.part):
                        continue
                    if not plain and not all(
                        value_matches(getattr(crit, a), getattr(variant.cpe, a)) for a in _OTHER_ATTRIBUTES
                    ):
                        continue
                    # what _version_verdict says of a dotted-number version inside numeric bounds
                    hits.append((variant.ids, AFFECTED, (AFFECTED, f"{variant.version} in {span}", criteria)))
            rest = table.others
        elif rule.exact is not None and len(table.numeric) >= self.BISECT_MIN:
            lo, hi = bisect_left(table.keys, rule.exact[0]), bisect_left(table.keys, rule.exact[1])
            hits = [hit for v in table.numeric[lo:hi] if (hit := self._variant_hit(rule, v)) is not None]
            rest = table.others
        else:
            hits = []
            rest = table.variants
        hits += [hit for v in rest if (hit := self._variant_hit(rule, v)) is not None]
        # kept as tuples of strings and ints only, which the cycle collector stops scanning
        hits = tuple((tuple(ids), status, hit) for ids, status, hit in hits)
        rule.hits = (table, hits)
        return hits

    @staticmethod
    def _variant_hit(rule: _Rule, variant: _Variant):
        """The per-variant evaluation: attributes, then the version verdict (cached per version)."""
        part = rule.crit.part
        if part != ANY and not value_matches(part, variant.cpe.part):
            return None
        if not rule.plain and not all(
            value_matches(getattr(rule.crit, a), getattr(variant.cpe, a)) for a in _OTHER_ATTRIBUTES
        ):
            return None
        version = variant.version
        verdicts = rule.verdicts
        verdict = verdicts.get(version, _UNSET)
        if verdict is _UNSET:
            verdict = verdicts[version] = _version_verdict(rule, version, variant.nkey)
        if verdict is None:
            return None
        return variant.ids, verdict[0], (verdict[0], verdict[1], rule.criteria)

    def _configuration(self, config: dict, affected: dict, uncertain: dict) -> None:
        if config.get("negate"):
            return
        nodes = config.get("nodes") or ()
        if (config.get("operator") or "OR").upper() != "AND" or len(nodes) == 1:
            for node in nodes:
                if node.get("negate"):
                    continue
                if (node.get("operator") or "OR").upper() == "AND":
                    self._and([node], affected, uncertain)
                    continue
                for cpe_match in node.get("matches") or ():
                    if not cpe_match.get("vulnerable", True):
                        continue
                    for ids, status, hit in self._hits(cpe_match):
                        target = affected if status == AFFECTED else uncertain
                        for item_id in ids:
                            if item_id not in target:
                                target[item_id] = hit
            return
        self._and(nodes, affected, uncertain)

    def _match_groups(self, cpe_match: dict) -> dict[tuple, list]:
        """group → [(item_id, status, reason, criteria)] of the items one cpeMatch hits; kept on the prepared
        criterion as long as its hit list is (the groups of items only change with the inventory)."""
        hits = self._hits(cpe_match)
        if not hits:
            return {}
        rule = self._rule(cpe_match)
        if rule.groups is not None and rule.groups[0] is hits:
            return rule.groups[1]
        group_of = self._groups
        groups: dict[tuple, list] = defaultdict(list)
        for ids, status, (_, reason, criteria) in hits:
            for item_id in ids:
                groups[group_of[item_id]].append((item_id, status, reason, criteria))
        rule.groups = (hits, groups)
        return groups

    def _node_groups(self, node: dict) -> tuple[set[tuple], list[tuple[dict, bool]]]:
        """(the groups satisfying a node, [(group → hits, vulnerable)] per cpeMatch): hits are only listed
        for the groups that satisfy the whole configuration, in :meth:`_and`."""
        per_match = [(self._match_groups(m), bool(m.get("vulnerable", True))) for m in node.get("matches") or ()]
        if not per_match:
            return set(), per_match
        if (node.get("operator") or "OR").upper() != "AND":
            return set().union(*(groups for groups, _ in per_match)), per_match
        return set(per_match[0][0]).intersection(*(groups for groups, _ in per_match[1:])), per_match

    def _and(self, nodes: list, affected: dict, uncertain: dict) -> None:
        positive = [self._node_groups(n) for n in nodes if not n.get("negate")]
        if not positive:
            return
        groups = positive[0][0].intersection(*(keys for keys, _ in positive[1:]))
        for node in nodes:
            if groups and node.get("negate"):
                groups -= self._node_groups(node)[0]
        for group in groups:
            # hits [(item_id, status, reason, criteria, vulnerable)] of each node, in criteria order
            per_node = [
                [(*hit, vulnerable) for match_groups, vulnerable in per_match for hit in match_groups.get(group, ())]
                for _, per_match in positive
            ]
            hits = [hit for node_hits in per_node for hit in node_hits]
            # each node's best status; the group is certain only when every node is
            certain = all(any(h[1] == AFFECTED for h in node_hits) for node_hits in per_node)
            platform = next((h for h in hits if not h[4]), None)
            for item_id, status, reason, criteria, vulnerable in hits:
                if not vulnerable:
                    continue
                if platform is not None:
                    reason = f"{reason}; with {platform[3]} on the same {group[0]}"
                if not certain:
                    status = UNCERTAIN
                self._keep(affected, uncertain, item_id, (status, reason, criteria))

    def _affected(self, entry: dict, affected: dict, uncertain: dict) -> None:
        product = AffectedProduct.from_dict(entry)
        names = (normalise_name(product.vendor), normalise_name(product.product))
        keys = {self.aliases.get(names, names)}
        for text in product.cpes:
            try:
                keys.add(_cpe_key(parse_cpe(text)))
            except ValueError:
                continue
        specs = product.versions
        text_reason = ""
        if not specs and product.versions_text:
            specs = vv.parse_versions_text(product.versions_text)
            if specs is None:
                text_reason = f"versions given as text: '{product.versions_text}'"
        criteria = f"{names[0]}:{names[1]}"
        seen: set[int] = set()
        for key in keys:
            for variant in self._index.get(key, {}).values():
                if id(variant) in seen:
                    continue
                seen.add(id(variant))
                if text_reason:
                    verdict = (UNCERTAIN, text_reason)
                else:
                    verdict = _affected_verdict(product, specs, variant.version, names)
                if verdict is None:
                    continue
                hit = (verdict[0], verdict[1], criteria)
                for item_id in variant.ids:
                    self._keep(affected, uncertain, item_id, hit)


# --- verdicts --------------------------------------------------------------------------------------


def _scheme(vendor: str, product: str, version: str) -> str | None:
    """"openssl" for OpenSSL's own versions, else None (compare() picks from the two strings)."""
    return "openssl" if vv.guess_scheme(_literal(vendor), _literal(product), version) == "openssl" else None


_DISTRO = ("debian", "rpm")


def _distro(version: str, *bounds: str) -> bool:
    """A Debian/RPM package version compared with upstream bounds."""
    return vv.classify(version) in _DISTRO and all(vv.classify(b) not in _DISTRO for b in bounds if b)


@lru_cache(maxsize=65_536)
def _criterion(criteria: str) -> tuple:
    """What a criterion string alone decides, shared by its ranges: (Cpe, index key, wildcard in the name,
    no other attribute set, the exact version it names, an OpenSSL name, exact window).

    The exact window [key, next) holds, among dotted-number versions in numeric-key order, every version a
    criterion naming one dotted-number version ("2.0") can match: those equal to it and its builds ("2.0.5",
    which start with "2.0."). None when the criterion names no such version (ANY, NA, pattern, letters) or
    names OpenSSL (whose versions compare by the OpenSSL scheme, not by numeric key)."""
    crit = parse_cpe(criteria)
    target = _effective(crit.version, crit.update)
    openssl = "openssl" in (_literal(crit.vendor), _literal(crit.product))
    exact = None
    tkey = vv.numeric_key(target) if target and not has_wildcard(crit.version) and not openssl else None
    if tkey is not None:
        parts = [int(p) for p in target[1:].split(".")] if target[0] in "vV" else [int(p) for p in target.split(".")]
        exact = (tkey, (*parts[:-1], parts[-1] + 1))
    return (
        crit,
        _cpe_key(crit),
        has_wildcard(crit.vendor) or has_wildcard(crit.product),
        all(getattr(crit, a) == ANY for a in _OTHER_ATTRIBUTES),
        target,
        openssl,
        exact,
    )


class _Rule:
    """One NVD cpeMatch, prepared once per advisory for all the variants it meets."""

    __slots__ = (
        "crit", "criteria", "key", "wild", "plain", "bounds", "span", "target", "openssl", "distro_bounds",
        "checks", "nchecks", "exact", "verdicts", "hits", "groups",
    )

    def __init__(self, cpe_match: dict, key: tuple[str, str, str, str, str] | None = None):
        """``key``: (criteria, the four bounds) as :meth:`Matcher._rule` reads them, when it has it."""
        if key is None:
            key = (cpe_match.get("criteria", ""), *(cpe_match.get(name) or "" for name in _BOUNDS))
        self.criteria = key[0]
        self.crit, self.key, self.wild, self.plain, self.target, self.openssl, exact = _criterion(self.criteria)
        bounds = key[1:]
        self.bounds = bounds if any(bounds) else None
        self.span = vv.range_text(*bounds) if self.bounds else ""
        self.exact = None if self.bounds else exact
        edges = self.bounds or (self.target,)
        self.distro_bounds = any(vv.classify(b) in _DISTRO for b in edges if b)
        # (bound, results of compare(version, bound) that keep the version inside, bound's numeric key)
        self.checks = tuple(  # a tuple of atomic values: left out of the cycle collector's scans
            (bound, ok, vv.numeric_key(bound))
            for bound, ok in zip(bounds, ((0, 1), (1,), (-1, 0), (-1,)), strict=True)
            if bound
        )
        self.nchecks = bool(self.checks) and all(check[2] is not None for check in self.checks)
        self.verdicts: dict[str, tuple[str, str] | None] = {}  # version → verdict (inventory-independent)
        self.hits: tuple[_Table, list] | None = None  # (the product's table, Matcher._hits' answer for it)
        self.groups: tuple[list, dict] | None = None  # (that answer, Matcher._match_groups' answer for it)

    def window(self, keys: list[tuple[int, ...]]) -> tuple[int, int]:
        """[lo, hi) of the sorted numeric ``keys`` inside the bounds (all numeric: ``nchecks``)."""
        lo, hi = 0, len(keys)
        for _, ok, bkey in self.checks:
            if ok == (0, 1):  # start including: key >= bound
                lo = max(lo, bisect_left(keys, bkey))
            elif ok == (1,):  # start excluding: key > bound
                lo = max(lo, bisect_right(keys, bkey))
            elif ok == (-1, 0):  # end including: key <= bound
                hi = min(hi, bisect_right(keys, bkey))
            else:  # end excluding: key < bound
                hi = min(hi, bisect_left(keys, bkey))
        return lo, hi

    def scheme(self, version: str) -> str | None:
        return "openssl" if self.openssl and vv.classify(version) == "generic" else None


def _in_bounds(rule: _Rule, version: str, nkey: tuple[int, ...] | None):
    """True/False, or the Uncomparable met on the way."""
    if nkey is not None and rule.nchecks:
        for _, ok, bkey in rule.checks:  # noqa: SIM110 (a plain loop is faster here)
            if ((nkey > bkey) - (nkey < bkey)) not in ok:
                return False
        return True
    scheme = rule.scheme(version)
    compared = vv.COMPARED.get  # what compare_or_error answered before for (version, bound, scheme)
    for bound, ok, _ in rule.checks:
        result = compared((version, bound, scheme))
        if result is None:
            result = vv.compare_or_error(version, bound, scheme)
        if isinstance(result, vv.Uncomparable):
            return result
        if result not in ok:
            return False
    return True


def _version_verdict(rule: _Rule, version: str, nkey=_UNSET) -> tuple[str, str] | None:
    """(status, reason) of one version against one prepared criterion, None when outside.

    ``nkey`` is ``versions.numeric_key(version)`` when the caller has it already (the variants do)."""
    crit = rule.crit
    if rule.bounds:
        if not version:
            return UNCERTAIN, f"no version known; affected range {rule.span}"
        distro = not rule.distro_bounds and vv.classify(version) in _DISTRO
        probe = vv.upstream_version(version) if distro else version
        if distro or nkey is _UNSET:
            nkey = vv.numeric_key(probe)
        inside = _in_bounds(rule, probe, nkey)
        if isinstance(inside, vv.Uncomparable):
            return UNCERTAIN, f"version '{version}' cannot be compared with {rule.span}: {inside}"
        if not inside:
            return None
        if distro:
            return UNCERTAIN, f"upstream {probe} of package {version} in {rule.span}; the fix may be backported"
        return AFFECTED, f"{version} in {rule.span}"
    if crit.version == ANY:
        return AFFECTED, "all versions"
    if crit.version == NA:
        if not version or version == NA:
            return AFFECTED, "product without version"
        return UNCERTAIN, f"criterion names no version ('-'); item has {version}"
    target = rule.target
    if not version:
        return UNCERTAIN, f"no version known; affected version {target}"
    if has_wildcard(crit.version):
        # a pattern such as 2.4.*: the item's version string must fit it
        return (AFFECTED, f"{version} fits {target}") if value_matches(crit.version, version) else None
    distro = not rule.distro_bounds and vv.classify(version) in _DISTRO
    probe = vv.upstream_version(version) if distro else version
    if probe.lower() == target.lower():
        equal = True  # also for versions that are names ("r2" of windows_server_2012)
    else:
        result = vv.compare_or_error(probe, target, rule.scheme(probe))
        if isinstance(result, vv.Uncomparable):
            return UNCERTAIN, f"version '{version}' cannot be compared with {target}: {result}"
        equal = result == 0
    if not equal:
        if probe.lower().startswith(target.lower() + "."):
            # NVD often names a release line ("12.1") where the inventory has a build ("12.1.55.18")
            return UNCERTAIN, f"{version} is a build of {target}, which the advisory lists as a whole"
        return None
    if distro:
        return UNCERTAIN, f"upstream {probe} of package {version} = {target}; the fix may be backported"
    return AFFECTED, f"{version} = {target}"


def _spec_text(spec: VersionSpec) -> str:
    low = "" if spec.version in _OPEN else spec.version
    if spec.less_than:
        end = "" if spec.less_than == "*" else spec.less_than
        return vv.range_text(start_including=low, end_excluding=end)
    if spec.less_than_or_equal == "*":
        return vv.range_text(start_including=low)
    if spec.less_than_or_equal:
        return vv.range_text(start_including=low, end_including=spec.less_than_or_equal)
    return spec.version


def _in_spec(spec: VersionSpec, version: str, names: tuple[str, str]) -> bool:
    """Whether ``version`` is inside one CVE 5 version entry; Uncomparable when unsure."""
    kind = (spec.version_type or "").strip().lower()
    if kind == "git":
        raise vv.Uncomparable("git commit ranges cannot be compared with a version")
    scheme = vv.VERSION_TYPES.get(kind, "generic")
    if scheme == "generic":
        scheme = _scheme(names[0], names[1], version)
    low = "" if spec.version in _OPEN else spec.version
    if spec.less_than or spec.less_than_or_equal:
        lt = "" if spec.less_than == "*" else spec.less_than
        le = "" if spec.less_than_or_equal == "*" else spec.less_than_or_equal
        probe = vv.upstream_version(version) if _distro(version, low, lt, le) else version
        return vv.in_range(probe, start_including=low, end_excluding=lt, end_including=le, scheme=scheme)
    if not low:
        return True
    probe = vv.upstream_version(version) if _distro(version, low) else version
    return vv.compare(probe, low, scheme) == 0


def _affected_verdict(
    product: AffectedProduct, specs: list[VersionSpec], version: str, names: tuple[str, str]
) -> tuple[str, str] | None:
    if not specs:
        if product.default_status == "affected":
            return AFFECTED, "all versions (default status affected)"
        return UNCERTAIN, "advisory names the product without versions"
    listed = ", ".join(_spec_text(s) for s in specs if s.status == "affected") or "none"
    if not version:
        return UNCERTAIN, f"no version known; affected: {listed}"
    hit = None
    doubt = None
    for spec in specs:
        try:
            inside = _in_spec(spec, version, names)
        except vv.Uncomparable as exc:
            if spec.status == "affected" and doubt is None:
                doubt = f"version '{version}' cannot be compared with {_spec_text(spec)}: {exc}"
            continue
        if not inside:
            continue
        if spec.status == "unaffected":
            return None
        if spec.status == "affected" and hit is None:
            hit = spec
        elif spec.status == "unknown" and doubt is None:
            doubt = f"{version} in {_spec_text(spec)} with status unknown"
    if hit is not None:
        text = _spec_text(hit)
        if _distro(version, hit.version, hit.less_than, hit.less_than_or_equal):
            upstream = vv.upstream_version(version)
            return UNCERTAIN, f"upstream {upstream} of package {version} in {text}; the fix may be backported"
        ranged = hit.less_than or hit.less_than_or_equal
        return AFFECTED, f"{version} in {text}" if ranged else f"{version} = {text}"
    if doubt is not None:
        return UNCERTAIN, doubt
    if product.default_status == "affected":
        return AFFECTED, f"{version} not listed; default status affected"
    if product.default_status == "unknown":
        return UNCERTAIN, f"{version} not listed; default status unknown"
    return None
