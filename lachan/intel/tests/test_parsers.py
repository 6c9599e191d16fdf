"""Feed parsers on the real samples in ../shared/data/feeds (see its SOURCES.md): detection, row counts and
every field of the first and last rows (and of the rows with something special), checked by hand against
the files."""

import datetime
from pathlib import Path

import pytest
from django.utils import translation

from lachan.intel import parsers
from lachan.intel.events import COLUMNS, EventBatch

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared/data/feeds"
UTC = datetime.UTC

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"feed samples not found in {SAMPLES}")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def read(name, **options):
    """All batches of a sample merged: (rows as dicts, bad, indicators)."""
    rows, bad, indicators = [], [], []
    for batch in parsers.parse(SAMPLES / name, **options):
        assert isinstance(batch, EventBatch)
        assert all(len(getattr(batch, column)) == len(batch) for column in COLUMNS)
        rows.extend(batch.rows())
        bad.extend(batch.bad)
        indicators.extend(batch.indicators)
    return rows, bad, indicators


def line(name, number):
    return (SAMPLES / name).read_text(encoding="utf-8").splitlines()[number - 1]


def at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


# SOURCES.md "data rows"
COUNTS = {
    "event4_sinkhole.csv": ("shadowserver", 3),
    "event4_sinkhole_http.csv": ("shadowserver", 5),
    "compromised_website.csv": ("shadowserver", 3),
    "cert.txt": ("spamhaus_cert", 19),
    "infected_20171031.txt": ("cymru_infected", 9),
    "feodoips.txt": ("feodo", 2),
}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_every_sample_is_detected_and_parses_with_its_row_count(name):
    expected_format, count = COUNTS[name]
    head = (SAMPLES / name).read_bytes()[:65536]
    assert parsers.detect(head, name) == expected_format
    assert parsers.detect(head, "") == expected_format  # the content decides, not the name
    rows, bad, _indicators = read(name)
    assert bad == []
    assert len(rows) == count
    rows_forced, _bad, _ind = read(name, format=expected_format)
    assert rows_forced == rows
    for row in rows:
        assert row["raw"] == line(name, row["line"])
        assert row["seen"].tzinfo is UTC


def test_event4_sinkhole():
    rows, _bad, indicators = read("event4_sinkhole.csv")
    first, middle, last = rows
    assert first == {
        "ip": "190.113.1.2", "seen": at(2021, 3, 4), "family": "victorygate.b", "port": 17409, "protocol": "tcp",
        "asn": 12252, "destination": "178.162.1.2:4455", "line": 2,
        "raw": '"2021-03-04 00:00:00","tcp","190.113.1.2",17409,12252,"PE","METROPOLITANA DE LIMA","LIMA",,,,,,,'
               '"178.162.1.2",4455,28753,"DE","HESSEN","FRANKFURT AM MAIN",,518210,"Communications, Service Provider, '
               'and Hosting Service","eset","victorygate.b","victorygate.b",,,,',
    }
    assert (middle["ip"], middle["port"], middle["asn"], middle["family"], middle["destination"], middle["line"]) == (
        "35.205.9.10", 44696, 15169, "virut", "148.81.9.10:80", 3)
    # the sinkhole's address in the last row is not an address ("148.81.111.11.12"): kept as text, the
    # infected host (the row's IP) is fine
    assert last == {
        "ip": "35.197.11.12", "seen": at(2021, 3, 4), "family": "virut", "port": 36968, "protocol": "tcp",
        "asn": 15169, "destination": "148.81.111.11.12:80", "line": 4, "raw": line("event4_sinkhole.csv", 4),
    }
    assert indicators == []


def test_event4_sinkhole_http():
    rows, _bad, indicators = read("event4_sinkhole_http.csv")
    assert rows[0] == {
        "ip": "103.196.1.2", "seen": at(2021, 3, 4), "family": "andromeda", "port": 60902, "protocol": "tcp",
        "asn": 134707, "destination": "184.105.1.2:80", "line": 2, "raw": line("event4_sinkhole_http.csv", 2),
    }
    assert rows[-1] == {
        "ip": "187.189.9.10", "seen": at(2021, 3, 4), "family": "andromeda", "port": 45335, "protocol": "tcp",
        "asn": 17072, "destination": "184.105.9.10:80", "line": 6, "raw": line("event4_sinkhole_http.csv", 6),
    }
    assert [(r["ip"], r["port"], r["asn"]) for r in rows[1:4]] == [
        ("5.14.3.4", 55002, 8708), ("49.145.5.6", 31350, 9299), ("200.44.7.8", 28063, 8048)]
    # http_host → domain indicators (no http_url in the sample, so no URL)
    assert indicators == [("domain", "differentia.ru", 2), ("domain", "differentia.ru", 3),
                          ("domain", "disorderstatus.ru", 4), ("domain", "differentia.ru", 5),
                          ("domain", "differentia.ru", 6)]


def test_compromised_website():
    rows, _bad, indicators = read("compromised_website.csv")
    assert rows[0] == {
        "ip": "203.0.113.1", "seen": at(2017, 1, 16, 0, 43, 48), "family": "hacked-webserver-stealrat-t1", "port": 80,
        "protocol": None, "asn": 64496, "destination": None, "line": 2,
        "raw": '"2017-01-16 00:43:48","203.0.113.1",80,"example.com","hacked-webserver-stealrat-t1","http",64496,"AT",'
               '"WIEN","VIENNA","/header.php","example.com","spam","WINNT","2015-05-09 05:51:12","Microsoft-IIS/7.5",,0,0,,,',
    }
    assert (rows[1]["ip"], rows[1]["seen"], rows[1]["family"], rows[1]["port"], rows[1]["asn"]) == (
        "203.0.113.1", at(2018, 4, 9, 15, 43, 41), "phishing", 80, 64496)  # quoted "80" and "64496"
    assert rows[2] == {
        "ip": "66.249.0.0", "seen": at(2022, 2, 7, 21, 52, 29), "family": "magecart", "port": None, "protocol": None,
        "asn": 1234, "destination": "https://lolfree.pw/ads.txt", "line": 4, "raw": line("compromised_website.csv", 4),
    }
    assert indicators == [
        ("domain", "example.com", 2), ("url", "http://example.com/header.php", 2),
        ("domain", "example.com", 3), ("url", "http://example.com/", 3),
        ("domain", "66-249-0-0.example.com", 4), ("url", "https://lolfree.pw/ads.txt", 4),
    ]


def test_spamhaus_cert():
    rows, _bad, indicators = read("cert.txt")
    assert rows[0] == {
        "ip": "109.126.64.2", "seen": at(2015, 8, 31, 8, 16, 10), "family": "asprox", "port": None, "protocol": "tcp",
        "asn": 12635, "destination": None, "line": 2, "raw": "109.126.64.2,AS12635,AT,1441008970,asprox,,,25,,tcp",
    }
    assert rows[-1] == {
        "ip": "172.20.148.82", "seen": at(2019, 10, 13, 8, 39, 35), "family": "misc", "port": None, "protocol": "tcp",
        "asn": 65551, "destination": None, "line": 20, "raw": "172.20.148.82,AS65551,AT,1570955975,misc,,,25,,tcp",
    }
    by_line = {row["line"]: row for row in rows}
    # C&C domain, remote ip and port, local port
    assert (by_line[3]["family"], by_line[3]["port"], by_line[3]["destination"]) == ("patcher", 1036, "212.227.20.19:80")
    # "-" and "?" mean unknown
    assert {k: by_line[5][k] for k in ("ip", "family", "port", "protocol", "asn", "destination")} == {
        "ip": "111.111.111.183", "family": "iotmirai", "port": None, "protocol": None, "asn": 11178,
        "destination": None}
    # no remote ip: the C&C "domain" (here an address) with the remote port
    assert by_line[6]["destination"] == "192.168.0.6:3389"
    # l_spamlink: the "domain" is a URL, the local port column is not a port
    assert (by_line[13]["destination"], by_line[13]["port"]) == ("http://example.com/", None)
    assert by_line[16]["destination"] == "192.168.255.154:8080"
    assert (by_line[17]["port"], by_line[17]["destination"]) == (57090, "198.18.159.123:23")
    assert indicators == [("domain", "dxxt.sinkhole.dk", 3), ("url", "http://example.com/", 13)]


def test_cymru_infected():
    rows, _bad, indicators = read("infected_20171031.txt")
    assert rows[0] == {
        "ip": "172.16.0.21", "seen": at(2017, 10, 31, 10, 0, 0), "family": "bruteforce", "port": None,
        "protocol": None, "asn": 64496, "destination": None, "line": 3,
        "raw": "bruteforce|172.16.0.21|64496|2017-10-31 10:00:00|ssh|Example AS Name",
    }
    assert rows[-1] == {
        "ip": "172.16.0.21", "seen": at(2017, 10, 31, 10, 0, 5), "family": "malwareexample", "port": 1337,
        "protocol": None, "asn": None, "destination": "172.16.0.22", "line": 11,
        "raw": "bots|172.16.0.21|0|2017-10-31 10:00:05|srcport 1337 mwtype malwareexample destaddr 172.16.0.22 "
               "Some Botnet|Example AS Name",
    }
    families = [row["family"] for row in rows]
    assert families == ["bruteforce", "openresolvers", "phishing", "proxy", "spam", "conficker", "conficker",
                        "mirai mirai bot", "malwareexample"]
    by_line = {row["line"]: row for row in rows}
    assert by_line[6]["port"] == 8080  # proxy "HTTP CONNECT (8080)"
    assert (by_line[8]["port"], by_line[8]["destination"]) == (1337, "172.16.0.22")
    assert by_line[10]["seen"] == at(2018, 3, 5, 14, 18, 25)
    assert indicators == [("url", "http://www.example.com/", 5)]


def test_feodo_csv():
    rows, _bad, indicators = read("feodoips.txt")
    assert rows == [
        {"ip": "10.213.75.205", "seen": at(2021, 1, 17, 7, 30, 5), "family": "dridex", "port": 443, "protocol": None,
         "asn": None, "destination": None, "line": 10,
         "raw": '"2021-01-17 07:30:05","10.213.75.205","443","online","2021-02-10","Dridex"'},
        {"ip": "192.16.238.101", "seen": at(2021, 1, 17, 7, 44, 46), "family": "dridex", "port": 443, "protocol": None,
         "asn": None, "destination": None, "line": 11,
         "raw": '"2021-01-17 07:44:46","192.16.238.101","443","online","2021-02-10","Dridex"'},
    ]
    assert indicators == []


def test_source_tz_applies_to_naive_timestamps():
    rows, _bad, _ind = read("event4_sinkhole.csv", source_tz="Asia/Ho_Chi_Minh")
    assert rows[0]["seen"] == at(2021, 3, 3, 17, 0)
    rows, _bad, _ind = read("cert.txt", source_tz="Asia/Ho_Chi_Minh")  # epoch seconds are UTC whatever the zone
    assert rows[0]["seen"] == at(2015, 8, 31, 8, 16, 10)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_streams_open_files_and_bytes_alike(name):
    expected, _bad, _ind = read(name)
    with open(SAMPLES / name, "rb") as handle:
        from_stream = [row for batch in parsers.parse(handle) for row in batch.rows()]
    from_bytes = [row for batch in parsers.parse((SAMPLES / name).read_bytes()) for row in batch.rows()]
    assert from_stream == from_bytes == expected


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_batch_size_splits_without_changing_rows(name):
    expected, _bad, _ind = read(name)
    batches = list(parsers.parse(SAMPLES / name, batch_size=1))
    assert [row for batch in batches for row in batch.rows()] == expected
    assert all(len(batch) <= 1 + parsers.base.CHUNK_LINES for batch in batches)


def test_formats_registry():
    assert set(parsers.FORMATS) == {"shadowserver", "spamhaus_cert", "cymru_infected", "feodo", "urlhaus", "ctip",
                                    "plain", "generic"}
    for module in parsers.FORMATS.values():
        assert callable(module.parse) and callable(module.sniff) and module.__doc__
    with pytest.raises(parsers.ParseError, match="Unknown format"):
        parsers.parse(SAMPLES / "cert.txt", format="intelmq")
