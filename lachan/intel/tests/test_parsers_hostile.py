"""Feed parsers against bad input: empty, binary, truncated, wrong delimiter, invalid addresses, formula cells,
broken JSON, odd encodings, huge lines; a large file streamed in bounded memory; and the fast Shadowserver
path giving exactly what reading every row with csv gives."""

import codecs
import io
import json
import random
import tracemalloc
from pathlib import Path

import pytest
from django.utils import translation

from lachan.intel import parsers
from lachan.intel.parsers import shadowserver

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared/data/feeds"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def run(data, **options):
    if isinstance(data, str):
        data = data.encode()
    rows, bad, indicators = [], [], []
    for batch in parsers.parse(data, **options):
        rows.extend(batch.rows())
        bad.extend(batch.bad)
        indicators.extend(batch.indicators)
    return rows, bad, indicators


HEADER = ('"timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname",'
          '"src_naics","src_sector","device_vendor","device_type","device_model","dst_ip","dst_port","dst_asn",'
          '"dst_geo","dst_region","dst_city","dst_hostname","dst_naics","dst_sector","public_source","infection",'
          '"family","tag","application","version","event_id"')


def event(ip="192.0.2.1", family="mirai", port="17409", dst="198.51.100.1", src_sector="", tag="", ts="2024-03-15 01:00:00",
          protocol="tcp", asn="45899", city="HANOI"):
    return (f'"{ts}","{protocol}","{ip}",{port},{asn},"VN","HA NOI","{city}",,,{src_sector},,,,"{dst}",80,64511,"DE",'
            f'"HESSEN","FRANKFURT AM MAIN",,518210,"Communications, Service Provider, and Hosting Service",,"",'
            f'"{family}","{tag}",,,')


# --- not a feed at all -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"   \r\n\n", codecs.BOM_UTF8, codecs.BOM_UTF16_LE])
def test_empty_files(data, tmp_path):
    with pytest.raises(parsers.ParseError, match="empty"):
        parsers.detect(data, "x.csv")
    for format in (None, "plain", "shadowserver", "generic"):
        with pytest.raises(parsers.ParseError, match="empty"):
            run(data, format=format)
    path = tmp_path / "empty.csv"
    path.write_bytes(data)
    with pytest.raises(parsers.ParseError, match="empty"):
        list(parsers.parse(path))


def test_binary_garbage():
    garbage = random.Random(4).randbytes(8192)
    with pytest.raises(parsers.ParseError, match="binary"):
        parsers.detect(garbage, "list.txt")
    for format in ("plain", "shadowserver", "spamhaus_cert", "ctip"):
        with pytest.raises(parsers.ParseError):
            run(garbage, format=format)
    with pytest.raises(parsers.ParseError, match="gzip"):
        parsers.detect(b"\x1f\x8b\x08\x00" + garbage, "feed.csv.gz")
    with pytest.raises(parsers.ParseError, match="ZIP"):
        parsers.detect(b"PK\x03\x04" + b"\x14\x00" + garbage[:100], "feed.zip")
    with pytest.raises(parsers.ParseError, match="xls"):
        parsers.detect(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old.xls")
    with pytest.raises(parsers.ParseError, match="not a valid XLSX"):
        list(parsers.parse(io.BytesIO(b"PK\x03\x04 truncated archive"), format="generic"))


def test_nothing_fits_names_what_was_seen():
    with pytest.raises(parsers.ParseError, match="the first line is 'hello world, how are you'"):
        parsers.detect(b"hello world, how are you\nfine\n", "notes.txt")
    with pytest.raises(parsers.ParseError, match="keys include: colour, size"):
        parsers.detect(b'[{"colour": "red", "size": 3}]', "x.json")


def test_one_huge_line_is_not_a_feed():
    data = b"192.0.2.1," + b"x" * (parsers.base.MAX_LINE + 10) + b"\n"
    with pytest.raises(parsers.ParseError, match="Line 1 is longer than"):
        run(data, format="plain")


def test_unknown_time_zone():
    with pytest.raises(parsers.ParseError, match="Unknown time zone"):
        parsers.parse(b"192.0.2.1\n", source_tz="Asia/Hanoi_City")


# --- truncated, wrong delimiter, invalid values ---------------------------------------------------------------

@pytest.mark.skipif(not SAMPLES.is_dir(), reason="feed samples not found")
def test_truncated_shadowserver_file():
    data = (SAMPLES / "event4_sinkhole.csv").read_bytes()
    cut = data[:data.rindex(b'"148.81.111.11.12"')]  # the last row stops in the middle
    rows, bad, _ind = run(cut)
    assert [r["ip"] for r in rows] == ["190.113.1.2", "35.205.9.10"]
    assert bad == [(4, "Row 4: expected 30 columns, found 15 (truncated line, or another delimiter?)")]
    # stopped inside a quoted cell: the open quote swallows the end of the file, the row is still reported
    inside = data[:data.rindex(b"WARSAW") + 3]
    rows, bad, _ind = run(inside)
    assert len(rows) == 2 and bad[0][0] == 4 and "expected 30 columns" in bad[0][1]
    # the header itself cut off
    with pytest.raises(parsers.ParseError):
        parsers.detect(b'"timestamp","protocol","src_', "event4_sinkhole.csv")
    with pytest.raises(parsers.ParseError, match="truncated"):
        run(b'"timestamp","protocol","src_ip","src_', format="shadowserver")
    with pytest.raises(parsers.ParseError, match="no ip/src_ip column"):
        run(b'"timestamp","protocol","src_port"\n', format="shadowserver")


def test_wrong_delimiter_gives_row_reasons():
    text = HEADER + "\n" + "\n".join(event(ip=f"192.0.2.{i}").replace(",", ";") for i in range(1, 4)) + "\n"
    rows, bad, _ind = run(text)
    assert rows == []
    assert [line for line, _reason in bad] == [2, 3, 4]
    assert bad[0][1] == "Row 2: expected 30 columns, found 1 (truncated line, or another delimiter?)"
    # a semicolon file read as such
    semicolon = HEADER.replace(",", ";") + "\n" + event().replace(",,", ";;").replace(",", ";") + "\n"
    rows, bad, _ind = run(semicolon)
    assert bad == [] and rows[0]["ip"] == "192.0.2.1"


def test_invalid_addresses_in_every_format():
    text = HEADER + "\n" + "\n".join(event(ip=ip) for ip in (
        "10.0.0.300", "", "1.2.3", "010.0.0.1", "::gg", " 192.0.2.1 ", "2001:DB8::0:1", "192.0.2.0/24")) + "\n"
    rows, bad, _ind = run(text)
    assert [(r["ip"], r["line"]) for r in rows] == [("192.0.2.1", 7), ("2001:db8::1", 8)]
    assert bad == [
        (2, "Row 2: not an IP address: '10.0.0.300'"),
        (3, "Row 3: no IP address"),
        (4, "Row 4: not an IP address: '1.2.3'"),
        (5, "Row 5: not an IP address: '010.0.0.1'"),
        (6, "Row 6: not an IP address: '::gg'"),
        (9, "Row 9: not an IP address: '192.0.2.0/24'"),
    ]
    _rows, bad, _ind = run("; ip, asn, country, lastseen, botname, domain, remote_ip, remote_port, local_port, protocol\n"
                           "192.0.2.300,AS1,VN,1441008970,mirai,,,,,tcp\n")
    assert bad == [(2, "Row 2: not an IP address: '192.0.2.300'")]
    _rows, bad, _ind = run("# Format: report|ip|asn|timestamp|comments|asn_name\n"
                           "bots|172.16.0.256|64496|2017-10-31 10:00:00|mwtype Mirai|AS\n")
    assert bad == [(2, "Row 2: not an IP address: '172.16.0.256'")]


def test_invalid_numbers_and_times():
    text = HEADER + "\n" + "\n".join([
        event(port="70000"), event(port="-5"), event(port='"80"'), event(asn="AS45899"), event(asn="ASX"),
        event(ts="2024-13-45 00:00:00"), event(ts="15/03/2024 08:00"), event(protocol="6"),
    ]) + "\n"
    rows, bad, _ind = run(text)
    assert [(r["line"], r["port"], r["asn"], r["seen"].isoformat(), r["protocol"]) for r in rows] == [
        (4, 80, 45899, "2024-03-15T01:00:00+00:00", "tcp"),
        (5, 17409, 45899, "2024-03-15T01:00:00+00:00", "tcp"),
        (8, 17409, 45899, "2024-03-15T08:00:00+00:00", "tcp"),
        (9, 17409, 45899, "2024-03-15T01:00:00+00:00", "tcp"),
    ]
    assert bad == [
        (2, "Row 2: not a port number: '70000'"),
        (3, "Row 3: not a port number: '-5'"),
        (6, "Row 6: not an AS number: 'ASX'"),
        (7, "Row 7: not a date/time: '2024-13-45 00:00:00'"),
    ]


# --- formula cells ---------------------------------------------------------------------------------------------

FORMULAS = ["=cmd|' /C calc'!A0", "@SUM(1+1)", "+cmd|' /C notepad'!A0", "-2+3+cmd|x"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_formula_cells_make_the_row_bad_in_every_format(formula):
    quoted = formula.replace('"', '""')
    rows, bad, _ind = run(HEADER + "\n" + event(family=quoted) + "\n" + event(ip="192.0.2.2") + "\n")
    assert [r["ip"] for r in rows] == ["192.0.2.2"]
    assert bad == [(2, f"Row 2: a spreadsheet formula, refused: '{formula}'")]
    rows, bad, _ind = run(HEADER + "\n" + event(dst=quoted) + "\n")
    assert rows == [] and "formula" in bad[0][1]
    rows, bad, _ind = run(HEADER + "\n" + event(family="", tag=quoted) + "\n")  # the family read from the tag
    assert rows == [] and "formula" in bad[0][1]
    cases = {
        "spamhaus_cert": f"; ip, asn, country, lastseen, botname\n192.0.2.1,AS1,VN,1441008970,{formula}\n",
        "cymru_infected": f"# Format: report|ip|asn|timestamp|comments|asn_name\nbots|192.0.2.1|1|2017-10-31 10:00:00|"
                          f"mwtype {formula}|x\n",
        "plain": f"192.0.2.1 {formula}\n",
        "generic": f"IP,Botnet\n192.0.2.1,{formula}\n",
        "ctip": json.dumps({"SourceIp": "192.0.2.1", "Malware": formula, "DataFeed": "CTIP-Infected"}),
        "urlhaus": f"# id,dateadded,url,url_status,threat,tags,urlhaus_link,reporter\n1,2024-01-01,{formula},online,"
                   f"malware_download,,x,y\n",
        "feodo": f"first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware\n2024-01-01,192.0.2.1,443,online,"
                 f"2024-01-01,{formula}\n",
    }
    for format, text in cases.items():
        rows, bad, indicators = run(text, format=format)
        assert rows == [] and indicators == [], format
        assert len(bad) == 1 and "formula" in bad[0][1], format


def test_a_minus_or_plus_number_is_data_not_a_formula():
    rows, bad, _ind = run(HEADER + "\n" + event(family="-", tag="+84 24 3640 4421") + "\n")
    assert bad == [] and rows[0]["family"] == "+84 24 3640 4421"


# --- JSON ------------------------------------------------------------------------------------------------------

def test_broken_json_names_the_line():
    record = {"SourceIp": "192.0.2.1", "SourcePort": 1, "Malware": "Emotet", "DataFeed": "CTIP-Infected"}
    lines = [json.dumps(record), json.dumps(record), '{"SourceIp": "192.0.2.3", "Malware": ', json.dumps(record)]
    with pytest.raises(parsers.ParseError, match="record that starts at line 3 "):
        run("\n".join(lines) + "\n")
    truncated = json.dumps([record] * 3, indent=2)[:-40]
    with pytest.raises(parsers.ParseError, match="Broken JSON in the record that starts at line 14"):
        run(truncated, format="ctip")
    with pytest.raises(parsers.ParseError, match="expected"):
        run("[1, 2 3]", format="ctip")
    rows, bad, _ind = run('[{"SourceIp": "192.0.2.1", "DataFeed": "x"}, 5, "text"]')
    assert [r["ip"] for r in rows] == ["192.0.2.1"] and [reason for _l, reason in bad] == [
        "Row 1: not a JSON object", "Row 1: not a JSON object"]


# --- encodings -------------------------------------------------------------------------------------------------

def test_shadowserver_resaved_as_utf16_and_cp1252():
    text = HEADER + "\r\n" + event(city="MÜNCHEN") + "\r\n"
    for data in (codecs.BOM_UTF16_LE + text.encode("utf-16-le"), text.encode("cp1252")):
        rows, bad, _ind = run(data)
        assert bad == [] and rows[0]["ip"] == "192.0.2.1" and "MÜNCHEN" in rows[0]["raw"]


def test_invalid_utf8_after_the_head_names_the_line():
    lines = ["192.0.2.1"] * 20_000
    data = ("\n".join(lines) + "\n").encode() + b"\xff\xfe broken\n"
    with pytest.raises(parsers.ParseError, match="not valid utf-8"):
        run(data, format="plain")
    rows, bad, _ind = run(data, format="plain", encoding="cp1252")
    assert len(rows) == 20_000 and bad == [(20_001, "Row 20001: not an IP address: 'ÿþ'")]


# --- large files: bounded memory ---------------------------------------------------------------------------------

def _write(path, header, make_line, size):
    with open(path, "w", encoding="utf-8") as handle:
        if header:
            handle.write(header + "\n")
        written, i = 0, 0
        while written < size:
            line = make_line(i) + "\n"
            handle.write(line)
            written += len(line)
            i += 1
    return i


def _peak(path, **options):
    tracemalloc.start()
    try:
        rows = bad = 0
        for batch in parsers.parse(path, **options):
            rows += len(batch)
            bad += len(batch.bad)
            del batch
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return rows, bad, peak


@pytest.mark.parametrize("kind", ["shadowserver", "plain", "ctip"])
def test_a_large_file_streams_in_bounded_memory(tmp_path, kind):
    size = 30 << 20
    path = tmp_path / f"big-{kind}"

    def address(i):
        return f"{10 + i % 200}.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"

    if kind == "shadowserver":
        count = _write(path, HEADER, lambda i: event(ip=address(i), src_sector='"Government, Public Administration"'
                                                     if i % 3 else "", family=("mirai", "emotet")[i % 2]), size)
    elif kind == "plain":
        count = _write(path, "# national list", address, size)
    else:
        count = _write(path, "", lambda i: json.dumps({"DataFeed": "CTIP-Infected", "SourceIp": address(i),
                                                       "SourcePort": 1024 + i % 5000, "Malware": "Emotet",
                                                       "DateTimeReceivedUtc": 132348339284870000 + i,
                                                       "SourceIpInfo": {"SourceIpAsnNumber": "45899"}}), size)
    file_size = path.stat().st_size
    rows, bad, peak = _peak(path, batch_size=5_000)
    assert (rows, bad) == (count, 0)
    assert peak < file_size / 3, f"peak {peak:,} bytes for a {file_size:,}-byte file"


# --- the fast Shadowserver path equals csv row by row ------------------------------------------------------------

def _quirky_report(seed, rows=3_000, http=False):
    """A sinkhole report where about one row in four has something unusual: commas and quotes inside cells
    anywhere, invalid or IPv6 addresses, formulas, odd ports, a cut or re-delimited line, an extra cell, a
    cell over two lines, a blank line."""
    rnd = random.Random(seed)

    def pick(common, *odd):
        return rnd.choice(odd) if odd and rnd.random() < 0.05 else common

    header = HEADER + (',"http_url","http_host","http_agent","forwarded_by","ssl_cipher","http_referer"' if http else "")
    sectors = ['"Communications, Service Provider, and Hosting Service"', '"Government, Public Administration"', ""]
    lines = [header]
    for _i in range(rows):
        ip = pick(f"{rnd.randint(1, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}",
                  "2001:DB8::" + format(rnd.randint(1, 65535), "x"), "10.0.0.300", "", " 192.0.2.9")
        family = pick(rnd.choice(["mirai", "Emotet", ""]), "=cmd|x", '"quoted"', "a,b", "-", "a, b")
        tag = pick(rnd.choice(["", "botnet"]), "tag,with,commas", '"x""y"', "t, u")
        city = pick("HANOI", "HO CHI MINH, VN", '""', 'A "B" C', "X,Y")
        port = pick(str(rnd.randint(1024, 65535)), '"80"', "", "70000")
        dst = pick(rnd.choice(["198.51.100.1", "198.51.100.2", "2001:db8:ffff::1"]), "", "148.81.111.11.12")
        src_sector = pick(rnd.choice(sectors), '"a,b,c"', '"with ""quotes"", and commas"')
        dst_sector = pick(rnd.choice(sectors), '"a,b,c"', '"x, ""y"""')
        line = (f'"2024-03-15 0{rnd.randint(0, 9)}:00:0{rnd.randint(0, 9)}","{pick("tcp", "udp", "6")}",'
                f'"{ip}",{port},{pick("45899", "", "AS7552", "ASX")},"VN","HA NOI","{city.replace(chr(34), 2 * chr(34))}",'
                f',{pick("517311", "")},{src_sector},,,,"{dst}",{pick("80", "", "8080", "x")},64511,"DE",'
                f'"HESSEN",,,518210,{dst_sector},,"",'
                f'"{family.replace(chr(34), 2 * chr(34))}","{tag.replace(chr(34), 2 * chr(34))}",,,')
        if http:
            line += (f',"{pick("GET /gate.php HTTP/1.1", "", "/x", "http://full.example/x")}",'
                     f'"{pick("c2.example.net", "", "Bad Host", "=1+1")}",,,,')
        other = rnd.random()
        if other < 0.01:
            line = line[: rnd.randint(5, len(line) - 5)]  # truncated
        elif other < 0.02:
            line = line.replace(",", ";")
        elif other < 0.03:
            line += ","  # an extra empty cell
        elif other < 0.04:
            line += ',"x"'  # an extra cell with something in it
        elif other < 0.05:
            line = line.replace('"HESSEN"', '"HES\nSEN"')  # a quoted cell over two lines
        elif other < 0.055:
            line = ""
        lines.append(line)
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("seed, http", [(1, False), (2, False), (3, True), (4, True)])
def test_fast_path_equals_csv_row_by_row(seed, http, monkeypatch):
    data = _quirky_report(seed, http=http)
    fast = run(data, batch_size=700)
    monkeypatch.setattr(shadowserver, "plan", lambda layout, tier: None)
    reference = run(data, batch_size=700)
    assert fast[0] == reference[0]
    assert fast[1] == reference[1]
    assert fast[2] == reference[2]
    assert len(fast[0]) > 2_000 and len(fast[1]) > 100


def test_a_quoted_cell_over_two_lines_keeps_the_line_numbers():
    text = HEADER + "\n" + event(ip="192.0.2.1").replace('"HANOI"', '"HA\nNOI"') + "\n" + event(ip="192.0.2.2") + "\n"
    rows, bad, _ind = run(text)
    assert bad == []
    assert [(r["ip"], r["line"]) for r in rows] == [("192.0.2.1", 2), ("192.0.2.2", 4)]
    assert rows[0]["raw"].count("\n") == 1


def test_a_middle_that_does_not_repeat_changes_the_plan(monkeypatch):
    """Unique device models (tier 2 puts them in the memoised middle): past the limit the reader plans a
    middle without them, then none; the rows are the same as csv's."""
    monkeypatch.setattr(shadowserver, "MIDDLE_LIMIT", 50)
    lines = [HEADER]
    for i in range(3 * parsers.base.CHUNK_LINES):
        line = event(ip=f"192.0.{i // 256}.{i % 256}", src_sector='"Communications, Service Provider"')
        line = line.replace(',,,,"198.51.100.1"', f',,,"model {i}","198.51.100.1"')
        if i % 3 == 0:
            line = line.replace('"FRANKFURT AM MAIN"', f'"CITY {i}"')  # the middle of tier 1 does not repeat either
        lines.append(line)
    data = ("\n".join(lines) + "\n").encode()
    plans = []
    original = shadowserver.Reader._plan

    def spy(self):
        original(self)
        plans.append((self.tier, self.plan and self.plan.middle_roles))

    monkeypatch.setattr(shadowserver.Reader, "_plan", spy)
    fast = run(data)
    assert [tier for tier, _roles in plans] == [2, 1, 0]
    monkeypatch.setattr(shadowserver, "plan", lambda layout, tier: None)
    assert fast == run(data)
    assert len(fast[0]) == 3 * parsers.base.CHUNK_LINES and fast[1] == []
