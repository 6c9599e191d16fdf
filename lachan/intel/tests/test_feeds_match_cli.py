"""`lachan feeds match`: stateless matching of a feed against a prefix,unit list, on real files.

No test here is marked ``django_db``: pytest-django refuses any database access in them, so every
in-process run below also shows that the command never touches the database; the subprocess test
shows it with a database that cannot be reached at all."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

ROOT = Path(__file__).resolve().parents[3]
FEEDS = ROOT.parent / "shared" / "data" / "feeds"
SHADOWSERVER_HEADER = (
    '"timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname",'
    '"src_naics","src_sector","device_vendor","device_type","device_model","dst_ip","dst_port","dst_asn","dst_geo",'
    '"dst_region","dst_city","dst_hostname","dst_naics","dst_sector","public_source","infection","family","tag",'
    '"application","version","event_id"')

PREFIXES = """prefix,unit
203.0.113.0/24,BO-A
203.0.113.128/25,SO-B
203.0.113.200/32,SO-B-HOST
203.0.113.128/25,LATER-DUPLICATE
198.51.100.0/24,"=HYPERLINK(""http://evil"")"
2001:db8::/32,BO-A
2001:db8:42::/48,SO-B
100.64.0.0/10,CGNAT-UNIT
"""

FEED_IPS = [
    "203.0.113.5",      # BO-A (the /24)
    "203.0.113.130",    # SO-B (the /25; the duplicate listed later loses)
    "203.0.113.200",    # SO-B-HOST (/32)
    "198.51.100.77",    # the formula-looking unit
    "2001:db8:42::1",   # SO-B
    "2001:db8:1::1",    # BO-A
    "8.8.8.8",          # unmatched
    "100.64.1.1",       # CGNAT: a bogon, reported not matched even though a unit lists it
    "not-an-ip",        # bad
    "::ffff:203.0.113.6",  # IPv4-mapped → 203.0.113.6 → BO-A
]


def shadowserver_row(ip, n):
    return (f'"2026-11-01 00:00:{n:02d}","tcp","{ip}",{1024 + n},7552,"VN","HA NOI","HA NOI",,,,,,,'
            f'"178.162.203.202",80,28753,"DE","HESSEN","FRANKFURT AM MAIN",,518210,'
            f'"Communications, Service Provider, and Hosting Service","shadowserver","mirai","mirai",,,,')


@pytest.fixture
def files(tmp_path):
    prefixes = tmp_path / "prefixes.csv"
    prefixes.write_text(PREFIXES, encoding="utf-8")
    feed = tmp_path / "event4_sinkhole.csv"
    feed.write_text("\n".join([SHADOWSERVER_HEADER, *(shadowserver_row(ip, n) for n, ip in enumerate(FEED_IPS))])
                    + "\n", encoding="utf-8")
    return {"prefixes": prefixes, "feed": feed, "dir": tmp_path}


def run(*args):
    out = io.StringIO()
    with translation.override("en"):
        call_command("feeds", "match", *map(str, args), stdout=out)
    return out.getvalue()


def run_json(*args):
    return json.loads(run(*args, "--json"))


# --- the JSON contract ------------------------------------------------------------------------------------------

def test_json_has_exactly_the_documented_keys_and_counts(files):
    summary = run_json("--prefixes", files["prefixes"], files["feed"])
    assert list(summary) == ["rows", "bad_rows", "matched", "unmatched", "by_unit"]
    assert summary["rows"] == 10
    assert summary["bad_rows"] == 1
    assert summary["matched"] == 7
    assert summary["unmatched"] == 2  # 8.8.8.8 and the CGNAT address
    assert summary["rows"] == summary["bad_rows"] + summary["matched"] + summary["unmatched"]
    assert summary["by_unit"] == {"BO-A": 3, "SO-B": 2, "SO-B-HOST": 1, '=HYPERLINK("http://evil")': 1}


def test_out_writes_ip_unit_prefix_for_each_matched_row_neutralised(files):
    out = files["dir"] / "matches.csv"
    run("--prefixes", files["prefixes"], files["feed"], "--json", "--out", out)
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert rows[0] == ["ip", "unit", "prefix"]
    assert rows[1:] == [
        ["203.0.113.5", "BO-A", "203.0.113.0/24"],
        ["203.0.113.130", "SO-B", "203.0.113.128/25"],
        ["203.0.113.200", "SO-B-HOST", "203.0.113.200/32"],
        ["198.51.100.77", "'=HYPERLINK(\"http://evil\")", "198.51.100.0/24"],
        ["2001:db8:42::1", "SO-B", "2001:db8:42::/48"],
        ["2001:db8:1::1", "BO-A", "2001:db8::/32"],
        ["::ffff:cb00:7106", "BO-A", "203.0.113.0/24"],  # the parser's canonical spelling of ::ffff:203.0.113.6
    ]
    assert not list(files["dir"].glob(".matches-*"))  # the temporary file was renamed
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # an ordinary file, not mkstemp's 0600


def test_readable_summary_without_json(files):
    text = run("--prefixes", files["prefixes"], files["feed"])
    assert "rows" in text and "Số dòng" in text
    assert "matched" in text and "7" in text
    assert "BO-A" in text
    assert "not-an-ip" in text  # the first bad rows are shown with their line numbers
    assert "bogon: 1" in text


def test_plain_list_with_cidr_is_matched_by_network_address(files):
    from lachan.intel import parsers

    assert "plain" in parsers.FORMATS
    plain = files["dir"] / "list.txt"
    plain.write_text("# botnet list\n203.0.113.129/25\n203.0.113.9\n; comment\n8.8.8.8\n", encoding="utf-8")
    out = files["dir"] / "plain-matches.csv"
    summary = run_json("--prefixes", files["prefixes"], plain, "--format", "plain", "--out", out)
    assert summary == {"rows": 3, "bad_rows": 0, "matched": 2, "unmatched": 1, "by_unit": {"BO-A": 1, "SO-B": 1}}
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert rows[1][1:] == ["SO-B", "203.0.113.128/25"]  # 203.0.113.129/25 → its network 203.0.113.128


@pytest.mark.skipif(not FEEDS.exists(), reason="../shared/data/feeds is not beside the repository")
def test_real_shadowserver_sample(tmp_path):
    prefixes = tmp_path / "p.csv"
    prefixes.write_text("prefix,unit\n190.113.0.0/16,PERU\n35.205.0.0/16,GOOGLE\n35.205.9.0/24,GOOGLE-BE\n",
                        encoding="utf-8")
    summary = run_json("--prefixes", prefixes, FEEDS / "event4_sinkhole.csv")
    assert summary["rows"] == 3 and summary["bad_rows"] == 0
    assert summary["by_unit"] == {"GOOGLE-BE": 1, "PERU": 1}
    assert summary["matched"] + summary["unmatched"] == 3


# --- errors ---------------------------------------------------------------------------------------------------

def test_bad_prefix_line_is_named(files):
    bad = files["dir"] / "bad-prefixes.csv"
    bad.write_text("prefix,unit\n10.0.0.0/8,A\n10.0.0.0/33,B\n", encoding="utf-8")
    out = files["dir"] / "never.csv"
    with pytest.raises(CommandError) as caught:
        run("--prefixes", bad, files["feed"], "--out", out)
    assert "line 3" in str(caught.value) and "10.0.0.0/33" in str(caught.value)
    assert not out.exists()


def test_prefix_file_needs_prefix_and_unit_columns(files):
    bad = files["dir"] / "no-header.csv"
    bad.write_text("10.0.0.0/8,A\n", encoding="utf-8")
    with pytest.raises(CommandError, match="prefix,unit"):
        run("--prefixes", bad, files["feed"])
    empty_unit = files["dir"] / "empty-unit.csv"
    empty_unit.write_text("prefix,unit\n10.0.0.0/8,\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 2"):
        run("--prefixes", empty_unit, files["feed"])


def test_prefix_file_in_excel_encodings_and_separators(files):
    semicolons = files["dir"] / "excel.csv"
    semicolons.write_bytes("unit;prefix;ghi chú\nSở A;203.0.113.0/24;x\n".encode("utf-16"))
    summary = run_json("--prefixes", semicolons, files["feed"])
    assert summary["by_unit"] == {"Sở A": 4}


def test_missing_files_and_unknown_format(files):
    with pytest.raises(CommandError):
        run("--prefixes", files["dir"] / "nope.csv", files["feed"])
    out = files["dir"] / "never.csv"
    with pytest.raises(CommandError):
        run("--prefixes", files["prefixes"], files["dir"] / "nope.txt", "--out", out)
    assert not out.exists() and not list(files["dir"].glob(".matches-*"))
    with pytest.raises(CommandError, match="no-such-format"):
        run("--prefixes", files["prefixes"], files["feed"], "--format", "no-such-format")


def test_out_in_a_missing_directory_is_a_clear_error(files):
    with pytest.raises(CommandError, match="Cannot write"):
        run("--prefixes", files["prefixes"], files["feed"], "--out", files["dir"] / "missing" / "m.csv")


def test_a_subcommand_is_required():
    with pytest.raises(CommandError):
        call_command("feeds")


# --- no database --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("database_url", [
    "postgres://nobody:secret@127.0.0.1:9/does-not-exist",
    "sqlite:////nonexistent-directory/lachan.sqlite3",
])
def test_runs_without_any_database(files, tmp_path, database_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    env.update(DATABASE_URL=database_url, LACHAN_DATA_DIR=str(tmp_path / "data"), LANGUAGE="en")
    out = tmp_path / "m.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "lachan.cli", "feeds", "match", "--prefixes", str(files["prefixes"]),
         str(files["feed"]), "--json", "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["matched"] == 7
    assert out.read_bytes().startswith(b"ip,unit,prefix\r\n203.0.113.5,BO-A,203.0.113.0/24\r\n")


def test_writer_neutralises_ip_text_that_is_not_a_plain_address(tmp_path):
    """Parsers hand over canonical text; should one not, the IP cell is still safe in a spreadsheet."""
    import numpy as np

    from lachan.intel.management.commands.feeds import _MatchWriter
    from lachan.intel.matching import PrefixMatcher

    matcher = PrefixMatcher([("8.8.8.0/24", "-unit"), ("2400:cb00::/32", "B")])
    ips = ["\t8.8.8.8", "8.8.8.9", "2400:cb00::1", " 8.8.8.0/24", "8.8.4.4"]
    result = matcher.classify(ips)
    positions = np.flatnonzero(result.index >= 0)
    path = tmp_path / "m.csv"
    writer = _MatchWriter(path, matcher)
    writer.write(ips, positions, result.index[positions], result.careful)
    writer.commit()
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    assert rows == [
        ["ip", "unit", "prefix"],
        ["'\t8.8.8.8", "'-unit", "8.8.8.0/24"],
        ["8.8.8.9", "'-unit", "8.8.8.0/24"],
        ["2400:cb00::1", "B", "2400:cb00::/32"],
        [" 8.8.8.0/24", "'-unit", "8.8.8.0/24"],
    ]


# --- large files in parts (--jobs) ---------------------------------------------------------------------------

@pytest.fixture
def small_split(monkeypatch):
    """Cut files of any size, so that small test files go through the worker processes."""
    from lachan.intel.management.commands import feeds

    monkeypatch.setattr(feeds, "SPLIT_MIN_BYTES", 0)
    return feeds


def big_feed(path, rows, *, newline="\n", bom=False, extra=None):
    lines = [SHADOWSERVER_HEADER]
    for n in range(rows):
        ip = FEED_IPS[n % len(FEED_IPS)]
        if n % 37 == 11:
            ip = f"999.0.0.{n % 200}"  # bad rows all along the file, each naming its line
        lines.append(shadowserver_row(ip, n % 60))
    if extra:
        for at, text in extra:
            lines.insert(at, text)
    data = newline.join(lines) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8"))
    return path


def both_ways(files, feed, *args):
    """(summary text, JSON, MATCHES.csv bytes) read in parts (--jobs 3) and in one piece (--jobs 1)."""
    out = []
    for jobs in ("3", "1"):
        matches = files["dir"] / f"matches-{jobs}.csv"
        text = run("--prefixes", files["prefixes"], feed, "--jobs", jobs, *args)
        summary = run_json("--prefixes", files["prefixes"], feed, "--jobs", jobs, "--out", matches, *args)
        out.append((text, summary, matches.read_bytes()))
    return out


@pytest.mark.parametrize(("newline", "bom"), [("\n", False), ("\r\n", True)])
def test_parts_give_exactly_the_one_piece_result(files, small_split, newline, bom):
    feed = big_feed(files["dir"] / "big.csv", 3000, newline=newline, bom=bom)
    parts = small_split._split(feed, "shadowserver", 3)
    assert parts is not None and len(parts) == 3  # really cut
    in_parts, one_piece = both_ways(files, feed)
    assert in_parts == one_piece
    text, summary, _matches = in_parts
    bad = [n for n in range(3000) if n % 37 == 11 or FEED_IPS[n % len(FEED_IPS)] == "not-an-ip"]
    assert summary["rows"] == 3000 and summary["bad_rows"] == len(bad)
    assert "999.0.0.11" in text  # the first bad rows, with their own line numbers


def test_a_quoted_field_over_several_lines_is_never_cut(files, small_split):
    # a data row whose quoted field spans lines right where the file would be cut in two
    row = shadowserver_row("203.0.113.77", 1).replace('"HA NOI","HA NOI"', '"HA NOI","HA\n' + "NOI\n" * 400 + '"')
    feed = big_feed(files["dir"] / "quoted.csv", 800, extra=[(401, row)])
    size = feed.stat().st_size
    parts = small_split._split(feed, "shadowserver", 2)
    assert parts is not None
    data = feed.read_bytes()
    assert data[: parts[1].start].count(b'"') % 2 == 0
    assert parts[1].start != data.index(b"\n", size // 2) + 1 or data[: size // 2].count(b'"') % 2 == 0
    in_parts, one_piece = both_ways(files, feed)
    assert in_parts == one_piece


def test_plain_list_in_parts(files, small_split):
    plain = files["dir"] / "list.txt"
    plain.write_text("# list\n" + "".join(f"203.0.113.{n % 256}\n" if n % 5 else f"bad-{n}\n" for n in range(2000)),
                     encoding="utf-8")
    assert small_split._split(plain, "plain", 2) is not None
    in_parts, one_piece = both_ways(files, plain, "--format", "plain")
    assert in_parts == one_piece
    assert in_parts[1]["rows"] == 2000 and in_parts[1]["bad_rows"] == 400


def test_a_failing_part_falls_back_to_one_piece_with_the_exact_message(files, small_split):
    feed = big_feed(files["dir"] / "long-line.csv", 2000)
    with feed.open("ab") as fh:  # a line over 1 MiB at the end: the last part's parse fails
        fh.write(b'"2026-11-01 00:00:00","tcp","8.8.8.8",' + b"x" * (1 << 21) + b"\n")
    messages = []
    for jobs in ("3", "1"):
        out = files["dir"] / f"never-{jobs}.csv"
        with pytest.raises(CommandError) as caught:
            run("--prefixes", files["prefixes"], feed, "--jobs", jobs, "--out", out)
        messages.append(str(caught.value))
        assert not out.exists()
    assert messages[0] == messages[1]
    assert "2002" in messages[0]  # the real line number
    assert not list(files["dir"].glob(".matches-*"))


def test_small_files_binary_formats_and_other_encodings_are_read_in_one_piece(files, small_split, monkeypatch):
    from lachan.intel.management.commands import feeds

    feed = big_feed(files["dir"] / "big.csv", 500)
    assert feeds._split(feed, "generic", 2) is None
    assert feeds._split(feed, "shadowserver", 1) is None
    utf16 = files["dir"] / "utf16.csv"
    utf16.write_bytes(feed.read_text(encoding="utf-8").encode("utf-16"))
    assert feeds._split(utf16, "shadowserver", 2) is None
    old_mac = files["dir"] / "cr.csv"
    data = feed.read_bytes()
    old_mac.write_bytes(data[:100] + data[100:5000].replace(b"\n", b"\r") + data[5000:])  # some lone CR line ends
    assert feeds._split(old_mac, "shadowserver", 2) is None
    monkeypatch.setattr(feeds, "SPLIT_MIN_BYTES", 32 << 20)
    assert feeds._split(feed, "shadowserver", 2) is None


def test_bad_rows_found_by_a_worker_keep_their_line_numbers(files, small_split):
    lines = [SHADOWSERVER_HEADER] + [shadowserver_row("203.0.113.9", n % 60) for n in range(3000)]
    lines[2500] = shadowserver_row("999.1.1.1", 0)       # line 2501 of the file
    lines[2900] = shadowserver_row("2001:db8::zz", 0)    # line 2901
    lines[2950] = '"2026-11-01 00:00:00","tcp"'           # line 2951: too few columns
    feed = files["dir"] / "late-bad.csv"
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    parts = small_split._split(feed, "shadowserver", 3)
    assert parts[-1].start < feed.read_bytes().index(b"999.1.1.1")  # found by a worker
    in_parts, one_piece = both_ways(files, feed)
    assert in_parts == one_piece
    text = in_parts[0]
    assert "2501" in text and "2901" in text and "2951" in text
    assert in_parts[1]["bad_rows"] == 3
