#!/usr/bin/env python
"""The vulns services end to end on a scratch database: a 10,000-finding Nessus import into a unit with 500
inventory hosts, then the full ``match_all`` on a synthetic inventory.

    .venv/bin/python bench/vulns_import.py                                   # 10,000 findings, 20,000 items, 20,000 advisories
    .venv/bin/python bench/vulns_import.py --advisories 250000               # the issue's full size (slow to seed)
    .venv/bin/python bench/vulns_import.py --findings 2000 --software 2000 --advisories 2000   # a smoke run

Scan import (issue 7 target ≤ 30 s): the file is written by ``bench/gen_nessus.py`` (500 hosts); the unit's
inventory holds those 500 hosts (IP addresses, half of them in information systems of level 4). Printed: wall
time of the first import and of the same file again (updates only), and the number of SQL queries of each
write batch (``services._write_scan_batch``, ``services.BATCH`` findings each), counted with
``CaptureQueriesContext``: the list must be constant whatever the file size.

Matching: ``--software`` items (50 units) and ``--advisories`` advisories stored through
``services.upsert_advisories`` (NVD-shaped configurations over a catalogue of products, a quarter of the items
with a CPE, the rest reaching theirs through aliases); printed: seed time, ``match_all`` time, matches found,
findings written, a second ``match_all`` (no changes), one incremental ``match_advisories`` of one CVE, peak RSS.
"""

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def configure():
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "vulns-import.sqlite3"
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        path.unlink(missing_ok=True)
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "lachan.settings", "DATABASE_URL": f"sqlite:///{db}",
        "LACHAN_DATA_DIR": str(OUT / "var"), "LOG_LEVEL": "WARNING", "TASKS_BACKEND": "db",
    })
    sys.path.insert(0, str(ROOT))


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_scan(findings, hosts):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lachan.inventory.models import Host, InformationSystem
    from lachan.organizations.services import unit_create
    from lachan.vulns import services

    sys.path.insert(0, str(ROOT / "bench"))
    import gen_nessus

    path = OUT / f"scan-{findings}.nessus"
    started = time.perf_counter()
    written_hosts, written = gen_nessus.write(path, findings=findings, hosts=hosts)
    print(f"scan file: {written:,} findings on {written_hosts} hosts, {path.stat().st_size / 1e6:.1f} MB "
          f"({time.perf_counter() - started:.1f} s to write)")
    unit = unit_create(code="SCAN", name="Đơn vị quét", kind="agency", parent=None)
    systems = [InformationSystem.objects.create(unit=unit, name=f"Hệ thống {i}", security_level=4 if i % 2 else 2)
               for i in range(10)]
    ips = gen_nessus.addresses(written_hosts, random.Random(1))
    Host.objects.bulk_create([Host(unit=unit, hostname=f"srv{n:04d}", ip_addresses=ip,
                                   system=systems[n % 10] if n % 2 else None) for n, ip in enumerate(ips)])

    per_batch = []
    original = services._write_scan_batch

    def counted(rows, **kwargs):
        with CaptureQueriesContext(connection) as queries:
            result = original(rows, **kwargs)
        per_batch.append((len(rows), len(queries)))
        return result

    services._write_scan_batch = counted
    try:
        for label in ("first import", "same file again"):
            per_batch.clear()
            started = time.perf_counter()
            scan = services.scan_import(path, unit=unit, by=None)
            seconds = time.perf_counter() - started
            print(f"scan import ({label}): {seconds:.2f} s (target ≤ 30 s) — hosts {scan.hosts}, findings "
                  f"{scan.findings}, new {scan.new}, updated {scan.updated_count}, closed {scan.closed}, "
                  f"unknown hosts {scan.unknown_hosts_count}")
            print(f"  queries per batch of {services.BATCH} (rows, queries): {per_batch}")
    finally:
        services._write_scan_batch = original


VERSIONS = ["1.0.0", "1.1.0", "1.2.3", "2.0.0", "2.4.49", "2.4.51", "3.0.1", "3.0.7", "7.4p1", "1.1.1w", "4.2",
            "10.0.19045", "5.15.0", "8.0.32", "9.1.2"]


def bench_match(software, advisories, products):
    from lachan.inventory.models import Software
    from lachan.organizations.services import unit_create
    from lachan.vulns import services
    from lachan.vulns.matching import normalise_name
    from lachan.vulns.models import Finding, SoftwareAlias
    from lachan.vulns.records import Advisory, Configuration, CpeMatch, CvssMetric, Node

    rng = random.Random(7)
    catalogue = [(f"vendor{i // 3}", f"product{i}") for i in range(products)]
    weights = [1 / (rank + 5) for rank in range(products)]
    started = time.perf_counter()
    units = [unit_create(code=f"M{n:03d}", name=f"Đơn vị {n}", kind="agency", parent=None) for n in range(50)]
    SoftwareAlias.objects.bulk_create([
        SoftwareAlias(vendor=normalise_name(f"{v.title()} Inc"), product=normalise_name(f"{p.title()} Server"),
                      cpe_vendor=v, cpe_product=p) for v, p in catalogue])
    rows = []
    for n in range(software):
        vendor, product = rng.choices(catalogue, weights)[0]
        version = rng.choice(VERSIONS)
        if n % 4 == 0:
            rows.append(Software(unit=units[n % 50], vendor=vendor, product=product, version=version,
                                 cpe=f"cpe:2.3:a:{vendor}:{product}:{version}:*:*:*:*:*:*:*"))
        else:
            rows.append(Software(unit=units[n % 50], vendor=f"{vendor.title()} Inc", product=f"{product.title()} Server",
                                 version=version))
    Software.objects.bulk_create(rows, batch_size=2000)
    batch = []
    for n in range(advisories):
        vendor, product = rng.choices(catalogue, weights)[0]
        low, high = sorted(rng.sample(VERSIONS[:8], 2))
        node = Node(matches=[CpeMatch(f"cpe:2.3:a:{vendor}:{product}:*:*:*:*:*:*:*:*", version_start_including=low,
                                      version_end_excluding=high)])
        batch.append(Advisory(cve_id=f"CVE-2030-{n + 10000}", source="nvd", description="synthetic",
                              cvss=[CvssMetric("3.1", round(rng.uniform(2, 10), 1))],
                              configurations=[Configuration(nodes=[node])]))
        if len(batch) >= services.BATCH:
            services.upsert_advisories(batch)
            batch = []
    if batch:
        services.upsert_advisories(batch)
    print(f"seeded {software:,} software items ({len(catalogue):,} products, 50 units) and {advisories:,} "
          f"advisories in {time.perf_counter() - started:.1f} s")
    run = services.match_all()
    print(f"match_all: {run.seconds:.2f} s (target ≤ 60 s) — {run.advisories:,} advisories × {run.software_items:,} "
          f"items: {run.affected:,} affected, {run.uncertain:,} uncertain; findings new {run.new:,}, closed "
          f"{run.closed:,}; peak RSS {rss_mb():.0f} MB")
    print(f"  findings in the database: {Finding.objects.count():,}")
    run = services.match_all()
    print(f"match_all again (nothing changed): {run.seconds:.2f} s — new {run.new}, closed {run.closed}")
    run = services.match_advisories(["CVE-2030-10000"])
    print(f"match_advisories of one CVE (incremental, target ≤ 1 s): {run.seconds:.3f} s — {run.affected} affected")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--software", type=int, default=20_000)
    parser.add_argument("--advisories", type=int, default=20_000)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--skip-match", action="store_true")
    args = parser.parse_args(argv)
    configure()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    bench_scan(args.findings, args.hosts)
    if not args.skip_match:
        bench_match(args.software, args.advisories, args.products)
    print(f"peak RSS of the run: {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
