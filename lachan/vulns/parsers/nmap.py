"""Nmap XML (``-oX``) with the ``vulners`` NSE script (``-sV --script vulners``).

A host is its ``address`` elements (ipv4/ipv6 → ip, mac → mac), the first ``hostnames/hostname``
(a user-given name before a PTR record) and the best ``os/osmatch``; hosts reported down are skipped.
For every ``ports/port`` with a ``script[@id="vulners"]``, each CVE the script lists is one finding
(rule ``vulners:CVE-…``, severity from its CVSS score, component/installed version = the service's
product/version, port and protocol from the port); the script's other entries (Exploit-DB, Packet
Storm, … ids) go into the evidence of that port's findings, not into findings of their own. Without the
structured ``table`` output (old script versions), the CVE lines of the script's ``output`` are read.
A port without the script gives no finding: an open port is not a vulnerability.
"""

import re

from lachan.vulns.records import ScanFinding, ScanHost, severity_from_score

from .base import canonical_ip, cap, clean, iter_xml, release, to_float, to_port

NAME = "nmap"
_OUTPUT_LINE = re.compile(r"^\s*(\S+)\s+(\d+(?:\.\d+)?)\s+(\S+)?(.*)$")


def sniff(root_tag, head):
    return root_tag == "nmaprun"


def _host(elem):
    ip = mac = ""
    for address in elem.iterfind("address"):
        kind = (address.get("addrtype") or "").lower()
        if kind in ("ipv4", "ipv6") and not ip:
            ip = canonical_ip(address.get("addr"))
        elif kind == "mac" and not mac:
            mac = clean(address.get("addr")).lower()
    names = sorted(elem.iterfind("hostnames/hostname"), key=lambda h: h.get("type") != "user")
    hostname = clean(names[0].get("name")).lower().rstrip(".") if names else ""
    osmatch = elem.find("os/osmatch")
    os_name = clean(osmatch.get("name")) if osmatch is not None else ""
    return ScanHost(ip=ip, hostname=hostname, os=os_name, mac=mac)


def _entries(script):
    """(id, type, cvss, is_exploit, cpe) for every entry of the vulners script."""
    entries = []
    for group in script.iterfind("table"):
        cpe = clean(group.get("key"))
        for entry in group.iterfind("table"):
            values = {clean(e.get("key")): clean(e.text) for e in entry.iterfind("elem")}
            if values.get("id"):
                entries.append((values["id"], values.get("type", "").lower(), to_float(values.get("cvss")),
                                values.get("is_exploit", "").lower() == "true", cpe))
    if entries:
        return entries
    cpe = ""
    for line in (script.get("output") or "").splitlines():
        stripped = line.strip()
        if stripped.startswith("cpe:") and stripped.endswith(":"):
            cpe = stripped[:-1]
            continue
        match = _OUTPUT_LINE.match(line)
        if match:
            ident = match.group(1)
            kind = "cve" if re.fullmatch(r"CVE-\d{4}-\d{4,}", ident, re.I) else ""
            entries.append((ident, kind, to_float(match.group(2)), "*EXPLOIT*" in line, cpe))
    return entries


def _port_findings(port, host):
    script = next((s for s in port.iterfind("script") if s.get("id") == "vulners"), None)
    if script is None:
        return []
    service = port.find("service")
    product = clean(service.get("product")) if service is not None else ""
    version = clean(service.get("version")) if service is not None else ""
    entries = _entries(script)
    others = [f"{ident} ({kind or 'ref'}, cvss {cvss if cvss is not None else '?'}{', exploit' if exploit else ''})"
              for ident, kind, cvss, exploit, _cpe in entries
              if not (kind == "cve" and ident.upper().startswith("CVE-"))]
    findings = {}
    for ident, kind, cvss, exploit, cpe in entries:
        cve = ident.upper()
        if kind != "cve" or not cve.startswith("CVE-") or cve in findings:
            continue
        lines = [cpe, f"{cve} cvss {cvss if cvss is not None else '?'}{' exploit' if exploit else ''}"]
        if others:
            lines.append("related: " + "; ".join(others))
        findings[cve] = ScanFinding(
            scanner=NAME,
            rule_id=f"vulners:{cve}",
            title=f"{cve} in {product} {version}".strip() if product else cve,
            severity=severity_from_score(cvss),
            host_ip=host.ip,
            hostname=host.hostname,
            port=to_port(port.get("portid")),
            protocol=clean(port.get("protocol")).lower(),
            cves=[cve],
            cvss_score=cvss,
            evidence=cap("\n".join(x for x in lines if x)),
            component=product,
            installed_version=version,
            line=script.sourceline or 0,
        )
    return list(findings.values())


def parse(source):
    with source.open() as stream:
        for elem in iter_xml(stream, ("host",)):
            parent = elem.getparent()
            if parent is None or parent.tag != "nmaprun":
                continue
            status = elem.find("status")
            if status is not None and status.get("state") == "down":
                release(elem)
                continue
            host = _host(elem)
            yield host
            for port in elem.iterfind("ports/port"):
                yield from _port_findings(port, host)
            release(elem)
