"""The optimised matcher (sorted versions bisected, hit lists kept per criterion, Match objects built at the
end) gives exactly what the straightforward per-variant evaluation gives: same items, statuses, reasons and
criteria, on a seeded random sample of advisories × items covering ranges, exact versions, builds of a
listed release, letters (OpenSSL), p-levels (OpenSSH), hotfixes, distribution packages, "7.x", missing
versions, CPE attributes, AND configurations, CVE 5 entries and inventory changes between advisories."""

import dataclasses
import random
from collections import Counter

import pytest

from lachan.vulns import matching
from lachan.vulns.cpe import parse_cpe
from lachan.vulns.matching import Matcher, SoftwareItem

STYLES = ("numeric", "numeric", "numeric", "openssl", "openssh", "hotfix", "short")


def releases(rng: random.Random, style: str) -> list[str]:
    out = []
    for major in sorted(rng.sample(range(0, 12), 3)):
        for minor in sorted(rng.sample(range(0, 6), 2)):
            for patch in sorted(rng.sample(range(0, 12), 3)):
                if style == "openssl":
                    out.append(f"{major}.{minor}.{patch}{rng.choice('abcz')}")
                elif style == "openssh":
                    out.append(f"{major}.{minor}p{patch % 3 + 1}")
                elif style == "hotfix":
                    out.append(f"{major}.{minor}.{patch}" + (f"-h{patch % 4 + 1}" if patch % 2 else ""))
                elif style == "short":
                    out.append(f"{major}.{minor}")
                else:
                    out.append(rng.choice((f"{major}.{minor}.{patch}", f"{major}.{minor}.{patch}.0",
                                           f"{major}.{minor}", f"{major}.{minor}.0", f"v{major}.{minor}.{patch}",
                                           f"{major}.{minor}.{patch}.{rng.randint(1, 99)}")))
    return list(dict.fromkeys(out))


class World:
    def __init__(self, seed: int, products: int = 24):
        self.rng = random.Random(seed)
        self.products = []
        for n in range(products):
            style = STYLES[n % len(STYLES)]
            vendor, product = ("openssl", "openssl") if style == "openssl" and n < 7 else (f"v{n}", f"p{n}")
            part = "o" if n % 5 == 0 else "a"
            self.products.append((part, vendor, product, releases(self.rng, style)))
        self.next_id = 0

    def item(self, host: int) -> SoftwareItem:
        rng = self.rng
        part, vendor, product, versions = rng.choice(self.products)
        roll = rng.random()
        version = rng.choice(versions)
        if roll < 0.04:
            version = ""
        elif roll < 0.07:
            version = version.split(".")[0] + ".x"
        elif roll < 0.11:
            version = f"{version}-{rng.randint(1, 3)}ubuntu{rng.randint(1, 5)}"
        elif roll < 0.13:
            version = f"{version}-{rng.randint(1, 9)}.el8"
        self.next_id += 1
        kind = rng.random()
        if kind < 0.3:
            cpe_part = rng.choice((part, part, "h" if part == "o" else "a"))
            update = rng.choice(("*", "*", "*", "beta1", "-"))
            target_sw = rng.choice(("*", "*", "windows", "linux"))
            cpe = (f"cpe:2.3:{cpe_part}:{vendor}:{product}:{version.replace(':', '') or '*'}:{update}:*:*:*:"
                   f"{target_sw}:*:*")
            return SoftwareItem(self.next_id, vendor, product, version, cpe=cpe, host_id=host)
        if kind < 0.4:
            return SoftwareItem(self.next_id, f"{vendor} Inc", f"{product} Server", version, system_id=host % 7)
        return SoftwareItem(self.next_id, vendor.upper(), product, version, host_id=host if kind < 0.9 else None)

    def inventory(self, count: int) -> list[SoftwareItem]:
        return [self.item(host=n // 6) for n in range(count)]

    def bound(self, versions: list[str]) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.75:
            return rng.choice(versions)
        if roll < 0.85:  # a bound that is not a release, with trailing zeros
            return f"{rng.randint(0, 11)}.{rng.randint(0, 5)}" + rng.choice(("", ".0", ".0.0", ".5"))
        if roll < 0.92:
            return f"{rng.choice(versions)}-1ubuntu1"  # a distribution bound
        return rng.choice(("1.x", "2021-12-10", "7.4p1", "1.0.2k"))

    def cpe_match(self, product=None, vulnerable=True) -> dict:
        rng = self.rng
        part, vendor, name, versions = product or rng.choice(self.products)
        entry = {"criteria": "", "vulnerable": vulnerable, "version_start_including": "",
                 "version_start_excluding": "", "version_end_including": "", "version_end_excluding": ""}
        attrs = rng.choice(("*:*:*:*:*:*:*", "*:*:*:*:*:*:*", "*:*:*:*:windows:*:*", "beta1:*:*:*:*:*:*"))
        crit_part = rng.choice((part, part, part, "*", "h"))
        roll = rng.random()
        if roll < 0.35:
            version = rng.choice(versions)
            version = rng.choice((version, version, ".".join(version.split(".")[:2]), "-", "*",
                                  version.split(".")[0] + ".*"))
            entry["criteria"] = f"cpe:2.3:{crit_part}:{vendor}:{name}:{version}:{attrs}"
            return entry
        entry["criteria"] = f"cpe:2.3:{crit_part}:{vendor}:{name}:*:{attrs}"
        if rng.random() < 0.7:
            entry[rng.choice(("version_start_including", "version_start_including", "version_start_excluding"))] = (
                self.bound(versions))
        if rng.random() < 0.9 or not any(entry[k] for k in matching._BOUNDS):
            entry[rng.choice(("version_end_excluding", "version_end_including"))] = self.bound(versions)
        return entry

    def advisory(self) -> dict:
        rng = self.rng
        configurations, affected = [], []
        for _ in range(rng.choice((1, 1, 2, 3))):
            roll = rng.random()
            if roll < 0.2:
                product = rng.choice(self.products)
                firmware = {"operator": "OR", "negate": False,
                            "matches": [self.cpe_match(product) for _ in range(rng.randint(1, 3))]}
                platform = {"operator": "OR", "negate": False,
                            "matches": [self.cpe_match(vulnerable=False) for _ in range(rng.randint(1, 2))]}
                nodes = [firmware, platform]
                if rng.random() < 0.3:
                    nodes.append({"operator": "OR", "negate": True, "matches": [self.cpe_match()]})
                configurations.append({"operator": "AND", "negate": False, "nodes": nodes})
            elif roll < 0.3:
                node = {"operator": "AND", "negate": False, "matches": [self.cpe_match(), self.cpe_match()]}
                configurations.append({"operator": "OR", "negate": False, "nodes": [node]})
            else:
                product = rng.choice(self.products)
                matches = [self.cpe_match(product if rng.random() < 0.8 else None) for _ in range(rng.randint(1, 5))]
                configurations.append({"operator": "OR", "negate": False,
                                       "nodes": [{"operator": "OR", "negate": False, "matches": matches}]})
        if rng.random() < 0.2:
            _, vendor, product, versions = rng.choice(self.products)
            low, high = sorted(rng.sample(versions, 2))
            affected.append({"vendor": vendor, "product": product, "default_status": rng.choice(("", "affected")),
                             "versions": [{"version": low, "less_than": high, "status": "affected"}]})
        return {"configurations": configurations, "affected": affected}


def as_dict(matches) -> dict:
    found = {m.software_id: (m.cve_id, m.status, m.reason, m.criteria) for m in matches}
    assert len(found) == len(matches)  # one match per item
    return found


@pytest.mark.parametrize("bisect_min", [1, Matcher.BISECT_MIN])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_optimised_equals_per_variant_evaluation(seed, bisect_min, monkeypatch):
    monkeypatch.setattr(Matcher, "BISECT_MIN", bisect_min)
    world = World(seed)
    items = world.inventory(400)
    aliases = {(f"v{n} Inc", f"p{n} Server"): (f"v{n}", f"p{n}") for n in range(len(world.products))}
    fast, slow = Matcher(items, aliases), Matcher(items, aliases, fast=False)
    copies = Counter((item.vendor, item.product, item.version, item.cpe) for item in items)
    total = affected = 0
    for round_ in range(3):
        for n in range(120):
            applicability = world.advisory()
            cve = f"CVE-{seed}-{round_}-{n}"
            expected = as_dict(slow.match(cve, applicability))
            assert as_dict(fast.match(cve, applicability)) == expected
            assert as_dict(fast.match(cve, applicability)) == expected  # the kept hit lists answer the same
            total += len(expected)
            affected += sum(hit[1] == "affected" for hit in expected.values())
        # inventory changes between rounds (additions only, then removals only): kept hit lists must not
        # outlive them
        if round_ == 0:
            for item in world.inventory(60):
                fast.add(item)
                slow.add(item)
            shared = [item for item in items if copies[(item.vendor, item.product, item.version, item.cpe)] > 1]
            for item in shared[:40]:  # same id, same product and version as others, another host
                moved = dataclasses.replace(item, host_id=(item.host_id or 0) + 1, system_id=None)
                fast.add(moved)
                slow.add(moved)
        else:
            for item in world.rng.sample(items, 60):
                fast.remove(item.id)
                slow.remove(item.id)
    # the sample is not empty nor trivial: thousands of matches of both statuses
    assert total > 3000
    assert 0 < affected < total


@pytest.mark.parametrize("seed", [4, 5])
def test_index_equals_each_item_alone(seed, monkeypatch):
    """OR configurations: the indexed, optimised matcher over the whole inventory = the union of one
    single-item matcher per item (no index, no variants shared, nothing to bisect)."""
    monkeypatch.setattr(Matcher, "BISECT_MIN", 1)
    world = World(seed)
    items = world.inventory(250)
    matcher = Matcher(items)
    alone = [Matcher([item], fast=False) for item in items]
    total = 0
    for n in range(150):
        applicability = world.advisory()
        applicability["configurations"] = [  # item by item: no AND (those need the item's host)
            c for c in applicability["configurations"]
            if c["operator"] == "OR" and all(node["operator"] == "OR" for node in c["nodes"])
        ]
        expected = {}
        for single in alone:
            expected.update(as_dict(single.match(f"CVE-{n}", applicability)))
        assert as_dict(matcher.match(f"CVE-{n}", applicability)) == expected
        total += len(expected)
    assert total > 1000


def test_kept_hits_follow_an_item_moved_to_another_host():
    """An item re-added under its id on another host (same product and version as another item, so its
    variant stays) must be grouped with its new host by the AND configurations."""
    firmware = {"criteria": "cpe:2.3:o:acme:fw:*:*:*:*:*:*:*:*", "vulnerable": True,
                "version_end_excluding": "2.0"}
    hardware = {"criteria": "cpe:2.3:h:acme:box:-:*:*:*:*:*:*:*", "vulnerable": False}
    applicability = {"configurations": [{"operator": "AND", "nodes": [
        {"operator": "OR", "matches": [firmware]}, {"operator": "OR", "matches": [hardware]}]}]}
    items = [SoftwareItem(1, "acme", "fw", "1.0", host_id=1), SoftwareItem(2, "acme", "fw", "1.0", host_id=3),
             SoftwareItem(3, "acme", "box", "", host_id=2)]
    matcher = Matcher(items)
    assert matcher.match("CVE-1", applicability) == []
    matcher.add(SoftwareItem(1, "acme", "fw", "1.0", host_id=2))
    assert [(m.software_id, m.status, m.reason) for m in matcher.match("CVE-1", applicability)] == [
        (1, "affected", "1.0 in (, 2.0); with cpe:2.3:h:acme:box:-:*:*:*:*:*:*:* on the same host")]


def test_plain_cpe_strings_parse_as_the_general_parser_reads_them():
    """parse_cpe's fast path (no escape, ASCII) against the character-by-character parser, reached by
    escaping the dots, which leaves every logical value unchanged."""
    world = World(6)
    texts = {world.cpe_match()["criteria"] for _ in range(300)}
    texts |= {item.cpe for item in world.inventory(300) if item.cpe and "\\" not in item.cpe}
    texts |= {"cpe:2.3:A:Apache:Log4J:2.0:Beta9:*:*:*:*:*:*", "cpe:2.3:a:Apache:Log4J:2.0:Beta9:*:*:*:*:*:*",
              "cpe:2.3:o:cisco:ios_xe:17.3.1:-:*:*:*:*:*:*"}
    checked = 0
    for text in sorted(texts):
        if "." not in text:
            continue
        fast = parse_cpe(text)
        assert fast == parse_cpe("cpe:2.3:" + text[8:].replace(".", "\\."))
        checked += 1
    assert checked > 200
    assert parse_cpe("cpe:2.3:a:Apache:Log4J:2.0:Beta9:*:*:*:*:*:*").product == "log4j"
    with pytest.raises(ValueError, match="empty attribute"):
        parse_cpe("cpe:2.3:a:apache::2.0:*:*:*:*:*:*:*")
    with pytest.raises(ValueError, match="part 'x'"):
        parse_cpe("cpe:2.3:x:apache:log4j:2.0:*:*:*:*:*:*:*")
