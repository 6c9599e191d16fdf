"""``lachan vulns …`` subcommands: import-scan, match (JSON counts), import-advisories (errors)."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from lachan.testing.factories import HostFactory, SoftwareFactory
from lachan.vulns import services
from lachan.vulns.choices import FindingStatus
from lachan.vulns.models import Finding
from lachan.vulns.records import Advisory as Rec
from lachan.vulns.records import Configuration, CpeMatch, CvssMetric, Node

SCANS = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "scans"
NESSUS = SCANS / "tenable" / "nessus_many_vuln.xml"


def run(*args):
    out = StringIO()
    call_command("vulns", *args, stdout=out)
    return out.getvalue()


def httpd_advisory(cve="CVE-2021-41773", end_excluding="2.4.50"):
    node = Node(matches=[CpeMatch("cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*", version_start_including="2.4.0",
                                  version_end_excluding=end_excluding)])
    return Rec(cve_id=cve, source="nvd", cvss=[CvssMetric("3.1", 7.5)], configurations=[Configuration(nodes=[node])])


@pytest.mark.django_db
def test_import_scan_json(tree):
    HostFactory(unit=tree["a"], hostname="preprod", ip_addresses="12.233.108.201")
    data = json.loads(run("import-scan", str(NESSUS), "--unit", "A", "--json"))
    assert (data["hosts"], data["findings"], data["new"], data["unknown_hosts"]) == (1, 7, 7, [])
    again = json.loads(run("import-scan", str(NESSUS), "--unit", "A", "--json"))
    assert (again["new"], again["updated"]) == (0, 7)


@pytest.mark.django_db
def test_import_scan_errors(tree, tmp_path):
    with pytest.raises(CommandError, match="NOPE"):
        run("import-scan", str(NESSUS), "--unit", "NOPE")
    with pytest.raises(CommandError, match="missing.xml"):
        run("import-scan", str(tmp_path / "missing.xml"), "--unit", "A")
    bad = tmp_path / "bad.nessus"
    bad.write_bytes(b"<?xml version='1.0'?><NessusClientData_v2><Report name='x'><ReportHost")
    with pytest.raises(CommandError, match="bad.nessus"):
        run("import-scan", str(bad), "--unit", "A", "--format", "nessus")
    HostFactory(unit=tree["b"], hostname="bhost", ip_addresses="12.233.108.201")
    with pytest.raises(CommandError, match="12.233.108.201"):
        run("import-scan", str(NESSUS), "--unit", "A")
    assert Finding.objects.count() == 0


@pytest.mark.django_db
def test_match_json_and_software_update_closes(tree):
    software = SoftwareFactory(unit=tree["a"], vendor="Apache", product="http_server", version="2.4.49",
                               cpe="cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*")
    SoftwareFactory(unit=tree["b"], vendor="Apache", product="http_server", version="2.4.58",
                    cpe="cpe:2.3:a:apache:http_server:2.4.58:*:*:*:*:*:*:*")
    services.upsert_advisories([httpd_advisory()])
    data = json.loads(run("match", "--json"))
    assert {k: data[k] for k in ("advisories", "software_items", "affected", "uncertain", "new", "closed")} == {
        "advisories": 1, "software_items": 2, "affected": 1, "uncertain": 0, "new": 1, "closed": 0}
    assert "seconds" in data
    finding = Finding.objects.get()
    assert (finding.unit, finding.software, finding.cve_id, finding.severity) == (
        tree["a"], software, "CVE-2021-41773", "high")
    assert json.loads(run("match", "--json"))["new"] == 0  # idempotent
    # The software is updated: the finding closes as fixed, with a timeline note.
    type(software).objects.filter(pk=software.pk).update(version="2.4.51",
                                                         cpe="cpe:2.3:a:apache:http_server:2.4.51:*:*:*:*:*:*:*")
    with translation.override("en"):
        assert json.loads(run("match", "--json"))["closed"] == 1
    finding.refresh_from_db()
    assert finding.status == FindingStatus.FIXED and "no longer matches" in finding.timeline[-1]["note"]


@pytest.mark.django_db
def test_incremental_matching_of_one_advisory_and_one_software(tree):
    software = SoftwareFactory(unit=tree["a"], vendor="Apache", product="http_server", version="2.4.49",
                               cpe="cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*")
    services.upsert_advisories([httpd_advisory(), httpd_advisory("CVE-2021-42013", "2.4.51")])
    run_one = services.match_advisories(["CVE-2021-42013"])
    assert (run_one.advisories, run_one.new) == (1, 1)
    run_sw = services.match_software([software.pk])
    assert (run_sw.new, run_sw.affected) == (1, 2)
    assert sorted(Finding.objects.values_list("cve_id", flat=True)) == ["CVE-2021-41773", "CVE-2021-42013"]
