"""The advisory ↔ software matcher (lachan.vulns.matching) on real NVD records from ../shared/data/advisories/nvd
(see its SOURCES.md), Log4Shell's real configuration as a fixture, and CVE 5 / national "affected" entries."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lachan.vulns.matching import Matcher, SoftwareItem, normalise_name, suggest_aliases
from lachan.vulns.records import Advisory, AffectedProduct, Configuration, CpeMatch, Node, VersionSpec

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared/data/advisories/nvd"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"NVD samples not found in {SAMPLES}")

ALIASES = {
    ("apache", "apache http server"): ("apache", "http_server"),
    ("Apache Software Foundation", "Apache HTTP Server"): ("apache", "http_server"),
    ("Citrix", "NetScaler ADC firmware"): ("citrix", "application_delivery_controller_firmware"),
}


def nvd(cve_id: str) -> dict:
    """An NVD API 2.0 record → the shared records → Advisory.applicability(), as the services store it."""
    record = json.loads((SAMPLES / f"{cve_id}.json").read_text(encoding="utf-8"))
    configurations = [
        Configuration(
            operator=c.get("operator", "OR"),
            negate=c.get("negate", False),
            nodes=[
                Node(
                    operator=n.get("operator", "OR"),
                    negate=n.get("negate", False),
                    matches=[
                        CpeMatch(
                            criteria=m["criteria"],
                            vulnerable=m["vulnerable"],
                            version_start_including=m.get("versionStartIncluding", ""),
                            version_start_excluding=m.get("versionStartExcluding", ""),
                            version_end_including=m.get("versionEndIncluding", ""),
                            version_end_excluding=m.get("versionEndExcluding", ""),
                        )
                        for m in n["cpeMatch"]
                    ],
                )
                for n in c["nodes"]
            ],
        )
        for c in record.get("configurations", [])
    ]
    return Advisory(record["id"], "nvd", configurations=configurations).applicability()


def run(cve_id, applicability, *items, aliases=ALIASES):
    """{software id: (status, reason, criteria)} for the items given."""
    matches = Matcher(items, aliases).match(cve_id, applicability)
    assert len({m.software_id for m in matches}) == len(matches)  # one match per item
    assert all(m.cve_id == cve_id for m in matches)
    return {m.software_id: (m.status, m.reason, m.criteria) for m in matches}


def sw(id, vendor, product, version, **kw):
    return SoftwareItem(id, vendor, product, version, **kw)


# --- real NVD records --------------------------------------------------------------------------------


@needs_samples
def test_heartbleed():
    found = run(
        "CVE-2014-0160",
        nvd("CVE-2014-0160"),
        sw(1, "OpenSSL", "OpenSSL", "1.0.1f"),
        sw(2, "openssl", "openssl", "1.0.1g"),
        sw(3, "openssl", "openssl", "1.0.2"),
        sw(4, "openssl", "openssl", "1.0.0t"),
        sw(5, "OpenSSL Project", "OpenSSL", "1.0.1", cpe="cpe:2.3:a:openssl:openssl:1.0.1:*:*:*:*:*:*:*"),
        sw(6, "openssl", "openssl", "1.0.1e-2ubuntu1"),  # Ubuntu package: the fix may be backported
        sw(7, "openssl", "openssl", "1.x"),
        sw(8, "openssl", "openssl", ""),
        sw(9, "OpenSSH", "OpenSSH", "1.0.1f"),  # another product: never a candidate
    )
    assert found == {
        1: ("affected", "1.0.1f in [1.0.1, 1.0.1g)", "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*"),
        5: ("affected", "1.0.1 in [1.0.1, 1.0.1g)", "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*"),
        6: (
            "uncertain",
            "upstream 1.0.1e of package 1.0.1e-2ubuntu1 in [1.0.1, 1.0.1g); the fix may be backported",
            "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*",
        ),
        7: (
            "uncertain",
            "version '1.x' cannot be compared with [1.0.1, 1.0.1g): version '1.x' contains a wildcard",
            "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*",
        ),
        8: ("uncertain", "no version known; affected range [1.0.1, 1.0.1g)", "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*"),
    }


@needs_samples
def test_heartbleed_siemens_firmware_needs_its_hardware_on_the_same_host():
    firmware = "cpe:2.3:o:siemens:simatic_s7-1500_firmware:1.5:*:*:*:*:*:*:*"
    hardware = "cpe:2.3:h:siemens:simatic_s7-1500:-:*:*:*:*:*:*:*"
    found = run(
        "CVE-2014-0160",
        nvd("CVE-2014-0160"),
        sw(1, "Siemens", "SIMATIC S7-1500 firmware", "1.5", host_id=10),
        sw(2, "Siemens", "SIMATIC S7-1500", "", cpe=hardware, host_id=10),
        sw(3, "Siemens", "SIMATIC S7-1500 firmware", "1.5", host_id=11),  # no S7-1500 hardware on host 11
        sw(4, "Siemens", "SIMATIC S7-1500", "", cpe=hardware, host_id=12),  # hardware alone
        sw(5, "Siemens", "SIMATIC S7-1500 firmware", "1.6", host_id=12),  # other firmware version
    )
    assert found == {1: ("affected", f"1.5 = 1.5; with {hardware} on the same host", firmware)}


@needs_samples
def test_cve_2022_0778_openssl_ranges_across_branches():
    versions = {
        "1.0.1u": False, "1.0.2": True, "1.0.2zc": True, "1.0.2zd": False, "1.1.0l": True, "1.1.1m": True,
        "1.1.1n": False, "3.0.0": True, "3.0.1": True, "3.0.2": False, "3.1.0": False,
    }  # fmt: skip
    items = [sw(i, "openssl", "openssl", v) for i, v in enumerate(versions)]
    found = run("CVE-2022-0778", nvd("CVE-2022-0778"), *items)
    assert {items[i].version for i in found} == {v for v, hit in versions.items() if hit}
    assert {s for s, _, _ in found.values()} == {"affected"}
    assert found[2][1] == "1.0.2zc in [1.0.2, 1.0.2zd)"
    assert found[7][1] == "3.0.0 in [3.0.0, 3.0.2)"


@needs_samples
def test_cve_2022_0778_node_editions_and_debian_release():
    found = run(
        "CVE-2022-0778",
        nvd("CVE-2022-0778"),
        sw(1, "nodejs", "node.js", "", cpe="cpe:2.3:a:nodejs:node.js:14.16.0:*:*:*:lts:*:*:*"),
        sw(2, "nodejs", "node.js", "", cpe="cpe:2.3:a:nodejs:node.js:14.10.0:*:*:*:-:*:*:*"),
        sw(3, "nodejs", "node.js", "", cpe="cpe:2.3:a:nodejs:node.js:14.16.0:*:*:*:-:*:*:*"),  # "-" edition ends 14.14.0
        sw(4, "Node.js", "Node.js", "14.20.0"),
        sw(5, "Debian", "Debian Linux", "10"),
        sw(6, "debian", "debian_linux", "", cpe="cpe:2.3:o:debian:debian_linux:12.0:*:*:*:*:*:*:*"),
    )
    assert found == {
        1: ("affected", "14.16.0 in [14.15.0, 14.19.1)", "cpe:2.3:a:nodejs:node.js:*:*:*:*:lts:*:*:*"),
        2: ("affected", "14.10.0 in (14.0.0, 14.14.0]", "cpe:2.3:a:nodejs:node.js:*:*:*:*:-:*:*:*"),
        5: ("affected", "10 = 10.0", "cpe:2.3:o:debian:debian_linux:10.0:*:*:*:*:*:*:*"),
    }


@needs_samples
def test_cve_2021_41773_apache_exact_version():
    criteria = "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*"
    found = run(
        "CVE-2021-41773",
        nvd("CVE-2021-41773"),
        sw(1, "Apache", "Apache HTTP Server", "2.4.49"),  # through the alias table
        sw(2, "Apache", "Apache HTTP Server", "2.4.50"),
        sw(3, "Apache", "Apache HTTP Server", "2.4.48"),
        sw(4, "apache", "http_server", "2.4.49", cpe="cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*"),
        sw(5, "Apache", "Apache HTTP Server", "2.4.49-1ubuntu1"),
        sw(6, "Apache", "Apache HTTP Server", ""),
        sw(7, "NetApp", "Cloud Backup", "1.2"),  # criterion "-": the advisory names no version
    )
    assert found == {
        1: ("affected", "2.4.49 = 2.4.49", criteria),
        4: ("affected", "2.4.49 = 2.4.49", criteria),
        5: ("uncertain", "upstream 2.4.49 of package 2.4.49-1ubuntu1 = 2.4.49; the fix may be backported", criteria),
        6: ("uncertain", "no version known; affected version 2.4.49", criteria),
        7: ("uncertain", "criterion names no version ('-'); item has 1.2", "cpe:2.3:a:netapp:cloud_backup:-:*:*:*:*:*:*:*"),
    }
    # without the alias the free-text name is not the CPE name
    assert run("CVE-2021-41773", nvd("CVE-2021-41773"), sw(1, "Apache", "Apache HTTP Server", "2.4.49"), aliases={}) == {}


@needs_samples
def test_fortios_cve_2018_13379():
    fortios = "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*"
    found = run(
        "CVE-2018-13379",
        nvd("CVE-2018-13379"),
        sw(1, "Fortinet", "FortiOS", "5.6.7"),
        sw(2, "Fortinet", "FortiOS", "5.6.8"),
        sw(3, "Fortinet", "FortiOS", "6.0.4"),
        sw(4, "Fortinet", "FortiOS", "6.0.5"),
        sw(5, "Fortinet", "FortiOS", "5.4.5"),
        sw(6, "Fortinet", "FortiProxy", "2.0.0"),
        sw(7, "Fortinet", "FortiProxy", "1.2.8"),
        sw(8, "Fortinet", "FortiProxy", "2.0.1"),
        sw(9, "Fortinet", "FortiOS", "6.2.0"),
    )
    assert found == {
        1: ("affected", "5.6.7 in [5.6.3, 5.6.8)", fortios),
        3: ("affected", "6.0.4 in [6.0.0, 6.0.5)", fortios),
        6: ("affected", "2.0.0 = 2.0.0", "cpe:2.3:a:fortinet:fortiproxy:2.0.0:*:*:*:*:*:*:*"),
        7: ("affected", "1.2.8 in (, 1.2.9)", "cpe:2.3:a:fortinet:fortiproxy:*:*:*:*:*:*:*:*"),
    }


@needs_samples
def test_fortios_cve_2023_27997_and_the_fortigate_platform_alone():
    found = run(
        "CVE-2023-27997",
        nvd("CVE-2023-27997"),
        sw(1, "Fortinet", "FortiOS", "7.0.11", host_id=1),
        sw(2, "Fortinet", "FortiOS", "7.0.12", host_id=2),
        sw(3, "Fortinet", "FortiOS", "7.2.4", host_id=3),
        sw(4, "Fortinet", "FortiOS", "7.2.5", host_id=4),
        sw(5, "Fortinet", "FortiOS", "6.4.13", host_id=5),
        sw(6, "Fortinet", "FortiGate 6000", "", host_id=2),  # hardware of the AND configuration, not vulnerable
        sw(7, "Fortinet", "FortiGate 7000", "", host_id=9),
    )
    assert {k: v[:2] for k, v in found.items()} == {
        1: ("affected", "7.0.11 in [7.0.0, 7.0.11]"),
        3: ("affected", "7.2.4 in [7.2.0, 7.2.4]"),
    }


@needs_samples
def test_fortigate_6000_and_configuration():
    """FortiOS 6.0.12 is affected by configuration 1 anyway; the AND one adds the hardware to the reason."""
    conf = nvd("CVE-2023-27997")
    and_only = {"configurations": [c for c in conf["configurations"] if c["operator"] == "AND"], "affected": []}
    assert len(and_only["configurations"]) == 1
    items = (
        sw(1, "Fortinet", "FortiOS", "6.2.10", host_id=1),
        sw(2, "Fortinet", "FortiGate 6000", "", host_id=1),
        sw(3, "Fortinet", "FortiOS", "6.2.10", host_id=2),  # not on a FortiGate 6000/7000
        sw(4, "Fortinet", "FortiOS", "6.4.12", system_id=7),  # same system (no host) as a FortiGate 7000
        sw(5, "Fortinet", "FortiGate 7000", "", system_id=7),
    )
    found = run("CVE-2023-27997", and_only, *items)
    assert found == {
        1: (
            "affected",
            "6.2.10 in [6.2.9, 6.2.13]; with cpe:2.3:h:fortinet:fortigate_6000:-:*:*:*:*:*:*:* on the same host",
            "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",
        ),
        4: (
            "affected",
            "6.4.12 = 6.4.12; with cpe:2.3:h:fortinet:fortigate_7000:-:*:*:*:*:*:*:* on the same system",
            "cpe:2.3:o:fortinet:fortios:6.4.12:*:*:*:*:*:*:*",
        ),
    }


@needs_samples
def test_cve_2022_30190_follina_as_nvd_records_it():
    """The real record has one OR configuration of Windows releases (all vulnerable, no Office/MSDT platform and
    no AND configuration): Windows below the fixed build matches, the fixed build does not."""
    conf = nvd("CVE-2022-30190")
    assert [c["operator"] for c in conf["configurations"]] == ["OR"]
    assert all(m["vulnerable"] for c in conf["configurations"] for n in c["nodes"] for m in n["matches"])
    found = run(
        "CVE-2022-30190",
        conf,
        sw(1, "Microsoft", "Windows 10 21H2", "10.0.19044.1706"),
        sw(2, "Microsoft", "Windows 10 21H2", "10.0.19044.1766"),
        sw(3, "Microsoft", "Windows 7", "", cpe="cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:x64:*"),
        sw(4, "Microsoft", "Windows 7", "", cpe="cpe:2.3:o:microsoft:windows_7:-:-:*:*:*:*:x64:*"),  # no SP1
        sw(5, "Microsoft", "Windows Server 2012", "", cpe="cpe:2.3:o:microsoft:windows_server_2012:r2:*:*:*:*:*:*:*"),
        sw(6, "Microsoft", "Windows Server 2019", "10.0.17763.3046"),
        sw(7, "Microsoft", "Office", "2019"),
    )
    assert {k: v[:2] for k, v in found.items()} == {
        1: ("affected", "10.0.19044.1706 in (, 10.0.19044.1766)"),
        3: ("affected", "product without version"),
        5: ("affected", "r2 = r2"),
    }


@needs_samples
def test_cve_2019_19781_citrix_firmware_on_its_hardware():
    hardware = "cpe:2.3:h:citrix:application_delivery_controller:-:*:*:*:*:*:*:*"
    firmware = "cpe:2.3:o:citrix:application_delivery_controller_firmware:13.0:*:*:*:*:*:*:*"
    conf = nvd("CVE-2019-19781")
    assert [c["operator"] for c in conf["configurations"]] == ["AND", "AND", "AND"]
    found = run(
        "CVE-2019-19781",
        conf,
        sw(1, "Citrix", "x", "", cpe=hardware, host_id=1),
        sw(2, "Citrix", "NetScaler ADC firmware", "13.0", host_id=1),  # alias → the CPE product
        sw(3, "Citrix", "x", "", cpe=hardware, host_id=2),  # hardware alone: never a match
        sw(4, "Citrix", "NetScaler ADC firmware", "13.0", host_id=3),  # firmware without the hardware
        sw(5, "Citrix", "x", "", cpe=hardware, host_id=4),
        sw(6, "Citrix", "NetScaler ADC firmware", "13.1", host_id=4),  # not listed
        sw(7, "Citrix", "x", "", cpe=hardware, host_id=5),
        sw(8, "Citrix", "NetScaler ADC firmware", "12.1.55.18", host_id=5),  # a build of the listed 12.1 line
    )
    assert found == {
        2: ("affected", f"13.0 = 13.0; with {hardware} on the same host", firmware),
        8: (
            "uncertain",
            f"12.1.55.18 is a build of 12.1, which the advisory lists as a whole; with {hardware} on the same host",
            firmware.replace("13.0", "12.1"),
        ),
    }


@needs_samples
def test_record_without_configurations_matches_nothing():
    assert nvd("CVE-2024-3400") == {"configurations": [], "affected": []}
    assert run("CVE-2024-3400", nvd("CVE-2024-3400"), sw(1, "Palo Alto Networks", "PAN-OS", "10.2.9")) == {}


# --- Log4Shell: the real NVD configuration of CVE-2021-44228, reproduced -----------------------------------

LOG4SHELL = Advisory(
    "CVE-2021-44228",
    "nvd",
    configurations=[
        Configuration(
            nodes=[
                Node(
                    matches=[
                        CpeMatch("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*", True, "2.0.1", "", "", "2.3.1"),
                        CpeMatch("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*", True, "2.4.0", "", "", "2.12.2"),
                        CpeMatch("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*", True, "2.13.0", "", "", "2.15.0"),
                        CpeMatch("cpe:2.3:a:apache:log4j:2.0:-:*:*:*:*:*:*"),
                        CpeMatch("cpe:2.3:a:apache:log4j:2.0:beta9:*:*:*:*:*:*"),
                        CpeMatch("cpe:2.3:a:apache:log4j:2.0:rc1:*:*:*:*:*:*"),
                        CpeMatch("cpe:2.3:a:apache:log4j:2.0:rc2:*:*:*:*:*:*"),
                    ]
                )
            ]
        )
    ],
).applicability()


def test_log4shell():
    found = run(
        "CVE-2021-44228",
        LOG4SHELL,
        sw(1, "Apache", "Log4j", "2.14.1"),
        sw(2, "Apache", "Log4j", "2.15.0"),
        sw(3, "Apache", "Log4j", "2.3.1"),
        sw(4, "Apache", "Log4j", "2.0-beta9"),
        sw(5, "apache", "log4j", "", cpe="cpe:2.3:a:apache:log4j:2.0:beta9:*:*:*:*:*:*"),
        sw(6, "Apache", "Log4j", "1.2.17"),
        sw(7, "Apache", "Log4j", "2.12.2"),
        sw(8, "Apache", "Log4j", "2.12.1"),
        sw(9, "apache", "log4j", "", cpe="cpe:2.3:a:apache:log4j:2.0:-:*:*:*:*:*:*"),
        sw(10, "apache", "log4j", "", cpe="cpe:2.3:a:apache:log4j:2.0:rc2:*:*:*:*:*:*"),
        sw(11, "apache", "log4j", "", cpe="cpe:2.3:a:apache:log4j:2.0:beta8:*:*:*:*:*:*"),
        sw(12, "Apache", "Log4j", "2.0.1"),
        sw(13, "Apache", "Log4j", "2.0-rc1"),
        sw(14, "Apache", "Log4j", "2.x"),
        sw(15, "Apache", "Log4j", "2.16.0"),
    )
    assert {k: v[:2] for k, v in found.items()} == {
        1: ("affected", "2.14.1 in [2.13.0, 2.15.0)"),
        4: ("affected", "2.0-beta9 = 2.0-beta9"),
        5: ("affected", "2.0-beta9 = 2.0-beta9"),
        8: ("affected", "2.12.1 in [2.4.0, 2.12.2)"),
        9: ("affected", "2.0 = 2.0"),
        10: ("affected", "2.0-rc2 = 2.0-rc2"),
        12: ("affected", "2.0.1 in [2.0.1, 2.3.1)"),
        13: ("affected", "2.0-rc1 = 2.0-rc1"),
        14: ("uncertain", "version '2.x' cannot be compared with [2.0.1, 2.3.1): version '2.x' contains a wildcard"),
    }
    assert found[4][2] == "cpe:2.3:a:apache:log4j:2.0:beta9:*:*:*:*:*:*"


# --- CVE 5 / national "affected" entries -----------------------------------------------------------------


def affected(*products):
    return Advisory("CVE-2023-27997", "cve5", affected=list(products)).applicability()


def test_cve5_ranges_and_exact_versions():
    product = AffectedProduct(
        "Fortinet",
        "FortiOS",
        versions=[
            VersionSpec("7.0.0", less_than_or_equal="7.0.11", version_type="semver"),
            VersionSpec("7.2.0", less_than="7.2.5", version_type="semver"),
            VersionSpec("6.0.10"),
        ],
    )
    found = run(
        "X",
        affected(product),
        sw(1, "Fortinet", "FortiOS", "7.0.11"),
        sw(2, "Fortinet", "FortiOS", "7.0.12"),
        sw(3, "FORTINET", "fortios", "7.2.4"),
        sw(4, "Fortinet", "FortiOS", "6.0.10"),
        sw(5, "Fortinet", "FortiOS", "6.0.11"),
        sw(6, "Fortinet", "FortiOS", ""),
        sw(7, "Fortinet", "FortiOS", "7.x"),
        sw(8, "fortinet", "x", "", cpe="cpe:2.3:o:fortinet:fortios:7.2.1:*:*:*:*:*:*:*"),
    )
    assert found == {
        1: ("affected", "7.0.11 in [7.0.0, 7.0.11]", "fortinet:fortios"),
        3: ("affected", "7.2.4 in [7.2.0, 7.2.5)", "fortinet:fortios"),
        4: ("affected", "6.0.10 = 6.0.10", "fortinet:fortios"),
        6: ("uncertain", "no version known; affected: [7.0.0, 7.0.11], [7.2.0, 7.2.5), 6.0.10", "fortinet:fortios"),
        7: (
            "uncertain",
            "version '7.x' cannot be compared with [7.0.0, 7.0.11]: version '7.x' contains a wildcard",
            "fortinet:fortios",
        ),
        8: ("affected", "7.2.1 in [7.2.0, 7.2.5)", "fortinet:fortios"),
    }


def test_cve5_unaffected_entries_and_default_status():
    exclude = AffectedProduct(
        "Apache Software Foundation",
        "Apache Log4j2",
        versions=[VersionSpec("2.0-beta9", less_than="2.15.0", version_type="maven"),
                  VersionSpec("2.12.2", status="unaffected", version_type="maven")],
    )  # fmt: skip
    items = [sw(1, "Apache", "Log4j", "2.14.1"), sw(2, "Apache", "Log4j", "2.12.2"), sw(3, "Apache", "Log4j", "2.15.0")]
    aliases = {("Apache Software Foundation", "Apache Log4j2"): ("apache", "log4j")}
    found = run("CVE-2021-44228", affected(exclude), *items, aliases=aliases)
    assert {k: v[:2] for k, v in found.items()} == {1: ("affected", "2.14.1 in [2.0-beta9, 2.15.0)")}
    default_affected = AffectedProduct(
        "Apache Software Foundation",
        "Apache Log4j2",
        default_status="affected",
        versions=[VersionSpec("2.15.0", less_than="*", status="unaffected")],
    )
    found = run("CVE-2021-44228", affected(default_affected), *items, aliases=aliases)
    assert {k: v[:2] for k, v in found.items()} == {
        1: ("affected", "2.14.1 not listed; default status affected"),
        2: ("affected", "2.12.2 not listed; default status affected"),
    }
    unknown = AffectedProduct("Apache Software Foundation", "Apache Log4j2", default_status="unknown",
                              versions=[VersionSpec("2.15.0", less_than="*", status="unaffected")])  # fmt: skip
    found = run("CVE-2021-44228", affected(unknown), *items, aliases=aliases)
    assert found[1][:2] == ("uncertain", "2.14.1 not listed; default status unknown")


def test_cve5_git_versions_are_uncertain():
    product = AffectedProduct("linux", "kernel", versions=[VersionSpec("1da177e4c3f4", less_than="a3e5f2b1c9d8",
                                                                       version_type="git")])  # fmt: skip
    found = run("X", affected(product), sw(1, "Linux", "Kernel", "6.1.12"))
    assert found[1][0] == "uncertain"
    assert "git commit ranges" in found[1][1]


@pytest.mark.parametrize(
    ("text", "hits"),
    [
        ("trước 7.0.13", {1, 2, 5}),
        ("< 7.0.13", {1, 2, 5}),
        ("7.0.0 đến 7.0.12", {1, 2}),
        ("7.0.0 - 7.0.12", {1, 2}),
        ("từ 7.0.0 đến 7.0.12", {1, 2}),
        ("FortiOS 7.0.0 đến 7.0.11, 7.2.0 đến 7.2.4", {1, 4}),
    ],
)
def test_national_versions_text(text, hits):
    product = AffectedProduct("Fortinet", "FortiOS", versions_text=text)
    items = [
        sw(1, "Fortinet", "FortiOS", "7.0.11"),
        sw(2, "Fortinet", "FortiOS", "7.0.12"),
        sw(3, "Fortinet", "FortiOS", "7.0.13"),
        sw(4, "Fortinet", "FortiOS", "7.2.4"),
        sw(5, "Fortinet", "FortiOS", "6.4.9"),
    ]
    found = run("CVE-2023-27997", affected(product), *items)
    assert set(found) == hits
    assert {s for s, _, _ in found.values()} == {"affected"}


def test_national_text_that_cannot_be_read_is_uncertain():
    text = "Các phiên bản FortiOS bị ảnh hưởng theo phụ lục đính kèm"
    found = run("X", affected(AffectedProduct("Fortinet", "FortiOS", versions_text=text)), sw(1, "Fortinet", "FortiOS", "7.0.1"))
    assert found == {1: ("uncertain", f"versions given as text: '{text}'", "fortinet:fortios")}
    found = run("X", affected(AffectedProduct("Fortinet", "FortiOS")), sw(1, "Fortinet", "FortiOS", "7.0.1"))
    assert found == {1: ("uncertain", "advisory names the product without versions", "fortinet:fortios")}


def test_cve5_cpes_reach_cpe_named_items():
    product = AffectedProduct("Apache", "HTTPD", versions=[VersionSpec("2.4.49")],
                              cpes=["cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*"])  # fmt: skip
    found = run("CVE-2021-41773", affected(product), sw(1, "apache", "http_server", "2.4.49"), aliases={})
    assert found == {1: ("affected", "2.4.49 = 2.4.49", "apache:httpd")}


# --- AND/negate, index maintenance ------------------------------------------------------------------------


def and_config(*nodes):
    return Advisory("X", "nvd", configurations=[Configuration("AND", False, list(nodes))]).applicability()


def test_negated_node_excludes_the_group():
    firmware = Node(matches=[CpeMatch("cpe:2.3:o:acme:router_firmware:*:*:*:*:*:*:*:*", True, "", "", "", "2.0")])
    excluded = Node(negate=True, matches=[CpeMatch("cpe:2.3:a:acme:safe_mode:*:*:*:*:*:*:*:*", False)])
    conf = and_config(firmware, excluded)
    items = [
        sw(1, "ACME", "Router firmware", "1.5", host_id=1),
        sw(2, "ACME", "Router firmware", "1.5", host_id=2),
        sw(3, "ACME", "Safe mode", "1", host_id=2),
    ]
    assert {k: v[0] for k, v in run("X", conf, *items).items()} == {1: "affected"}


def test_uncertain_platform_makes_the_group_uncertain():
    firmware = Node(matches=[CpeMatch("cpe:2.3:o:acme:router_firmware:*:*:*:*:*:*:*:*", True, "", "", "", "2.0")])
    board = Node(matches=[CpeMatch("cpe:2.3:h:acme:board:*:*:*:*:*:*:*:*", False, "3.0", "", "", "")])
    items = [sw(1, "ACME", "Router firmware", "1.5", host_id=1), sw(2, "ACME", "Board", "", host_id=1)]
    found = run("X", and_config(firmware, board), *items)
    assert found[1][0] == "uncertain"
    assert found[1][1] == "1.5 in (, 2.0); with cpe:2.3:h:acme:board:*:*:*:*:*:*:*:* on the same host"


def test_platform_only_configuration_never_matches():
    conf = Advisory("X", "nvd", configurations=[Configuration(nodes=[Node(matches=[
        CpeMatch("cpe:2.3:h:acme:board:*:*:*:*:*:*:*:*", False)])])]).applicability()  # fmt: skip
    assert run("X", conf, sw(1, "ACME", "Board", "1.0")) == {}


def test_add_remove_and_replace():
    matcher = Matcher([sw(1, "Apache", "Log4j", "2.14.1")])
    assert [m.software_id for m in matcher.match("CVE-2021-44228", LOG4SHELL)] == [1]
    matcher.add(sw(2, "Apache", "Log4j", "2.14.1"))
    matcher.add(sw(3, "Apache", "Log4j", "2.15.0"))
    assert sorted(m.software_id for m in matcher.match("CVE-2021-44228", LOG4SHELL)) == [1, 2]
    matcher.remove(1)
    matcher.remove(99)  # unknown: no error
    matcher.add(sw(3, "Apache", "Log4j", "2.12.1"))  # same id: replaces the 2.15.0 entry
    assert sorted(m.software_id for m in matcher.match("CVE-2021-44228", LOG4SHELL)) == [2, 3]
    assert len(matcher) == 2
    matcher.remove(2)
    matcher.remove(3)
    assert matcher.match("CVE-2021-44228", LOG4SHELL) == []
    assert matcher._index == {}


def test_bad_cpe_in_the_inventory_falls_back_to_the_names():
    matcher = Matcher([sw(1, "Apache", "Log4j", "2.14.1", cpe="cpe:2.3:a:apache")])
    assert "13 expected" in matcher.rejected[1]
    assert [m.status for m in matcher.match("CVE-2021-44228", LOG4SHELL)] == ["affected"]


def test_only_candidate_variants_are_evaluated(monkeypatch):
    """Index, not scan: an advisory about Log4j never looks at the 1,000 other products; 500 Log4j items of
    one version are one variant, evaluated once per criterion."""
    from lachan.vulns import matching

    items = [sw(i, "Vendor", f"product {i}", "1.0") for i in range(1000)]
    items += [sw(1000 + i, "Apache", "Log4j", "2.14.1", host_id=i) for i in range(500)]
    calls = []
    original = matching._version_verdict
    monkeypatch.setattr(matching, "_version_verdict", lambda *a: calls.append(a) or original(*a))
    found = Matcher(items).match("CVE-2021-44228", LOG4SHELL)
    assert len(found) == 500
    assert len(calls) == 7  # the seven log4j criteria × one variant


# --- names ----------------------------------------------------------------------------------------------


def test_normalise_name():
    assert normalise_name("Apache HTTP Server") == "apache_http_server"
    assert normalise_name("  Node.js ") == "node_js"
    assert normalise_name("node.js") == "node_js"
    assert normalise_name("Phần mềm Quản lý Văn bản Đông Á") == "phan_mem_quan_ly_van_ban_dong_a"
    assert normalise_name("SIMATIC S7-1500") == normalise_name("simatic_s7-1500")


@given(st.text(max_size=40))
def test_normalise_name_is_idempotent(text):
    once = normalise_name(text)
    assert normalise_name(once) == once
    assert once == once.strip("_")
    assert "__" not in once


def test_suggest_aliases():
    known = [("apache", "http_server"), ("apache", "tomcat"), ("microsoft", "internet_information_services"),
             ("apache", "http_server"), ("nginx", "nginx")]  # fmt: skip
    suggestions = suggest_aliases("Apache", "Apache HTTP Server", known, limit=3)
    assert len(suggestions) == 3
    assert suggestions[0][:2] == ("apache", "http_server")
    assert 0 <= suggestions[-1][2] <= suggestions[0][2] <= 100
    assert suggest_aliases("Microsoft", "IIS", [], limit=3) == []
