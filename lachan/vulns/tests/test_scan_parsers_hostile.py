"""Scanner parsers on hostile and broken input: XML bombs and external entities refused, truncated XML and
JSON named by line, unknown/empty/binary files, and a large file streamed in bounded memory."""

import importlib.util
import io
import json
import os
import subprocess
import sys
import tracemalloc
from functools import cache
from pathlib import Path

import pytest
from django.utils import translation

from lachan.vulns.parsers import ScanParseError, detect_format, iter_scan
from lachan.vulns.records import ScanFinding, ScanHost

ROOT = Path(__file__).resolve().parents[3]
SCANS = ROOT.parent / "shared/data/scans"


@cache
def generator():
    """bench/gen_nessus.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("gen_nessus", ROOT / "bench/gen_nessus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def refused(data, fmt=None):
    with pytest.raises(ScanParseError) as caught:
        list(iter_scan(io.BytesIO(data), fmt))
    return caught.value


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE NessusClientData_v2 [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<NessusClientData_v2><Report name="r"><ReportHost name="192.0.2.1"><HostProperties>
<tag name="host-fqdn">&lol9;</tag></HostProperties>
<ReportItem port="0" svc_name="general" protocol="tcp" severity="0" pluginID="1" pluginName="&lol9;"/>
</ReportHost></Report></NessusClientData_v2>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE NessusClientData_v2 [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<NessusClientData_v2><Report name="r"><ReportHost name="192.0.2.1"><HostProperties>
<tag name="host-fqdn">&xxe;</tag></HostProperties>
<ReportItem port="0" svc_name="general" protocol="tcp" severity="0" pluginID="1" pluginName="x">
<plugin_output>&xxe;</plugin_output></ReportItem></ReportHost></Report></NessusClientData_v2>"""


@pytest.mark.parametrize("document", [BOMB, XXE], ids=["billion-laughs", "xxe"])
def test_entity_declarations_are_refused(document):
    error = refused(document)
    assert "DTD internal subset or entity declarations is refused" in str(error)
    assert error.line == 2
    assert "root:" not in str(error)


def test_entities_hidden_after_a_long_prolog_are_refused_too():
    """A comment longer than the bytes looked at before parsing: the parsed DTD is checked as well."""
    hidden = XXE.replace(b"<!DOCTYPE", b"<!--" + b" padding " * 10_000 + b"-->\n<!DOCTYPE", 1)
    error = refused(hidden, "nessus")
    assert "refused" in str(error) and "root:" not in str(error)
    external = b'<?xml version="1.0"?>\n<!DOCTYPE nmaprun SYSTEM "file:///etc/passwd">\n<nmaprun><host/></nmaprun>'
    assert "refused" in str(refused(external))


@pytest.mark.parametrize("name", ["tenable/nessus_many_vuln.xml", "openvas/many_vuln.xml", "nmap/nmap_script_vulners.xml"])
def test_truncated_xml_names_the_line(name):
    data = (SCANS / name).read_bytes()
    cut = data[: len(data) * 2 // 3]
    error = refused(cut)
    assert str(error).startswith(f"Line {error.line}: Broken XML")
    assert error.line >= cut.count(b"\n") - 1


def test_malformed_xml_names_the_line():
    data = b'<?xml version="1.0"?>\n<NessusClientData_v2>\n<Report name="r">\n<ReportHost name="10.0.0.1">\n<oops </ReportHost>'
    error = refused(data)
    assert error.line == 5
    assert "Broken XML" in str(error)


def test_broken_json_names_where():
    good = b'{"template-id":"t","info":{"name":"n","severity":"high"},"host":"a.example.org"}\n'
    error = refused(good + good + b'{"template-id": "t", "info": \n')
    assert error.line == 3 and str(error).startswith("Line 3: Broken JSON")
    error = refused(b"[" + good.strip() + b", " + good[:30])
    assert "Broken JSON after result 1" in str(error)
    trivy = (SCANS / "trivy/scheme_2_many_vulns.json").read_bytes()
    assert "Broken JSON" in str(refused(trivy[:6000]))
    not_nuclei = refused(b'{"template-id": "t", "info": {}}\n[1, 2]\n', "nuclei")
    assert not_nuclei.line == 2 and "JSON object" in str(not_nuclei)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b" \r\n\t\n", "The file is empty."),
    (b'{"results": [{"id": 1, "name": "x"}]}', "not a known scanner format"),
    (b'[{"Target": "x", "Vulnerabilities": []}]', "not a known scanner format"),
    (b'{"SchemaVersion": 2}', "no ArtifactName"),
    (b'<?xml version="1.0"?><html><body>scan</body></html>', "XML with the root element 'html'"),
    (b"Host,Port,CVE\n10.0.0.1,80,CVE-2021-44228\n", "the file starts with 'Host,Port,CVE'"),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "compressed"),
    (bytes(range(256)) * 8, "binary data"),
    (os.urandom(4096).replace(b"<", b"x").replace(b"{", b"x") + b"\x00", "binary data"),
])
def test_unknown_or_empty_files_get_a_clear_error(data, message):
    error = refused(data)
    assert message in str(error)
    with pytest.raises(ScanParseError, match="not a known scanner format|empty|compressed|ArtifactName"):
        if message == "no ArtifactName":
            raise error
        detect_format(io.BytesIO(data))


def test_unknown_format_name_and_missing_file():
    with pytest.raises(ScanParseError, match="Unknown scanner format 'qualys'"):
        iter_scan(SCANS / "nmap/nmap_script_vulners.xml", "qualys")
    with pytest.raises(ScanParseError, match="Cannot read"):
        detect_format("/nonexistent/scan.nessus")


def test_a_forced_format_on_another_format_fails_clearly():
    with pytest.raises(ScanParseError, match="no ArtifactName"):
        list(iter_scan(SCANS / "nuclei/multiple_v3.json", "trivy"))
    assert list(iter_scan(SCANS / "nmap/nmap_script_vulners.xml", "nessus")) == []  # no Nessus element in it


def test_plain_text_is_kept_as_text_and_evidence_is_capped():
    html = "<script>alert(1)</script> &amp; " + "x" * 20_000
    record = {"template-id": "xss", "info": {"name": "<b>XSS</b>", "severity": "High", "description": html},
              "host": "https://a.example.org", "matched-at": "https://a.example.org/?q=<script>",
              "extracted-results": ["y" * 20_000]}
    (_host, finding) = list(iter_scan(io.BytesIO(json.dumps(record).encode()), "nuclei"))
    assert finding.title == "<b>XSS</b>"
    assert finding.description == html  # not unescaped, not stripped of tags
    assert len(finding.evidence) == 8192 and finding.evidence.endswith("…")
    assert finding.evidence.startswith("https://a.example.org/?q=<script>\n")
    assert finding.severity == "high"


def test_two_hosts_with_the_same_plugin_never_share_a_key(tmp_path):
    path = tmp_path / "scan.nessus"
    generator().write(path, findings=600, hosts=30, seed=5)
    findings = [r for r in iter_scan(path) if isinstance(r, ScanFinding)]
    by_plugin = {}
    for finding in findings:
        by_plugin.setdefault(finding.rule_id, {}).setdefault(finding.host_ip, set()).add(finding.key())
    assert len(by_plugin["19506"]) == 30  # every host has the scan information plugin
    for hosts in by_plugin.values():
        keys = [k for ks in hosts.values() for k in ks]
        assert len(keys) == len(set(keys))
        assert all(key[1] == ip for ip, ks in hosts.items() for key in ks)
    one = ScanFinding(scanner="nuclei", rule_id="t", title="t", severity="info", hostname="A.example.org")
    other = ScanFinding(scanner="nuclei", rule_id="t", title="t", severity="info", hostname="b.example.org")
    assert one.key() != other.key()


def test_generated_addresses_are_documentation_or_private(tmp_path):
    path = tmp_path / "scan.nessus"
    hosts, findings = generator().write(path, findings=2000, hosts=800, seed=2)
    assert (hosts, findings) == (800, 2000)
    ips = [r.ip for r in iter_scan(path) if isinstance(r, ScanHost)]
    assert len(set(ips)) == 800
    assert all(ip.startswith(("192.0.2.", "198.51.100.", "203.0.113.", "10.")) for ip in ips)
    assert sum(ip.startswith("10.") for ip in ips) == 800 - 3 * 254


@pytest.fixture(scope="module")
def large_nessus(tmp_path_factory):
    path = tmp_path_factory.mktemp("large") / "large.nessus"
    generator().write(path, findings=30_000, hosts=300, seed=11)
    return path


def test_large_file_streams_in_bounded_python_memory(large_nessus):
    """Nothing accumulates on the Python side (lxml's own memory is checked by the next test)."""
    size = large_nessus.stat().st_size
    assert size > 30_000_000
    tracemalloc.start()
    try:
        hosts = findings = 0
        for record in iter_scan(large_nessus):
            if isinstance(record, ScanHost):
                hosts += 1
            else:
                findings += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (hosts, findings) == (300, 30_000)
    assert peak < size / 50  # well below the file size: nothing accumulates


# The peak resident memory of this process (VmHWM, KiB): unlike ru_maxrss it is not inherited from the
# parent (pytest) across fork and exec.
PROBE = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lachan.settings")
import django
django.setup()
from lachan.vulns.parsers import iter_scan
def peak():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
before = peak()
count = sum(1 for _ in iter_scan(sys.argv[1]))
print(before, peak(), count)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc (Linux)")
def test_large_file_streams_in_bounded_process_memory(large_nessus):
    """lxml's tree lives outside tracemalloc's sight: the process's own peak memory shows it is freed."""
    done = subprocess.run([sys.executable, "-c", PROBE, str(large_nessus)], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    before, after, count = (int(x) for x in done.stdout.split())
    assert count == 30_300
    grown = (after - before) * 1024
    assert grown < large_nessus.stat().st_size / 4  # a whole tree would take several times the file size
