"""Which prefix holds an address, and which prefixes of different units overlap."""

import ipaddress
import random

import pytest
from django.urls import reverse

from lachan.inventory.selectors import Span, overlapping_pairs, prefix_overlaps, prefix_owner
from lachan.testing.factories import IPPrefixFactory


def pairs(overlaps):
    return {(o.outer.prefix, o.outer.unit.code, o.inner.prefix, o.inner.unit.code) for o in overlaps}


def test_prefix_owner_most_specific_wins(tree):
    IPPrefixFactory(unit=tree["root"], prefix="10.0.0.0/8")
    IPPrefixFactory(unit=tree["a"], prefix="10.1.0.0/16")
    agency = IPPrefixFactory(unit=tree["a1"], prefix="10.1.2.0/24")
    assert prefix_owner("10.1.2.3") == agency
    assert prefix_owner(" 10.1.2.255 ") == agency
    assert prefix_owner("::ffff:10.1.2.3") == agency
    assert prefix_owner("10.1.3.1").unit == tree["a"]
    assert prefix_owner("10.200.0.1").unit == tree["root"]
    assert prefix_owner("11.0.0.1") is None
    assert prefix_owner("not an address") is None


def test_prefix_owner_ties_versions_and_scope(tree, users):
    IPPrefixFactory(unit=tree["a1"], prefix="192.0.2.0/24")
    IPPrefixFactory(unit=tree["root"], prefix="192.0.2.0/24")
    assert prefix_owner("192.0.2.10").unit == tree["a1"]  # same prefix: the deeper unit
    IPPrefixFactory(unit=tree["root"], prefix="::/0")
    IPPrefixFactory(unit=tree["b"], prefix="2001:db8:1::/48")
    assert prefix_owner("2001:db8:1::5").unit == tree["b"]
    assert prefix_owner("2001:db8:2::5").prefix == "::/0"
    assert prefix_owner("198.51.100.1") is None  # ::/0 does not hold IPv4 addresses
    assert prefix_owner("192.0.2.10", user=users["member_b"]) is None
    assert prefix_owner("2001:db8:1::5", user=users["member_a"]) is None
    assert prefix_owner("192.0.2.10", user=users["member_a"]).unit == tree["a1"]


def test_prefix_overlaps_pairs_units_in_scope_with_one_query(tree, users, django_assert_num_queries):
    first_of_two = IPPrefixFactory(unit=tree["a1"], prefix="10.1.2.0/24")
    for unit, prefix in [("root", "10.0.0.0/8"), ("a", "10.1.0.0/16"), ("a1", "10.1.3.0/24"), ("b", "10.1.2.0/24"),
                         ("a", "10.2.0.0/16"), ("a", "10.2.5.0/24"), ("b", "172.16.0.0/12"), ("root", "::/0"),
                         ("b", "2001:db8::/32")]:
        IPPrefixFactory(unit=tree[unit], prefix=prefix)
    with django_assert_num_queries(1):
        overlaps = prefix_overlaps(users["coordinator"])
    assert pairs(overlaps) == {
        ("10.0.0.0/8", "ROOT", "10.1.0.0/16", "A"), ("10.0.0.0/8", "ROOT", "10.1.2.0/24", "A1"),
        ("10.0.0.0/8", "ROOT", "10.1.2.0/24", "B"), ("10.0.0.0/8", "ROOT", "10.1.3.0/24", "A1"),
        ("10.0.0.0/8", "ROOT", "10.2.0.0/16", "A"), ("10.0.0.0/8", "ROOT", "10.2.5.0/24", "A"),
        ("10.1.0.0/16", "A", "10.1.2.0/24", "A1"), ("10.1.0.0/16", "A", "10.1.2.0/24", "B"),
        ("10.1.0.0/16", "A", "10.1.3.0/24", "A1"), ("10.1.2.0/24", "A1", "10.1.2.0/24", "B"),
        ("::/0", "ROOT", "2001:db8::/32", "B"),
    }
    assert next(o for o in overlaps if o.inner.unit.code == "B" and o.outer.prefix == "10.1.2.0/24").outer == first_of_two
    assert pairs(prefix_overlaps(users["member_a"])) == {
        ("10.1.0.0/16", "A", "10.1.2.0/24", "A1"), ("10.1.0.0/16", "A", "10.1.3.0/24", "A1")}
    assert prefix_overlaps(users["member_b"]) == []


def test_sweep_matches_brute_force_on_random_prefixes():
    rng = random.Random(85)
    spans = []
    for index in range(400):
        network = ipaddress.ip_network(f"10.{rng.randrange(4)}.{rng.randrange(256)}.0/{rng.choice([14, 16, 20, 24, 28])}",
                                       strict=False)
        first = f"{int(ipaddress.IPv6Address(f'::ffff:{network.network_address}')):032x}"
        last = f"{int(ipaddress.IPv6Address(f'::ffff:{network.broadcast_address}')):032x}"
        spans.append(Span(4, first, last, rng.randrange(5), (0, index), network))
    found = {(id(o.item), id(i.item)) for o, i in overlapping_pairs(spans)}
    expected = set()
    for a in spans:
        for b in spans:
            if a is b or a.unit_id == b.unit_id or not b.item.subnet_of(a.item):
                continue
            if a.item != b.item or a.order < b.order:
                expected.add((id(a.item), id(b.item)))
    assert found == expected and found


def test_overlaps_page_is_scoped(client_for, users, tree):
    IPPrefixFactory(unit=tree["root"], prefix="10.0.0.0/8")
    IPPrefixFactory(unit=tree["a"], prefix="10.1.0.0/16")
    IPPrefixFactory(unit=tree["a1"], prefix="10.1.7.0/24")
    url = reverse("inventory:ipprefix_overlaps")
    assert url == "/inventory/prefixes/overlaps/"
    content = client_for(users["coordinator"]).get(url).content.decode()
    assert "10.0.0.0/8" in content and "10.1.7.0/24" in content
    content = client_for(users["member_a"]).get(url).content.decode()
    assert "10.0.0.0/8" not in content and "10.1.0.0/16" in content and "10.1.7.0/24" in content


@pytest.mark.django_db
def test_overlaps_page_needs_login(client):
    response = client.get(reverse("inventory:ipprefix_overlaps"))
    assert response.status_code == 302
