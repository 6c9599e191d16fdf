"""Plain records that the vulnerability parsers produce and the matcher and services consume.

No Django here: parsers (``vulns/advisories/``, ``vulns/parsers/``) stream these out of files,
``vulns/matching.py`` compares them with inventory software, ``vulns/services.py`` stores them.
Every record turns into JSON-able data with ``to_dict()`` and back with ``from_dict()`` so an
advisory's applicability can live in one JSONField.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime

SEVERITIES = ("critical", "high", "medium", "low", "info")
CVSS_PREFERENCE = ("4.0", "3.1", "3.0", "2.0")


def severity_from_score(score: float | None) -> str:
    """CVSS v3/v4 qualitative rating (FIRST): 9.0+ critical, 7.0+ high, 4.0+ medium, 0.1+ low, else info."""
    if score is None:
        return "info"
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    if score > 0:
        return "low"
    return "info"


class _Record:
    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict):
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


# --- advisories ------------------------------------------------------------------------------------


@dataclass(slots=True)
class CvssMetric(_Record):
    version: str  # "4.0", "3.1", "3.0", "2.0"
    base_score: float
    vector: str = ""
    severity: str = ""  # lower-case, one of SEVERITIES ("" when the source gives none)
    source: str = ""  # who scored it, e.g. "nvd@nist.gov" or a CNA's address
    primary: bool = True  # NVD's "type": "Primary" (False for "Secondary")


@dataclass(slots=True)
class CpeMatch(_Record):
    """One NVD ``cpeMatch`` entry: a CPE 2.3 pattern plus an optional version range."""

    criteria: str
    vulnerable: bool = True
    version_start_including: str = ""
    version_start_excluding: str = ""
    version_end_including: str = ""
    version_end_excluding: str = ""


@dataclass(slots=True)
class Node(_Record):
    operator: str = "OR"  # "OR" | "AND" over its matches
    negate: bool = False
    matches: list[CpeMatch] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data):
        return cls(data.get("operator", "OR"), data.get("negate", False), [CpeMatch.from_dict(m) for m in data.get("matches", [])])


@dataclass(slots=True)
class Configuration(_Record):
    """One NVD configuration. ``operator`` "AND" means every node must hold ("running on"/"with")."""

    operator: str = "OR"
    negate: bool = False
    nodes: list[Node] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data):
        return cls(data.get("operator", "OR"), data.get("negate", False), [Node.from_dict(n) for n in data.get("nodes", [])])


@dataclass(slots=True)
class VersionSpec(_Record):
    """CVE 5 ``affected[].versions[]`` entry (also used for national lists)."""

    version: str  # exact version, or the lower bound when less_than/less_than_or_equal is set ("0" / "*" = from the start)
    status: str = "affected"  # "affected" | "unaffected" | "unknown"
    less_than: str = ""
    less_than_or_equal: str = ""
    version_type: str = ""  # "semver", "custom", "git", "rpm", … as the CNA wrote it


@dataclass(slots=True)
class AffectedProduct(_Record):
    """Vendor/product named without CPE ranges: CVE 5 CNA data, national warning lists."""

    vendor: str
    product: str
    versions: list[VersionSpec] = field(default_factory=list)
    default_status: str = "unaffected"
    cpes: list[str] = field(default_factory=list)  # CVE 5 "cpes" when the CNA gave them
    versions_text: str = ""  # free text as a national letter writes it ("FortiOS 7.0.0 đến 7.0.12")

    @classmethod
    def from_dict(cls, data):
        data = dict(data)
        data["versions"] = [VersionSpec.from_dict(v) for v in data.get("versions", [])]
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(slots=True)
class KevEntry(_Record):
    """CISA Known Exploited Vulnerabilities catalog entry."""

    date_added: str = ""  # ISO date
    due_date: str = ""
    known_ransomware: bool = False  # knownRansomwareCampaignUse == "Known"
    vendor_project: str = ""
    product: str = ""
    vulnerability_name: str = ""
    required_action: str = ""
    notes: str = ""


@dataclass(slots=True)
class Advisory(_Record):
    """One CVE as a source describes it. Several sources about one CVE are merged by the services."""

    cve_id: str  # "CVE-2021-44228"
    source: str  # "nvd" | "cve5" | "kev" | "national"
    description: str = ""
    published: datetime | None = None  # aware, UTC
    last_modified: datetime | None = None
    status: str = ""  # NVD vulnStatus / CVE 5 state ("Analyzed", "Awaiting Analysis", "Rejected", "PUBLISHED", …)
    cvss: list[CvssMetric] = field(default_factory=list)
    cwes: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    configurations: list[Configuration] = field(default_factory=list)
    affected: list[AffectedProduct] = field(default_factory=list)
    kev: KevEntry | None = None

    def primary_cvss(self, preference: tuple[str, ...] = CVSS_PREFERENCE) -> CvssMetric | None:
        """The score to rank by: the first version in ``preference`` that has a metric, a Primary one first."""
        for version in preference:
            candidates = [m for m in self.cvss if m.version == version]
            if candidates:
                return sorted(candidates, key=lambda m: not m.primary)[0]
        return None

    def severity(self, preference: tuple[str, ...] = CVSS_PREFERENCE) -> str:
        metric = self.primary_cvss(preference)
        if metric is None:
            return "info"
        return metric.severity or severity_from_score(metric.base_score)

    def applicability(self) -> dict:
        """What the matcher needs, as JSON-able data (stored in one JSONField)."""
        return {
            "configurations": [c.to_dict() for c in self.configurations],
            "affected": [a.to_dict() for a in self.affected],
        }


@dataclass(slots=True)
class WarningItem(_Record):
    """One line of a national/Department warning: a CVE and/or a product with versions."""

    cve_id: str = ""
    vendor: str = ""
    product: str = ""
    versions_text: str = ""
    severity: str = ""  # one of SEVERITIES or ""
    line: int = 0  # line/row in the source file, for error messages and evidence
    deadline: date | None = None  # this line's own deadline ("Hạn xử lý" column), when the list gives one


@dataclass(slots=True)
class NationalWarning(_Record):
    """A warning list as the authorities send it (letter or spreadsheet)."""

    number: str = ""  # "123/CATTT-NCSC" when known
    title: str = ""
    issuer: str = ""
    issued_on: date | None = None
    deadline: date | None = None
    items: list[WarningItem] = field(default_factory=list)


# --- scanner results -------------------------------------------------------------------------------


@dataclass(slots=True)
class ScanHost(_Record):
    ip: str = ""  # canonical text form, "" when the scanner only knows a name
    hostname: str = ""
    os: str = ""
    mac: str = ""


@dataclass(slots=True)
class ScanFinding(_Record):
    """One finding on one host. ``key()`` never merges two hosts."""

    scanner: str  # "nessus" | "openvas" | "nuclei" | "trivy" | "nmap"
    rule_id: str  # plugin id / NVT OID / template id / vulnerability id / script id + CVE
    title: str
    severity: str  # one of SEVERITIES
    host_ip: str = ""
    hostname: str = ""
    port: int | None = None
    protocol: str = ""  # "tcp" | "udp" | "" ; for trivy the target file/image
    cves: list[str] = field(default_factory=list)
    cvss_score: float | None = None
    cvss_vector: str = ""
    description: str = ""
    solution: str = ""
    evidence: str = ""  # plugin output, matched-at URL, …
    component: str = ""  # package name (trivy), product (nmap service)
    installed_version: str = ""
    fixed_version: str = ""
    target: str = ""  # trivy target / nuclei matched URL
    line: int = 0  # where in the file (best effort), for error messages

    def key(self) -> tuple:
        """Dedup key within one scanner: host first, so two hosts never merge."""
        return (
            self.scanner,
            self.host_ip or self.hostname.lower(),
            self.rule_id,
            self.port or 0,
            self.protocol,
            self.component,
            self.target,
        )
