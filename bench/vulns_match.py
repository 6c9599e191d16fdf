"""Benchmark: the advisory ↔ software matcher (lachan.vulns.matching) on 250,000 synthetic advisories against
20,000 inventory items, and the naive way (every advisory × every item) on a sample, in the same run.

    .venv/bin/python bench/vulns_match.py                       # 250,000 advisories, 20,000 items
    .venv/bin/python bench/vulns_match.py --advisories 20000    # a smoke run

Synthetic but shaped like NVD: 20,000 (vendor, product) pairs drawn with a Zipf-like weight (1/(rank+5)), so
popular products have thousands of CVEs and hundreds of installations; 1–3 configurations per advisory, ranges
(start/end, including/excluding) and exact versions drawn from each product's own release list (semver-like,
OpenSSL letters, OpenSSH p-levels, PAN-OS hotfixes, Windows 4-part builds, two-part versions), ~15% AND
configurations (firmware running on hardware, the hardware criterion not vulnerable). Items: ~20% with a CPE,
the rest free-text names, half of which only reach their CPE name through the alias table; a few without a
version, with "x" versions or Debian package versions; ~10 items per host, hardware items beside firmware.

Advisories are generated in chunks (untimed) and matched (timed), so peak memory is the matcher's plus one
chunk. Printed: index build time, full match time (target ≤ 60 s on a 2-core machine), matches found, one
incremental match of a new advisory (target ≤ 1 s), peak RSS, and the naive loop extrapolated.
"""

import argparse
import functools
import multiprocessing
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lachan.vulns import matching  # noqa: E402
from lachan.vulns.cpe import cpe_matches, make_cpe  # noqa: E402
from lachan.vulns.matching import Matcher, SoftwareItem  # noqa: E402
from lachan.vulns.versions import compare  # noqa: E402

PAIRS = 20_000
TARGET_SECONDS = 60.0
TARGET_INCREMENTAL = 1.0


def release_list(rng, pair):
    """A product's sorted releases in one of several real-world styles."""
    style = pair % 10
    majors = sorted(rng.sample(range(1, 16), 3))
    out = []
    for major in majors:
        for minor in sorted(rng.sample(range(0, 10), 3)):
            patches = sorted(rng.sample(range(0, 30), 3))
            for patch in patches:
                if style == 0:  # OpenSSL letters
                    out.append(f"{major}.{minor}.{patch}{rng.choice('abcdefghk')}")
                elif style == 1:  # OpenSSH portable
                    out.append(f"{major}.{minor}p{patch % 3 + 1}")
                elif style == 2:  # PAN-OS hotfix builds
                    out.append(f"{major}.{minor}.{patch}" + (f"-h{patch % 5 + 1}" if patch % 2 else ""))
                elif style == 3:  # Windows builds
                    out.append(f"10.0.{17000 + major * 100 + minor}.{patch * 97}")
                elif style == 4:
                    out.append(f"{major}.{minor * 10 + patch}")
                else:
                    out.append(f"{major}.{minor}.{patch}")
    unique = list(dict.fromkeys(out))
    return sorted(unique, key=functools.cmp_to_key(compare))


class World:
    def __init__(self, seed=2024):
        self.rng = random.Random(seed)
        self.weights = [1.0 / (rank + 5) for rank in range(PAIRS)]
        self.cum = []
        total = 0.0
        for w in self.weights:
            total += w
            self.cum.append(total)
        self.releases = {}

    def pair(self):
        return self.rng.choices(range(PAIRS), cum_weights=self.cum)[0]

    def versions(self, pair):
        found = self.releases.get(pair)
        if found is None:
            found = self.releases[pair] = release_list(random.Random(pair), pair)
        return found

    @staticmethod
    def names(pair):
        part = "o" if pair % 7 == 0 else "a"
        return part, f"vendor_{pair // 4}", f"product_{pair}"


def make_items(world, count):
    rng = world.rng
    items, aliases = [], {}
    host = 0
    item_id = 0
    while len(items) < count:
        host += 1
        for _ in range(rng.randint(5, 15)):
            if len(items) >= count:
                break
            pair = world.pair()
            part, vendor, product = world.names(pair)
            releases = world.versions(pair)
            roll = rng.random()
            if roll < 0.02:
                version = ""
            elif roll < 0.03:
                version = releases[0].split(".")[0] + ".x"
            elif roll < 0.05:
                version = f"{rng.choice(releases)}-{rng.randint(1, 4)}ubuntu{rng.randint(1, 9)}"
            else:
                version = rng.choice(releases)
            item_id += 1
            kind = rng.random()
            if kind < 0.2:
                items.append(SoftwareItem(item_id, vendor, product, version,
                                          cpe=make_cpe(part, vendor, product, version or "*"), host_id=host))
            elif kind < 0.6:
                items.append(SoftwareItem(item_id, f"Vendor {pair // 4}", f"Product {pair}", version, host_id=host))
            else:
                free = (f"Vendor {pair // 4} Corporation", f"Product {pair} Enterprise Server")
                aliases[free] = (vendor, product)
                items.append(SoftwareItem(item_id, *free, version, host_id=host))
            if part == "o" and rng.random() < 0.5 and len(items) < count:
                item_id += 1
                items.append(SoftwareItem(item_id, vendor, f"{product}_hw", "", host_id=host))
    return items, aliases


def cpe_match(world, pair, vulnerable=True):
    rng = world.rng
    part, vendor, product = world.names(pair)
    releases = world.versions(pair)
    entry = {"criteria": "", "vulnerable": vulnerable, "version_start_including": "", "version_start_excluding": "",
             "version_end_including": "", "version_end_excluding": ""}
    if rng.random() < 0.3:
        entry["criteria"] = f"cpe:2.3:{part}:{vendor}:{product}:{rng.choice(releases)}:*:*:*:*:*:*:*"
        return entry
    entry["criteria"] = f"cpe:2.3:{part}:{vendor}:{product}:*:*:*:*:*:*:*:*"
    low, high = sorted(rng.sample(range(len(releases)), 2))
    if rng.random() < 0.8:
        entry["version_start_including" if rng.random() < 0.9 else "version_start_excluding"] = releases[low]
    entry["version_end_excluding" if rng.random() < 0.7 else "version_end_including"] = releases[high]
    return entry


def make_advisory(world):
    rng = world.rng
    configurations = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        if rng.random() < 0.15:
            pair = world.pair() // 7 * 7  # a firmware product
            _, vendor, product = world.names(pair)
            firmware = {"operator": "OR", "negate": False,
                        "matches": [cpe_match(world, pair) for _ in range(rng.randint(1, 4))]}
            hardware = {"operator": "OR", "negate": False, "matches": [
                {"criteria": f"cpe:2.3:h:{vendor}:{product}_hw:-:*:*:*:*:*:*:*", "vulnerable": False}]}
            configurations.append({"operator": "AND", "negate": False, "nodes": [firmware, hardware]})
        else:
            pair = world.pair()
            matches = [cpe_match(world, pair) for _ in range(rng.randint(1, 6))]
            configurations.append({"operator": "OR", "negate": False,
                                   "nodes": [{"operator": "OR", "negate": False, "matches": matches}]})
    return {"configurations": configurations, "affected": []}


def naive(cve_id, applicability, flat):
    """Every criterion against every item: no index, no variants (AND semantics left out: a lower bound)."""
    found = 0
    for config in applicability["configurations"]:
        for node in config["nodes"]:
            for entry in node["matches"]:
                rule = matching._Rule(entry)
                for item_cpe, version in flat:
                    if cpe_matches(rule.crit, item_cpe) and matching._version_verdict(rule, version):
                        found += 1
    return found


MATCHER = None


def match_share(worker, first, count, chunk):
    """Match ``count`` advisories of one worker's stream, in generated chunks; only matching is timed."""
    world = World(seed=2025 + worker)
    matched = affected = uncertain = configs = criteria = 0
    gen_seconds = match_seconds = 0.0
    done = 0
    while done < count:
        size = min(chunk, count - done)
        t0 = time.perf_counter()
        batch = [(f"CVE-B-{first + done + i}", make_advisory(world)) for i in range(size)]
        t1 = time.perf_counter()
        for cve_id, applicability in batch:
            for match in MATCHER.match(cve_id, applicability):
                matched += 1
                if match.status == "affected":
                    affected += 1
                else:
                    uncertain += 1
        t2 = time.perf_counter()
        for _, applicability in batch:
            configs += len(applicability["configurations"])
            criteria += sum(len(n["matches"]) for c in applicability["configurations"] for n in c["nodes"])
        gen_seconds += t1 - t0
        match_seconds += t2 - t1
        done += size
    return matched, affected, uncertain, configs, criteria, gen_seconds, match_seconds


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--advisories", type=int, default=250_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--naive-sample", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2, help="processes sharing the index (2-core machine: 2)")
    args = parser.parse_args()

    print("load average at start: {:.2f} {:.2f} {:.2f} ({} cores)".format(*os.getloadavg(), os.cpu_count()))
    world = World()
    started = time.perf_counter()
    items, aliases = make_items(world, args.items)
    print(f"inventory: {len(items):,} items ({sum(bool(i.cpe) for i in items):,} with CPE, "
          f"{len(aliases):,} alias entries, {len({i.host_id for i in items}):,} hosts), "
          f"generated in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    matcher = Matcher(items, aliases)
    build = time.perf_counter() - started
    variants = sum(len(v) for v in matcher._index.values())
    print(f"build: {build:.2f} s — {len(matcher._index):,} products, {variants:,} variants")

    started = time.perf_counter()
    shares = [args.advisories // args.jobs + (w < args.advisories % args.jobs) for w in range(args.jobs)]
    jobs = [(w, sum(shares[:w]), shares[w], args.chunk) for w in range(args.jobs)]
    global MATCHER
    MATCHER = matcher
    if args.jobs == 1:
        results = [match_share(*jobs[0])]
    else:
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:  # the index is shared copy-on-write
            results = pool.starmap(match_share, jobs)
    wall = time.perf_counter() - started
    totals = [sum(r[i] for r in results) for i in range(5)]
    matched, affected, uncertain, configs, criteria = totals
    gen_seconds = sum(r[5] for r in results)
    match_seconds = max(r[6] for r in results)
    done = args.advisories
    verdict = "OK" if match_seconds <= TARGET_SECONDS * args.advisories / 250_000 else "OVER TARGET"
    print(f"advisories: {done:,} ({configs:,} configurations, {criteria:,} criteria), generated in "
          f"{gen_seconds:.1f} s of process time (not counted)")
    per_worker = ", ".join(f"{r[6]:.1f} s" for r in results)
    print(f"full match: {match_seconds:.2f} s with {args.jobs} process(es) (matching time per process: "
          f"{per_worker}; {wall:.1f} s wall including generation) — {done / match_seconds:,.0f} advisories/s; "
          f"target ≤ {TARGET_SECONDS:.0f} s for 250,000: {verdict}")
    print(f"matches: {matched:,} ({affected:,} affected, {uncertain:,} uncertain)")
    print("load average after the full match: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    # one new advisory about the most popular product, matched against the built index
    popular = {"configurations": [{"operator": "OR", "negate": False, "nodes": [
        {"operator": "OR", "negate": False, "matches": [cpe_match(world, 0) for _ in range(6)]}]}], "affected": []}
    rounds = 200
    t0 = time.perf_counter()
    for _ in range(rounds):
        new = matcher.match("CVE-NEW-1", popular)
    incremental = (time.perf_counter() - t0) / rounds
    print(f"incremental: one new advisory (6 criteria on the most popular product, "
          f"{len(matcher._index.get(('vendor_0', 'product_0'), {})):,} variants) → {len(new):,} matches in "
          f"{incremental * 1000:.2f} ms (target ≤ {TARGET_INCREMENTAL:.0f} s)")
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory (RSS): {peak_mb():,.0f} MB this process" + (f", {children:,.0f} MB largest worker"
                                                                    if args.jobs > 1 else ""))

    flat = [(matcher._items[i.id][2][0], matcher._items[i.id][2][1]) for i in items]
    sample = [(f"CVE-N-{i}", make_advisory(world)) for i in range(args.naive_sample)]
    t0 = time.perf_counter()
    naive_found = sum(naive(cve, app, flat) for cve, app in sample)
    naive_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    indexed_found = sum(len(matcher.match(cve, app)) for cve, app in sample)
    indexed_seconds = time.perf_counter() - t0
    per = naive_seconds / len(sample)
    print(f"naive loop: {len(sample)} advisories × {len(items):,} items in {naive_seconds:.2f} s "
          f"({per * 1000:.0f} ms each; {naive_found:,} criterion hits) → 250,000 advisories ≈ "
          f"{per * 250_000 / 3600:.1f} h; the index does the same sample in {indexed_seconds * 1000:.1f} ms "
          f"({indexed_found:,} matches), ≈ {naive_seconds / max(indexed_seconds, 1e-9):,.0f}× faster")


if __name__ == "__main__":
    main()
