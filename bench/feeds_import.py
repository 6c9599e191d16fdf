#!/usr/bin/env python
"""Full ``feed_import`` of a national botnet list: parse → map → write cases/sightings/queue, one transaction.

    .venv/bin/python bench/feeds_import.py                   # 1,000,000 rows, 2,000 units × 10 prefixes
    .venv/bin/python bench/feeds_import.py --rows 100000     # a smoke run
    .venv/bin/python bench/feeds_import.py --database-url postgres://…/scratch   # an EMPTY scratch database

Issue 4 target: a full import of a 1M-row national list (storing only the rows of known units plus aggregate
counts) in ≤ 30 s on the 2-core machine. The generated file is Shadowserver-style (event4 sinkhole
columns); ``--known`` of its rows (default 5 %: a province's units in a national list) fall in the units'
prefixes (v4 and v6, nested), a few are bogons, the rest are public addresses of nobody we know.

Prints: seeding time, then for the import (first run) and for the same file again (the idempotent
no-op) the wall time, rows/s, peak RSS, and the import's counts; the notification job (run by the worker
after commit, timed on its own); then the split between phase 1 (read + map, no database) and phase 2
(writes), measured by running phase 1 alone in the same process.
"""

import argparse
import ipaddress
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
HEADER = ('"timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname",'
          '"src_naics","src_sector","device_vendor","device_type","device_model","dst_ip","dst_port","dst_asn",'
          '"dst_geo","dst_region","dst_city","dst_hostname","dst_naics","dst_sector","public_source","infection",'
          '"family","tag","application","version","event_id"')
FAMILIES = ["mirai", "avalanche-andromeda", "conficker", "qakbot", "emotet", "necurs", "sality", "ramnit"]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--prefixes", type=int, default=10, help="prefixes per unit (every 5th is IPv6)")
    parser.add_argument("--known", type=float, default=0.05, help="share of rows inside the units' prefixes")
    parser.add_argument("--bounded", type=float, default=0.0,
                        help="share of prefixes whose assignment ended on 14/11/2026 (events after it are matched "
                             "again with the prefixes valid on their day)")
    parser.add_argument("--format", default=None, help="parser format name (default: detect)")
    parser.add_argument("--database-url", help="an empty scratch database (default: SQLite under bench/out/)")
    return parser.parse_args(argv)


def configure(args):
    (OUT / "var" / "static").mkdir(parents=True, exist_ok=True)
    if args.database_url:
        url = args.database_url
    else:
        db = OUT / "feeds-import.sqlite3"
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            path.unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "lachan.settings", "DATABASE_URL": url, "LACHAN_DATA_DIR": str(OUT / "var"),
        "LOG_LEVEL": "WARNING", "TASKS_BACKEND": "db",  # notifications: enqueued, timed separately below "LACHAN_MANIFEST_STATIC": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    })
    sys.path.insert(0, str(ROOT))


def seed(args):
    """Units (a flat tree under one root) with nested v4/v6 prefixes; returns the prefixes as networks."""
    import datetime

    from auditlog.context import disable_auditlog
    from django.db import transaction

    from lachan.inventory.ipam import network_keys
    from lachan.inventory.models import IPPrefix
    from lachan.organizations.models import Unit

    networks = []
    every = round(1 / args.bounded) if args.bounded else 0
    ended = datetime.date(2026, 11, 14)
    with disable_auditlog(), transaction.atomic():
        units = [Unit(id=1, code="ROOT", name="Sở TTTT", path="/1/", depth=0)]
        units += [Unit(id=i, code=f"U{i:05d}", name=f"Đơn vị {i}", parent_id=1, path=f"/1/{i}/", depth=1)
                  for i in range(2, args.units + 1)]
        Unit.objects.bulk_create(units, batch_size=2000)
        rows = []
        k = 0
        for unit_id in range(1, args.units + 1):
            for p in range(args.prefixes):
                if p % 5 == 4:
                    network = ipaddress.IPv6Network(((0x2402_0800 << 96) | (k << 80), 48))
                elif p % 5 == 3 and networks:  # nested inside the unit's previous /22
                    network = next(networks[-1].subnets(new_prefix=26))
                else:
                    network = ipaddress.IPv4Network(((14 << 24) + (k << 10), 22))
                k += 1
                networks.append(network)
                first, last = network_keys(network)
                rows.append(IPPrefix(unit_id=unit_id, prefix=str(network), version=network.version,
                                     prefix_length=network.prefixlen, first_key=first, last_key=last,
                                     valid_until=ended if every and k % every == 0 else None))
        IPPrefix.objects.bulk_create(rows, batch_size=5000)
    return networks


def generate(path, args, networks):
    rng = random.Random(4)
    known = list(networks)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\r\n")
        for i in range(args.rows):
            draw = rng.random()
            if draw < args.known:
                network = known[rng.randrange(len(known))]
                ip = network.network_address + rng.randrange(min(network.num_addresses, 1 << 16))
            elif draw < args.known + 0.002:
                ip = ipaddress.IPv4Address((10 << 24) + rng.randrange(1 << 24))
            else:
                ip = ipaddress.IPv4Address((rng.randrange(100, 200) << 24) + rng.randrange(1 << 24))
            family = FAMILIES[rng.randrange(len(FAMILIES))]
            out.write(f'"2026-11-{1 + i % 28:02d} {i % 24:02d}:00:00","tcp","{ip}",{rng.randrange(1024, 65535)},'
                      f'{rng.randrange(1, 140000)},"VN","HA NOI","HA NOI",,,,,,,"178.162.1.2",443,28753,"DE",,,,,,'
                      f'"sinkhole","{family}","{family}",,,,\r\n')


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None):
    args = parse_args(argv)
    configure(args)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from lachan.intel import services
    from lachan.intel.models import Case, Feed, Sighting, UnmappedIP

    started = time.perf_counter()
    networks = seed(args)
    data = OUT / f"national-{args.rows}.csv"
    generate(data, args, networks)
    print(f"seeded {args.units} units × {args.prefixes} prefixes and wrote {args.rows:,} rows "
          f"({data.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s")

    feed = Feed.objects.create(name="Bench national list", complete_list=True)
    started = time.perf_counter()
    result = services.feed_import(file=data, feed=feed, by=None, format=args.format)
    elapsed = time.perf_counter() - started
    print(f"feed_import: {elapsed:.1f} s, {args.rows / elapsed:,.0f} rows/s, peak RSS {peak_mb():.0f} MB "
          f"(target ≤ 30 s for 1M rows)")
    print(f"  rows {result.rows:,} parsed {result.parsed:,} bad {result.bad_rows:,} matched {result.matched:,} "
          f"unmatched {result.unmatched:,} bogon {result.bogon:,}; stored: {Case.objects.count():,} cases, "
          f"{Sighting.objects.count():,} sightings, {UnmappedIP.objects.count():,} queued addresses "
          f"({result.unmapped_not_queued:,} more counted only)")

    from lachan.intel import notify

    started = time.perf_counter()
    sent = notify.notify_import(result.pk)
    print(f"notifications (the worker's job, after commit): {time.perf_counter() - started:.1f} s for "
          f"{len(result.per_unit):,} units ({sent:,} e-mails; units without contacts are logged, not mailed)")

    started = time.perf_counter()
    again = services.feed_import(file=data, feed=feed, by=None, format=args.format)
    print(f"same file again: {time.perf_counter() - started:.2f} s, duplicate={again.duplicate} (hash only)")

    started = time.perf_counter()
    services.read_plan(data, format=args.format)
    phase1 = time.perf_counter() - started
    print(f"phase 1 alone (read + parse + map, no database): {phase1:.1f} s; phase 2 (writes) ≈ "
          f"{max(0.0, elapsed - phase1):.1f} s")
    return 0 if elapsed <= 30 * args.rows / 1_000_000 or args.rows < 1_000_000 else 1


if __name__ == "__main__":
    sys.exit(main())
