"""Tenable Nessus v2 (``.nessus``): ``NessusClientData_v2/Report/ReportHost``.

A host is its ``HostProperties`` tags (``host-ip``, ``host-fqdn``/``hostname``, ``operating-system``,
``mac-address``; the ``ReportHost`` name when they are missing). Each ``ReportItem`` is one finding:
``pluginID`` → rule, ``pluginName`` → title, ``severity`` 0–4 → info/low/medium/high/critical, ``port``
(0 = no port) and ``protocol``, ``cve`` children, ``cvss3_base_score``/``cvss3_vector`` (else the v2
``cvss_base_score``/``cvss_vector``), ``description`` (else ``synopsis``), ``solution`` and
``plugin_output`` as evidence. Streamed element by element: memory does not grow with the file.
"""

from lachan.vulns.records import ScanFinding, ScanHost

from .base import (
    canonical_ip,
    cap,
    clean,
    cve_list,
    iter_xml,
    release,
    severity_from_nessus,
    to_float,
    to_port,
)

NAME = "nessus"
TAGS = ("HostProperties", "ReportItem", "ReportHost")


def sniff(root_tag, head):
    return root_tag == "NessusClientData_v2"


def _host(report_host, properties):
    tags = {}
    if properties is not None:
        for tag in properties.iterfind("tag"):
            name = tag.get("name")
            if name and name not in tags:
                tags[name] = clean(tag.text)
    name = clean(report_host.get("name"))
    ip = canonical_ip(tags.get("host-ip")) or canonical_ip(name)
    hostname = tags.get("host-fqdn") or tags.get("hostname") or tags.get("netbios-name") or ""
    if not hostname and name and not canonical_ip(name):
        hostname = name
    os_name = (tags.get("operating-system") or "").splitlines()
    mac = (tags.get("mac-address") or "").split()
    return ScanHost(ip=ip, hostname=hostname, os=os_name[0].strip() if os_name else "",
                    mac=mac[0].lower() if mac else "")


def _finding(item, host):
    fields = {}
    cves = []
    for child in item:  # one pass over the children (faster than a find() per field)
        tag = child.tag
        if tag == "cve":
            cves.append(child.text)
        elif tag not in fields and isinstance(tag, str):
            fields[tag] = child.text
    score = to_float(fields.get("cvss3_base_score"))
    vector = clean(fields.get("cvss3_vector"))
    if score is None:
        score = to_float(fields.get("cvss_base_score"))
        vector = clean(fields.get("cvss_vector"))
    return ScanFinding(
        scanner=NAME,
        rule_id=clean(item.get("pluginID")),
        title=clean(item.get("pluginName")) or clean(fields.get("plugin_name")),
        severity=severity_from_nessus(item.get("severity"), fields.get("risk_factor")),
        host_ip=host.ip,
        hostname=host.hostname,
        port=to_port(item.get("port")),
        protocol=clean(item.get("protocol")).lower(),
        cves=cve_list(cves),
        cvss_score=score,
        cvss_vector=vector,
        description=clean(fields.get("description")) or clean(fields.get("synopsis")),
        solution=clean(fields.get("solution")),
        evidence=cap(fields.get("plugin_output")),
        line=item.sourceline or 0,
    )


def parse(source):
    host = None
    with source.open() as stream:
        for elem in iter_xml(stream, TAGS):
            tag = elem.tag
            if tag == "HostProperties":
                parent = elem.getparent()
                if parent is not None and parent.tag == "ReportHost":
                    host = _host(parent, elem)
                    yield host
                    release(elem)
            elif tag == "ReportItem":
                parent = elem.getparent()
                if parent is None or parent.tag != "ReportHost":
                    continue
                if host is None:  # no HostProperties before the first item: the ReportHost name only
                    host = _host(parent, None)
                    yield host
                yield _finding(elem, host)
                release(elem)
            else:  # ReportHost
                if host is None:  # a host without items or properties
                    yield _host(elem, None)
                host = None
                release(elem)
