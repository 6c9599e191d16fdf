"""Scanner parsers on the real samples in ../shared/data/scans (see its SOURCES.md): detection, host and
finding counts checked against an independent reading of each file (XPath / json), and findings checked
field by field."""

import io
import json
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from lachan.vulns.parsers import FORMATS, detect_format, iter_scan
from lachan.vulns.records import ScanFinding, ScanHost

SCANS = Path(__file__).resolve().parents[3].parent / "shared/data/scans"

SAMPLES = {
    "tenable/nessus_many_vuln.xml": "nessus",
    "openvas/many_vuln.xml": "openvas",
    "openvas/one_vuln.xml": "openvas",
    "openvas/no_vuln.xml": "openvas",
    "nuclei/many_findings.json": "nuclei",
    "nuclei/multiple_v3.json": "nuclei",
    "trivy/scheme_2_many_vulns.json": "trivy",
    "nmap/nmap_script_vulners.xml": "nmap",
}


def split(records):
    records = list(records)
    hosts = [r for r in records if isinstance(r, ScanHost)]
    findings = [r for r in records if isinstance(r, ScanFinding)]
    assert len(hosts) + len(findings) == len(records)
    return records, hosts, findings


def one(findings, **wanted):
    found = [f for f in findings if all(getattr(f, k) == v for k, v in wanted.items())]
    assert len(found) == 1, (wanted, found)
    return found[0]


@pytest.mark.parametrize("name", SAMPLES)
def test_detect_every_sample(name):
    path = SCANS / name
    assert detect_format(path) == SAMPLES[name]
    assert detect_format(str(path)) == SAMPLES[name]
    with open(path, "rb") as stream:
        assert detect_format(stream) == SAMPLES[name]
        assert stream.tell() == 0  # put back for iter_scan
        assert list(iter_scan(stream)) == list(iter_scan(path))


@pytest.mark.parametrize("name", SAMPLES)
def test_every_host_comes_before_its_findings(name):
    records, hosts, findings = split(iter_scan(SCANS / name, SAMPLES[name]))
    seen = set()
    for record in records:
        if isinstance(record, ScanHost):
            seen.add((record.ip, record.hostname))
        else:
            assert record.scanner == SAMPLES[name]
            assert (record.host_ip, record.hostname) in seen
            assert record.severity in ("critical", "high", "medium", "low", "info")
            assert record.rule_id and record.title
            assert all(c == c.upper() and c.startswith("CVE-") for c in record.cves)
            assert len(set(record.cves)) == len(record.cves)
    assert FORMATS == ("nessus", "openvas", "nuclei", "trivy", "nmap")


# --- Nessus -----------------------------------------------------------------------------------------


def test_nessus_sample():
    path = SCANS / "tenable/nessus_many_vuln.xml"
    _records, hosts, findings = split(iter_scan(path))
    tree = etree.parse(str(path))
    items = tree.xpath("//ReportHost/ReportItem")
    assert len(hosts) == len(tree.xpath("//ReportHost")) == 1
    assert len(findings) == len(items) == 7
    names = {"0": "info", "1": "low", "2": "medium", "3": "high", "4": "critical"}
    assert Counter(f.severity for f in findings) == Counter(names[i.get("severity")] for i in items) == {"info": 7}
    assert hosts[0] == ScanHost(ip="12.233.108.201", hostname="preprod.boardvantage.net", os="CISCO PIX 7.0", mac="")

    syn = one(findings, rule_id="11219", port=443)
    assert syn.title == "Nessus SYN scanner"
    assert syn.protocol == "tcp"
    assert syn.evidence == "Port 443/tcp was found to be open"
    assert syn.host_ip == "12.233.108.201" and syn.hostname == "preprod.boardvantage.net"
    assert syn.line == 2740

    info = one(findings, rule_id="19506")
    assert info.port is None  # port="0": the host, not a service
    assert info.title == "Nessus Scan Information"
    assert info.solution == "n/a"
    assert info.cves == [] and info.cvss_score is None
    assert info.evidence.startswith("Information about this scan : \n\nNessus version : 5.2.1")
    assert info.description.startswith("This script displays, for each tested host, information about the scan")
    assert one(findings, rule_id="11219", port=264).evidence == "dummy"


def test_nessus_cve_and_cvss_fields(tmp_path):
    """The sample has no CVEs: a generated file (bench/gen_nessus.py, real plugin texts) has them."""
    from lachan.vulns.tests.test_scan_parsers_hostile import generator

    path = tmp_path / "scan.nessus"
    generator().write(path, findings=400, hosts=20, seed=3)
    _records, hosts, findings = split(iter_scan(path))
    tree = etree.parse(str(path))
    assert len(hosts) == 20 and len(findings) == 400
    names = {"0": "info", "1": "low", "2": "medium", "3": "high", "4": "critical"}
    assert Counter(f.severity for f in findings) == Counter(names[s] for s in tree.xpath("//ReportItem/@severity"))
    assert sum(len(f.cves) for f in findings) == len(tree.xpath("//ReportItem/cve"))
    log4shell = [f for f in findings if f.rule_id == "156032"]
    assert log4shell
    first = log4shell[0]
    assert first.cves == ["CVE-2021-44228"]
    assert first.cvss_score == 10.0
    assert first.cvss_vector == "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
    assert first.severity == "critical"
    assert first.solution == "Contact the vendor for an update, or upgrade Apache Log4j to 2.15.0 or later."
    assert "${jndi:ldap://log4shell-generic-" in first.evidence and first.host_ip in first.evidence
    ms17 = next(f for f in findings if f.rule_id == "97833")
    assert ms17.cves == ["CVE-2017-0143", "CVE-2017-0144", "CVE-2017-0145", "CVE-2017-0146", "CVE-2017-0147",
                         "CVE-2017-0148"]
    assert (ms17.port, ms17.protocol, ms17.severity, ms17.cvss_score) == (445, "tcp", "critical", 8.1)
    host = hosts[0]
    assert host.os and host.mac.startswith("00:50:56:") and host.hostname.endswith(".example.org")


# --- OpenVAS ----------------------------------------------------------------------------------------


def test_openvas_many_vuln():
    path = SCANS / "openvas/many_vuln.xml"
    _records, hosts, findings = split(iter_scan(path))
    tree = etree.parse(str(path))
    results = tree.xpath("//results/result")
    assert len(findings) == len(results) == 44
    threats = Counter(r.findtext("threat") for r in results)
    assert threats == {"Medium": 23, "High": 19, "": 2}
    # the two results without a threat have severity 4.0: medium by score
    assert Counter(f.severity for f in findings) == {"high": 19, "medium": 25}
    # the sample's host address is anonymised into "192.168.1.1001" (not an IP): the hostname identifies it
    assert hosts == [ScanHost(ip="", hostname="b6b9f466d63")]

    rexec = one(findings, rule_id="1.3.6.1.4.1.25623.1.0.100111")
    assert rexec.title == "The rexec service is running"
    assert (rexec.port, rexec.protocol, rexec.severity, rexec.cvss_score) == (512, "tcp", "high", 10.0)
    assert rexec.cves == ["CVE-1999-0618"]
    assert rexec.description.startswith("This remote host is running a rexec service.\n\nrexec (remote")
    assert rexec.solution.startswith("Disable the rexec service") and rexec.solution.endswith("instead.")
    assert rexec.evidence == "The rexec service was detected on the target system."
    assert rexec.hostname == "b6b9f466d63" and rexec.host_ip == ""

    no_threat = one(findings, rule_id="1.3.6.1.4.1.25623.1.0.106223")
    assert (no_threat.severity, no_threat.cvss_score) == ("medium", 4.0)
    general = [f for f in findings if f.port is None]
    assert len(general) == 1 and general[0].protocol == "tcp"  # "general/tcp"


def test_openvas_one_vuln():
    _records, hosts, findings = split(iter_scan(SCANS / "openvas/one_vuln.xml"))
    assert hosts == [ScanHost(ip="10.0.101.2")]
    (firefox,) = findings
    assert firefox.rule_id == "1.3.6.1.4.1.25623.1.0.832260"
    assert firefox.title == "Mozilla Firefox Security Update (mfsa_2023-32_2023-36) - Windows"
    assert (firefox.port, firefox.protocol, firefox.severity, firefox.cvss_score) == (None, "tcp", "high", 10.0)
    assert firefox.cves == ["CVE-2023-4573", "CVE-2023-4574", "CVE-2023-4575", "CVE-2023-4576", "CVE-2023-4577",
                            "CVE-2023-4578", "CVE-2023-4579", "CVE-2023-4580", "CVE-2023-4581", "CVE-2023-4585",
                            "CVE-2023-4583", "CVE-2023-4584"]
    assert firefox.solution == "Upgrade to version 117 or later,\nPlease see the references for more information."
    assert firefox.description.startswith("Mozilla Firefox is prone to multiple vulnerabilities.\n\nMultiple flaws")
    assert firefox.evidence.startswith("Installed version: 116.0.3\nFixed version:     117")


def test_openvas_no_vuln():
    _records, hosts, findings = split(iter_scan(SCANS / "openvas/no_vuln.xml"))
    assert findings == []
    assert hosts == []  # the report lists no host at all (<hosts><count>0</count></hosts>)


OPENVAS_HOSTS = b"""<report id="r" format_id="a994b278"><report id="r2"><results>
<result id="1"><name>SSL/TLS: Deprecated TLSv1.0</name><host>192.0.2.7<asset/><hostname>web1.example.org</hostname></host>
<port>443/tcp</port><nvt oid="1.3.6.1.4.1.25623.1.0.117274"><name>SSL/TLS: Deprecated TLSv1.0 and TLSv1.1 Protocol Detection</name>
<tags>summary=Old TLS|insight=a|b pipe|solution=Disable TLS 1.0|solution_type=Mitigation</tags>
<severities score="4.3"><severity type="cvss_base_v3"><value>CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N</value>
<score>4.3</score></severity></severities><refs><ref type="cve" id="cve-2011-3389"/><ref type="cve" id="CVE-2011-3389"/></refs>
</nvt><threat>Medium</threat><description>TLSv1.0 is enabled</description></result>
<result id="2"><name>OS Detection</name><host>192.0.2.7</host><port>general/CPE-T</port><nvt oid="1.3.6.1.4.1.25623.1.0.810002">
<name>OS Detection Consolidation and Reporting</name><cvss_base>0.0</cvss_base><tags>summary=Reports the OS</tags></nvt>
<threat>Log</threat><severity>0.0</severity><description>Best matching OS: Debian 12</description></result>
</results>
<host><ip>192.0.2.7</ip><detail><name>hostname</name><value>web1.example.org</value></detail>
<detail><name>best_os_txt</name><value>Debian GNU/Linux 12</value></detail><detail><name>MAC</name><value>00:1A:2B:3C:4D:5E</value></detail></host>
<host><ip>2001:0db8:0::1</ip><detail><name>hostname</name><value>quiet.example.org</value></detail></host>
</report></report>"""


def test_openvas_host_details_read_first_even_from_a_pipe():
    class Pipe(io.RawIOBase):  # a stream that cannot seek: the parser spools it to read it twice
        def __init__(self, data):
            self._data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            chunk = self._data.read(min(len(buffer), 100))
            buffer[:len(chunk)] = chunk
            return len(chunk)

    records = list(iter_scan(Pipe(OPENVAS_HOSTS)))
    assert records[0] == ScanHost(ip="192.0.2.7", hostname="web1.example.org", os="Debian GNU/Linux 12",
                                  mac="00:1a:2b:3c:4d:5e")
    tls, os_log = records[1], records[2]
    assert (tls.severity, tls.cvss_score, tls.port) == ("medium", 4.3, 443)
    assert tls.cvss_vector == "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N"
    assert tls.cves == ["CVE-2011-3389"]
    assert tls.description == "Old TLS\n\na|b pipe"
    assert tls.solution == "Disable TLS 1.0"
    assert (os_log.severity, os_log.port, os_log.protocol) == ("info", None, "")
    # a host with details but no result comes last
    assert records[3:] == [ScanHost(ip="2001:db8::1", hostname="quiet.example.org")]


# --- Nuclei -----------------------------------------------------------------------------------------


def test_nuclei_jsonl_v2_field_names():
    path = SCANS / "nuclei/many_findings.json"
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    _records, hosts, findings = split(iter_scan(path))
    assert len(findings) == len(lines) == 18
    assert Counter(f.severity for f in findings) == Counter(r["info"]["severity"] for r in lines)
    assert hosts == [ScanHost(ip="178.21.15.56", hostname="nuclei-example.com"), ScanHost(ip="127.0.0.1")]

    ssh = one(findings, rule_id="openssh5.3-detect")
    assert (ssh.title, ssh.severity, ssh.port, ssh.protocol) == ("OpenSSH 5.3 Detection", "low", 22, "tcp")
    assert (ssh.host_ip, ssh.hostname, ssh.target, ssh.line) == ("178.21.15.56", "nuclei-example.com",
                                                                 "nuclei-example.com:22", 1)
    assert ssh.description == "OpenSSH 5.3 is vulnerable to username enumeraiton and DoS vulnerabilities."

    nginx = one(findings, rule_id="nginx-version")
    assert nginx.evidence == "https://nuclei-example.com\nnginx/1.14.2"
    assert (nginx.port, nginx.target) == (443, "https://nuclei-example.com")

    goat = one(findings, rule_id="tech-detect:bootstrap", port=8080)
    assert (goat.host_ip, goat.hostname, goat.target) == ("127.0.0.1", "", "http://127.0.0.1:8080/WebGoat")
    assert goat.evidence == "http://127.0.0.1:8080/WebGoat\nmatcher: bootstrap"
    phpmyadmin = one(findings, rule_id="phpmyadmin-setup")
    assert phpmyadmin.target == "https://nuclei-example.com/phpmyadmin/setup/index.php"
    assert phpmyadmin.severity == "medium"


def test_nuclei_json_array_v3_field_names():
    path = SCANS / "nuclei/multiple_v3.json"
    data = json.loads(path.read_text())
    _records, hosts, findings = split(iter_scan(path))
    assert len(findings) == len(data) == 6
    # the DNS results carry no "ip": they stay on the name, the SSL ones have the address
    assert hosts == [ScanHost(hostname="www.asdf.de"), ScanHost(ip="8.8.8.8", hostname="www.asdf.de")]
    wix = one(findings, rule_id="dns-saas-service-detection:wix")
    assert (wix.host_ip, wix.hostname, wix.port, wix.protocol) == ("", "www.asdf.de", None, "")
    assert wix.evidence == "www.asdf.de\nmatcher: wix\npointing.wixdns.net"
    assert wix.title == "DNS SaaS Service Detection" and wix.description == "A CNAME DNS record was discovered"
    names = one(findings, rule_id="ssl-dns-names")
    assert (names.host_ip, names.port, names.target) == ("8.8.8.8", 443, "www.asdf.de:443")
    assert names.evidence == "www.asdf.de:443\nasdf.de\nwww.asdf.de"
    assert one(findings, rule_id="caa-fingerprint").cves == []  # "cve-id": null


def test_nuclei_classification_cves_and_cvss():
    record = {"template-id": "CVE-2021-44228", "info": {"name": "Apache Log4j2 RCE", "severity": "critical",
              "remediation": "Upgrade to 2.15.0", "classification": {"cve-id": ["cve-2021-44228", "CVE-2021-44228"],
              "cvss-score": 10, "cvss-metrics": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}},
              "type": "http", "host": "https://portal.example.org", "port": "8443", "ip": "2001:db8:0:0::5",
              "matched-at": "https://portal.example.org:8443/api?x=${jndi:ldap://x}"}
    _records, hosts, findings = split(iter_scan(io.BytesIO(json.dumps([record]).encode())))
    assert hosts == [ScanHost(ip="2001:db8::5", hostname="portal.example.org")]
    (log4j,) = findings
    assert log4j.cves == ["CVE-2021-44228"]
    assert (log4j.cvss_score, log4j.severity, log4j.port, log4j.solution) == (10.0, "critical", 8443, "Upgrade to 2.15.0")
    assert log4j.cvss_vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"


# --- Trivy ------------------------------------------------------------------------------------------


def test_trivy_sample():
    path = SCANS / "trivy/scheme_2_many_vulns.json"
    data = json.loads(path.read_text())
    vulns = [v for r in data["Results"] for v in (r.get("Vulnerabilities") or [])]
    records, hosts, findings = split(iter_scan(path))
    assert hosts == [ScanHost(ip="", hostname="teamdojo:latest", os="alpine 3.9.4")]
    assert isinstance(records[0], ScanHost)
    assert len(findings) == len(vulns) == 5
    assert Counter(f.severity for f in findings) == Counter(v["Severity"].lower() for v in vulns)

    freetype = one(findings, rule_id="CVE-2020-15999")
    assert freetype.title == "freetype: Heap-based buffer overflow due to integer truncation in Load_SBit_Png"
    assert (freetype.component, freetype.installed_version, freetype.fixed_version) == ("freetype", "2.9.1-r2", "2.9.1-r3")
    assert (freetype.cvss_score, freetype.severity) == (6.5, "medium")  # SeveritySource nvd, not redhat's 8.6
    assert freetype.cvss_vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H"
    assert freetype.target == "teamdojo:latest (alpine 3.9.4)"
    assert freetype.cves == ["CVE-2020-15999"]
    assert freetype.evidence == "app/libs/freetype-2.9.1-r2\nhttps://avd.aquasec.com/nvd/cve-2020-15999"
    assert freetype.hostname == "teamdojo:latest" and freetype.host_ip == ""

    krb5 = one(findings, rule_id="CVE-2020-28196")
    assert (krb5.cvss_score, krb5.severity) == (7.5, "high")  # only a Red Hat score
    bzip2 = one(findings, rule_id="CVE-2019-12900")
    assert (bzip2.cvss_score, bzip2.severity, bzip2.cvss_vector) == (None, "critical", "")
    compress = one(findings, rule_id="CVE-2018-1324")
    assert compress.target == "app/libs/commons-compress-1.14.jar"
    assert (compress.component, compress.fixed_version, compress.cvss_score) == (
        "org.apache.commons:commons-compress", "1.16", 5.5)


def test_trivy_header_after_results_is_read_first():
    data = json.loads((SCANS / "trivy/scheme_2_many_vulns.json").read_text())
    reordered = {"Results": data["Results"], "SchemaVersion": 2, "Metadata": data["Metadata"],
                 "ArtifactName": "10.20.30.40", "ArtifactType": "vm"}
    for variant in (lambda b: io.BytesIO(b), lambda b: io.BufferedReader(io.BytesIO(b))):
        records, hosts, findings = split(iter_scan(variant(json.dumps(reordered).encode())))
        assert records[0] == ScanHost(ip="10.20.30.40", hostname="", os="alpine 3.9.4")
        assert len(hosts) == 1 and len(findings) == 5
        assert {f.host_ip for f in findings} == {"10.20.30.40"}


# --- Nmap -------------------------------------------------------------------------------------------


def test_nmap_vulners_sample():
    path = SCANS / "nmap/nmap_script_vulners.xml"
    _records, hosts, findings = split(iter_scan(path))
    tree = etree.parse(str(path))
    cve_ids = tree.xpath("//script[@id='vulners']/table/table[elem[@key='type']='cve']/elem[@key='id']/text()")
    assert hosts == [ScanHost(ip="192.168.0.1")]
    assert [f.cves[0] for f in findings] == cve_ids == ["CVE-2018-15919", "CVE-2017-15906"]
    first = findings[0]
    assert first.rule_id == "vulners:CVE-2018-15919"
    assert first.title == "CVE-2018-15919 in OpenSSH 7.4"
    assert (first.port, first.protocol, first.cvss_score, first.severity) == (5022, "tcp", 5.0, "medium")
    assert (first.component, first.installed_version) == ("OpenSSH", "7.4")
    assert first.evidence == "cpe:/a:openbsd:openssh:7.4\nCVE-2018-15919 cvss 5.0"


NMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -sV --script vulners" version="7.94" xmloutputversion="1.05">
<host><status state="down" reason="no-response"/><address addr="198.51.100.9" addrtype="ipv4"/></host>
<host><status state="up"/><address addr="2001:DB8::10" addrtype="ipv6"/><address addr="00:0C:29:AA:BB:CC" addrtype="mac"/>
<hostnames><hostname name="mail.example.org" type="PTR"/><hostname name="MX1.example.org" type="user"/></hostnames>
<ports><port protocol="tcp" portid="80"><state state="open"/><service name="http" product="Apache httpd" version="2.4.49"/>
<script id="vulners" output="..."><table key="cpe:/a:apache:http_server:2.4.49">
<table><elem key="cvss">9.8</elem><elem key="id">CVE-2021-42013</elem><elem key="is_exploit">false</elem><elem key="type">cve</elem></table>
<table><elem key="cvss">7.5</elem><elem key="id">cve-2021-41773</elem><elem key="is_exploit">false</elem><elem key="type">cve</elem></table>
<table><elem key="cvss">7.5</elem><elem key="id">CVE-2021-41773</elem><elem key="is_exploit">false</elem><elem key="type">cve</elem></table>
<table><elem key="cvss">9.8</elem><elem key="id">EDB-ID:50383</elem><elem key="is_exploit">true</elem><elem key="type">exploitdb</elem></table>
<table><elem key="cvss">7.5</elem><elem key="id">PACKETSTORM:164418</elem><elem key="is_exploit">true</elem><elem key="type">packetstorm</elem></table>
</table></script></port>
<port protocol="tcp" portid="22"><state state="open"/><service name="ssh" product="OpenSSH" version="9.6"/></port></ports>
<os><osmatch name="Linux 5.0 - 5.14" accuracy="98"/></os></host>
</nmaprun>"""


def test_nmap_exploits_go_to_evidence_and_cves_are_deduplicated():
    _records, hosts, findings = split(iter_scan(io.BytesIO(NMAP)))
    assert hosts == [ScanHost(ip="2001:db8::10", hostname="mx1.example.org", os="Linux 5.0 - 5.14", mac="00:0c:29:aa:bb:cc")]
    assert [f.rule_id for f in findings] == ["vulners:CVE-2021-42013", "vulners:CVE-2021-41773"]
    critical, high = findings
    assert (critical.severity, critical.cvss_score, critical.port) == ("critical", 9.8, 80)
    assert (high.severity, high.component, high.installed_version) == ("high", "Apache httpd", "2.4.49")
    assert "EDB-ID:50383 (exploitdb, cvss 9.8, exploit)" in high.evidence
    assert "PACKETSTORM:164418" in critical.evidence
