"""NVD CVE API 2.0 JSON: one CVE item (as fkie-cad/nvd-json-data-feeds stores them, one per file), a bare
``{"cve": {...}}``, an API response or yearly feed (``{"format": "NVD_CVE", "version": "2.0",
"vulnerabilities": [{"cve": {...}}, ...]}``, streamed item by item), or a JSON array of either.

Mapping (one ``Advisory(source="nvd")`` per CVE item):

- ``id`` → ``cve_id`` (required); ``descriptions`` → the English one; ``published``/``lastModified`` (NVD
  writes UTC without an offset) → aware UTC datetimes; ``vulnStatus`` → ``status`` ("Rejected" records are
  yielded too: the status says so);
- ``metrics.cvssMetricV40/V31/V30/V2`` → ``CvssMetric`` (``cvssData.baseScore``/``vectorString``; the
  severity is ``cvssData.baseSeverity``, for V2 the metric's own ``baseSeverity``; ``type`` "Primary" →
  ``primary``);
- ``weaknesses`` → ``cwes`` (CWE-n ids, without repeats; NVD-CWE-noinfo/Other left out);
  ``references[].url`` → ``references``;
- ``configurations`` → ``Configuration``/``Node``/``CpeMatch`` (operator, negate, ``criteria``,
  ``vulnerable``, versionStart/End Including/Excluding); none → an empty list;
- CISA's ``cisaExploitAdd``/``cisaActionDue``/``cisaRequiredAction``/``cisaVulnerabilityName`` → ``kev``.
"""

from django.utils.translation import gettext as _

from lachan.vulns.records import Advisory, Configuration, CpeMatch, CvssMetric, KevEntry, Node

from .base import (
    AdvisoryParseError,
    cve_id,
    cwe_ids,
    iso_date,
    items,
    mapping,
    score,
    severity,
    text,
    timestamp,
    unique,
)

NAME = "nvd"
METRIC_KEYS = (("cvssMetricV40", "4.0"), ("cvssMetricV31", "3.1"), ("cvssMetricV30", "3.0"), ("cvssMetricV2", "2.0"))
_RANGE_KEYS = (
    ("versionStartIncluding", "version_start_including"),
    ("versionStartExcluding", "version_start_excluding"),
    ("versionEndIncluding", "version_end_including"),
    ("versionEndExcluding", "version_end_excluding"),
)


def record_id(value):
    """The CVE id of an item (bare or wrapped in ``{"cve": ...}``) for messages, "" when none."""
    if isinstance(value, dict):
        value = value.get("cve", value)
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            return value["id"]
    return ""


def advisory(value, where=""):
    """One NVD CVE item (``{"id": ...}`` or ``{"cve": {"id": ...}}``) → ``Advisory``."""
    item = mapping(value, line=where, field="cve")
    if "cve" in item and "id" not in item:
        item = mapping(item["cve"], line=where, field="cve")
    identifier = cve_id(item.get("id"), line=where, field="id")
    where = f"{where} ({identifier})" if where else identifier
    return Advisory(
        cve_id=identifier,
        source=NAME,
        description=_description(item.get("descriptions"), where),
        published=timestamp(item.get("published"), line=where, field="published"),
        last_modified=timestamp(item.get("lastModified"), line=where, field="lastModified"),
        status=text(item.get("vulnStatus")),
        cvss=_metrics(item.get("metrics"), where),
        cwes=cwe_ids(
            d.get("value") if isinstance(d, dict) else d
            for w in items(item.get("weaknesses"), line=where, field="weaknesses")
            for d in items(mapping(w, line=where, field="weaknesses").get("description"), line=where,
                           field="weaknesses.description")
        ),
        references=unique(
            text(mapping(r, line=where, field="references").get("url"))
            for r in items(item.get("references"), line=where, field="references")
        ),
        configurations=[
            _configuration(c, where, f"configurations[{i}]")
            for i, c in enumerate(items(item.get("configurations"), line=where, field="configurations"))
        ],
        kev=_kev(item, where),
    )


def _description(values, where):
    descriptions = [mapping(d, line=where, field="descriptions")
                    for d in items(values, line=where, field="descriptions")]
    for description in descriptions:
        if str(description.get("lang", "")).lower().startswith("en"):
            return text(description.get("value"))
    return text(descriptions[0].get("value")) if descriptions else ""


def _metrics(values, where):
    metrics = mapping(values or {}, line=where, field="metrics")
    result = []
    for key, version in METRIC_KEYS:
        for i, metric in enumerate(items(metrics.get(key), line=where, field=f"metrics.{key}")):
            name = f"metrics.{key}[{i}]"
            metric = mapping(metric, line=where, field=name)
            data = mapping(metric.get("cvssData"), line=where, field=f"{name}.cvssData")
            if "baseScore" not in data:
                raise AdvisoryParseError(_("the CVSS metric has no base score"), line=where,
                                         field=f"{name}.cvssData.baseScore")
            result.append(CvssMetric(
                version=text(data.get("version")) or version,
                base_score=score(data["baseScore"], line=where, field=f"{name}.cvssData.baseScore"),
                vector=text(data.get("vectorString")),
                severity=severity(data.get("baseSeverity") or metric.get("baseSeverity")),
                source=text(metric.get("source")),
                primary=metric.get("type", "Primary") == "Primary",
            ))
    return result


def _configuration(value, where, name):
    configuration = mapping(value, line=where, field=name)
    return Configuration(
        operator=_operator(configuration.get("operator"), where, f"{name}.operator"),
        negate=bool(configuration.get("negate", False)),
        nodes=[_node(n, where, f"{name}.nodes[{i}]")
               for i, n in enumerate(items(configuration.get("nodes"), line=where, field=f"{name}.nodes"))],
    )


def _node(value, where, name):
    node = mapping(value, line=where, field=name)
    return Node(
        operator=_operator(node.get("operator"), where, f"{name}.operator"),
        negate=bool(node.get("negate", False)),
        matches=[_match(m, where, f"{name}.cpeMatch[{i}]")
                 for i, m in enumerate(items(node.get("cpeMatch"), line=where, field=f"{name}.cpeMatch"))],
    )


def _match(value, where, name):
    match = mapping(value, line=where, field=name)
    criteria = text(match.get("criteria"))
    if not criteria.startswith("cpe:2.3:"):
        raise AdvisoryParseError(_("%(value)r is not a CPE 2.3 name") % {"value": match.get("criteria")},
                                 line=where, field=f"{name}.criteria")
    return CpeMatch(
        criteria=criteria,
        vulnerable=bool(match.get("vulnerable", True)),
        **{attribute: text(match.get(key)) for key, attribute in _RANGE_KEYS},
    )


def _operator(value, where, name):
    if value in (None, ""):
        return "OR"
    operator = str(value).upper()
    if operator not in ("AND", "OR"):
        raise AdvisoryParseError(_("%(value)r is not AND or OR") % {"value": value}, line=where, field=name)
    return operator


def _kev(item, where):
    if not item.get("cisaExploitAdd"):
        return None
    return KevEntry(
        date_added=iso_date(item.get("cisaExploitAdd"), line=where, field="cisaExploitAdd"),
        due_date=iso_date(item.get("cisaActionDue"), line=where, field="cisaActionDue"),
        vulnerability_name=text(item.get("cisaVulnerabilityName")),
        required_action=text(item.get("cisaRequiredAction")),
    )
