"""Parse speed of the feed parsers (lachan.intel.parsers), rows per second.

    .venv/bin/python bench/parse_speed.py                  # 1,000,000 rows, best of 3 runs
    .venv/bin/python bench/parse_speed.py --rows 200000 --repeat 1
    .venv/bin/python bench/parse_speed.py --file some-report.csv   # time one file (format detected)

Target (issue 4): a 1,000,000-row Shadowserver sinkhole report (event4_sinkhole-style CSV) parses at
≥ 700,000 rows/s on the 2-core machine. The report is generated like the shared sample
(../shared/data/feeds/event4_sinkhole.csv): 30 columns, quoted text, the sector "Communications, Service
Provider, and Hosting Service" (commas inside quotes) on most rows, reverse DNS names on a third, a day of
timestamps, a few sinkholes, a dozen families. Also timed, for scale: the same file through csv.reader
alone (no conversion at all), a plain list of a million addresses, and a Vietnamese CSV table.

Times are CPU seconds of this process (``time.process_time``) and wall seconds; the best of ``--repeat``
runs is shown, because other work on the machine slows single runs. Generated files go to bench/out/.
"""

import argparse
import csv
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lachan.settings")

import django  # noqa: E402

django.setup()

from lachan.intel import parsers  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"

HEADER = ('"timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname",'
          '"src_naics","src_sector","device_vendor","device_type","device_model","dst_ip","dst_port","dst_asn",'
          '"dst_geo","dst_region","dst_city","dst_hostname","dst_naics","dst_sector","public_source","infection",'
          '"family","tag","application","version","event_id"')
FAMILIES = ["andromeda", "virut", "mirai", "conficker", "victorygate.b", "emotet", "qakbot", "sality", "necurs",
            "avalanche-andromeda", "ramnit", "gamarue"]
PLACES = [("HA NOI", "HANOI"), ("HO CHI MINH", "HO CHI MINH CITY"), ("DA NANG", "DA NANG"), ("HAI PHONG", "HAI PHONG"),
          ("CAN THO", "CAN THO"), ("NGHE AN", "VINH")]
ASNS = [7552, 45899, 18403, 131429, 24086, 38731]
SINKHOLES = [("178.162.1.2", 4455, 28753, "DE", "HESSEN", "FRANKFURT AM MAIN"),
             ("148.81.9.10", 80, 1887, "PL", "MAZOWIECKIE", "WARSAW"),
             ("184.105.1.2", 80, 6939, "US", "CALIFORNIA", "FREMONT")]
SECTOR = '"Communications, Service Provider, and Hosting Service"'


def sinkhole_report(path, rows):
    rnd = random.Random(4)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(HEADER + "\n")
        for i in range(rows):
            second = i * 86400 // rows
            stamp = f"2021-03-04 {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
            a, b, c, d = rnd.randint(1, 223), rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(1, 254)
            region, city = PLACES[i % len(PLACES)]
            host = f'"static.vnpt.vn.{d}.{c}"' if i % 3 == 0 else ""
            sector, naics = (SECTOR, "517311") if i % 4 else ("", "")
            dst_ip, dst_port, dst_asn, dst_geo, dst_region, dst_city = SINKHOLES[i % len(SINKHOLES)]
            family = FAMILIES[i % len(FAMILIES)]
            handle.write(
                f'"{stamp}","tcp","{a}.{b}.{c}.{d}",{rnd.randint(1024, 65535)},{ASNS[i % len(ASNS)]},"VN","{region}",'
                f'"{city}",{host},{naics},{sector},,,,"{dst_ip}",{dst_port},{dst_asn},"{dst_geo}","{dst_region}",'
                f'"{dst_city}",,518210,"Communications, Service Provider, and Hosting Service",,"{family}",'
                f'"{family}",,,,\n')


def plain_list(path, rows):
    rnd = random.Random(5)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("# Danh sách IP botnet (sinh ngẫu nhiên)\n")
        for _i in range(rows):
            handle.write(f"{rnd.randint(1, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}\n")


def vietnamese_table(path, rows):
    rnd = random.Random(6)
    with open(path, "w", encoding="utf-8-sig") as handle:
        handle.write("STT,Địa chỉ IP,Thời gian phát hiện,Tên mã độc,Cổng,Giao thức,ASN,Máy chủ C&C\n")
        for i in range(rows):
            handle.write(f"{i + 1},{rnd.randint(1, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)},"
                         f"{1 + i % 28:02d}/03/2024 {i % 24:02d}:{i % 60:02d},{FAMILIES[i % len(FAMILIES)].title()},"
                         f"{rnd.randint(1024, 65535)},TCP,AS{ASNS[i % len(ASNS)]},203.0.113.{i % 250}\n")


def through_parsers(path, **options):
    rows = bad = 0
    for batch in parsers.parse(path, **options):
        rows += len(batch)
        bad += len(batch.bad)
    return rows, bad


def through_csv_reader(path):
    rows = 0
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for _row in reader:
            rows += 1
    return rows, 0


def timed(label, function, path, repeat, **options):
    best = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        rows, bad = function(path, **options)
        run = (time.perf_counter() - wall, time.process_time() - cpu)
        best = run if best is None or run[1] < best[1] else best
    wall, cpu = best
    size = path.stat().st_size
    print(f"{label:46s} {rows:>9,} rows {bad:>5,} bad  {cpu:6.2f} s CPU {wall:6.2f} s wall  "
          f"{rows / cpu:>10,.0f} rows/s  ({size / cpu / 1e6:5.0f} MB/s)")
    return rows / cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--file", type=Path, help="time this file only (format detected)")
    args = parser.parse_args(argv)
    if args.file:
        timed(f"{parsers.detect(args.file.read_bytes()[:65536], args.file.name)}: {args.file.name}"[:46],
              through_parsers, args.file, args.repeat)
        return
    OUT.mkdir(exist_ok=True)
    report = OUT / f"event4_sinkhole-{args.rows}.csv"
    listing = OUT / f"plain-{args.rows}.txt"
    table = OUT / f"generic-{args.rows // 10}.csv"
    for path, make, rows in ((report, sinkhole_report, args.rows), (listing, plain_list, args.rows),
                             (table, vietnamese_table, args.rows // 10)):
        if not path.exists():
            make(path, rows)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
          f"best of {args.repeat} run(s)")
    speed = timed("shadowserver (event4_sinkhole, detected)", through_parsers, report, args.repeat)
    timed("  for scale: csv.reader alone, no conversion", through_csv_reader, report, args.repeat)
    timed("plain list (one address a line)", through_parsers, listing, args.repeat)
    timed("generic: Vietnamese CSV table, source_tz", through_parsers, table, args.repeat,
          source_tz="Asia/Ho_Chi_Minh")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:,.0f} MB")
    target = 700_000
    print(f"shadowserver target {target:,} rows/s: {'met' if speed >= target else 'NOT met'} ({speed:,.0f} rows/s)")


if __name__ == "__main__":
    main()
