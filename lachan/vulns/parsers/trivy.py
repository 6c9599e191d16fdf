"""Aqua Trivy JSON report, schema version 2 (``trivy image|fs|rootfs|vm --format json``).

One host per file: the ``ArtifactName`` (an image reference or a host name; the ``ip`` only when it is an
address), its OS from ``Metadata.OS`` ("alpine 3.9.4"). Each ``Results[].Vulnerabilities[]`` entry is one
finding: ``VulnerabilityID`` → rule (and CVE when it is one), ``Title`` → title, ``Severity`` (UNKNOWN →
info), ``PkgName``/``InstalledVersion``/``FixedVersion`` → component and versions, the result's ``Target``
→ target (and protocol, as the records define it for Trivy), ``CVSS`` → score and vector (the
``SeveritySource`` vendor first, then NVD, then any; v3 before v2), ``Description``, and ``PkgPath`` and
``PrimaryURL`` as evidence.

Streamed with ijson, one vulnerability at a time. Trivy writes the header (``ArtifactName``, ``Metadata``)
before ``Results``; when a file does not, the header alone is read first in a separate pass.
"""

import ijson
from django.utils.translation import gettext as _

from lachan.vulns.records import ScanFinding, ScanHost

from .base import ScanParseError, canonical_ip, cap, clean, cve_list, severity_from_label, to_float

NAME = "trivy"
_VULN = "Results.item.Vulnerabilities.item"
_RESULT_FIELDS = {"Results.item.Target": "Target", "Results.item.Class": "Class", "Results.item.Type": "Type"}


def sniff_json(head):
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{" and (
        b'"SchemaVersion"' in head or (b'"ArtifactName"' in head and b'"Results"' in head))


def _host(header):
    name = clean(header.get("ArtifactName"))
    os_info = header.get("OS") if isinstance(header.get("OS"), dict) else {}
    os_name = " ".join(clean(os_info.get(k)) for k in ("Family", "Name") if clean(os_info.get(k)))
    ip = canonical_ip(name)
    return ScanHost(ip=ip, hostname="" if ip else name, os=os_name)


def _cvss(vuln):
    sources = vuln.get("CVSS") if isinstance(vuln.get("CVSS"), dict) else {}
    order = [clean(vuln.get("SeveritySource")), "nvd", *sources]
    for prefix in ("V3", "V2"):
        for vendor in order:
            metric = sources.get(vendor)
            if isinstance(metric, dict) and to_float(metric.get(prefix + "Score")) is not None:
                return to_float(metric.get(prefix + "Score")), clean(metric.get(prefix + "Vector"))
    return None, ""


def _finding(vuln, result, host):
    if not isinstance(vuln, dict):
        raise ScanParseError(_("A Trivy vulnerability is a JSON object, found %(type)s.") % {"type": type(vuln).__name__})
    vuln_id = clean(vuln.get("VulnerabilityID"))
    score, vector = _cvss(vuln)
    target = clean(result.get("Target"))
    evidence = "\n".join(x for x in (clean(vuln.get("PkgPath")), clean(vuln.get("PrimaryURL"))) if x)
    return ScanFinding(
        scanner=NAME,
        rule_id=vuln_id,
        title=clean(vuln.get("Title")) or vuln_id,
        severity=severity_from_label(vuln.get("Severity"), score),
        host_ip=host.ip,
        hostname=host.hostname,
        protocol=target[:300],
        cves=cve_list(vuln_id),
        cvss_score=score,
        cvss_vector=vector,
        description=clean(vuln.get("Description")),
        evidence=cap(evidence),
        component=clean(vuln.get("PkgName")),
        installed_version=clean(vuln.get("InstalledVersion")),
        fixed_version=clean(vuln.get("FixedVersion")),
        target=target,
    )


def _events(stream):
    try:
        yield from ijson.parse(stream, use_float=True)
    except ijson.JSONError as exc:
        raise ScanParseError(_("Broken JSON: %(error)s") % {"error": str(exc).splitlines()[0][:200]}) from None


def _header_only(source):
    """ArtifactName and Metadata.OS, read without keeping anything of ``Results``."""
    header = {}
    with source.open() as stream:
        builder = None
        for prefix, event, value in _events(stream):
            if prefix == "ArtifactName" and event == "string":
                header["ArtifactName"] = value
            elif prefix == "Metadata.OS":
                if event == "start_map":
                    builder = ijson.ObjectBuilder()
                if builder is not None:
                    builder.event(event, value)
                    if event == "end_map":
                        header["OS"] = builder.value
                        builder = None
            elif builder is not None and prefix.startswith("Metadata.OS."):
                builder.event(event, value)
    return header


def _no_artifact():
    return ScanParseError(_("Not a Trivy report this tool can attribute: no ArtifactName."))


def parse(source):
    header = {}
    host = None
    head = source.head
    artifact, results = head.find(b'"ArtifactName"'), head.find(b'"Results"')
    if artifact < 0 or 0 <= results < artifact:  # the header is not first: read it alone, then the results
        source.rewindable()
        header = _header_only(source)
        if "ArtifactName" not in header:
            raise _no_artifact()
        host = _host(header)
        yield host
    result = {}
    builder = None
    depth = 0
    with source.open() as stream:
        for prefix, event, value in _events(stream):
            if builder is not None:  # inside a vulnerability or Metadata.OS
                builder.event(event, value)
                if event in ("start_map", "start_array"):
                    depth += 1
                elif event in ("end_map", "end_array"):
                    depth -= 1
                    if depth == 0:
                        if prefix == _VULN:
                            yield _finding(builder.value, result, host)
                        else:
                            header.setdefault("OS", builder.value)
                        builder = None
                continue
            if prefix == "" and event == "map_key" and value == "Results" and host is None:
                if "ArtifactName" not in header:
                    raise _no_artifact()
                host = _host(header)
                yield host
            elif prefix == "ArtifactName" and event == "string":
                header.setdefault("ArtifactName", value)
            elif prefix in ("Metadata.OS", _VULN) and event == "start_map":
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
                depth = 1
            elif prefix == "Results.item" and event == "start_map":
                result = {}
            elif prefix in _RESULT_FIELDS and event == "string":
                result[_RESULT_FIELDS[prefix]] = value
    if host is None:  # a report without a Results key: the host, no findings
        if "ArtifactName" not in header:
            raise _no_artifact()
        yield _host(header)
