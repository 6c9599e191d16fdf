"""Benchmark: `lachan feeds match` end to end on a 1,000,000-row Shadowserver-style feed against 20,000
nested IPv4 + IPv6 prefixes, and the naive per-row `ipaddress` way in the same run.

    .venv/bin/python bench/feeds_match.py                  # 1,000,000 rows, 20,000 prefixes, 3 timed runs
    .venv/bin/python bench/feeds_match.py --rows 100000 --runs 1   # a smoke run
    .venv/bin/python bench/feeds_match.py --regen          # write the input files again

Inputs are generated (deterministic seed) into bench/out/ (gitignored) and reused while their
parameters are unchanged. The command runs in a subprocess exactly as an operator runs it — Python start,
Django setup, reading and parsing the CSV, matching, writing MATCHES.csv — under /usr/bin/time -v (peak
RSS), with DATABASE_URL pointing at a database that cannot exist (the command must not need one).
Targets (issue 4, 2-core machine): 1M rows ≤ 3 s end to end, peak memory ≤ 1 GB.
"""

import argparse
import csv
import hashlib
import ipaddress
import json
import os
import random
import re
import resource
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
LACHAN = ROOT / ".venv" / "bin" / "lachan"
PYTHON = ROOT / ".venv" / "bin" / "python"
SAMPLE_HEADER = Path("/work/shared/data/feeds/event4_sinkhole.csv")
HEADER = ("timestamp", "protocol", "src_ip", "src_port", "src_asn", "src_geo", "src_region", "src_city",
          "src_hostname", "src_naics", "src_sector", "device_vendor", "device_type", "device_model", "dst_ip",
          "dst_port", "dst_asn", "dst_geo", "dst_region", "dst_city", "dst_hostname", "dst_naics", "dst_sector",
          "public_source", "infection", "family", "tag", "application", "version", "event_id")
TARGET_SECONDS = 3.0
TARGET_BYTES = 1 << 30

FAMILIES = ["mirai", "andromeda", "avalanche-andromeda", "conficker", "necurs", "sality", "ramnit", "qsnatch",
            "gamut", "victorygate.b", "virut", "zeus", "emotet", "qakbot", "lokibot"]
REGIONS = [("HA NOI", "HA NOI"), ("HO CHI MINH", "HO CHI MINH CITY"), ("DA NANG", "DA NANG"),
           ("HAI PHONG", "HAI PHONG"), ("CAN THO", "CAN THO"), ("THUA THIEN HUE", "HUE")]
SINKHOLES = ["178.162.203.202", "148.81.111.111", "35.205.61.67", "87.106.24.200", "199.2.137.141"]
BOGON_V4 = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
    "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
    "224.0.0.0/3")]


def ntoa(value):
    return socket.inet_ntoa(struct.pack(">I", value))


def public_v4(rng):
    while True:
        value = rng.randrange(1 << 24, 224 << 24)
        address = ipaddress.IPv4Address(value)
        if not any(address in n for n in BOGON_V4):
            return value


# --- inputs ----------------------------------------------------------------------------------------------------

def make_prefixes(count, rng):
    """~80 % IPv4, 20 % IPv6; top blocks (/16, /32) with random nested sub-prefixes; a few prefixes listed
    twice for different units. Returns [(prefix, unit)] and the networks (for drawing addresses)."""
    units = [f"DV-{n:04d}" for n in range(1, 1801)] + [f"Sở TTTT tỉnh {n:02d}" for n in range(1, 64)]
    units += ["=HYPERLINK(\"http://x\")", "+84 Cục ATTT", "@ban-co-yeu", "Công ty \"Viễn thông\", CN 1"]
    want_v6 = count // 5
    want_v4 = count - want_v6 - count // 400
    entries = []
    seen = set()

    def add(network, unit):
        if network in seen:
            return False
        seen.add(network)
        entries.append((str(network), unit))
        return True

    v4 = v6 = 0
    while v4 < want_v4:
        top = ipaddress.IPv4Network((public_v4(rng) & 0xFFFF0000, 16))
        if top in seen:
            continue
        add(top, rng.choice(units))
        v4 += 1
        for _ in range(min(39, want_v4 - v4)):
            length = rng.choice([18, 19, 20, 20, 21, 22, 23, 24, 24, 24, 24, 25, 26, 27, 28, 29, 30, 32])
            address = int(top.network_address) + rng.randrange(1 << 16)
            v4 += add(ipaddress.IPv4Network((address, length), strict=False), rng.choice(units))
    while v6 < want_v6:
        top_value = (rng.choice([0x2400, 0x2401, 0x2402, 0x2403, 0x2404, 0x2405, 0x2406, 0x2a00]) << 112) | \
            (rng.randrange(1 << 16) << 96)
        top = ipaddress.IPv6Network((top_value, 32))
        if top in seen:
            continue
        add(top, rng.choice(units))
        v6 += 1
        for _ in range(min(39, want_v6 - v6)):
            length = rng.choice([36, 40, 44, 48, 48, 52, 56, 56, 60, 64, 64, 64, 96, 120, 128])
            address = top_value | rng.getrandbits(96)
            v6 += add(ipaddress.IPv6Network((address, length), strict=False), rng.choice(units))
    duplicates = count - len(entries)
    for text, unit in rng.sample(entries, duplicates):
        others = [u for u in units if u != unit]
        entries.append((text, rng.choice(others)))
    rng.shuffle(entries)
    return entries


def draw_inside(rng, network):
    first = int(network.network_address)
    value = first + rng.randrange(network.num_addresses)
    return ntoa(value) if network.version == 4 else ipaddress.IPv6Address(value).compressed


def make_feed(path, rows, networks, rng):
    """Rows: 62 % inside a listed prefix (IPv4 or IPv6), 30 % public IPv4 elsewhere, 5 % IPv6 elsewhere (or
    inside), ~1 % private/CGNAT/loopback, and 1 bad row in 10,000 (junk IP, empty IP, truncated line)."""
    v4_nets = [n for n in networks if n.version == 4]
    v6_nets = [n for n in networks if n.version == 6]
    bogons = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "192.168.0.0/16", "100.64.0.0/10", "172.16.0.0/12")]
    asns = [7552, 45899, 18403, 131429, 24086, 38731, 45903, 7643, 135905, 63761]
    quoted_header = ",".join(f'"{h}"' for h in HEADER)
    bad = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(quoted_header + "\n")
        chunk = []
        for n in range(rows):
            roll = rng.random()
            if roll < 0.57:
                ip = draw_inside(rng, rng.choice(v4_nets))
            elif roll < 0.62:
                ip = draw_inside(rng, rng.choice(v6_nets))
            elif roll < 0.92:
                ip = ntoa(public_v4(rng))
            elif roll < 0.97:
                ip = ipaddress.IPv6Address((0x2400 << 112) | rng.getrandbits(112)).compressed
            elif roll < 0.99:
                ip = draw_inside(rng, rng.choice(v4_nets))
            else:
                ip = draw_inside(rng, rng.choice(bogons))
            second = n * 86400 // rows
            stamp = f"2026-11-01 {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
            region, city = rng.choice(REGIONS)
            family = rng.choice(FAMILIES)
            asn = rng.choice(asns)
            proto = "tcp" if rng.random() < 0.9 else "udp"
            if n % 10000 == 5000:
                bad += 1
                ip = rng.choice(["999.12.1.1", "", "not-an-ip", "1.2.3", "=cmd|' /C calc'!A0"])
            if n % 10000 == 7000:
                bad += 1
                chunk.append(f'"{stamp}","{proto}","{ip}",{rng.randrange(1024, 65535)}')  # truncated row
                continue
            chunk.append(
                f'"{stamp}","{proto}","{ip}",{rng.randrange(1024, 65535)},{asn},"VN","{region}","{city}",,,,,,,'
                f'"{rng.choice(SINKHOLES)}",{rng.choice((80, 443, 8080))},28753,"DE","HESSEN","FRANKFURT AM MAIN",,'
                f'518210,"Communications, Service Provider, and Hosting Service","shadowserver","{family}",'
                f'"{family}",,,,')
            if len(chunk) >= 50000:
                fh.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            fh.write("\n".join(chunk) + "\n")
    return bad


def prepare(rows, prefixes, regen):
    OUT.mkdir(parents=True, exist_ok=True)
    feed = OUT / f"feeds-event4_sinkhole-{rows}.csv"
    prefix_file = OUT / f"feeds-prefixes-{prefixes}.csv"
    meta = OUT / f"feeds-{rows}-{prefixes}.json"
    if not regen and feed.exists() and prefix_file.exists() and meta.exists():
        return feed, prefix_file, json.loads(meta.read_text())
    if SAMPLE_HEADER.exists():
        with SAMPLE_HEADER.open(newline="") as fh:
            assert tuple(next(csv.reader(fh))) == HEADER, "the Shadowserver sample header changed"
    t0 = time.perf_counter()
    rng = random.Random(20261101)
    entries = make_prefixes(prefixes, rng)
    with prefix_file.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["prefix", "unit"])
        writer.writerows(entries)
    networks = sorted({ipaddress.ip_network(p) for p, _u in entries}, key=lambda n: (n.version, n))
    bad = make_feed(feed, rows, networks, rng)
    info = {"rows": rows, "prefixes": len(entries), "v4": sum(1 for n in networks if n.version == 4),
            "v6": sum(1 for n in networks if n.version == 6), "duplicates": len(entries) - len(networks),
            "bad_rows_written": bad, "generated_in": round(time.perf_counter() - t0, 1)}
    meta.write_text(json.dumps(info))
    return feed, prefix_file, info


# --- the command, end to end -----------------------------------------------------------------------------------

def tree_memory(root):
    """(sum of RSS, sum of PSS) in bytes over ``root`` and its descendants, from /proc (0, 0 if gone).
    RSS counts pages shared by forked workers once per process; PSS shares them out (the real total)."""
    rss = pss = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        stack.extend(int(c) for c in children)
        for line in rollup.splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1]) * 1024
            elif line.startswith("Pss:"):
                pss += int(line.split()[1]) * 1024
    return rss, pss


def run_command(feed, prefix_file, out, *extra):
    """One end-to-end run: wall time, peak memory (largest process from time -v; sums over the process
    tree sampled every 50 ms), the JSON summary and the command's own --timings."""
    env = dict(os.environ)
    env.update(DATABASE_URL="postgres://nobody:x@127.0.0.1:9/does-not-exist",  # no database may be touched
               LACHAN_DATA_DIR=str(OUT / "data"), PYTHONDONTWRITEBYTECODE="1")
    cmd = [str(LACHAN), "feeds", "match", "--prefixes", str(prefix_file), str(feed), "--json", "--out", str(out),
           "--timings", *extra]
    use_time = Path("/usr/bin/time").exists()
    if use_time:
        cmd = ["/usr/bin/time", "-v", *cmd]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_rss = peak_pss = 0
    while proc.poll() is None:
        rss, pss = tree_memory(proc.pid)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    stdout, stderr = proc.communicate()
    if proc.returncode:
        sys.exit(f"feeds match failed ({proc.returncode}):\n{stderr[-3000:]}")
    largest_kb = None
    if use_time:
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
        largest_kb = int(found.group(1)) if found else None
    if largest_kb is None:
        largest_kb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    timings = {}
    found = re.search(r"^timings (.*)$", stderr, re.MULTILINE)
    if found:
        timings = {k: float(v) for k, v in (part.split("=") for part in found.group(1).split())}
    memory = {"largest": largest_kb * 1024, "rss_sum": peak_rss, "pss_sum": peak_pss}
    for key, name in (("user", "User time"), ("sys", "System time")):
        found = re.search(rf"{name} \(seconds\): ([\d.]+)", stderr)
        timings[f"cpu_{key}"] = float(found.group(1)) if found else float("nan")
    return wall, memory, json.loads(stdout), timings


def startup_seconds(runs=3):
    """Python start + Django setup + loading the command, on a one-row feed and a one-prefix list."""
    tiny = OUT / "feeds-tiny.csv"
    tiny.write_text(",".join(f'"{h}"' for h in HEADER) + "\n" + '"2026-11-01 00:00:00","tcp","8.8.8.8",1,15169'
                    + "," * 25 + "\n", encoding="utf-8")
    tiny_prefixes = OUT / "feeds-tiny-prefixes.csv"
    tiny_prefixes.write_text("prefix,unit\n8.8.8.0/24,X\n", encoding="utf-8")
    times = []
    for _ in range(runs):
        wall, _memory, _summary, _timings = run_command(tiny, tiny_prefixes, OUT / "feeds-tiny-matches.csv")
        times.append(wall)
    return min(times)


# --- the naive way -----------------------------------------------------------------------------------------------

def naive_dict_by_length(feed, entries, sample):
    """Per row: csv + ipaddress.ip_address, then longest-prefix search by probing a dict
    {(version, prefix length): {network: (unit, prefix)}} from the longest length down."""
    t0 = time.perf_counter()
    table = {}
    for text, unit in entries:
        network = ipaddress.ip_network(text)
        table.setdefault((network.version, network.prefixlen), {}).setdefault(network, (unit, str(network)))
    lengths = {4: sorted((k[1] for k in table if k[0] == 4), reverse=True),
               6: sorted((k[1] for k in table if k[0] == 6), reverse=True)}
    built = time.perf_counter() - t0
    results = []
    t0 = time.perf_counter()
    with open(feed, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        for n, row in enumerate(reader):
            if n >= sample:
                break
            if None in row.values():  # a truncated row: bad
                results.append((n, None))
                continue
            try:
                address = ipaddress.ip_address((row.get("src_ip") or "").strip())
            except ValueError:
                results.append((n, None))
                continue
            hit = None
            if not (address.is_private or address.is_loopback or address.is_multicast or address.is_reserved):
                for length in lengths[address.version]:
                    network = ipaddress.ip_network((address, length), strict=False)
                    hit = table[(address.version, length)].get(network)
                    if hit:
                        break
            results.append((n, (str(address), *hit) if hit else None))
    return time.perf_counter() - t0, built, results


def naive_scan(feed, entries, sample):
    """Per row: ipaddress, then a scan of every prefix keeping the longest that contains the address."""
    networks = [(ipaddress.ip_network(text), unit) for text, unit in entries]
    t0 = time.perf_counter()
    with open(feed, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        for n, row in enumerate(reader):
            if n >= sample:
                break
            try:
                address = ipaddress.ip_address((row.get("src_ip") or "").strip())
            except ValueError:
                continue
            best = None
            for network, unit in networks:
                if network.version == address.version and address in network and (
                        best is None or network.prefixlen > best[0].prefixlen):
                    best = (network, unit)
    return time.perf_counter() - t0


def check_sample(out, naive_results):
    """The fast path's MATCHES.csv agrees with the naive loop on the sampled rows."""
    expected = [r for _n, r in naive_results if r is not None]
    with open(out, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        got = [tuple(row) for row, _ in zip(reader, range(len(expected)), strict=False)]
    from_tabular = [(ip, unit[1:] if unit[:1] == "'" and unit[1:2] in "=+-@" else unit, prefix)
                    for ip, unit, prefix in got]
    return from_tabular == [tuple(e) for e in expected]


# --- report ----------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--prefixes", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3, help="timed end-to-end runs of each way (median reported)")
    ap.add_argument("--naive-rows", type=int, default=20_000, help="rows for the naive dict-by-length loop")
    ap.add_argument("--scan-rows", type=int, default=200, help="rows for the naive scan of every prefix")
    ap.add_argument("--regen", action="store_true", help="generate the input files again")
    args = ap.parse_args()

    feed, prefix_file, info = prepare(args.rows, args.prefixes, args.regen)
    size_mb = feed.stat().st_size / 1e6
    print(f"feeds match benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, numpy {numpy_version()}, "
          f"load average {load()}")
    print(f"  feed:     {feed.relative_to(ROOT)}  {info['rows']:,} rows, {size_mb:.0f} MB, "
          f"Shadowserver event4_sinkhole header, {info['bad_rows_written']} bad rows written")
    print(f"  prefixes: {prefix_file.relative_to(ROOT)}  {info['prefixes']:,} lines: {info['v4']:,} IPv4 + "
          f"{info['v6']:,} IPv6 nested, {info['duplicates']} listed twice for another unit")
    print()

    startup = startup_seconds()
    out = OUT / f"feeds-matches-{args.rows}.csv"
    print("1. lachan feeds match --prefixes PREFIXES.csv FILE --json --out MATCHES.csv  (subprocess, end to end)")
    results, digests = {}, []
    for label, extra in (("default (--jobs: the CPUs)", ()), ("--jobs 1 (one process)", ("--jobs", "1"))):
        runs = [run_command(feed, prefix_file, out, *extra) for _ in range(args.runs)]
        wall, _memory, summary, timings = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
        peak = {key: max(r[1][key] for r in runs) for key in runs[0][1]}
        results[label] = (wall, peak, summary, timings)
        digests.append(hashlib.sha256(out.read_bytes()).hexdigest())
        rows = summary["rows"]
        jobs = int(timings.get("jobs", 1))
        print(f"   {label}: {jobs} process{'es' if jobs > 1 else ''}")
        print(f"     runs: {', '.join(f'{r[0]:.2f} s' for r in runs)}  → median {wall:.2f} s = {rows / wall:,.0f} rows/s; "
              f"CPU time of the median run (all processes): user {timings['cpu_user']:.2f} s + sys "
              f"{timings['cpu_sys']:.2f} s")
        print(f"     peak memory: largest process {peak['largest'] / 2**20:,.0f} MB (time -v); whole process tree "
              f"{peak['pss_sum'] / 2**20:,.0f} MB PSS / {peak['rss_sum'] / 2**20:,.0f} MB RSS (sampled every 50 ms)")
        if timings:
            inside = timings.get("total", 0.0)
            work = " + ".join(f"{name} {timings.get(name, 0):.2f}" for name in ("parse", "match", "write"))
            if jobs > 1:
                print(f"     split (median run, s): start-up (Python + Django + command) {wall - inside:.2f} | imports "
                      f"(numpy, parsers) {timings.get('imports', 0):.2f} | prefix list + matcher "
                      f"{timings.get('prefixes', 0):.2f} | read + parse + match + write in {jobs} processes "
                      f"{timings.get('parallel', 0):.2f} wall (work summed over the processes: {work}) | other "
                      f"{inside - timings.get('imports', 0) - timings.get('prefixes', 0) - timings.get('parallel', 0):.2f}")
            else:
                print(f"     split (median run, s): start-up (Python + Django + command) {wall - inside:.2f} | imports "
                      f"(numpy, parsers) {timings.get('imports', 0):.2f} | prefix list + matcher "
                      f"{timings.get('prefixes', 0):.2f} | read + parse {timings.get('parse', 0):.2f} | match "
                      f"{timings.get('match', 0):.2f} | write {timings.get('write', 0):.2f} | other "
                      f"{inside - sum(timings.get(k, 0) for k in ('imports', 'prefixes', 'parse', 'match', 'write')):.2f}")
    summaries = [r[2] for r in results.values()]
    print(f"   summary: rows {summary['rows']:,}, bad_rows {summary['bad_rows']:,}, matched {summary['matched']:,}, "
          f"unmatched {summary['unmatched']:,}, units {len(summary['by_unit']):,}; MATCHES.csv "
          f"{out.stat().st_size / 1e6:.0f} MB; same JSON and MATCHES.csv both ways: "
          f"{'yes' if summaries[0] == summaries[1] and digests[0] == digests[1] else 'NO'}")
    print(f"   start-up alone (1-row feed, 1 prefix, whole command): {startup:.2f} s")
    wall, peak, summary, _timings = results["default (--jobs: the CPUs)"]
    rows = summary["rows"]
    ok_time = wall <= TARGET_SECONDS
    ok_mem = peak["pss_sum"] <= TARGET_BYTES and peak["rss_sum"] <= TARGET_BYTES
    print(f"   target 1M rows ≤ {TARGET_SECONDS:.0f} s (default): {'PASS' if ok_time else 'MISS'} ({wall:.2f} s"
          f"{'' if rows == 1_000_000 else f' for {rows:,} rows'}); peak memory ≤ 1 GB (whole tree, RSS): "
          f"{'PASS' if ok_mem else 'MISS'} ({peak['rss_sum'] / 2**20:,.0f} MB)")
    print()

    with open(prefix_file, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        entries = [(p, u) for p, u in reader]
    sample = min(args.naive_rows, rows)
    seconds, built, results = naive_dict_by_length(feed, entries, sample)
    per_row = seconds / sample
    print(f"2. naive, same run: csv.DictReader + ipaddress per row, longest prefix by probing a dict of networks per "
          f"prefix length (built in {built:.2f} s)")
    print(f"   measured on the first {sample:,} rows: {seconds:.2f} s = {sample / seconds:,.0f} rows/s → "
          f"EXTRAPOLATED to {rows:,} rows: {per_row * rows:,.0f} s ({per_row * rows / wall:,.0f}× the command)")
    agrees = check_sample(out, results)
    print(f"   same (ip, unit, prefix) as MATCHES.csv on those rows: {'yes' if agrees else 'NO'}")
    scan_rows = min(args.scan_rows, rows)
    scan = naive_scan(feed, entries, scan_rows)
    print(f"3. naive, same run: ipaddress per row, scan of all {len(entries):,} prefixes for the longest: "
          f"{scan_rows} rows in {scan:.2f} s → EXTRAPOLATED to {rows:,} rows: {scan / scan_rows * rows / 3600:,.1f} h")
    print(f"load average now {load()} (timings are wall-clock, whatever else the machine is doing)")
    return 0 if ok_time and ok_mem and agrees else 1


def load():
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def numpy_version():
    proc = subprocess.run([str(PYTHON), "-c", "import numpy; print(numpy.__version__)"], capture_output=True, text=True)
    return proc.stdout.strip() or "?"


if __name__ == "__main__":
    sys.exit(main())
