"""PrefixMatcher against a brute-force reference (property-based), edge cases, bogons, the DB path."""

import datetime
import ipaddress

import numpy as np
import pytest
from django.utils import translation
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lachan.intel.matching import BOGON_KINDS, BOGONS, PrefixError, PrefixMatcher, bogon_kinds, is_bogon

MAPPED = ipaddress.ip_network("::ffff:0:0/96")
V4_ROOTS = ["10.20.0.0", "192.0.2.0", "203.0.113.128", "8.8.8.8", "100.64.1.0", "255.255.255.255", "0.0.0.0"]
V6_ROOTS = ["2001:db8::", "2400:cb00:1::", "fe80::1", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:10.20.0.0"]


# --- the reference: one ipaddress loop over every prefix, longest wins -------------------------------------

def normalise_network(network):
    if network.version == 6 and network.prefixlen >= 96 and network.subnet_of(MAPPED):
        first = int(network.network_address) - int(MAPPED.network_address)
        return ipaddress.IPv4Network((first, network.prefixlen - 96))
    return network


def normalise_address(text):
    """(address or None): CIDR text → network address, IPv4-mapped → IPv4, junk → None."""
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    try:
        address = ipaddress.ip_network(text, strict=False).network_address if "/" in text else ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address


def reference_bogon(address):
    best = None
    for text, kind in BOGONS:
        network = ipaddress.ip_network(text)
        inside = address.version == network.version and address in network
        if inside and (best is None or network.prefixlen > best[0]):
            best = (network.prefixlen, kind)
    return best[1] if best else None


def reference(entries, text, *, match_bogons=False, allow_documentation=False):
    """Index of the winning entry or -1; None when ``text`` is not an address."""
    address = normalise_address(text)
    if address is None:
        return None
    kind = reference_bogon(address)
    if kind is not None and not match_bogons and not (allow_documentation and kind == "documentation"):
        return -1
    best, best_key = -1, None
    for i, entry in enumerate(entries):
        network = normalise_network(ipaddress.ip_network(entry[0], strict=False))
        if network.version != address.version or address not in network:
            continue
        priority = entry[2] if len(entry) > 2 else 0
        key = (-network.prefixlen, priority, i)
        if best_key is None or key < best_key:
            best, best_key = i, key
    return best


def check_against_reference(entries, ips, **policy):
    matcher = PrefixMatcher(entries, **policy)
    for i, entry in enumerate(entries):  # canonical text, as the inventory stores it
        assert matcher.prefix(i) == str(ipaddress.ip_network(entry[0], strict=False))
        assert matcher.label(i) == entry[1]
    index, bad = matcher.match(ips)
    assert len(index) == len(ips)
    bad_positions = {i for i, _reason in bad}
    for i, text in enumerate(ips):
        expected = reference(entries, text, **policy)
        if expected is None:
            assert i in bad_positions, text
            assert index[i] == -1
        else:
            assert i not in bad_positions, text
            assert index[i] == expected, (text, matcher.prefix(index[i]) if index[i] >= 0 else None,
                                          entries[expected][0] if expected >= 0 else None)
    return matcher, index, bad


# --- strategies ------------------------------------------------------------------------------------------

@st.composite
def v4_networks(draw):
    root = int(ipaddress.IPv4Address(draw(st.sampled_from(V4_ROOTS))))
    noise = draw(st.integers(0, (1 << 32) - 1)) & ((1 << draw(st.integers(0, 32))) - 1)
    length = draw(st.one_of(st.integers(0, 32), st.sampled_from([0, 8, 16, 24, 31, 32])))
    return ipaddress.IPv4Network(((root ^ noise), length), strict=False)


@st.composite
def v6_networks(draw):
    root = int(ipaddress.IPv6Address(draw(st.sampled_from(V6_ROOTS))))
    noise = draw(st.integers(0, (1 << 128) - 1)) & ((1 << draw(st.integers(0, 128))) - 1)
    length = draw(st.one_of(st.integers(0, 128), st.sampled_from([0, 32, 48, 64, 96, 104, 120, 127, 128])))
    return ipaddress.IPv6Network(((root ^ noise), length), strict=False)


def written(network, draw):
    """The prefix as someone may write it: canonical, with host bits set, or a bare address for /32, /128."""
    form = draw(st.sampled_from(["canonical", "canonical", "host-bits", "bare", "upper"]))
    if form == "host-bits" and network.num_addresses > 1:
        return f"{network.broadcast_address}/{network.prefixlen}"
    if form == "bare" and network.num_addresses == 1:
        return str(network.network_address)
    if form == "upper":
        return str(network).upper()
    return str(network)


@st.composite
def prefix_sets(draw):
    networks = draw(st.lists(st.one_of(v4_networks(), v6_networks()), min_size=0, max_size=25))
    # duplicates of the same prefix with another label
    networks += draw(st.lists(st.sampled_from(networks), max_size=5)) if networks else []
    with_priority = draw(st.booleans())
    entries = []
    for n, network in enumerate(draw(st.permutations(networks))):
        label = f"U{n}"
        text = written(network, draw)
        entries.append((text, label, draw(st.integers(0, 3))) if with_priority else (text, label))
    return entries


def boundary_ips(entries):
    """First and last address of every prefix, and the addresses just outside."""
    out = []
    for entry in entries:
        network = ipaddress.ip_network(entry[0], strict=False)
        top = (1 << network.max_prefixlen) - 1
        first, last = int(network.network_address), int(network.broadcast_address)
        for value in (first, last, first - 1, last + 1):
            if 0 <= value <= top:
                out.append(str(ipaddress.ip_address(value) if network.version == 4 else ipaddress.IPv6Address(value)))
    return out


@st.composite
def addresses(draw):
    network = draw(st.one_of(v4_networks(), v6_networks()))
    offset = draw(st.integers(0, network.num_addresses - 1))
    address = network.network_address + offset
    form = draw(st.sampled_from(["plain", "plain", "plain", "mapped", "cidr", "spaces"]))
    if form == "mapped" and address.version == 4:
        return f"::ffff:{address}"
    if form == "cidr":
        return f"{address}/{draw(st.integers(0, address.max_prefixlen))}"
    if form == "spaces":
        return f"  {address}\t"
    return str(address)


junk = st.sampled_from(["", "   ", None, "1.2.3", "01.2.3.4", "256.1.1.1", "1.2.3.4.5", "abc", "1.2.3.4/33",
                        "2001:db8::1::2", "gggg::1", "=cmd|' /C calc'!A0", "1.2.3.4 5"])


# --- property-based: equal to the reference ------------------------------------------------------------------

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=prefix_sets(), extra=st.lists(st.one_of(addresses(), junk), max_size=40), data=st.data())
@example(entries=[("0.0.0.0/0", "all4"), ("::/0", "all6")], extra=["0.0.0.0", "255.255.255.255", "::", "::1"],
         data=None)
def test_matches_the_reference_on_random_nested_prefixes(entries, extra, data):
    ips = boundary_ips(entries) + extra
    if data is not None:
        ips = data.draw(st.permutations(ips))
    check_against_reference(entries, ips, match_bogons=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=prefix_sets(), extra=st.lists(st.one_of(addresses(), junk), max_size=40),
       allow_documentation=st.booleans())
def test_bogon_policy_matches_the_reference(entries, extra, allow_documentation):
    ips = boundary_ips(entries) + extra
    check_against_reference(entries, ips, allow_documentation=allow_documentation)


@settings(max_examples=100, deadline=None)
@given(ips=st.lists(st.one_of(addresses(), junk), max_size=60))
def test_bogon_flags_match_the_reference(ips):
    flags = is_bogon(ips)
    kinds = bogon_kinds(ips)
    assert flags.dtype == bool and len(flags) == len(ips)
    for text, flag, kind in zip(ips, flags.tolist(), kinds, strict=True):
        address = normalise_address(text)
        expected = reference_bogon(address) if address is not None else None
        assert kind == expected, text
        assert flag == (expected is not None)


@settings(max_examples=50, deadline=None)
@given(entries=prefix_sets(), ips=st.lists(addresses(), min_size=1, max_size=50))
def test_one_call_equals_one_call_per_address(entries, ips):
    """The all-IPv4 fast path and the mixed path give the same answers as one address at a time."""
    matcher = PrefixMatcher(entries, match_bogons=True)
    together = matcher.match(ips)[0].tolist()
    assert together == [matcher.match([ip])[0][0] for ip in ips]


# --- edge cases ------------------------------------------------------------------------------------------------

def test_default_routes_match_their_own_family_only():
    matcher = PrefixMatcher([("0.0.0.0/0", "v4"), ("::/0", "v6")], match_bogons=True)
    index, bad = matcher.match(["0.0.0.0", "255.255.255.255", "1.2.3.4", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"])
    assert bad == []
    assert matcher.labels_of(index) == ["v4", "v4", "v4", "v6", "v6"]
    only4 = PrefixMatcher([("0.0.0.0/0", "v4")], match_bogons=True)
    assert only4.match(["2400::1"])[0].tolist() == [-1]


def test_host_prefixes_match_exactly_one_address():
    matcher = PrefixMatcher([("8.8.8.8/32", "a"), ("2400:cb00::1/128", "b"), ("8.8.8.0/24", "net")])
    index, _bad = matcher.match(["8.8.8.8", "8.8.8.7", "8.8.8.9", "2400:cb00::1", "2400:cb00::", "2400:cb00::2"])
    assert matcher.labels_of(index) == ["a", "net", "net", "b", None, None]


def test_most_specific_wins_whatever_the_order():
    entries = [("8.0.0.0/8", "outer"), ("8.8.0.0/16", "middle"), ("8.8.8.0/24", "inner")]
    for order in (entries, entries[::-1], [entries[1], entries[2], entries[0]]):
        matcher = PrefixMatcher(order)
        index, _bad = matcher.match(["8.8.8.1", "8.8.9.1", "8.9.0.1", "9.0.0.1", "7.255.255.255"])
        assert matcher.labels_of(index) == ["inner", "middle", "outer", None, None]
        assert matcher.prefix(index[0]) == "8.8.8.0/24"


def test_identical_prefixes_with_two_labels():
    first_wins = PrefixMatcher([("8.8.8.0/24", "A"), ("8.8.8.0/24", "B")])
    assert first_wins.labels_of(first_wins.match(["8.8.8.8"])[0]) == ["A"]
    by_priority = PrefixMatcher([("8.8.8.0/24", "A", 2), ("8.8.8.0/24", "B", 1), ("8.8.8.0/24", "C", 1)])
    assert by_priority.labels_of(by_priority.match(["8.8.8.8"])[0]) == ["B"]
    # the same prefix written differently (host bits set) is the same prefix
    written = PrefixMatcher([("2400:cb00::/32", "A", 5), ("2400:cb00::1/32", "B", 0)])
    assert written.labels_of(written.match(["2400:cb00::9"])[0]) == ["B"]
    assert written.prefix(1) == "2400:cb00::/32"


def test_ipv4_mapped_ipv6_is_ipv4():
    matcher = PrefixMatcher([("8.8.8.0/24", "v4"), ("::ffff:9.9.9.0/120", "mapped-prefix"), ("::/0", "any6")],
                            match_bogons=True)
    index, bad = matcher.match(["::ffff:8.8.8.8", "::FFFF:808:808", "9.9.9.9", "::ffff:9.9.9.9", "::8.8.8.8"])
    assert bad == []
    assert matcher.labels_of(index) == ["v4", "v4", "mapped-prefix", "mapped-prefix", "any6"]
    assert matcher.prefix(1) == "::ffff:909:900/120"  # shown as registered


def test_cidr_input_matches_by_network_address():
    matcher = PrefixMatcher([("203.0.113.0/25", "low"), ("203.0.113.128/25", "high")], allow_documentation=True)
    index, bad = matcher.match(["203.0.113.0/24", "203.0.113.200/24", "203.0.113.200/25", "203.0.113.200/32"])
    assert bad == []
    assert matcher.labels_of(index) == ["low", "low", "high", "high"]


def test_bad_input_is_reported_with_its_position_never_dropped():
    matcher = PrefixMatcher([("0.0.0.0/0", "all")], match_bogons=True)
    ips = ["1.2.3.4", "", None, "1.2.3", "01.2.3.4", "x" * 200, " 5.6.7.8 ", "1.2.3.4/33", "2001:db8::/129"]
    with translation.override("en"):
        index, bad = matcher.match(ips)
    assert len(index) == len(ips)
    assert [i for i, _reason in bad] == [1, 2, 3, 4, 5, 7, 8]
    reasons = dict(bad)
    assert "empty" in reasons[1] and "empty" in reasons[2]
    assert "1.2.3" in reasons[3]
    assert len(reasons[5]) < 100  # long junk is shortened in the report
    assert index.tolist() == [0, -1, -1, -1, -1, -1, 0, -1, -1]


def test_bad_prefix_names_its_position():
    with pytest.raises(PrefixError) as caught:
        PrefixMatcher([("10.0.0.0/8", "a"), ("10.0.0.0/33", "b")])
    assert caught.value.index == 1
    assert "10.0.0.0/33" in str(caught.value)
    with pytest.raises(PrefixError):
        PrefixMatcher([("", "a")])


def test_empty_matcher_and_empty_input():
    matcher = PrefixMatcher([])
    index, bad = matcher.match(["1.2.3.4", "2400::1"])
    assert index.tolist() == [-1, -1] and bad == []
    index, bad = PrefixMatcher([("1.0.0.0/8", "a")]).match([])
    assert len(index) == 0 and bad == []


def test_flattening_keeps_the_segment_tables_small():
    entries = [(f"8.{i}.0.0/16", f"U{i}") for i in range(200)] + [("8.0.0.0/8", "outer")]
    matcher = PrefixMatcher(entries)
    v4_segments, v6_segments = matcher.segments
    assert v4_segments <= 2 * len(entries) + 1
    assert v6_segments == 1


def test_count_by_label_adds_up_prefixes_of_the_same_label():
    matcher = PrefixMatcher([("8.8.8.0/24", "A"), ("9.9.9.0/24", "A"), ("1.1.1.0/24", "B")])
    index, _bad = matcher.match(["8.8.8.8", "9.9.9.9", "1.1.1.1", "2.2.2.2", "bad"])
    assert matcher.count_by_label(index) == {"A": 2, "B": 1}


# --- bogons ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("address", "kind"), [
    ("10.1.2.3", "private"), ("172.31.255.255", "private"), ("192.168.0.1", "private"), ("fd00::1", "private"),
    ("127.0.0.1", "loopback"), ("::1", "loopback"),
    ("169.254.1.1", "link-local"), ("fe80::1", "link-local"),
    ("100.64.0.1", "cgnat"), ("100.127.255.255", "cgnat"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"), ("0.1.2.3", "reserved"),
    ("192.0.2.1", "documentation"), ("198.51.100.7", "documentation"), ("203.0.113.255", "documentation"),
    ("2001:db8::1", "documentation"), ("3fff::1", "documentation"),
    ("198.18.0.1", "benchmarking"), ("::", "unspecified"), ("::ffff:10.0.0.1", "private"),
    ("8.8.8.8", None), ("100.128.0.1", None), ("172.32.0.1", None), ("2400:cb00::1", None), ("2001:4860::8888", None),
])
def test_bogon_kinds(address, kind):
    assert bogon_kinds([address]) == [kind]
    assert is_bogon(address) is (kind is not None)


def test_bogons_are_reported_not_matched_by_default():
    entries = [("10.0.0.0/8", "private-unit"), ("203.0.113.0/24", "doc-unit"), ("8.8.8.0/24", "public-unit")]
    ips = ["10.1.1.1", "203.0.113.5", "8.8.8.8", "bad"]

    default = PrefixMatcher(entries)
    result = default.classify(ips)
    assert default.labels_of(result.index) == [None, None, "public-unit", None]
    assert result.bogon.tolist() == [True, True, False, False]
    assert [result.bogon_kind(i) for i in range(4)] == ["private", "documentation", None, None]

    documentation = PrefixMatcher(entries, allow_documentation=True)
    result = documentation.classify(ips)
    assert documentation.labels_of(result.index) == [None, "doc-unit", "public-unit", None]
    assert result.bogon.tolist() == [True, True, False, False]  # still reported

    everything = PrefixMatcher(entries, match_bogons=True)
    assert everything.labels_of(everything.match(ips)[0]) == ["private-unit", "doc-unit", "public-unit", None]


def test_bogon_kind_codes_are_stable():
    assert BOGON_KINDS[0] is None
    assert {kind for _prefix, kind in BOGONS} == set(BOGON_KINDS[1:])


def test_is_bogon_is_vectorised():
    ips = ["8.8.8.8", "10.0.0.1"] * 5000 + ["fe80::1", "x"]
    flags = is_bogon(ips)
    assert isinstance(flags, np.ndarray) and flags.shape == (10002,)
    assert int(flags.sum()) == 5001


# --- the database path ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_from_queryset_follows_prefix_owner(tree):
    from lachan.inventory.models import IPPrefix
    from lachan.inventory.selectors import prefix_owner
    from lachan.testing.factories import IPPrefixFactory

    IPPrefixFactory(unit=tree["root"], prefix="198.51.100.0/24")
    IPPrefixFactory(unit=tree["b"], prefix="198.51.100.64/26")  # same prefix for B, then A1 (deeper) …
    IPPrefixFactory(unit=tree["a1"], prefix="198.51.100.64/26")
    IPPrefixFactory(unit=tree["a"], prefix="198.51.100.64/26")  # … and A, newer and less deep than A1
    IPPrefixFactory(unit=tree["a"], prefix="2001:db8:a::/48")
    IPPrefixFactory(unit=tree["b"], prefix="2001:db8:a:b::/64")
    IPPrefixFactory(unit=tree["b"], prefix="::ffff:198.51.100.128/121")  # IPv4-mapped: the IPv4 /25

    matcher = PrefixMatcher.from_queryset(IPPrefix.objects.all(), allow_documentation=True)
    ips = ["198.51.100.1", "198.51.100.70", "198.51.100.130", "198.51.100.255", "2001:db8:a::1", "2001:db8:a:b::1",
           "2001:db8:b::1", "192.0.2.1"]
    index, bad = matcher.match(ips)
    assert bad == []
    for ip, i in zip(ips, index.tolist(), strict=True):
        owner = prefix_owner(ip)
        if ip in ("198.51.100.130", "198.51.100.255"):
            # prefix_owner compares IPv4 addresses with IPv4 rows only; the matcher also reads the
            # IPv4-mapped row as IPv4 (documented)
            assert matcher.label(i) == tree["b"].pk
            continue
        assert (matcher.ref(i) if i >= 0 else None) == (owner.pk if owner else None), ip
    assert matcher.label(index[1]) == tree["a1"].pk
    assert matcher.prefix(index[1]) == "198.51.100.64/26"


@pytest.mark.django_db
def test_from_queryset_at_a_time_without_validity_fields_keeps_every_prefix(tree):
    from lachan.inventory.models import IPPrefix
    from lachan.testing.factories import IPPrefixFactory

    IPPrefixFactory(unit=tree["a"], prefix="8.8.8.0/24")
    matcher = PrefixMatcher.from_queryset(IPPrefix.objects.all(), at=datetime.datetime.now(datetime.UTC))
    assert matcher.labels_of(matcher.match(["8.8.8.8"])[0]) == [tree["a"].pk]
