"""ProjectDiscovery Nuclei: ``-json-export`` (a JSON array) or ``-jsonl`` / older ``-json`` (one object a
line). Both the current field names (``template-id``, ``matched-at``, ``extracted-results``,
``matcher-name``) and the v2.3-era ones (``templateID``, ``matched``, ``extracted_results``,
``matcher_name``) are read.

A result is one finding: rule = template id (plus ``:matcher`` when the template names the matcher that
fired, so two matchers of one template on one URL stay two findings), title = ``info.name``, severity =
``info.severity``, CVEs and CVSS from ``info.classification``, description/remediation from ``info``.
The host is ``ip`` (canonical) and the name in ``host`` (URL or ``name:port``); ``matched-at`` is kept
as the target and starts the evidence, followed by the extracted results.
"""

import json
from urllib.parse import urlsplit

import ijson
from django.utils.translation import gettext as _

from lachan.vulns.records import ScanFinding, ScanHost

from .base import (
    ScanParseError,
    canonical_ip,
    cap,
    clean,
    cve_list,
    hosts_once,
    severity_from_label,
    to_float,
    to_port,
)

NAME = "nuclei"
KEYS = (b'"template-id"', b'"templateID"', b'"template"', b'"matched-at"', b'"matcher-status"')
_DEFAULT_PORTS = {"http": 80, "https": 443}


def sniff_json(head):
    return any(key in head for key in KEYS) and b'"info"' in head


def _get(record, *names):
    for name in names:
        value = record.get(name)
        if value not in (None, "", []):
            return value
    return None


def _split_host(text):
    """(name, port) from a URL, "name:port", "[v6]:port" or a bare name."""
    text = clean(text)
    if not text:
        return "", None
    if "://" in text:
        try:
            parts = urlsplit(text)
            port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
        except ValueError:
            return "", None
        return (parts.hostname or ""), port
    if text.startswith("["):
        name, _sep, port = text[1:].partition("]")
        return name, to_port(port.lstrip(":"))
    if text.count(":") == 1:
        name, _sep, port = text.partition(":")
        return name, to_port(port)
    return text, None


def _text(value):
    if isinstance(value, list):
        return "\n".join(clean(v) for v in value if clean(v))
    return clean(value)


def convert(record, line, index):
    """(ScanHost, ScanFinding) of one Nuclei result (``line`` in JSON lines, else None; ``index`` from 1)."""
    if not isinstance(record, dict):
        raise ScanParseError(_("Result %(index)s: a Nuclei result is a JSON object, found %(type)s.")
                             % {"index": index, "type": type(record).__name__}, line=line)
    info = record.get("info") if isinstance(record.get("info"), dict) else {}
    classification = info.get("classification") if isinstance(info.get("classification"), dict) else {}
    template = clean(_get(record, "template-id", "templateID", "template_id"))
    if not template:
        raise ScanParseError(_("Result %(index)s: no template id, not a Nuclei result.") % {"index": index},
                             line=line)
    matcher = clean(_get(record, "matcher-name", "matcher_name"))
    matched = clean(_get(record, "matched-at", "matched", "url"))
    name, host_port = _split_host(_get(record, "host") or matched)
    port = to_port(record.get("port")) or _split_host(matched)[1] or host_port
    ip = canonical_ip(record.get("ip")) or canonical_ip(name)
    hostname = "" if canonical_ip(name) else name.lower().rstrip(".")
    score = to_float(_get(classification, "cvss-score", "cvss_score")) or to_float(record.get("cvss-score"))
    vector = clean(_get(classification, "cvss-metrics", "cvss_metrics") or record.get("cvss-metrics"))
    extracted = _get(record, "extracted-results", "extracted_results") or []
    evidence = [matched] if matched else []
    if matcher:
        evidence.append(f"matcher: {matcher}")
    evidence += [clean(x) for x in extracted if clean(x)] if isinstance(extracted, list) else [clean(extracted)]
    kind = clean(record.get("type")).lower()
    finding = ScanFinding(
        scanner=NAME,
        rule_id=f"{template}:{matcher}" if matcher else template,
        title=clean(info.get("name")) or template,
        severity=severity_from_label(info.get("severity"), score),
        host_ip=ip,
        hostname=hostname,
        port=port,
        protocol=("udp" if kind == "dns" else "tcp") if port else "",
        cves=cve_list(classification.get("cve-id") or classification.get("cve_id")),
        cvss_score=score,
        cvss_vector=vector,
        description=_text(info.get("description")),
        solution=_text(info.get("remediation")),
        evidence=cap("\n".join(evidence)),
        target=matched,
        line=line or 0,
    )
    return ScanHost(ip=ip, hostname=hostname), finding


def _array(stream):
    index = 0
    try:
        for index, record in enumerate(ijson.items(stream, "item", use_float=True), start=1):  # noqa: B007
            yield record, None, index
    except ijson.JSONError as exc:
        raise ScanParseError(_("Broken JSON after result %(index)s: %(error)s")
                             % {"index": index, "error": str(exc).splitlines()[0][:200]}) from None


def _lines(stream):
    for number, raw in enumerate(stream, start=1):
        text = raw.strip()
        if not text:
            continue
        try:
            yield json.loads(text), number, number
        except (ValueError, UnicodeDecodeError) as exc:
            raise ScanParseError(_("Broken JSON: %(error)s") % {"error": str(exc)[:200]}, line=number) from None


def parse(source):
    first_time = hosts_once()
    array = source.head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"["
    with source.open() as stream:
        for record, line, index in (_array(stream) if array else _lines(stream)):
            host, finding = convert(record, line, index)
            if first_time(host):
                yield host
            yield finding
