"""Map many IP addresses at once to the most specific registered prefix (longest-prefix match).

``PrefixMatcher`` is built once from ``[(prefix_text, label), ...]`` — IPv4 and IPv6, nested prefixes
allowed — and then answers for a whole column of addresses (an ``EventBatch.ip``) in a few vectorised
steps, with no Python object per address beyond the input text:

1. **Flatten.** CIDR blocks are either disjoint or nested, never partially overlapping. Sorted by
   (first address, last address descending, priority), one sweep with a stack of open prefixes cuts
   the address space into *disjoint segments*, each labelled with the most specific prefix covering
   it (or -1 for none). A segment is stored by its first address only: ``starts`` (sorted) and
   ``owner``.
2. **Search.** An address belongs to segment ``searchsorted(starts, address, side="right") - 1``:
   one ``numpy.searchsorted`` call for the whole column. IPv4 addresses are ``uint32``; IPv6 addresses
   are big-endian 16-byte strings (``S16``), whose byte order is numeric order.
3. **Convert.** Address text becomes bytes with ``socket.inet_pton(AF_INET)`` mapped over the column
   (strict: ``1.2.3``, ``01.2.3.4`` or ``1.2.3.4 `` are not accepted on this path), what it rejects with
   ``inet_pton(AF_INET6)``, and only the rest goes through ``ipaddress`` one by one (CIDR text, text with
   spaces, scope ids, real errors). A million addresses: about 0.25 s to convert and 0.1 s to look up
   (``bench/feeds_match.py``). The bogon table is merged into each matcher's segments, so one search
   gives both the owner and the bogon kind.

API: ``PrefixMatcher(entries, match_bogons=False, allow_documentation=False)``,
``PrefixMatcher.from_queryset(IPPrefix queryset, at=None)``; ``match(ips) → (index, bad)``;
``classify(ips) → MatchResult`` (index, bad, bogon flags and kinds); ``prefix(i)``, ``label(i)``,
``ref(i)``, ``labels``, ``prefixes``, ``labels_of(index)``, ``count_by_label(index)``; ``is_bogon(ips)``
and ``bogon_kinds(ips)`` without a matcher.

Rules (the brute-force reference in the tests follows the same ones):

- **Most specific wins**; identical prefixes registered more than once (several labels) are resolved
  by ``priority``: the lowest priority key wins, then the earliest entry. ``from_queryset`` uses the
  same tie rule as ``lachan.inventory.selectors.prefix_owner``: the deeper unit, then the older record.
- **CIDR text as input** (``"203.0.113.0/24"``, as in plain lists) is matched by its *network address*
  (host bits are cleared first: ``203.0.113.7/24`` → ``203.0.113.0``); a block that spans several
  units' prefixes is therefore reported once, under the owner of its first address.
- **IPv4-mapped IPv6** (``::ffff:1.2.3.4``) is treated as the IPv4 address ``1.2.3.4``, both as an
  address and as a prefix (``::ffff:1.2.3.0/120`` is ``1.2.3.0/24``; ``prefix()`` still shows the text as
  registered, canonicalised). Other IPv6 forms that embed IPv4 (``::1.2.3.4``, NAT64 ``64:ff9b::/96``)
  are plain IPv6.
- **Bogons** (private, loopback, link-local, CGNAT 100.64.0.0/10, multicast, reserved, benchmarking,
  documentation, unspecified; see ``BOGONS``) are *reported, not matched* (issue 4): by default such an
  address gets no prefix even if a unit registered a prefix holding it, and the result flags it.
  ``match_bogons=True`` matches them like any address; ``allow_documentation=True`` matches the
  documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32, 3fff::/20) — the
  demo and the tests register units' prefixes there. The bogon flag is reported either way.
- **Bad input** (not an address, empty, ``None``) gets index -1 and a ``(position, reason)`` entry in
  ``bad``; nothing is dropped silently.
"""

import ipaddress
import socket
from dataclasses import dataclass, field
from functools import cache, partial

import numpy as np
from django.utils.translation import gettext as _

from lachan.inventory.ipam import parse_prefix

__all__ = ["BOGONS", "MatchResult", "PrefixError", "PrefixMatcher", "bogon_kinds", "is_bogon", "local_day"]

_V4_TOP = 1 << 32
_V6_TOP = 1 << 128
_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_MAPPED_BASE = int(_MAPPED.network_address)
_MAPPED_HEAD = _MAPPED.network_address.packed[:12]
_ZERO4 = b"\0\0\0\0"
_pton4 = partial(socket.inet_pton, socket.AF_INET)
_pton6 = partial(socket.inet_pton, socket.AF_INET6)

DOCUMENTATION = "documentation"

# Special-purpose ranges (IANA IPv4/IPv6 special-purpose registries, RFC 6890 and successors) that are
# never a public host on the Internet. For IPv6 everything outside global unicast 2000::/3 counts,
# plus the special blocks inside it. Nested ranges take the more specific kind.
BOGONS = (
    ("0.0.0.0/8", "reserved"),  # "this network"
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "cgnat"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "reserved"),  # IETF protocol assignments
    ("192.0.2.0/24", DOCUMENTATION),  # TEST-NET-1
    ("192.88.99.0/24", "reserved"),  # deprecated 6to4 relay anycast
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", DOCUMENTATION),  # TEST-NET-2
    ("203.0.113.0/24", DOCUMENTATION),  # TEST-NET-3
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),  # includes 255.255.255.255
    ("::/3", "reserved"),  # outside global unicast 2000::/3 ...
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("4000::/2", "reserved"),
    ("8000::/1", "reserved"),
    ("fc00::/7", "private"),  # unique local
    ("fe80::/10", "link-local"),
    ("ff00::/8", "multicast"),
    ("2001::/23", "reserved"),  # IETF protocol assignments (Teredo, ORCHID, benchmarking …)
    ("2001:db8::/32", DOCUMENTATION),
    ("2002::/16", "reserved"),  # 6to4
    ("3fff::/20", DOCUMENTATION),  # RFC 9637
)
BOGON_KINDS = (None, *sorted({kind for _prefix, kind in BOGONS}))  # code 0 = not a bogon


class PrefixError(ValueError):
    """A prefix that cannot be read; ``index`` is its position in the entries given to the matcher."""

    def __init__(self, index, value, reason):
        self.index, self.value, self.reason = index, value, reason
        super().__init__(_("Invalid IP prefix “%(value)s”: %(reason)s") % {"value": value, "reason": reason})


@dataclass
class MatchResult:
    """What ``PrefixMatcher.classify`` knows about each input position."""

    index: np.ndarray  # prefix index per input, -1 = no prefix (unmatched, bogon not matched, or bad)
    bad: list  # [(position, reason)] for input that is not an address
    bogon_code: np.ndarray  # int8 per input: 0 = not a bogon, otherwise BOGON_KINDS[code]
    careful: list = field(default_factory=list)  # positions whose text was not a plain address token
    # (CIDR, surrounding spaces, scope id, junk): quote/neutralise these when writing the text out

    @property
    def bogon(self):
        return self.bogon_code > 0

    def bogon_kind(self, position):
        return BOGON_KINDS[int(self.bogon_code[position])]


# --- address text → integers ---------------------------------------------------------------------------

def _slow_address(value):
    """(4, packed) / (6, packed) / (None, reason) for what the strict fast path rejected."""
    if value is None:
        return None, _("empty IP address")
    text = str(value).strip()
    if not text:
        return None, _("empty IP address")
    try:
        if "/" in text:
            address = ipaddress.ip_network(text, strict=False).network_address
        else:
            address = ipaddress.ip_address(text)
    except ValueError:
        shown = text if len(text) <= 60 else text[:57] + "…"
        return None, _("not an IP address: “%(value)s”") % {"value": shown}
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.version, address.packed


def _packer(family, size):
    """A function ``(position, text) → packed bytes`` for ``map``: ``inet_pton`` of the family, or
    ``size`` zero bytes after noting the position in the returned list of failures."""
    pton = partial(socket.inet_pton, family)
    zero = bytes(size)
    failed = []

    def pack(position, text):
        try:
            return pton(text)
        except (OSError, TypeError):
            failed.append(position)
            return zero

    return pack, failed


def _convert(ips):
    """Column of address text → (v4 uint32 per position, is_v4 mask or None when all are IPv4,
    v6 positions, v6 S16 keys, bad list, careful positions).

    IPv4 text goes through ``inet_pton`` mapped over the whole column (C speed, no Python loop of our
    own); what it rejects through ``inet_pton`` for IPv6, again mapped; the rest (CIDR, spaces, scope ids,
    junk) through ``ipaddress`` one by one — those positions are "careful": their text is not a plain
    address token."""
    n = len(ips)
    pack4, failed4 = _packer(socket.AF_INET, 4)
    v4 = np.frombuffer(b"".join(map(pack4, range(n), ips)), dtype=">u4").astype(np.uint32)
    if not failed4:
        return v4, None, np.empty(0, dtype=np.intp), np.empty(0, dtype="S16"), [], []

    others = np.asarray(failed4, dtype=np.intp)
    texts = [ips[i] for i in failed4]
    pack6, failed6 = _packer(socket.AF_INET6, 16)
    raw6 = np.frombuffer(b"".join(map(pack6, range(len(texts)), texts)), dtype=np.uint8).reshape(-1, 16)
    is6 = np.ones(len(texts), dtype=bool)
    is6[failed6] = False
    mapped = is6 & (raw6[:, :12] == np.frombuffer(_MAPPED_HEAD, dtype=np.uint8)).all(axis=1)
    if mapped.any():  # ::ffff:a.b.c.d is the IPv4 address a.b.c.d
        v4[others[mapped]] = raw6[mapped, 12:].copy().view(">u4").ravel()
        is6 &= ~mapped
    v6_pos = [others[is6]]
    v6_keys = [raw6[is6].copy().view("S16").ravel()]
    not_v4 = others[is6]

    bad, careful = [], []
    slow6_pos, slow6_keys, slow_not_v4 = [], [], []
    for k in failed6:
        i = failed4[k]
        careful.append(i)
        version, value = _slow_address(texts[k])
        if version == 4:
            v4[i] = int.from_bytes(value, "big")
            continue
        slow_not_v4.append(i)
        if version == 6:
            slow6_pos.append(i)
            slow6_keys.append(value)
        else:
            bad.append((i, value))
    if slow6_pos:
        v6_pos.append(np.asarray(slow6_pos, dtype=np.intp))
        v6_keys.append(np.frombuffer(b"".join(slow6_keys), dtype="S16"))
    is_v4 = np.ones(n, dtype=bool)
    is_v4[not_v4] = False
    is_v4[slow_not_v4] = False
    return v4, is_v4, np.concatenate(v6_pos), np.concatenate(v6_keys), bad, careful


# --- the flattened tables --------------------------------------------------------------------------------

class _Table:
    """Disjoint segments of one address family: ``starts`` (sorted first addresses) and ``owner``."""

    def __init__(self, intervals, version):
        # intervals: [(first, last, priority, index)]; nested or disjoint, never partially overlapping.
        top = _V4_TOP if version == 4 else _V6_TOP
        starts, owner = [0], [-1]

        def emit(at, who):
            if at >= top:
                return
            if starts[-1] == at:
                owner[-1] = who
            else:
                starts.append(at)
                owner.append(who)

        stack = []  # [(last, index, first)] of the open prefixes, innermost on top
        for first, last, _priority, index in sorted(intervals, key=lambda t: (t[0], -t[1], t[2])):
            while stack and stack[-1][0] < first:
                end = stack.pop()[0]
                emit(end + 1, stack[-1][1] if stack else -1)
            if stack and stack[-1][2] == first and stack[-1][0] == last:
                continue  # the same prefix again with a lower priority: the first one wins
            emit(first, index)
            stack.append((last, index, first))
        while stack:
            end = stack.pop()[0]
            emit(end + 1, stack[-1][1] if stack else -1)

        if version == 4:
            self.starts = np.asarray(starts, dtype=np.uint32)
        else:
            self.starts = np.frombuffer(b"".join(s.to_bytes(16, "big") for s in starts), dtype="S16")
        self.owner = np.asarray(owner, dtype=np.intp)

    def __len__(self):
        return len(self.starts)

    def lookup(self, keys):
        if not len(keys):
            return np.empty(0, dtype=np.intp)
        return self.owner[np.searchsorted(self.starts, keys, side="right") - 1]


class _Classifier:
    """A prefix table merged with the bogon table of the same family, the bogon policy applied: one
    ``searchsorted`` gives both the owning prefix and the bogon kind of an address."""

    def __init__(self, table, bogons, *, match_bogons, allow_documentation):
        self.starts = np.union1d(table.starts, bogons.starts)  # both start at 0
        self.owner = table.lookup(self.starts)
        self.code = (bogons.lookup(self.starts) + 1).astype(np.int8)  # bogon table owner: kind code - 1
        if not match_bogons:
            blocked = self.code > 0
            if allow_documentation:
                blocked &= self.code != BOGON_KINDS.index(DOCUMENTATION)
            self.owner[blocked] = -1
        self.segments = len(table)

    def lookup(self, keys):
        """(prefix index, bogon code) per key."""
        if not len(keys):
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.int8)
        at = np.searchsorted(self.starts, keys, side="right") - 1
        return self.owner[at], self.code[at]


def _range(network):
    """(version, first, last) as integers; IPv4-mapped IPv6 prefixes become IPv4."""
    first = int(network.network_address)
    last = int(network.broadcast_address)
    if network.version == 6 and network.prefixlen >= 96 and network.subnet_of(_MAPPED):
        return 4, first - _MAPPED_BASE, last - _MAPPED_BASE
    return network.version, first, last


def _read_prefix(text):
    """(version, first, last, canonical text) of a prefix; IPv4-mapped IPv6 prefixes become IPv4 ranges.

    Plain ``address/length`` text is read with ``inet_pton`` (a national list has tens of thousands);
    anything else (spaces, netmasks, errors) goes through ``parse_prefix`` — the same rules as the
    inventory: host bits are cleared, a bare address is a /32 or /128. ValueError/TypeError otherwise."""
    if isinstance(text, str):
        address, slash, length = text.partition("/")
        family, bits = (socket.AF_INET6, 128) if ":" in address else (socket.AF_INET, 32)
        if not slash:
            length = str(bits)
        if length.isascii() and length.isdigit() and int(length) <= bits:
            try:
                value = int.from_bytes(socket.inet_pton(family, address), "big")
            except OSError:
                pass
            else:
                host = (1 << (bits - int(length))) - 1
                first = value & ~host
                if bits == 32:
                    return 4, first, first | host, f"{socket.inet_ntop(family, first.to_bytes(4, 'big'))}/{int(length)}"
                network = ipaddress.IPv6Network((first, int(length)))
                return (*_range(network), str(network))
    network = parse_prefix(text)
    return (*_range(network), str(network))


class PrefixMatcher:
    """Longest-prefix matching of many addresses at once; see the module documentation.

    ``entries``: ``(prefix_text, label)`` or ``(prefix_text, label, priority)``; ``priority`` (any
    comparable value, lower wins) decides between identical prefixes; without it the earlier entry wins.
    Raises ``PrefixError`` (with the entry's position) for a prefix that cannot be read."""

    def __init__(self, entries, *, match_bogons=False, allow_documentation=False):
        self.match_bogons = match_bogons
        self.allow_documentation = allow_documentation
        self._prefixes, self._labels, self.refs = [], [], None
        intervals = {4: [], 6: []}
        for index, entry in enumerate(entries):
            text, label = entry[0], entry[1]
            priority = entry[2] if len(entry) > 2 else 0
            try:
                version, first, last, canonical = _read_prefix(text)
            except (ValueError, TypeError) as exc:
                raise PrefixError(index, text, str(exc)) from None
            intervals[version].append((first, last, (priority, index), index))
            self._prefixes.append(canonical)
            self._labels.append(label)
        self._build(intervals)

    def _build(self, intervals):
        bogons = _bogon_tables()
        policy = {"match_bogons": self.match_bogons, "allow_documentation": self.allow_documentation}
        self._v4 = _Classifier(_Table(intervals[4], 4), bogons[4], **policy)
        self._v6 = _Classifier(_Table(intervals[6], 6), bogons[6], **policy)

    @classmethod
    def _from_ranges(cls, rows, **policy):
        """rows: [(prefix_text, label, version, first, last, priority, ref)] already canonical."""
        self = cls.__new__(cls)
        self.match_bogons = policy.get("match_bogons", False)
        self.allow_documentation = policy.get("allow_documentation", False)
        self._prefixes, self._labels, self.refs = [], [], []
        intervals = {4: [], 6: []}
        for index, (text, label, version, first, last, priority, ref) in enumerate(rows):
            intervals[version].append((first, last, (priority, index), index))
            self._prefixes.append(text)
            self._labels.append(label)
            self.refs.append(ref)
        self._build(intervals)
        return self

    @classmethod
    def from_queryset(cls, queryset, at=None, *, label="unit_id", **policy):
        """A matcher over ``IPPrefix`` rows (the caller scopes the queryset), labelled with the
        ``label`` field (the owning unit's id by default); ``matcher.ref(i)`` is the IPPrefix pk.

        Ties between identical prefixes follow ``prefix_owner``: deeper unit first, then older record.
        ``at`` (a date, or a datetime taken as its day in ``TIME_ZONE``) keeps only the prefixes
        assigned on that day — ``valid_from``/``valid_until`` of ``IPPrefix``, both inclusive, an empty
        bound is open; a model without such fields counts every prefix."""
        model = queryset.model
        if at is not None:
            from django.db.models import Q

            day = local_day(at)
            names = {f.name for f in model._meta.get_fields()}
            if "valid_from" in names:
                queryset = queryset.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day))
            if "valid_until" in names:
                queryset = queryset.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        rows = []
        values = queryset.values_list("prefix", "version", "first_key", "last_key", label, "unit__depth", "pk")
        for text, version, first_key, last_key, value, depth, pk in values.order_by():
            first, last = int(first_key, 16), int(last_key, 16)
            if version == 4 or (first >= _MAPPED_BASE and last < _MAPPED_BASE + _V4_TOP):
                if version == 6:  # an IPv4-mapped IPv6 prefix: keys are already in ::ffff:0:0/96
                    version = 4
                first, last = first - _MAPPED_BASE, last - _MAPPED_BASE
            rows.append((text, value, version, first, last, (-(depth or 0), pk), pk))
        return cls._from_ranges(rows, **policy)

    # --- questions ---------------------------------------------------------------------------------------

    def __len__(self):
        return len(self._prefixes)

    def prefix(self, index):
        """Canonical text of prefix ``index`` (as registered; host bits cleared)."""
        return self._prefixes[index]

    def label(self, index):
        return self._labels[index]

    @property
    def labels(self):
        """Every prefix's label, by prefix index (read-only use)."""
        return self._labels

    @property
    def prefixes(self):
        """Every prefix's canonical text, by prefix index (read-only use)."""
        return self._prefixes

    def ref(self, index):
        """The IPPrefix pk of prefix ``index`` for a matcher built by ``from_queryset``, else None."""
        return self.refs[index] if self.refs is not None else None

    @property
    def segments(self):
        """Number of disjoint segments (IPv4, IPv6) after flattening: for tests and benchmarks."""
        return self._v4.segments, self._v6.segments

    def classify(self, ips):
        """``MatchResult`` for a sequence of address text (``str``; ``None`` counts as empty)."""
        ips = ips if isinstance(ips, list) else list(ips)
        n = len(ips)
        v4, is_v4, v6_pos, v6, bad, careful = _convert(ips)
        if is_v4 is None:
            index, bogon = self._v4.lookup(v4)
        else:
            index = np.full(n, -1, dtype=np.intp)
            bogon = np.zeros(n, dtype=np.int8)
            index[is_v4], bogon[is_v4] = self._v4.lookup(v4[is_v4])
            if len(v6_pos):
                index[v6_pos], bogon[v6_pos] = self._v6.lookup(v6)
        return MatchResult(index=index, bad=bad, bogon_code=bogon, careful=careful)

    def match(self, ips):
        """``(prefix_index, bad)``: per input the index of the most specific prefix holding it (-1 for
        none), and ``[(position, reason)]`` for input that is not an IP address."""
        result = self.classify(ips)
        return result.index, result.bad

    def labels_of(self, index):
        """Labels for an index array (``None`` where -1)."""
        labels = self._labels
        return [labels[i] if i >= 0 else None for i in index.tolist()]

    def count_by_label(self, index):
        """``{label: number of inputs matched to one of its prefixes}``, labels in first-seen order of
        prefixes, zero counts left out."""
        counts = np.bincount(index[index >= 0], minlength=len(self._labels)) if len(self._labels) else []
        out = {}
        for i in np.flatnonzero(counts).tolist():
            out[self._labels[i]] = out.get(self._labels[i], 0) + int(counts[i])
        return out


_BOGON_TABLES = {}


def _bogon_tables():
    """{4: _Table, 6: _Table} of ``BOGONS`` whose owners are (BOGON_KINDS code - 1)."""
    if not _BOGON_TABLES:
        intervals = {4: [], 6: []}
        for index, (text, kind) in enumerate(BOGONS):
            version, first, last = _range(ipaddress.ip_network(text))
            intervals[version].append((first, last, (0, index), BOGON_KINDS.index(kind) - 1))
        _BOGON_TABLES.update({version: _Table(intervals[version], version) for version in (4, 6)})
    return _BOGON_TABLES


def bogon_kinds(ips):
    """Per address the bogon kind (``"private"``, ``"documentation"``, …) or None (public or not an
    address)."""
    codes = _empty().classify(ips).bogon_code
    return [BOGON_KINDS[c] for c in codes.tolist()]


def is_bogon(ips):
    """Boolean array: which addresses are bogons (see ``BOGONS``). A single string gives a bool."""
    if isinstance(ips, str):
        return bool(_empty().classify([ips]).bogon[0])
    return _empty().classify(ips).bogon


@cache
def local_day(moment):
    """The calendar day of ``moment`` in ``TIME_ZONE`` (a date stays as it is; naive means UTC)."""
    import datetime as dt

    if isinstance(moment, dt.datetime):
        from django.utils import timezone

        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=dt.UTC)
        return timezone.localtime(moment).date()
    return moment


def _empty():
    return PrefixMatcher([])
