"""CVE JSON 5 records (cvelistV5, the CVE Services API): one record ``{"dataType": "CVE_RECORD",
"dataVersion": "5.x", "cveMetadata": {...}, "containers": {"cna": {...}, "adp": [...]}}``, or a JSON array of
records, or an object with a list of records (``{"cveRecords": [...]}``), streamed record by record.

Mapping (one ``Advisory(source="cve5")`` per record):

- ``cveMetadata.cveId`` (required), ``state`` → ``status`` ("PUBLISHED", "REJECTED": rejected records are
  yielded with their ``rejectedReasons`` as description), ``datePublished``/``dateUpdated`` → aware UTC;
- the CNA's English description;
- ``metrics[]`` of the CNA and of every ADP container (CISA's "Vulnrichment" ADP adds ``cvssV3_1``):
  ``cvssV4_0``/``cvssV3_1``/``cvssV3_0``/``cvssV2_0`` → ``CvssMetric`` (source = the container's
  ``providerMetadata.shortName``; the CNA's scores are ``primary``, an ADP's are not); an ADP
  ``{"other": {"type": "kev", "content": {"dateAdded": ...}}}`` → ``kev``; SSVC decisions are not kept;
- ``problemTypes[].descriptions[].cweId`` (CNA and ADP) → ``cwes``; ``references[].url`` → ``references``;
- ``affected[]`` (CNA, then ADP) → ``AffectedProduct(vendor, product, versions=[VersionSpec(version,
  status, lessThan, lessThanOrEqual, versionType)], default_status, cpes)``. ``defaultStatus`` missing →
  "unknown", as the CVE 5 schema says. ``product`` falls back to ``packageName``.
"""

from django.utils.translation import gettext as _

from lachan.vulns.records import Advisory, AffectedProduct, CvssMetric, KevEntry, VersionSpec

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

NAME = "cve5"
METRIC_KEYS = (("cvssV4_0", "4.0"), ("cvssV3_1", "3.1"), ("cvssV3_0", "3.0"), ("cvssV2_0", "2.0"))
VERSION_STATUSES = ("affected", "unaffected", "unknown")


def record_id(value):
    if isinstance(value, dict):
        metadata = value.get("cveMetadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("cveId"), str):
            return metadata["cveId"]
    return ""


def advisory(value, where=""):
    """One CVE 5 record → ``Advisory``."""
    record = mapping(value, line=where, field="record")
    data_type = record.get("dataType", "CVE_RECORD")
    if data_type != "CVE_RECORD":
        raise AdvisoryParseError(_("not a CVE 5 record (dataType %(value)r)") % {"value": data_type},
                                 line=where, field="dataType")
    metadata = mapping(record.get("cveMetadata"), line=where, field="cveMetadata")
    identifier = cve_id(metadata.get("cveId"), line=where, field="cveMetadata.cveId")
    where = f"{where} ({identifier})" if where else identifier
    containers = mapping(record.get("containers") or {}, line=where, field="containers")
    cna = mapping(containers.get("cna") or {}, line=where, field="containers.cna")
    adps = [mapping(a, line=where, field=f"containers.adp[{i}]")
            for i, a in enumerate(items(containers.get("adp"), line=where, field="containers.adp"))]
    parts = [("containers.cna", cna, True)] + [(f"containers.adp[{i}]", a, False) for i, a in enumerate(adps)]
    description = _english(cna.get("descriptions"), where, "containers.cna.descriptions") or _english(
        cna.get("rejectedReasons"), where, "containers.cna.rejectedReasons")
    cvss, kev = [], None
    for name, container, primary in parts:
        metrics, container_kev = _metrics(container, where, name, primary)
        cvss += metrics
        kev = kev or container_kev
    return Advisory(
        cve_id=identifier,
        source=NAME,
        description=description,
        published=timestamp(metadata.get("datePublished"), line=where, field="cveMetadata.datePublished"),
        last_modified=timestamp(metadata.get("dateUpdated"), line=where, field="cveMetadata.dateUpdated"),
        status=text(metadata.get("state")),
        cvss=cvss,
        cwes=cwe_ids(
            d.get("cweId") or d.get("description")
            for name, container, _primary in parts
            for p in items(container.get("problemTypes"), line=where, field=f"{name}.problemTypes")
            for d in items(mapping(p, line=where, field=f"{name}.problemTypes").get("descriptions"),
                           line=where, field=f"{name}.problemTypes.descriptions")
            if isinstance(d, dict)
        ),
        references=unique(
            text(mapping(r, line=where, field=f"{name}.references").get("url"))
            for name, container, _primary in parts
            for r in items(container.get("references"), line=where, field=f"{name}.references")
        ),
        affected=[
            _affected(a, where, f"{name}.affected[{i}]")
            for name, container, _primary in parts
            for i, a in enumerate(items(container.get("affected"), line=where, field=f"{name}.affected"))
        ],
        kev=kev,
    )


def _english(values, where, name):
    entries = [mapping(d, line=where, field=name) for d in items(values, line=where, field=name)]
    for entry in entries:
        if str(entry.get("lang", "")).lower().startswith("en"):
            return text(entry.get("value"))
    return text(entries[0].get("value")) if entries else ""


def _provider(container):
    provider = container.get("providerMetadata")
    if isinstance(provider, dict):
        return text(provider.get("shortName")) or text(provider.get("orgId"))
    return ""


def _metrics(container, where, name, primary):
    result, kev = [], None
    source = _provider(container)
    for i, entry in enumerate(items(container.get("metrics"), line=where, field=f"{name}.metrics")):
        entry = mapping(entry, line=where, field=f"{name}.metrics[{i}]")
        for key, version in METRIC_KEYS:
            if key not in entry:
                continue
            field = f"{name}.metrics[{i}].{key}"
            data = mapping(entry[key], line=where, field=field)
            if "baseScore" not in data:
                raise AdvisoryParseError(_("the CVSS metric has no base score"), line=where,
                                         field=f"{field}.baseScore")
            result.append(CvssMetric(
                version=text(data.get("version")) or version,
                base_score=score(data["baseScore"], line=where, field=f"{field}.baseScore"),
                vector=text(data.get("vectorString")),
                severity=severity(data.get("baseSeverity")),
                source=source,
                primary=primary,
            ))
        other = entry.get("other")
        if isinstance(other, dict) and str(other.get("type", "")).lower() == "kev":
            content = other.get("content") if isinstance(other.get("content"), dict) else {}
            kev = KevEntry(date_added=iso_date(content.get("dateAdded"), line=where,
                                               field=f"{name}.metrics[{i}].other.content.dateAdded"))
    return result, kev


def _affected(value, where, name):
    affected = mapping(value, line=where, field=name)
    versions = []
    for i, version in enumerate(items(affected.get("versions"), line=where, field=f"{name}.versions")):
        field = f"{name}.versions[{i}]"
        version = mapping(version, line=where, field=field)
        if version.get("version") in (None, ""):
            raise AdvisoryParseError(_("the version entry has no version"), line=where, field=f"{field}.version")
        status = text(version.get("status")).lower() or "affected"
        if status not in VERSION_STATUSES:
            raise AdvisoryParseError(_("%(value)r is not affected, unaffected or unknown")
                                     % {"value": version.get("status")}, line=where, field=f"{field}.status")
        versions.append(VersionSpec(
            version=str(version["version"]).strip(),
            status=status,
            less_than=text(version.get("lessThan")),
            less_than_or_equal=text(version.get("lessThanOrEqual")),
            version_type=text(version.get("versionType")),
        ))
    return AffectedProduct(
        vendor=text(affected.get("vendor")),
        product=text(affected.get("product")) or text(affected.get("packageName")),
        versions=versions,
        default_status=text(affected.get("defaultStatus")).lower() or "unknown",
        cpes=unique(text(c) for c in items(affected.get("cpes"), line=where, field=f"{name}.cpes")),
    )
