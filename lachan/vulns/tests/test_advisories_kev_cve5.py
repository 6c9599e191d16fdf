"""CISA KEV (the real catalog in ../shared/data/advisories, and a CSV made from its entries) and CVE JSON 5
records (written here by hand after cvelistV5 records: PAN-OS with custom version ranges and CISA's ADP,
Go's semver ranges from "0", a rejected record)."""

import copy
import csv
import datetime
import io
import json
from pathlib import Path

import pytest
from django.utils import translation

from lachan.vulns.advisories import AdvisoryParseError, detect_format, iter_advisories
from lachan.vulns.records import AffectedProduct, KevEntry, VersionSpec

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared/data/advisories"
KEV = SAMPLES / "known_exploited_vulnerabilities.json"
UTC = datetime.UTC

needs_kev = pytest.mark.skipif(not KEV.is_file(), reason=f"KEV catalog not found at {KEV}")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# --- KEV ---------------------------------------------------------------------------------------------


@needs_kev
def test_kev_catalog():
    assert detect_format(KEV) == "kev"
    advisories = list(iter_advisories(KEV))
    assert len(advisories) == 1404
    assert len({a.cve_id for a in advisories}) == 1404
    assert all(a.source == "kev" and a.kev is not None for a in advisories)
    assert sum(a.kev.known_ransomware for a in advisories) == 293
    by_id = {a.cve_id: a for a in advisories}
    assert "CVE-2022-0778" not in by_id
    fortinet = by_id["CVE-2018-13379"]
    assert fortinet.kev == KevEntry(
        date_added="2021-11-03", due_date="2022-05-03", known_ransomware=True, vendor_project="Fortinet",
        product="FortiOS", vulnerability_name="Fortinet FortiOS SSL VPN Path Traversal Vulnerability",
        required_action="Apply updates per vendor instructions.",
        notes="https://nvd.nist.gov/vuln/detail/CVE-2018-13379")
    assert fortinet.description.startswith("Fortinet FortiOS SSL VPN web portal contains a path traversal")
    assert fortinet.cwes == ["CWE-22"]
    assert fortinet.cvss == [] and fortinet.configurations == [] and fortinet.published is None
    assert by_id["CVE-2024-3400"].cwes == ["CWE-20", "CWE-77"]
    assert by_id["CVE-2014-0160"].kev.known_ransomware is False  # "Unknown"
    assert advisories[0].cve_id == "CVE-2025-48384" and advisories[-1].cve_id == "CVE-2020-29583"


def kev_csv(entries, *, encoding="utf-8"):
    """The CSV form of the catalog, as CISA publishes it, from JSON entries."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    columns = ["cveID", "vendorProject", "product", "vulnerabilityName", "dateAdded", "shortDescription",
               "requiredAction", "dueDate", "knownRansomwareCampaignUse", "notes", "cwes"]
    writer.writerow(columns)
    for entry in entries:
        writer.writerow([", ".join(entry[c]) if c == "cwes" else entry[c] for c in columns])
    return buffer.getvalue().encode(encoding)


@needs_kev
def test_kev_csv_gives_what_the_json_gives(tmp_path):
    catalog = json.loads(KEV.read_text(encoding="utf-8"))
    picked = [e for e in catalog["vulnerabilities"] if e["cveID"] in ("CVE-2018-13379", "CVE-2024-3400",
                                                                      "CVE-2014-0160", "CVE-2025-48384")]
    assert len(picked) == 4
    path = tmp_path / "known_exploited_vulnerabilities.csv"
    path.write_bytes(kev_csv(picked))
    assert detect_format(path) == "kev"
    from_json = [a for a in iter_advisories(KEV) if a.cve_id in {e["cveID"] for e in picked}]
    assert list(iter_advisories(path)) == from_json
    assert list(iter_advisories(path, "kev")) == from_json
    assert [(a.cve_id, a.cwes) for a in iter_advisories(path)] == [  # catalog order
        ("CVE-2025-48384", ["CWE-59", "CWE-436"]), ("CVE-2024-3400", ["CWE-20", "CWE-77"]),
        ("CVE-2014-0160", ["CWE-125"]), ("CVE-2018-13379", ["CWE-22"])]


def test_kev_csv_errors_name_row_and_column():
    entry = {"cveID": "CVE-2018-13379", "vendorProject": "Fortinet", "product": "FortiOS",
             "vulnerabilityName": "x", "dateAdded": "2021-11-03", "shortDescription": "y", "requiredAction": "z",
             "dueDate": "2022-05-03", "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": ["CWE-22"]}
    bad_date = dict(entry, dueDate="03/05/2022")
    with pytest.raises(AdvisoryParseError) as error:
        list(iter_advisories(io.BytesIO(kev_csv([entry, bad_date])), "kev"))
    assert str(error.value) == "row 3 (CVE-2018-13379), field 'dueDate': '03/05/2022' is not a date (yyyy-mm-dd)"
    formula = dict(entry, notes='=HYPERLINK("http://evil.example/","x")')
    with pytest.raises(AdvisoryParseError) as error:
        list(iter_advisories(io.BytesIO(kev_csv([formula])), "kev"))
    assert str(error.value).startswith("row 2, field 'notes': a formula is not accepted: '=HYPERLINK(")
    no_id = dict(entry, cveID="")
    with pytest.raises(AdvisoryParseError, match=r"^row 2, field 'cveID': the record has no CVE id$"):
        list(iter_advisories(io.BytesIO(kev_csv([no_id]))))


def test_kev_json_entry_without_id():
    catalog = {"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2025.08.25",
               "count": 2, "vulnerabilities": [{"cveID": "CVE-2018-13379", "dateAdded": "2021-11-03"},
                                               {"vendorProject": "Fortinet"}]}
    with pytest.raises(AdvisoryParseError, match=r"^record 2, field 'cveID': the record has no CVE id$"):
        list(iter_advisories(io.BytesIO(json.dumps(catalog).encode())))


def test_wrong_format_asked():
    with pytest.raises(AdvisoryParseError, match="This is not a NVD file: it looks like CISA KEV"):
        list(iter_advisories(io.BytesIO(b'{"catalogVersion": "1", "vulnerabilities": []}'), "nvd"))
    with pytest.raises(AdvisoryParseError, match="This is not a CISA KEV file"):
        list(iter_advisories(io.BytesIO(b"STT,CVE\n1,CVE-2024-3400\n"), "kev"))


# --- CVE JSON 5 ------------------------------------------------------------------------------------

PAN_OS = {
    "dataType": "CVE_RECORD",
    "dataVersion": "5.1",
    "cveMetadata": {
        "cveId": "CVE-2024-3400", "assignerOrgId": "d6c1279f-00f6-4ef7-9217-f89ffe703ec0",
        "assignerShortName": "palo_alto", "state": "PUBLISHED", "dateReserved": "2024-04-05T18:38:55.567Z",
        "datePublished": "2024-04-12T07:05:48.574Z", "dateUpdated": "2024-08-01T20:12:33.915Z",
    },
    "containers": {
        "cna": {
            "providerMetadata": {"orgId": "d6c1279f-00f6-4ef7-9217-f89ffe703ec0", "shortName": "palo_alto",
                                 "dateUpdated": "2024-05-02T12:08:51.911Z"},
            "title": "PAN-OS: Arbitrary File Creation Leads to OS Command Injection Vulnerability in GlobalProtect",
            "affected": [
                {"vendor": "Palo Alto Networks", "product": "PAN-OS", "defaultStatus": "unaffected",
                 "cpes": ["cpe:2.3:o:paloaltonetworks:pan-os:11.1.2:h1:*:*:*:*:*:*",
                          "cpe:2.3:o:paloaltonetworks:pan-os:11.0.3:*:*:*:*:*:*:*"],
                 "versions": [
                     {"version": "11.1.0", "lessThan": "11.1.0-h3", "status": "affected", "versionType": "custom",
                      "changes": [{"at": "11.1.0-h3", "status": "unaffected"}]},
                     {"version": "11.0.0", "lessThan": "11.0.4-h1", "status": "affected", "versionType": "custom"},
                     {"version": "10.2.0", "lessThan": "10.2.9-h1", "status": "affected", "versionType": "custom"},
                     {"version": "10.1.0", "status": "unaffected", "versionType": "custom"},
                 ]},
                {"vendor": "Palo Alto Networks", "product": "Cloud NGFW", "defaultStatus": "unaffected",
                 "versions": [{"version": "All", "status": "unaffected"}]},
                {"vendor": "Palo Alto Networks", "product": "Prisma Access", "defaultStatus": "unaffected",
                 "versions": [{"version": "All", "status": "unaffected"}]},
            ],
            "descriptions": [
                {"lang": "en", "value": "A command injection as a result of arbitrary file creation vulnerability "
                                        "in the GlobalProtect feature of Palo Alto Networks PAN-OS software for "
                                        "specific PAN-OS versions and distinct feature configurations may enable "
                                        "an unauthenticated attacker to execute arbitrary code with root "
                                        "privileges on the firewall."},
            ],
            "metrics": [
                {"format": "CVSS", "scenarios": [{"lang": "en", "value": "GENERAL"}],
                 "cvssV4_0": {"version": "4.0", "baseScore": 10, "baseSeverity": "CRITICAL",
                              "vectorString": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/"
                                              "E:A/AU:Y/R:U/V:C/RE:H/U:Red"}},
            ],
            "problemTypes": [{"descriptions": [{"cweId": "CWE-77", "lang": "en", "type": "CWE",
                                                "description": "CWE-77 Improper Neutralization of Special "
                                                               "Elements used in a Command ('Command Injection')"}]}],
            "references": [{"url": "https://security.paloaltonetworks.com/CVE-2024-3400", "tags": ["vendor-advisory"]},
                           {"url": "https://unit42.paloaltonetworks.com/cve-2024-3400/", "tags": ["technical-description"]}],
            "source": {"defect": ["PAN-248270"], "discovery": "EXTERNAL"},
        },
        "adp": [
            {"providerMetadata": {"orgId": "134c704f-9b21-4f2e-91b3-4a467353bcc0", "shortName": "CISA-ADP",
                                  "dateUpdated": "2024-06-04T17:36:00.000Z"},
             "title": "CISA ADP Vulnrichment",
             "metrics": [
                 {"other": {"type": "ssvc", "content": {"id": "CVE-2024-3400", "role": "CISA Coordinator",
                                                        "options": [{"Exploitation": "active"},
                                                                    {"Automatable": "yes"},
                                                                    {"Technical Impact": "total"}],
                                                        "version": "2.0.3"}}},
                 {"other": {"type": "kev", "content": {"dateAdded": "2024-04-12",
                                                       "reference": "https://www.cisa.gov/known-exploited-vulnerabilities-catalog"}}},
             ]},
            {"providerMetadata": {"orgId": "af854a3a-2127-422b-91ae-364da2661108", "shortName": "CVE"},
             "title": "CVE Program Container",
             "references": [{"url": "https://security.paloaltonetworks.com/CVE-2024-3400"},
                            {"url": "https://www.volexity.com/blog/2024/04/12/zero-day-exploitation-of-unauthenticated-remote-code-execution-vulnerability-in-globalprotect-cve-2024-3400/"}]},
        ],
    },
}

GO_HTTP2 = {
    "dataType": "CVE_RECORD", "dataVersion": "5.1",
    "cveMetadata": {"cveId": "CVE-2023-45288", "assignerShortName": "Go", "state": "PUBLISHED",
                    "datePublished": "2024-04-04T20:37:30.905Z", "dateUpdated": "2024-11-04T16:54:21.167Z"},
    "containers": {
        "cna": {
            "providerMetadata": {"orgId": "1bb62c36-49e3-4200-9d77-64a1400537cc", "shortName": "Go"},
            "title": "HTTP/2 CONTINUATION flood in net/http",
            "descriptions": [{"lang": "en", "value": "An attacker may cause an HTTP/2 endpoint to read arbitrary "
                                                     "amounts of header data by sending an excessive number of "
                                                     "CONTINUATION frames."}],
            "affected": [
                {"vendor": "Go standard library", "product": "net/http", "packageName": "net/http",
                 "collectionURL": "https://pkg.go.dev", "defaultStatus": "unaffected",
                 "versions": [{"version": "0", "lessThan": "1.21.9", "status": "affected", "versionType": "semver"},
                              {"version": "1.22.0-0", "lessThan": "1.22.2", "status": "affected",
                               "versionType": "semver"}]},
                {"vendor": "golang.org/x/net", "packageName": "golang.org/x/net/http2",
                 "collectionURL": "https://pkg.go.dev",
                 "versions": [{"version": "0", "lessThan": "0.23.0", "status": "affected", "versionType": "semver"}]},
            ],
            "problemTypes": [{"descriptions": [{"lang": "en", "description": "CWE-400: Uncontrolled Resource Consumption"}]}],
            "references": [{"url": "https://go.dev/issue/65051"}, {"url": "https://pkg.go.dev/vuln/GO-2024-2687"}],
        },
        "adp": [
            {"providerMetadata": {"orgId": "134c704f-9b21-4f2e-91b3-4a467353bcc0", "shortName": "CISA-ADP"},
             "title": "CISA ADP Vulnrichment",
             "metrics": [{"cvssV3_1": {"version": "3.1", "baseScore": 7.5, "baseSeverity": "HIGH",
                                       "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                                       "attackVector": "NETWORK"}},
                         {"other": {"type": "ssvc", "content": {"options": [{"Exploitation": "none"}]}}}],
             "problemTypes": [{"descriptions": [{"cweId": "CWE-770", "lang": "en", "type": "CWE",
                                                 "description": "CWE-770 Allocation of Resources Without Limits"}]}]},
        ],
    },
}

REJECTED = {
    "dataType": "CVE_RECORD", "dataVersion": "5.1",
    "cveMetadata": {"cveId": "CVE-2024-0001", "state": "REJECTED", "dateRejected": "2024-01-02T00:00:00.000Z",
                    "dateUpdated": "2024-01-02T00:00:00.000Z"},
    "containers": {"cna": {"providerMetadata": {"orgId": "x", "shortName": "mitre"},
                           "rejectedReasons": [{"lang": "en", "value": "This candidate was withdrawn by its CNA."}]}},
}


def test_cve5_pan_os():
    advisories = list(iter_advisories(io.BytesIO(json.dumps(PAN_OS).encode())))
    assert len(advisories) == 1
    advisory = advisories[0]
    assert (advisory.cve_id, advisory.source, advisory.status) == ("CVE-2024-3400", "cve5", "PUBLISHED")
    assert advisory.published == datetime.datetime(2024, 4, 12, 7, 5, 48, 574000, tzinfo=UTC)
    assert advisory.last_modified == datetime.datetime(2024, 8, 1, 20, 12, 33, 915000, tzinfo=UTC)
    assert advisory.description.startswith("A command injection as a result of arbitrary file creation")
    assert [(m.version, m.base_score, m.severity, m.source, m.primary) for m in advisory.cvss] == [
        ("4.0", 10.0, "critical", "palo_alto", True)]
    assert advisory.primary_cvss().vector.endswith("/RE:H/U:Red")
    assert advisory.cwes == ["CWE-77"]
    assert advisory.references == [
        "https://security.paloaltonetworks.com/CVE-2024-3400", "https://unit42.paloaltonetworks.com/cve-2024-3400/",
        "https://www.volexity.com/blog/2024/04/12/zero-day-exploitation-of-unauthenticated-remote-code-execution-vulnerability-in-globalprotect-cve-2024-3400/"]
    assert advisory.kev == KevEntry(date_added="2024-04-12")  # from the ADP's "kev" metric
    assert advisory.configurations == []
    pan_os = advisory.affected[0]
    assert pan_os == AffectedProduct(
        vendor="Palo Alto Networks", product="PAN-OS", default_status="unaffected",
        cpes=["cpe:2.3:o:paloaltonetworks:pan-os:11.1.2:h1:*:*:*:*:*:*",
              "cpe:2.3:o:paloaltonetworks:pan-os:11.0.3:*:*:*:*:*:*:*"],
        versions=[VersionSpec("11.1.0", "affected", less_than="11.1.0-h3", version_type="custom"),
                  VersionSpec("11.0.0", "affected", less_than="11.0.4-h1", version_type="custom"),
                  VersionSpec("10.2.0", "affected", less_than="10.2.9-h1", version_type="custom"),
                  VersionSpec("10.1.0", "unaffected", version_type="custom")])
    assert [(a.product, a.versions) for a in advisory.affected[1:]] == [
        ("Cloud NGFW", [VersionSpec("All", "unaffected")]), ("Prisma Access", [VersionSpec("All", "unaffected")])]
    assert AffectedProduct.from_dict(advisory.applicability()["affected"][0]) == pan_os


def test_cve5_semver_from_zero_and_adp_score():
    advisory = next(iter_advisories(io.BytesIO(json.dumps(GO_HTTP2).encode()), "cve5"))
    assert advisory.cve_id == "CVE-2023-45288"
    net_http, x_net = advisory.affected
    assert net_http.versions == [VersionSpec("0", "affected", less_than="1.21.9", version_type="semver"),
                                 VersionSpec("1.22.0-0", "affected", less_than="1.22.2", version_type="semver")]
    assert (x_net.vendor, x_net.product, x_net.default_status) == ("golang.org/x/net", "golang.org/x/net/http2",
                                                                   "unknown")  # no defaultStatus: the schema's default
    assert [(m.version, m.base_score, m.source, m.primary) for m in advisory.cvss] == [("3.1", 7.5, "CISA-ADP", False)]
    assert advisory.severity() == "high"
    assert advisory.cwes == ["CWE-400", "CWE-770"]  # the CNA's (from its text) then the ADP's
    assert advisory.kev is None


def test_cve5_array_bundle_and_rejected(tmp_path):
    path = tmp_path / "records.json"
    path.write_text(json.dumps([PAN_OS, GO_HTTP2, REJECTED], indent=2), encoding="utf-8")
    assert detect_format(path) == "cve5"
    advisories = list(iter_advisories(path))
    assert [(a.cve_id, a.status) for a in advisories] == [
        ("CVE-2024-3400", "PUBLISHED"), ("CVE-2023-45288", "PUBLISHED"), ("CVE-2024-0001", "REJECTED")]
    assert advisories[2].description == "This candidate was withdrawn by its CNA."
    assert advisories[2].affected == [] and advisories[2].published is None
    wrapped = tmp_path / "bundle.json"
    wrapped.write_text(json.dumps({"cveRecords": [GO_HTTP2, REJECTED]}), encoding="utf-8")
    assert detect_format(wrapped) == "cve5"
    assert [a.cve_id for a in iter_advisories(wrapped)] == ["CVE-2023-45288", "CVE-2024-0001"]


def test_cve5_errors_name_the_field():
    record = copy.deepcopy(PAN_OS)
    del record["containers"]["cna"]["affected"][0]["versions"][2]["version"]
    with pytest.raises(AdvisoryParseError) as error:
        list(iter_advisories(io.BytesIO(json.dumps(record).encode())))
    assert str(error.value) == ("record 1 (CVE-2024-3400), field 'containers.cna.affected[0].versions[2].version': "
                                "the version entry has no version")
    record = copy.deepcopy(PAN_OS)
    record["cveMetadata"]["cveId"] = "CVE-24-3400"
    with pytest.raises(AdvisoryParseError, match=r"field 'cveMetadata.cveId': 'CVE-24-3400' is not a CVE id"):
        list(iter_advisories(io.BytesIO(json.dumps(record).encode())))
    legacy = {"data_type": "CVE", "data_format": "MITRE", "CVE_data_meta": {"ID": "CVE-2019-0001"}}
    with pytest.raises(AdvisoryParseError, match="CVE JSON 4 record"):
        list(iter_advisories(io.BytesIO(json.dumps(legacy).encode())))
