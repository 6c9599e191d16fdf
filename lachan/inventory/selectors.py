"""Read-side questions on IP prefixes: which prefix (and so which unit) holds an address, and which
prefixes of different units overlap (a ministry's /16 holding an agency's /24 is allowed, but the
coordinators want to see it).

Both use the ``first_key``/``last_key`` range columns (32 hex digits, IPv4 mapped into IPv6, so
string order is address order). CIDR blocks never overlap partially: two prefixes are either
disjoint or one contains the other, which is what makes the single sort-and-sweep below exact.
"""

import ipaddress
from dataclasses import dataclass

from django.db.models import Q

from lachan.core.scope import VIEW

from .ipam import address_key, network_keys, parse_prefix
from .models import IPPrefix


@dataclass(frozen=True)
class Span:
    version: int
    first: str
    last: str
    unit_id: int
    order: tuple  # tie-breaker making the sweep deterministic
    item: object


@dataclass(frozen=True)
class Overlap:
    outer: object  # the containing prefix
    inner: object  # the contained (or identical) prefix of another unit


def span_of(prefix, *, order=None):
    """A Span of an IPPrefix, saved (range columns set) or not (computed from ``prefix``)."""
    if prefix.first_key and prefix.last_key and prefix.version:
        version, first, last = prefix.version, prefix.first_key, prefix.last_key
    else:
        network = parse_prefix(prefix.prefix)
        version, (first, last) = network.version, network_keys(network)
    return Span(version, first, last, prefix.unit_id, order if order is not None else (0, prefix.pk or 0), prefix)


def overlapping_pairs(spans):
    """``(outer, inner)`` Span pairs of different units where ``outer`` contains ``inner``.

    Sorted by (version, first address, last address descending), every prefix on the stack contains
    the next one; a prefix is popped once the sweep has passed its last address. O(n log n + pairs)."""
    ordered = sorted(spans, key=lambda s: s.order)
    ordered.sort(key=lambda s: s.last, reverse=True)
    ordered.sort(key=lambda s: (s.version, s.first))
    stack = []
    for span in ordered:
        while stack and (stack[-1].version != span.version or stack[-1].last < span.first):
            stack.pop()
        for outer in stack:
            if outer.unit_id != span.unit_id:
                yield outer, span
        stack.append(span)


def prefix_overlaps(user):
    """Overlapping prefixes of different units, both within the user's scope, outer before inner."""
    queryset = IPPrefix.objects.restrict(user, VIEW).select_related("unit")
    spans = (span_of(p) for p in queryset)
    return [Overlap(outer.item, inner.item) for outer, inner in overlapping_pairs(spans)]


def prefix_owner(address, *, user=None, on=None):
    """The most specific prefix holding ``address`` (longest prefix; for equal prefixes of several
    units the deepest unit in the tree, then the oldest record), or None. ``user`` limits the
    search to the user's scope; without a user (jobs, CLI) every prefix counts. ``on`` (a date)
    keeps only the assignments valid that day (``valid_from``/``valid_until``, inclusive)."""
    try:
        ip = ipaddress.ip_address(str(address).strip())
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    key = address_key(ip)
    queryset = IPPrefix.objects.all() if user is None else IPPrefix.objects.restrict(user, VIEW)
    if on is not None:
        queryset = queryset.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on),
                                   Q(valid_until__isnull=True) | Q(valid_until__gte=on))
    return (queryset.filter(version=ip.version, first_key__lte=key, last_key__gte=key)
            .select_related("unit").order_by("-prefix_length", "-unit__depth", "pk").first())
