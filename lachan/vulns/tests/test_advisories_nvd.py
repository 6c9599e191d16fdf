"""NVD CVE API 2.0 records: the eight real samples in ../shared/data/advisories/nvd (see its SOURCES.md),
with the values checked by hand against the files; the same records as a year feed, bare and in arrays."""

import copy
import datetime
import gzip
import io
import json
from pathlib import Path

import pytest
from django.utils import translation

from lachan.vulns.advisories import AdvisoryParseError, detect_format, iter_advisories
from lachan.vulns.records import Advisory, CpeMatch

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared/data/advisories"
NVD = SAMPLES / "nvd"
UTC = datetime.UTC

pytestmark = pytest.mark.skipif(not NVD.is_dir(), reason=f"advisory samples not found in {NVD}")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def one(path, fmt=None):
    advisories = list(iter_advisories(path, fmt))
    assert len(advisories) == 1
    assert isinstance(advisories[0], Advisory)
    return advisories[0]


def raw(cve):
    return json.loads((NVD / f"{cve}.json").read_text(encoding="utf-8"))


def feed(records):
    """An NVD 2.0 API page / year feed around raw CVE items."""
    return {"resultsPerPage": len(records), "startIndex": 0, "totalResults": len(records), "format": "NVD_CVE",
            "version": "2.0", "timestamp": "2026-11-05T00:00:00.000",
            "vulnerabilities": [{"cve": record} for record in records]}


# counts per sample: configurations, nodes, cpeMatch entries, vulnerable ones, unique reference URLs
SHAPES = {
    "CVE-2014-0160": (18, 25, 54, 47, 128),
    "CVE-2018-13379": (1, 1, 5, 5, 3),
    "CVE-2019-19781": (3, 6, 13, 10, 10),
    "CVE-2021-41773": (4, 4, 7, 7, 29),
    "CVE-2022-0778": (9, 11, 32, 30, 29),
    "CVE-2022-30190": (1, 1, 17, 17, 3),
    "CVE-2023-27997": (2, 3, 25, 23, 2),
    "CVE-2024-3400": (0, 0, 0, 0, 1),
}


@pytest.mark.parametrize("cve", sorted(SHAPES))
def test_every_sample_parses_with_its_shape(cve):
    advisory = one(NVD / f"{cve}.json")
    assert advisory.cve_id == cve
    assert advisory.source == "nvd"
    configurations, nodes, matches, vulnerable, references = SHAPES[cve]
    assert len(advisory.configurations) == configurations
    assert sum(len(c.nodes) for c in advisory.configurations) == nodes
    all_matches = [m for c in advisory.configurations for n in c.nodes for m in n.matches]
    assert len(all_matches) == matches
    assert sum(m.vulnerable for m in all_matches) == vulnerable
    assert len(advisory.references) == references
    assert advisory.published.tzinfo is UTC and advisory.last_modified.tzinfo is UTC
    assert detect_format(NVD / f"{cve}.json") == "nvd"


def test_heartbleed():
    advisory = one(NVD / "CVE-2014-0160.json")
    assert advisory.status == "Deferred"
    assert advisory.published == datetime.datetime(2014, 4, 7, 22, 55, 3, 893000, tzinfo=UTC)
    assert advisory.last_modified == datetime.datetime(2025, 10, 21, 20, 16, 9, 947000, tzinfo=UTC)
    assert advisory.description.startswith("The (1) TLS and (2) DTLS implementations in OpenSSL 1.0.1 be")
    assert advisory.cwes == ["CWE-125"]  # given twice (NVD and a CNA): kept once
    # OpenSSL's letter versions sit in the range bounds of the first configuration
    first = advisory.configurations[0]
    assert (first.operator, first.negate, len(first.nodes)) == ("OR", False, 1)
    assert first.nodes[0].matches == [CpeMatch(criteria="cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", vulnerable=True,
                                               version_start_including="1.0.1", version_end_excluding="1.0.1g")]
    # "running on" configurations: firmware (vulnerable) AND the hardware (not vulnerable)
    siemens = advisory.configurations[2]
    assert siemens.operator == "AND"
    assert [(n.operator, [(m.criteria, m.vulnerable) for m in n.matches]) for n in siemens.nodes] == [
        ("OR", [("cpe:2.3:o:siemens:application_processing_engine_firmware:2.0:*:*:*:*:*:*:*", True)]),
        ("OR", [("cpe:2.3:h:siemens:application_processing_engine:-:*:*:*:*:*:*:*", False)]),
    ]
    intellian = advisory.configurations[7]
    assert [m.criteria.split(":")[5] for m in intellian.nodes[0].matches] == ["1.20", "1.21", "1.24"]
    assert [(m.version, m.base_score, m.source, m.primary, m.severity) for m in advisory.cvss] == [
        ("3.1", 7.5, "nvd@nist.gov", True, "high"),
        ("3.1", 7.5, "134c704f-9b21-4f2e-91b3-4a467353bcc0", False, "high"),
        ("2.0", 5.0, "nvd@nist.gov", True, "medium"),  # V2: the severity is on the metric, not in cvssData
    ]
    assert advisory.cvss[2].vector == "AV:N/AC:L/Au:N/C:P/I:N/A:N"
    assert advisory.primary_cvss().source == "nvd@nist.gov"
    assert advisory.references[0] == "http://advisories.mageia.org/MGASA-2014-0165.html"
    assert advisory.references[-1] == "https://yunus-shn.medium.com/ricon-industrial-cellular-router-heartbleed-attack-2634221c02bd"
    assert advisory.kev.date_added == "2022-05-04" and advisory.kev.due_date == "2022-05-25"
    assert advisory.kev.vulnerability_name == "OpenSSL Information Disclosure Vulnerability"


def test_fortinet_ssl_vpn_primary_over_secondary():
    advisory = one(NVD / "CVE-2018-13379.json")
    assert advisory.status == "Analyzed"
    assert [(m.source, m.primary, m.base_score) for m in advisory.cvss if m.version == "3.1"] == [
        ("psirt@fortinet.com", False, 9.1), ("nvd@nist.gov", True, 9.8)]
    primary = advisory.primary_cvss()
    assert (primary.base_score, primary.vector, primary.severity) == (
        9.8, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "critical")
    assert advisory.severity() == "critical"
    matches = advisory.configurations[0].nodes[0].matches
    assert matches[0] == CpeMatch("cpe:2.3:a:fortinet:fortiproxy:*:*:*:*:*:*:*:*", True, version_end_excluding="1.2.9")
    assert matches[4] == CpeMatch("cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*", True,
                                  version_start_including="6.0.0", version_end_excluding="6.0.5")
    assert advisory.cwes == ["CWE-22"]


def test_citrix_and_fortigate_and_configurations():
    citrix = one(NVD / "CVE-2019-19781.json")
    assert [c.operator for c in citrix.configurations] == ["AND", "AND", "AND"]
    first = citrix.configurations[0]
    assert [len(n.matches) for n in first.nodes] == [5, 1]
    assert [m.criteria.split(":")[5] for m in first.nodes[0].matches] == ["10.5", "11.1", "12.0", "12.1", "13.0"]
    assert first.nodes[1].matches == [
        CpeMatch("cpe:2.3:h:citrix:application_delivery_controller:-:*:*:*:*:*:*:*", vulnerable=False)]
    fortios = one(NVD / "CVE-2023-27997.json")
    assert [c.operator for c in fortios.configurations] == ["OR", "AND"]
    assert [len(n.matches) for n in fortios.configurations[1].nodes] == [13, 2]
    assert fortios.configurations[1].nodes[0].matches[0] == CpeMatch(
        "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*", True, version_start_including="6.0.12",
        version_end_including="6.0.16")
    assert fortios.cwes == ["CWE-122", "CWE-787"]
    assert fortios.description.startswith("A heap-based buffer overflow vulnerability [CWE-122] in Fort")


def test_follina_windows_list_and_v2_primary():
    advisory = one(NVD / "CVE-2022-30190.json")
    # this version of the record has one OR configuration of 17 vulnerable Windows CPEs (no Office, no AND)
    assert [(c.operator, len(c.nodes)) for c in advisory.configurations] == [("OR", 1)]
    matches = advisory.configurations[0].nodes[0].matches
    assert matches[0] == CpeMatch("cpe:2.3:o:microsoft:windows_10_1507:*:*:*:*:*:*:*:*", True,
                                  version_end_excluding="10.0.10240.19325")
    assert matches[7] == CpeMatch("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*", True)
    assert advisory.cwes == []  # NVD-CWE-noinfo is a placeholder, not a CWE
    assert advisory.description.startswith("A remote code execution vulnerability exists when MSDT")  # "en", not "es"
    # both v3.1 scores are Secondary: v3.1 still wins over the Primary v2 (version first, then Primary)
    assert [(m.version, m.primary) for m in advisory.cvss] == [("3.1", False), ("3.1", False), ("2.0", True)]
    assert advisory.primary_cvss().source == "secure@microsoft.com"
    assert advisory.primary_cvss(("2.0",)).base_score == 9.3
    assert advisory.cvss[2].severity == "high"


def test_pan_os_awaiting_analysis():
    advisory = one(NVD / "CVE-2024-3400.json")
    assert advisory.status == "Awaiting Analysis"
    assert advisory.configurations == []
    assert advisory.applicability() == {"configurations": [], "affected": []}
    assert advisory.last_modified == datetime.datetime(2024, 4, 13, 1, 0, 1, 407000, tzinfo=UTC)
    assert [(m.version, m.base_score, m.primary, m.severity) for m in advisory.cvss] == [("3.1", 10.0, False, "critical")]
    assert advisory.primary_cvss().vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
    assert advisory.cwes == ["CWE-77"]
    assert advisory.kev.due_date == "2024-04-19"


def test_openssl_not_in_kev():
    advisory = one(NVD / "CVE-2022-0778.json")
    assert advisory.kev is None
    assert advisory.cwes == ["CWE-835"]


def test_cvss_v4_preferred_when_present():
    record = raw("CVE-2024-3400")
    record["metrics"]["cvssMetricV40"] = [{
        "source": "psirt@paloaltonetworks.com", "type": "Secondary",
        "cvssData": {"version": "4.0", "baseScore": 10.0, "baseSeverity": "CRITICAL",
                     "vectorString": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"}}]
    advisory = one(io.BytesIO(json.dumps(record).encode()))
    assert [m.version for m in advisory.cvss] == ["4.0", "3.1"]
    assert advisory.primary_cvss().version == "4.0"
    assert advisory.primary_cvss().vector.startswith("CVSS:4.0/AV:N/AC:L/AT:N")
    assert advisory.primary_cvss(("3.1", "2.0")).version == "3.1"


def test_rejected_records_are_yielded():
    record = raw("CVE-2024-3400")
    record["vulnStatus"] = "Rejected"
    record["descriptions"] = [{"lang": "en", "value": "Rejected reason: this CVE ID is unused."}]
    advisory = one(io.BytesIO(json.dumps(record).encode()))
    assert advisory.status == "Rejected"
    assert advisory.description == "Rejected reason: this CVE ID is unused."


def test_year_feed_bare_and_arrays_give_the_same_records(tmp_path):
    records = [raw("CVE-2018-13379"), raw("CVE-2024-3400"), raw("CVE-2022-30190")]
    expected = [one(NVD / f"{r['id']}.json") for r in records]
    shapes = {
        "feed.json": feed(records),
        "array.json": records,
        "wrapped-array.json": [{"cve": r} for r in records],
    }
    for name, document in shapes.items():
        path = tmp_path / name
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
        assert detect_format(path) == "nvd", name
        assert list(iter_advisories(path)) == expected, name
        assert list(iter_advisories(path, "nvd")) == expected, name
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps({"cve": records[0]}), encoding="utf-8")
    assert list(iter_advisories(bare)) == expected[:1]


def test_gzip_year_feed_is_streamed(tmp_path):
    path = tmp_path / "nvdcve-2.0-2024.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        json.dump(feed([raw("CVE-2023-27997"), raw("CVE-2021-41773")]), out)
    assert detect_format(path) == "nvd"
    advisories = list(iter_advisories(path))
    assert [a.cve_id for a in advisories] == ["CVE-2023-27997", "CVE-2021-41773"]
    assert advisories[1] == one(NVD / "CVE-2021-41773.json")
    with path.open("rb") as file:  # a file object works too, and is not closed
        assert len(list(iter_advisories(file, "nvd"))) == 2
        assert not file.closed


def test_empty_feed_yields_nothing():
    assert list(iter_advisories(io.BytesIO(json.dumps(feed([])).encode()))) == []


def test_round_trip_through_to_dict():
    advisory = one(NVD / "CVE-2019-19781.json")
    applicability = advisory.applicability()
    assert applicability["configurations"][0]["nodes"][1]["matches"][0]["vulnerable"] is False
    from lachan.vulns.records import Configuration
    assert [Configuration.from_dict(c) for c in applicability["configurations"]] == advisory.configurations


def test_bad_record_names_record_and_field():
    records = [raw("CVE-2018-13379"), copy.deepcopy(raw("CVE-2024-3400"))]
    del records[1]["id"]
    stream = io.BytesIO(json.dumps(feed(records)).encode())
    advisories = iter_advisories(stream)
    assert next(advisories).cve_id == "CVE-2018-13379"
    with pytest.raises(AdvisoryParseError) as error:
        next(advisories)
    assert str(error.value) == "record 2, field 'id': the record has no CVE id"

    record = raw("CVE-2024-3400")
    record["metrics"]["cvssMetricV31"][0]["cvssData"]["baseScore"] = "high"
    with pytest.raises(AdvisoryParseError) as error:
        one(io.BytesIO(json.dumps(record).encode()))
    assert str(error.value) == ("record 1 (CVE-2024-3400), field 'metrics.cvssMetricV31[0].cvssData.baseScore': "
                                "'high' is not a CVSS score")

    record = raw("CVE-2024-3400")
    record["published"] = "12/04/2024"
    with pytest.raises(AdvisoryParseError, match=r"field 'published': '12/04/2024' is not a date and time"):
        one(io.BytesIO(json.dumps(record).encode()))
