"""Feed formats without a shared sample (CTIP, URLhaus, Feodo JSON, other Shadowserver reports, plain lists,
Vietnamese tables in CSV/TSV/XLSX): small files written here after the formats' documentation, every
field checked."""

import codecs
import datetime
import io
import json
import unicodedata

import openpyxl
import pytest
from django.utils import translation

from lachan.intel import parsers

UTC = datetime.UTC


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def run(data, name="", **options):
    """(detected format, rows, bad, indicators) of a file given as text or bytes."""
    if isinstance(data, str):
        data = data.encode()
    detected = parsers.detect(data[:65536], name) if "format" not in options and "mapping" not in options else None
    rows, bad, indicators = [], [], []
    for batch in parsers.parse(data, **options):
        rows.extend(batch.rows())
        bad.extend(batch.bad)
        indicators.extend(batch.indicators)
    return detected, rows, bad, indicators


def fields(row, *names):
    return tuple(row[name] for name in names)


def to_cp1258(text):
    """Windows-1258 as Excel writes it: base letters precomposed, tones as combining marks."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
        out.append(base + "".join(c for c in decomposed if c in tones))
    return "".join(out).encode("cp1258")


# --- Microsoft CTIP -------------------------------------------------------------------------------------

AZURE = [
    {"DataFeed": "CTIP-Infected", "SourcedFrom": "SinkHoleMessage", "DateTimeReceivedUtc": 132348339284870000,
     "DateTimeReceivedUtcTxt": "Sunday May 24 2020 22:45:28.4870", "Malware": "Avalanche",
     "ThreatCode": "B67-SS-TINBA", "ThreatConfidence": "Low", "TotalEncounters": 3, "TLP": "Amber",
     "SourceIp": "198.51.100.7", "SourcePort": 65116, "DestinationIp": "203.0.113.18", "DestinationPort": 80,
     "SourceIpInfo": {"SourceIpAsnNumber": "64496", "SourceIpAsnOrgName": "Example AS", "SourceIpCountryCode": "VN"},
     "HttpInfo": {"HttpHost": "tinba.example.net", "HttpRequest": "", "HttpMethod": ""},
     "Payload": "AA=="},
    {"DataFeed": "Microsoft.DCU.CTIP.Infected", "DateTimeReceivedUtc": 132622667720000000, "Malware": "",
     "ThreatCode": "B77-GV", "TLP": "Green", "SourceIp": "2001:DB8::7", "SourcePort": 33587,
     "DestinationIp": "2001:db8:ffff::1", "DestinationPort": 8080, "SourceIpInfo": {"SourceIpAsnNumber": "0"},
     "HttpInfo": {"HttpHost": ""}},
    {"DataFeed": "CTIP-Infected", "DateTimeReceivedUtc": 132622667720000000, "Malware": "Emotet",
     "SourceIp": "10.0.0.300", "SourcePort": 1},
]


def test_ctip_azure_json_lines():
    data = "\n".join(json.dumps(record) for record in AZURE) + "\n"
    detected, rows, bad, indicators = run(data, "ctip.json")
    assert detected == "ctip"
    assert len(rows) == 2
    assert {k: rows[0][k] for k in ("ip", "seen", "family", "port", "protocol", "asn", "destination", "line")} == {
        "ip": "198.51.100.7", "seen": at(2020, 5, 24, 22, 45, 28, 487000), "family": "avalanche", "port": 65116,
        "protocol": None, "asn": 64496, "destination": "203.0.113.18:80", "line": 1}
    assert json.loads(rows[0]["raw"]) == AZURE[0]
    # no Malware: the threat code; IPv6 canonical; AS 0 is unknown; an IPv6 destination in brackets
    assert fields(rows[1], "ip", "seen", "family", "asn", "destination", "line") == (
        "2001:db8::7", at(2021, 4, 7, 10, 59, 32), "b77-gv", None, "[2001:db8:ffff::1]:8080", 2)
    assert bad == [(3, "Row 3: not an IP address: '10.0.0.300'")]
    assert indicators == [("domain", "tinba.example.net", 1)]


def test_ctip_interflow_array():
    records = [
        {"indicatorthreattype": "Botnet", "description": "Host is a member of Botnet Conficker", "externalid": "Conficker",
         "tlplevel": "Green", "confidence": 100, "firstreporteddatetime": "2018-02-06T09:38:46", "version": 1.5,
         "networksourceipv4": "198.51.100.100", "networksourceport": 25310, "networkdestinationipv4": "192.0.2.45",
         "networkdestinationport": 80, "networksourceasn": "64496", "hostname": "192.0.2.45"},
        {"indicatorthreattype": "Botnet", "externalid": "B106-Jenxcus", "firstreporteddatetime": "2018-02-06T09:40:19",
         "version": 1.5, "networksourceipv4": "203.0.113.126", "networksourceport": 49970,
         "networkdestinationipv4": "0.0.0.0", "networkdestinationport": 1085, "networksourceasn": "64511",
         "hostname": "jenxcus.example.org"},
    ]
    detected, rows, bad, indicators = run(json.dumps(records, indent=2), "ctip.json")
    assert detected == "ctip" and bad == []
    assert fields(rows[0], "ip", "seen", "family", "port", "asn", "destination", "line") == (
        "198.51.100.100", at(2018, 2, 6, 9, 38, 46), "conficker", 25310, 64496, "192.0.2.45:80", 2)
    assert fields(rows[1], "ip", "family", "destination", "line") == ("203.0.113.126", "b106-jenxcus", None, 17)
    assert json.loads(rows[1]["raw"]) == records[1]
    assert indicators == [("domain", "jenxcus.example.org", 17)]  # the hostname equal to the destination is not


# --- abuse.ch --------------------------------------------------------------------------------------------

URLHAUS_CSV = """\
################################################################
# abuse.ch URLhaus Database Dump (CSV - recent URLs)           #
# Last updated: 2024-03-15 10:00:00 (UTC)                      #
#                                                              #
# Terms Of Use: https://urlhaus.abuse.ch/api/                  #
# For questions please contact urlhaus [at] abuse.ch           #
################################################################
#
# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
"2801234","2024-03-15 09:58:11","http://198.51.100.23:45123/i","online","2024-03-15 09:58:11","malware_download","32-bit,elf,mips,Mozi","https://urlhaus.abuse.ch/url/2801234/","geenensp"
"2801233","2024-03-15 09:55:02","https://bad.example.com/payload.exe","online","2024-03-15 09:55:02","malware_download","exe,AgentTesla","https://urlhaus.abuse.ch/url/2801233/","abuse_ch"
"2801232","2024-03-15 09:50:00","http://203.0.113.9/x.sh","offline","","malware_download","","https://urlhaus.abuse.ch/url/2801232/","x"
"""


def test_urlhaus_csv():
    detected, rows, bad, indicators = run(URLHAUS_CSV, "csv.txt")
    assert detected == "urlhaus" and bad == []
    assert rows[0] == {
        "ip": "198.51.100.23", "seen": at(2024, 3, 15, 9, 58, 11), "family": "mozi", "port": 45123, "protocol": None,
        "asn": None, "destination": "http://198.51.100.23:45123/i", "line": 10,
        "raw": URLHAUS_CSV.splitlines()[9]}
    # a URL on a host name: indicators only; no tag → the threat is the family
    assert fields(rows[1], "ip", "family", "port", "destination", "line") == (
        "203.0.113.9", "malware_download", None, "http://203.0.113.9/x.sh", 12)
    assert indicators == [
        ("url", "http://198.51.100.23:45123/i", 10),
        ("url", "https://bad.example.com/payload.exe", 11), ("domain", "bad.example.com", 11),
        ("url", "http://203.0.113.9/x.sh", 12),
    ]


def test_urlhaus_json_dump_and_api_reply():
    dump = {
        "2801234": [{"dateadded": "2024-03-15 09:58:11 UTC", "url": "http://198.51.100.23:45123/i", "url_status": "online",
                     "last_online": "2024-03-15 09:58:11 UTC", "threat": "malware_download",
                     "tags": ["32-bit", "elf", "mips", "Mozi"], "urlhaus_link": "https://urlhaus.abuse.ch/url/2801234/",
                     "reporter": "geenensp"}],
        "2801233": [{"dateadded": "2024-03-15 09:55:02 UTC", "url": "https://bad.example.com/payload.exe",
                     "url_status": "online", "threat": "malware_download", "tags": ["exe", "AgentTesla"],
                     "urlhaus_link": "https://urlhaus.abuse.ch/url/2801233/", "reporter": "abuse_ch"}],
    }
    detected, rows, bad, indicators = run(json.dumps(dump), "urlhaus.json")
    assert detected == "urlhaus" and bad == []
    assert [fields(r, "ip", "seen", "family", "port", "destination") for r in rows] == [
        ("198.51.100.23", at(2024, 3, 15, 9, 58, 11), "mozi", 45123, "http://198.51.100.23:45123/i")]
    assert [(kind, value) for kind, value, _line in indicators] == [
        ("url", "http://198.51.100.23:45123/i"), ("url", "https://bad.example.com/payload.exe"),
        ("domain", "bad.example.com")]
    reply = {"query_status": "ok", "urls": [
        {"id": "1", "urlhaus_reference": "https://urlhaus.abuse.ch/url/1/", "url": "http://[2001:db8::7]/x.sh",
         "url_status": "offline", "host": "2001:db8::7", "date_added": "2024-03-14 08:00:00 UTC",
         "threat": "malware_download", "tags": None, "reporter": "x",
         "payloads": [{"firstseen": "2024-03-14", "filename": "x.sh", "response_md5": "D41D8CD98F00B204E9800998ECF8427E",
                       "response_sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}]}]}
    detected, rows, bad, indicators = run(json.dumps(reply), "")
    assert detected == "urlhaus" and bad == []
    assert fields(rows[0], "ip", "seen", "family", "destination") == (
        "2001:db8::7", at(2024, 3, 14, 8), "malware_download", "http://[2001:db8::7]/x.sh")
    assert [(kind, value) for kind, value, _line in indicators] == [
        ("url", "http://[2001:db8::7]/x.sh"), ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
        ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]


def test_feodo_json():
    records = [
        {"ip_address": "198.51.100.44", "port": 443, "status": "online", "hostname": "c2.example.net",
         "as_number": 64496, "as_name": "EXAMPLE", "country": "VN", "first_seen": "2024-03-01 10:00:00",
         "last_online": "2024-03-15", "malware": "QakBot"},
        {"ip_address": "203.0.113.400", "port": 8080, "status": "offline", "hostname": None, "as_number": 0,
         "first_seen": "2024-03-02 11:00:00", "malware": "Emotet"},
    ]
    detected, rows, bad, indicators = run(json.dumps(records, indent=1), "ipblocklist.json")
    assert detected == "feodo"
    assert fields(rows[0], "ip", "seen", "family", "port", "asn", "destination", "line") == (
        "198.51.100.44", at(2024, 3, 1, 10), "qakbot", 443, 64496, None, 2)
    assert bad == [(14, "Row 14: not an IP address: '203.0.113.400'")]
    assert indicators == [("domain", "c2.example.net", 2)]


def test_feodo_old_commented_header():
    text = ("# Feodo Tracker Botnet C2 IP Blocklist\n# Firstseen,DstIP,DstPort,LastOnline,Malware\n"
            "2019-05-27 05:41:17,192.0.2.10,447,2019-06-01,TrickBot\n")
    detected, rows, bad, _ind = run(text)
    assert detected == "feodo" and bad == []
    assert fields(rows[0], "ip", "seen", "family", "port", "line") == ("192.0.2.10", at(2019, 5, 27, 5, 41, 17),
                                                                       "trickbot", 447, 3)


# --- Shadowserver: other reports -----------------------------------------------------------------------------

EVENT_HEADER = ('"timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname",'
                '"src_naics","src_sector","device_vendor","device_type","device_model","dst_ip","dst_port","dst_asn",'
                '"dst_geo","dst_region","dst_city","dst_hostname","dst_naics","dst_sector","public_source","infection",'
                '"family","tag","application","version","event_id"')


def test_shadowserver_event6_sinkhole():
    text = EVENT_HEADER + "\n" + (
        '"2024-03-15 01:02:03","udp","2001:DB8:0:0::5",5353,45899,"VN","HA NOI","HANOI",,,,,,,"2001:db8:ffff::1",53,'
        '64511,"US",,,,,,,"","emotet","botnet",,,\n')
    detected, rows, bad, _ind = run(text)
    assert detected == "shadowserver" and bad == []
    assert rows[0] == {"ip": "2001:db8::5", "seen": at(2024, 3, 15, 1, 2, 3), "family": "emotet", "port": 5353,
                       "protocol": "udp", "asn": 45899, "destination": "[2001:db8:ffff::1]:53", "line": 2,
                       "raw": text.splitlines()[1]}


def test_shadowserver_sinkhole_http_url():
    header = EVENT_HEADER + ',"http_url","http_host","http_agent","forwarded_by","ssl_cipher","http_referer"'
    text = header + "\n" + (
        '"2024-03-15 01:02:03","tcp","192.0.2.77",49152,7552,"VN",,,,,,,,,"198.51.100.1",80,64511,,,,,,,,,"andromeda",'
        '"avalanche-andromeda",,,,"GET /gate.php?id=1 HTTP/1.1","C2.Example.NET","Mozilla",,,\n')
    _detected, rows, bad, indicators = run(text)
    assert bad == [] and rows[0]["family"] == "andromeda" and rows[0]["destination"] == "198.51.100.1:80"
    assert indicators == [("domain", "c2.example.net", 2), ("url", "http://c2.example.net/gate.php?id=1", 2)]


def test_shadowserver_legacy_botnet_drone():
    header = ('"timestamp","ip","port","asn","geo","region","city","hostname","type","infection","url","agent","cc",'
              '"cc_port","cc_asn","cc_geo","cc_dns","count","proxy","application","p0f_genre","p0f_detail",'
              '"machine_name","id","naics","sic","cc_naics","cc_sic","sector","cc_sector","ssl_cipher","family","tag",'
              '"public_source"')
    text = header + "\n" + (
        '"2016-07-01 00:00:04","198.51.100.3",2873,64496,"VN","HA NOI","HANOI",,"tcp","sality","/bin/loader.php",'
        '"Mozilla/4.0","203.0.113.77",80,64511,"DE","c2.example.org",1,,,"Windows","XP",,,0,0,0,0,,,,,,\n')
    detected, rows, bad, indicators = run(text)
    assert detected == "shadowserver" and bad == []
    assert fields(rows[0], "ip", "seen", "family", "port", "protocol", "asn", "destination") == (
        "198.51.100.3", at(2016, 7, 1, 0, 0, 4), "sality", 2873, "tcp", 64496, "203.0.113.77:80")
    assert indicators == [("domain", "c2.example.org", 2), ("url", "http://c2.example.org/bin/loader.php", 2)]


def test_shadowserver_blocklist_keeps_networks():
    text = ('"timestamp","ip","asn","geo","region","city","hostname","naics","sic","source","reason","tag"\n'
            '"2021-03-04 10:00:00","203.0.113.0/24",64496,"VN",,,,0,0,"spamhaus-drop","listed","drop"\n'
            '"2021-03-04 10:00:00","198.51.100.7",64496,"VN",,,,0,0,"x","listed",\n'
            '"2021-03-04 10:00:00","198.51.100.7/33",64496,"VN",,,,0,0,"x","listed",\n')
    detected, rows, bad, _ind = run(text)
    assert detected == "shadowserver"
    assert [fields(r, "ip", "family", "asn", "port") for r in rows] == [
        ("203.0.113.0/24", "drop", 64496, None), ("198.51.100.7", None, 64496, None)]
    assert bad == [(4, "Row 4: not an IP address or network: '198.51.100.7/33'")]


# --- plain lists ---------------------------------------------------------------------------------------------

def test_plain_list():
    text = ("# Danh sách IP botnet tháng 3\n; generated 2024-03-15\n\n192.0.2.1\n  198.51.100.7   # seen twice\n"
            "203.0.113.0/24 ; SBL123\n203.0.113.77/24\n192.0.2.9/32\n2001:DB8::1\n2001:db8::/32\n10.0.0.300\n"
            "192.0.2.1-192.0.2.9\n")
    detected, rows, bad, _ind = run(text, "list.txt")
    assert detected == "plain"
    assert [(r["ip"], r["line"]) for r in rows] == [
        ("192.0.2.1", 4), ("198.51.100.7", 5), ("203.0.113.0/24", 6), ("203.0.113.0/24", 7), ("192.0.2.9", 8),
        ("2001:db8::1", 9), ("2001:db8::/32", 10)]
    assert rows[1]["raw"] == "  198.51.100.7   # seen twice"
    assert all(r["seen"] is None and r["family"] is None for r in rows)
    assert bad == [(11, "Row 11: not an IP address: '10.0.0.300'"),
                   (12, "Row 12: not an IP address: '192.0.2.1-192.0.2.9'")]


def test_plain_list_fast_path_keeps_line_numbers():
    text = "".join(f"10.{i // 256 % 256}.{i % 256}.1\n" for i in range(10_000))
    _detected, rows, bad, _ind = run(text)
    assert bad == [] and len(rows) == 10_000
    assert (rows[0]["ip"], rows[0]["line"], rows[-1]["ip"], rows[-1]["line"]) == ("10.0.0.1", 1, "10.39.15.1", 10_000)


# --- generic tables ----------------------------------------------------------------------------------------

def test_vietnamese_csv_in_cp1258_with_title_rows():
    text = ("DANH SÁCH ĐỊA CHỈ IP NHIỄM MÃ ĐỘC THÁNG 3/2021\n\n"
            "STT;Địa chỉ IP;Thời gian;Tên mã độc;Cổng;Giao thức;ASN;Máy chủ C&C\n"
            "1;113.160.1.2;04/03/2021 08:15;Mirai;23;TCP;AS45899;203.0.113.9:8080\n"
            "2;14.160.0.7;05/03/2021;Conficker;;udp;7552;c2.example.net\n"
            "3;10.0.0.300;05/03/2021;Mirai;;;;\n")
    detected, rows, bad, _ind = run(to_cp1258(text), "ds.csv", source_tz="Asia/Ho_Chi_Minh")
    assert detected == "generic"
    assert rows[0] == {"ip": "113.160.1.2", "seen": at(2021, 3, 4, 1, 15), "family": "mirai", "port": 23,
                       "protocol": "tcp", "asn": 45899, "destination": "203.0.113.9:8080", "line": 4,
                       "raw": "1;113.160.1.2;04/03/2021 08:15;Mirai;23;TCP;AS45899;203.0.113.9:8080"}
    assert fields(rows[1], "ip", "seen", "family", "port", "protocol", "asn", "destination", "line") == (
        "14.160.0.7", at(2021, 3, 4, 17), "conficker", None, "udp", 7552, "c2.example.net", 5)
    assert bad == [(6, "Row 6: not an IP address: '10.0.0.300'")]


def test_excel_unicode_text_is_utf16_tsv():
    text = "Địa chỉ IP\tNgày phát hiện\tLoại mã độc\r\n113.160.1.1\t04/03/2021\tConficker\r\n"
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    detected, rows, bad, _ind = run(data, "ds.txt")
    assert detected == "generic" and bad == []
    assert fields(rows[0], "ip", "seen", "family", "line", "raw") == (
        "113.160.1.1", at(2021, 3, 4), "conficker", 2, "113.160.1.1\t04/03/2021\tConficker")


def test_utf8_bom_and_decomposed_headers():
    text = unicodedata.normalize("NFD", "Địa chỉ IP,Botnet\n113.160.1.1,Mirai\n")
    detected, rows, bad, _ind = run(codecs.BOM_UTF8 + text.encode())
    assert detected == "generic" and bad == []
    assert fields(rows[0], "ip", "family") == ("113.160.1.1", "mirai")


def test_explicit_mapping():
    text = "Cột A,Cột B,Ghi chú\n2024-03-15 10:00,113.160.1.1,Mirai\n"
    _detected, rows, bad, _ind = run(text, mapping={"ip": "cot b", "seen": "Cột A", "family": 2})
    assert bad == []
    assert fields(rows[0], "ip", "seen", "family", "line") == ("113.160.1.1", at(2024, 3, 15, 10), "mirai", 2)
    # only column numbers: no header needed
    _detected, rows, bad, _ind = run("113.160.1.1,Mirai\n14.160.0.7,Emotet\n", mapping={"ip": 0, "family": 1})
    assert [fields(r, "ip", "family", "line") for r in rows] == [("113.160.1.1", "mirai", 1), ("14.160.0.7", "emotet", 2)]
    with pytest.raises(parsers.ParseError, match="Unknown field colour"):
        run(text, mapping={"ip": "Cột B", "colour": "Cột A"})
    with pytest.raises(parsers.ParseError, match="not in the first"):
        list(parsers.parse(text.encode(), mapping={"ip": "Địa chỉ"}))
    with pytest.raises(parsers.ParseError, match="must name the IP"):
        run(text, mapping={"family": "Cột A"})


def test_vietnamese_xlsx(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Tháng 3"
    sheet.append(["DANH SÁCH ĐỊA CHỈ IP BOTNET THÁNG 3/2024"])
    sheet.append([])
    sheet.append(["STT", "Địa chỉ IP", "Thời gian phát hiện", "Tên mã độc", "Cổng", "Giao thức", "ASN", "Máy chủ C&C",
                  "Cổng đích"])
    sheet.append([1, "14.160.1.2", datetime.datetime(2024, 3, 15, 8, 30), "Mirai", 23, "TCP", "AS45899",
                  "203.0.113.9", 48101])
    sheet.append([2, "2402:800::1", "16/03/2024 07:00", "Emotet", 443.0, "tcp", 7552, "c2.example.net", None])
    sheet.append([3, "10.0.0.300", None, "Mirai"])
    sheet.append([4, "=cmd|' /C calc'!A0", None, "Mirai"])
    sheet.append([5, "113.160.0.0/24", None, '=HYPERLINK("http://evil","x")'])
    sheet.append([])
    sheet.append([6, None, None, "Mirai"])
    other = workbook.create_sheet("Ghi chú")
    other.append(["Người lập", "Nguyễn Văn A"])
    path = tmp_path / "botnet.xlsx"
    workbook.save(path)
    assert parsers.detect(path.read_bytes()[:65536], "botnet.xlsx") == "generic"
    _detected, rows, bad, _ind = run(path.read_bytes(), source_tz="Asia/Ho_Chi_Minh")
    assert rows == [
        {"ip": "14.160.1.2", "seen": at(2024, 3, 15, 1, 30), "family": "mirai", "port": 23, "protocol": "tcp",
         "asn": 45899, "destination": "203.0.113.9:48101", "line": 4,
         "raw": "1,14.160.1.2,2024-03-15 08:30:00,Mirai,23,TCP,AS45899,203.0.113.9,48101"},
        {"ip": "2402:800::1", "seen": at(2024, 3, 16), "family": "emotet", "port": 443, "protocol": "tcp",
         "asn": 7552, "destination": "c2.example.net", "line": 5,
         "raw": "2,2402:800::1,16/03/2024 07:00,Emotet,443,tcp,7552,c2.example.net"},
    ]
    assert bad[:4] == [
        (6, "Row 6: not an IP address: '10.0.0.300'"),
        (7, "Row 7: a spreadsheet formula, refused: '=cmd|' /C calc'!A0'"),
        (8, "Row 8: a spreadsheet formula, refused: '=HYPERLINK(\"http://evil\",\"x\")'"),
        (10, "Row 10: no IP address"),
    ]
    # the second sheet has content but no IP column: reported, not silently skipped
    assert bad[4][0] == 0 and "Ghi chú" in bad[4][1] and "not read" in bad[4][1]
    with open(path, "rb") as handle:  # a stream, and a path, give the same
        assert [r for b in parsers.parse(handle, source_tz="Asia/Ho_Chi_Minh") for r in b.rows()] == rows


def test_header_aliases():
    from lachan.intel.parsers.generic import auto_map

    assert auto_map(["STT", "Địa chỉ IP", "Ngày phát hiện", "Loại mã độc", "Cổng", "Giao thức", "ASN",
                     "Địa chỉ đích"]) == {"ip": 1, "seen": 2, "family": 3, "port": 4, "protocol": 5, "asn": 6,
                                          "destination": 7}
    assert auto_map(["IP", "Botnet", "Thời gian", "Máy chủ C&C", "Cổng đích"]) == {
        "ip": 0, "family": 1, "seen": 2, "destination": 3, "destination_port": 4}
    assert auto_map(["ĐỊA CHỈ IP BỊ NHIỄM MÃ ĐỘC", "THỜI GIAN GHI NHẬN (GMT+7)", "IP máy chủ điều khiển"]) == {
        "ip": 0, "seen": 1, "destination": 2}
    assert auto_map(["src_ip", "timestamp", "malware"]) == {"ip": 0, "seen": 1, "family": 2}


def test_a_formula_in_any_cell_of_a_table_row_refuses_the_row():
    text = "STT,Địa chỉ IP,Botnet,Ghi chú\n=1+1,192.0.2.1,Mirai,\n2,192.0.2.2,Mirai,@SUM(A1)\n3,192.0.2.3,Mirai,-5\n"
    _detected, rows, bad, _ind = run(text)
    assert [r["ip"] for r in rows] == ["192.0.2.3"]
    assert bad == [(2, "Row 2: a spreadsheet formula, refused: '=1+1'"),
                   (3, "Row 3: a spreadsheet formula, refused: '@SUM(A1)'")]


def test_address_with_port_in_the_ip_column():
    text = "Địa chỉ IP,Botnet\n192.0.2.1:8080,Mirai\n[2001:db8::1]:443,Emotet\n192.0.2.1:99999,Mirai\n"
    _detected, rows, bad, _ind = run(text)
    assert [fields(r, "ip", "port") for r in rows] == [("192.0.2.1", 8080), ("2001:db8::1", 443)]
    assert bad == [(4, "Row 4: not an IP address: '192.0.2.1:99999'")]


class _Pipe(io.RawIOBase):
    """A stream that can only be read (an HTTP body, a pipe): no seek, no tell."""

    def __init__(self, data):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self._data.read(min(len(buffer), 1000))
        buffer[:len(chunk)] = chunk
        return len(chunk)


def test_streams_that_cannot_seek(tmp_path):
    text = "".join(f"192.0.{i // 256}.{i % 256}\n" for i in range(30_000))
    rows = [r for b in parsers.parse(io.BufferedReader(_Pipe(text.encode()))) for r in b.rows()]
    assert len(rows) == 30_000 and rows[-1]["ip"] == "192.0.117.47" and rows[-1]["line"] == 30_000
    workbook = openpyxl.Workbook()
    workbook.active.append(["IP", "Botnet"])
    workbook.active.append(["192.0.2.1", "Mirai"])
    path = tmp_path / "x.xlsx"
    workbook.save(path)
    rows = [r for b in parsers.parse(io.BufferedReader(_Pipe(path.read_bytes()))) for r in b.rows()]
    assert fields(rows[0], "ip", "family", "line") == ("192.0.2.1", "mirai", 2)
    with pytest.raises(parsers.ParseError, match="binary mode"):
        list(parsers.parse(io.StringIO("192.0.2.1\n")))
