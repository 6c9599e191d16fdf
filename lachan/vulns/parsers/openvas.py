"""OpenVAS / Greenbone (GMP) XML report: ``report[/report]/results/result`` and ``report[/report]/host``.

Each ``result`` is one finding: ``nvt@oid`` → rule, ``nvt/name`` → title, ``threat`` (Critical, High,
Medium, Low; Log/Debug/False Positive → info; missing → from the score), ``severity`` or ``nvt/cvss_base``
or ``nvt/severities/severity/score`` → CVSS score, ``port`` ("443/tcp"; "general/tcp" has no port),
``nvt/refs/ref[@type="cve"]`` (and the older ``nvt/cve`` list) → CVEs, the ``nvt/tags`` pairs
(``summary=…|insight=…|solution=…``) → description and solution, the result's ``description`` (what the
test saw) → evidence.

Greenbone writes host details (``report/host`` with ``detail`` name/value: hostname, best_os_txt,
MAC) after the results, so the file is read twice: first the host details (small), then the results,
each host yielded before its first finding; hosts without results come last.
"""

from lachan.vulns.records import ScanFinding, ScanHost

from .base import (
    canonical_ip,
    cap,
    child_text,
    clean,
    cve_list,
    iter_xml,
    release,
    severity_from_label,
    to_float,
    to_port,
)

NAME = "openvas"
_PROTOCOLS = {"tcp", "udp", "icmp", "sctp"}
_OS_DETAILS = ("best_os_txt", "OS", "os")


def sniff(root_tag, head):
    if root_tag in ("get_reports_response", "get_results_response"):
        return True
    return root_tag == "report" and any(word in head for word in (b"<results", b"<gmp>", b"<omp>", b"format_id=",
                                                                  b"<scan_run_status>", b"<nvt "))


def _details(source):
    """Host details: raw host text → ScanHost (hostname, OS, MAC from ``detail`` elements)."""
    hosts = {}
    with source.open() as stream:
        for elem in iter_xml(stream, ("host", "result")):
            parent = elem.getparent()
            if elem.tag == "result" or parent is None or parent.tag != "report":
                if elem.tag == "result" and parent is not None and parent.tag == "results":
                    release(elem)
                continue
            raw = child_text(elem, "ip")
            if raw:
                values = {}
                for detail in elem.iterfind("detail"):
                    name = child_text(detail, "name")
                    if name and name not in values:
                        values[name] = child_text(detail, "value")
                hostname = values.get("hostname") or values.get("DNS-via-TargetDefinition") or ""
                os_name = next((values[k] for k in _OS_DETAILS if values.get(k)), "")
                mac = values.get("MAC", "").lower()
                hosts[raw] = ScanHost(ip=canonical_ip(raw), hostname=hostname, os=os_name, mac=mac)
            release(elem)
    return hosts


def _tags(text):
    """``summary=…|insight=…|solution=…`` → dict; a "|" inside a value (no "key=" after it) is kept."""
    values = {}
    key = None
    for piece in (text or "").split("|"):
        name, sep, value = piece.partition("=")
        if sep and name and name.replace("_", "").isalnum() and " " not in name:
            key = name
            values[key] = value
        elif key is not None:
            values[key] += "|" + piece
    return {k: clean(v) for k, v in values.items()}


def _host_of(result, details):
    host_elem = result.find("host")
    raw = clean(host_elem.text) if host_elem is not None else ""
    hostname = child_text(result, "host/hostname")
    known = details.get(raw)
    ip = canonical_ip(raw)
    if known is not None:
        host = ScanHost(ip=known.ip, hostname=known.hostname or hostname, os=known.os, mac=known.mac)
    else:
        host = ScanHost(ip=ip, hostname=hostname)
    if not host.ip and not host.hostname:
        host.hostname = raw  # not an address (anonymised reports): keep what the scanner wrote
    return raw, host


def _finding(result, host):
    nvt = result.find("nvt")
    if nvt is None:
        nvt = result.makeelement("nvt")
    score = to_float(child_text(result, "severity"))
    if score is None:
        score = to_float(child_text(nvt, "cvss_base"))
    if score is None:
        score = to_float(child_text(nvt, "severities/severity/score"))
    vector = child_text(nvt, "severities/severity/value")
    port_text = child_text(result, "port")
    number, _slash, protocol = port_text.partition("/")
    protocol = protocol.lower() if protocol.lower() in _PROTOCOLS else ""
    tags = _tags(child_text(nvt, "tags"))
    description = tags.get("summary", "")
    if tags.get("insight"):
        description = f"{description}\n\n{tags['insight']}".strip()
    refs = [ref.get("id") for ref in nvt.iterfind("refs/ref") if (ref.get("type") or "").lower() == "cve"]
    legacy = child_text(nvt, "cve")
    return ScanFinding(
        scanner=NAME,
        rule_id=clean(nvt.get("oid")),
        title=child_text(nvt, "name") or child_text(result, "name"),
        severity=severity_from_label(child_text(result, "threat"), score),
        host_ip=host.ip,
        hostname=host.hostname,
        port=to_port(number),
        protocol=protocol,
        cves=cve_list([refs, legacy]),
        cvss_score=score,
        cvss_vector=vector,
        description=description,
        solution=tags.get("solution", "") or child_text(nvt, "solution"),
        evidence=cap(child_text(result, "description")),
        line=result.sourceline or 0,
    )


def parse(source):
    source.rewindable()
    details = _details(source)
    yielded = {}
    with source.open() as stream:
        for result in iter_xml(stream, ("result",)):
            parent = result.getparent()
            if parent is None or parent.tag != "results":
                continue  # a delta report's nested result, or a stray element
            raw, host = _host_of(result, details)
            if raw not in yielded:
                yielded[raw] = host
                yield host
            yield _finding(result, yielded[raw])
            release(result)
    for raw, host in details.items():
        if raw not in yielded:
            yield host
