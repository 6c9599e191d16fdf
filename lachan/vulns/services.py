"""Advisory imports, matching, scan imports and the finding lifecycle (writes). Reads with the user's scope
are in ``selectors``; the version/CPE semantics are in ``vulns.matching``, the file formats in
``vulns.advisories`` and ``vulns.parsers``.

Audit: imports write one audited row each (``AdvisoryImport``, ``ScanImport``) that carries the counts; the
findings they create or update are written in bulk (not audited one by one — a 10,000-finding scan would
write 10,000 audit rows), and every finding keeps its own status history in ``Finding.timeline``. A status
change made by a person (``finding_transition``) is a ``.save()`` and so is audited.

Batches: every bulk step works on ``BATCH`` rows with a constant number of queries per batch (one read of
the existing rows by key, one ``bulk_create``, one ``bulk_update``), whatever the size of the file.
"""

import hashlib
import ipaddress
import json
import logging
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.choices import ADMIN_ROLES
from lachan.core.audit import acting_as
from lachan.core.files import file_digest
from lachan.core.scope import CHANGE, user_role

from . import sla
from .choices import (
    ACTIVE_STATUSES,
    APPROVER_STATUSES,
    CLOSED_STATUSES,
    MATCH_SOURCE,
    TRANSITIONS,
    AnswerStatus,
    FindingStatus,
    ImportStatus,
)
from .models import (
    Advisory,
    AdvisoryImport,
    CampaignAnswer,
    Finding,
    ScanImport,
    SoftwareAlias,
    WarningCampaign,
)
from .records import CVSS_PREFERENCE, SEVERITIES, CvssMetric
from .records import Advisory as AdvisoryRecord

logger = logging.getLogger("lachan.vulns")

BATCH = 2000
UPDATE_BATCH = 100  # bulk_update builds CASE … WHEN per row: small statements stay linear
SOURCE_ORDER = ("nvd", "cve5", "national", "kev")  # who wins a text field when several sources give it


def setting(name, default):
    return getattr(settings, name, default)


def cvss_preference():
    """The order of CVSS versions the primary score is taken from (VULNS_CVSS_PREFERENCE, e.g. "3.1,4.0")."""
    value = setting("VULNS_CVSS_PREFERENCE", None)
    if not value:
        return CVSS_PREFERENCE
    return tuple(v.strip() for v in (value.split(",") if isinstance(value, str) else value) if v.strip())


def _name_of(file, file_name=None):
    name = file_name or (Path(file).name if isinstance(file, str | Path) else getattr(file, "name", "")) or "-"
    return Path(str(name)).name[:300]


def _chunks(items, size=BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _text(value, limit):
    return "" if value is None else str(value).replace("\x00", "")[:limit]


def _event(status_from, status_to, *, by=None, note="", at=None):
    return {"at": (at or timezone.now()).isoformat(), "by": getattr(by, "username", None) or "",
            "from": status_from or "", "to": status_to, "note": note[:1000]}


def _digest(*parts):
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8", "surrogatepass")).hexdigest()


# --- advisories ---------------------------------------------------------------------------------------------


def _iso(value):
    return value.isoformat() if isinstance(value, datetime | date) else value


def advisory_part(record):
    """One source's record as JSON (what ``Advisory.parts[source]`` keeps)."""
    return {
        "description": record.description or "",
        "published": _iso(record.published),
        "last_modified": _iso(record.last_modified),
        "status": record.status or "",
        "cvss": [m.to_dict() for m in record.cvss],
        "cwes": list(record.cwes),
        "references": list(record.references),
        "applicability": record.applicability(),
        "kev": record.kev.to_dict() if record.kev is not None else None,
    }


def _first(parts, key):
    for source in SOURCE_ORDER:
        value = (parts.get(source) or {}).get(key)
        if value:
            return value
    for part in parts.values():
        if part.get(key):
            return part[key]
    return None


def _date(value):
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _datetime(value):
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, timezone.utc)


def merge_parts(parts, preference=None):
    """The fields of an ``Advisory`` from its sources' parts: text from NVD first (then CVE 5, national, KEV),
    CVSS metrics and CWE/references united, NVD configurations (CVE 5's when NVD has none) plus every source's
    ``affected`` products, KEV fields from the KEV part."""
    preference = preference or cvss_preference()
    metrics, seen = [], set()
    for source in SOURCE_ORDER:
        for m in (parts.get(source) or {}).get("cvss", []):
            key = (m.get("version"), m.get("source"), m.get("vector"), m.get("base_score"))
            if key not in seen:
                seen.add(key)
                metrics.append(m)
    record = AdvisoryRecord(cve_id="", source="", cvss=[CvssMetric.from_dict(m) for m in metrics])
    primary = record.primary_cvss(preference)
    configurations = (parts.get("nvd") or {}).get("applicability", {}).get("configurations") or []
    if not configurations:
        for source in SOURCE_ORDER:
            configurations = (parts.get(source) or {}).get("applicability", {}).get("configurations") or []
            if configurations:
                break
    affected = []
    for source in SOURCE_ORDER:
        for item in (parts.get(source) or {}).get("applicability", {}).get("affected") or []:
            if item not in affected:
                affected.append(item)
    cwes, references = [], []
    for source in SOURCE_ORDER:
        part = parts.get(source) or {}
        cwes += [c for c in part.get("cwes", []) if c not in cwes]
        references += [r for r in part.get("references", []) if r not in references]
    kev = (parts.get("kev") or {}).get("kev") or _first(parts, "kev") or None
    published = [p for p in (_datetime((parts.get(s) or {}).get("published")) for s in parts) if p]
    modified = [p for p in (_datetime((parts.get(s) or {}).get("last_modified")) for s in parts) if p]
    description = _first(parts, "description") or ((kev or {}).get("vulnerability_name") or "")
    return {
        "description": description,
        "published": min(published) if published else None,
        "last_modified": max(modified) if modified else None,
        "status": _text(_first(parts, "status"), 50),
        "cvss_version": primary.version if primary else "",
        "base_score": primary.base_score if primary else None,
        "vector": _text(primary.vector if primary else "", 300),
        "severity": record.severity(preference) if primary else "info",
        "metrics": metrics,
        "cwes": cwes,
        "references": references[:200],
        "applicability": {"configurations": configurations, "affected": affected},
        "kev": kev is not None,
        "kev_date_added": _date((kev or {}).get("date_added")),
        "kev_due_date": _date((kev or {}).get("due_date")),
        "kev_known_ransomware": bool((kev or {}).get("known_ransomware")),
        "kev_required_action": (kev or {}).get("required_action") or "",
        "sources": sorted(parts, key=lambda s: SOURCE_ORDER.index(s) if s in SOURCE_ORDER else 99),
    }


ADVISORY_FIELDS = ("description", "published", "last_modified", "status", "cvss_version", "base_score", "vector",
                   "severity", "metrics", "cwes", "references", "applicability", "kev", "kev_date_added",
                   "kev_due_date", "kev_known_ransomware", "kev_required_action", "sources", "parts",
                   "content_hash", "updated")


def _parts_hash(parts):
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class AdvisoryBatchResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_cves: list = None


def upsert_advisories(records, *, now=None):
    """Store one batch of ``records.Advisory`` (several sources of one CVE merge): 1 read + 1 bulk_create
    + 1 bulk_update. Returns the counts and the CVEs whose applicability or KEV flag changed."""
    now = now or timezone.now()
    result = AdvisoryBatchResult(changed_cves=[])
    by_cve = {}
    for record in records:
        by_cve.setdefault(record.cve_id.strip().upper(), []).append(record)
    existing = {a.cve_id: a for a in Advisory.objects.filter(cve_id__in=list(by_cve))
                .only("id", "cve_id", "parts", "content_hash", "applicability", "kev")}
    create, update = [], []
    for cve_id, recs in by_cve.items():
        advisory = existing.get(cve_id)
        parts = dict(advisory.parts) if advisory is not None else {}
        for record in recs:
            parts[record.source] = advisory_part(record)
        content_hash = _parts_hash(parts)
        if advisory is not None and advisory.content_hash == content_hash:
            result.unchanged += 1
            continue
        fields = merge_parts(parts)
        if advisory is None:
            create.append(Advisory(cve_id=cve_id, parts=parts, content_hash=content_hash, **fields))
            result.changed_cves.append(cve_id)
            continue
        if advisory.applicability != fields["applicability"] or advisory.kev != fields["kev"]:
            result.changed_cves.append(cve_id)
        for name, value in fields.items():
            setattr(advisory, name, value)
        advisory.parts, advisory.content_hash, advisory.updated = parts, content_hash, now
        update.append(advisory)
    if create:
        Advisory.objects.bulk_create(create, batch_size=500)
    if update:
        Advisory.objects.bulk_update(update, ADVISORY_FIELDS, batch_size=500)
    result.created, result.updated = len(create), len(update)
    return result


def advisories_import(path, *, fmt=None, by=None, match=True, file_name=None):
    """Import an advisory file (NVD JSON 2.0, CVE 5, CISA KEV JSON/CSV — ``advisories.iter_advisories``),
    streamed in batches of ``BATCH`` in ONE transaction (a file that cannot be read leaves nothing but a
    failed ``AdvisoryImport`` naming the error). The same file twice changes nothing (returns the first
    import, ``duplicate`` True). Then matches the CVEs that changed against the inventory."""
    from .advisories import AdvisoryParseError, detect_format, iter_advisories

    if by is not None and user_role(by) is not None and not _can_change(by, AdvisoryImport):
        raise ValidationError(_("Only coordinators import advisories."))
    name = _name_of(path, file_name)
    sha256, _size = file_digest(path)
    earlier = AdvisoryImport.objects.filter(sha256=sha256, status=ImportStatus.DONE).first()
    if earlier is not None:
        earlier.duplicate = True
        earlier.match_result = None
        return earlier
    started = timezone.now()
    if fmt is None and isinstance(path, str | Path):
        try:
            fmt = detect_format(path)
        except AdvisoryParseError:
            fmt = None
    record = AdvisoryImport(file_name=name, sha256=sha256, format=(fmt or "")[:50], imported_by=by, started=started)
    changed = []
    try:
        with transaction.atomic(), acting_as(by):
            batch = []
            for advisory in iter_advisories(path, fmt):
                batch.append(advisory)
                if len(batch) >= BATCH:
                    _count(record, upsert_advisories(batch, now=started), changed)
                    batch = []
            if batch:
                _count(record, upsert_advisories(batch, now=started), changed)
            record.status = ImportStatus.DONE
            record.finished = timezone.now()
            record.save()
    except AdvisoryParseError as exc:
        with acting_as(by):
            record.created_count = record.updated_count = record.unchanged_count = 0
            record.status, record.error, record.errors = ImportStatus.FAILED, str(exc)[:5000], 1
            record.finished = timezone.now()
            record.save()
        raise
    record.duplicate = False
    record.match_result = match_advisories(changed) if match and changed else None
    return record


def _count(record, result, changed):
    record.created_count += result.created
    record.updated_count += result.updated
    record.unchanged_count += result.unchanged
    changed += result.changed_cves


def unit_in_scope(user, unit):
    """Whether ``user`` may write vulnerability data (scans, answers) of ``unit``: a unit in the user's scope
    and a role that writes unit data."""
    from lachan.core.scope import VIEW
    from lachan.organizations.models import Unit

    return _can_change(user, ScanImport) and Unit.objects.restrict(user, VIEW).filter(pk=unit.pk).exists()


def _can_change(user, model):
    from lachan.core.scope import can

    return can(user, model, CHANGE)


# --- matching ------------------------------------------------------------------------------------------------


@dataclass
class MatchRun:
    advisories: int = 0
    software_items: int = 0
    affected: int = 0
    uncertain: int = 0
    new: int = 0
    closed: int = 0
    reopened: int = 0
    seconds: float = 0.0

    def as_dict(self):
        return asdict(self)


def software_items(software_ids=None):
    """``matching.SoftwareItem`` for inventory software (every unit: matching runs for the platform)."""
    from lachan.inventory.models import Software

    from .matching import SoftwareItem

    queryset = Software.objects.all()
    if software_ids is not None:
        queryset = queryset.filter(pk__in=list(software_ids))
    rows = queryset.values_list("id", "vendor", "product", "version", "cpe", "host_id", "system_id",
                                "host__system_id", "unit_id")
    return [SoftwareItem(id=i, vendor=v, product=p, version=ver, cpe=cpe or "", host_id=h,
                         system_id=s or hs, unit_id=u)
            for i, v, p, ver, cpe, h, s, hs, u in rows.iterator(chunk_size=5000)]


def alias_map():
    return {(a.vendor, a.product): (a.cpe_vendor, a.cpe_product)
            for a in SoftwareAlias.objects.only("vendor", "product", "cpe_vendor", "cpe_product")}


def match_key(software_id, cve_id):
    return _digest(MATCH_SOURCE, software_id, cve_id)


def _run_matches(items, advisories):
    """(matches, advisories seen) for ``advisories``: an iterable of (cve_id, applicability)."""
    from .matching import Matcher

    matcher = Matcher(items, alias_map())
    found, count = [], 0
    for cve_id, applicability in advisories:
        count += 1
        found += matcher.match(cve_id, applicability or {})
    return found, count


def match_all():
    """Every advisory against every software item; findings upserted, the ones no longer matching closed."""
    started = time.perf_counter()
    items = software_items()
    advisories = Advisory.objects.values_list("cve_id", "applicability").iterator(chunk_size=BATCH)
    matches, count = _run_matches(items, advisories)
    run = _store_matches(matches, items, scope={})
    run.advisories, run.software_items, run.seconds = count, len(items), round(time.perf_counter() - started, 3)
    return run


def match_advisories(cve_ids):
    """The given CVEs against every software item (after an advisory import)."""
    started = time.perf_counter()
    cve_ids = sorted(set(cve_ids))
    items = software_items()
    matches, count = [], 0
    for chunk in _chunks(cve_ids):
        found, n = _run_matches(items, Advisory.objects.filter(cve_id__in=chunk).values_list("cve_id", "applicability"))
        matches += found
        count += n
    run = _store_matches(matches, items, scope={"cve_id__in": cve_ids})
    run.advisories, run.software_items, run.seconds = count, len(items), round(time.perf_counter() - started, 3)
    return run


def match_software(software_ids):
    """Every advisory against the given software items (after an inventory change)."""
    started = time.perf_counter()
    software_ids = sorted(set(software_ids))
    items = software_items(software_ids)
    advisories = _candidate_advisories(items)
    matches, count = _run_matches(items, advisories)
    run = _store_matches(matches, items, scope={"software_id__in": software_ids})
    run.advisories, run.software_items, run.seconds = count, len(items), round(time.perf_counter() - started, 3)
    return run


def _candidate_advisories(items):
    """Advisories that may concern ``items``: those naming one of their (CPE/alias/normalised) products in
    their applicability text. A cheap pre-filter; the matcher decides."""
    from django.db.models import Q

    from .matching import normalise_name

    aliases = alias_map()
    terms = set()
    for item in items:
        if item.cpe:
            parts = item.cpe.split(":")
            if len(parts) > 4:
                terms.add(parts[4])
        key = (normalise_name(item.vendor), normalise_name(item.product))
        if key in aliases:
            terms.add(aliases[key][1])
        terms.add(normalise_name(item.product))
        terms.add(item.product)
    terms = {t for t in terms if t and len(t) >= 2}
    if not terms:
        return iter(())
    condition = Q()
    for term in terms:
        condition |= Q(applicability__icontains=term)
    return Advisory.objects.filter(condition).values_list("cve_id", "applicability").iterator(chunk_size=BATCH)


def _store_matches(matches, items, *, scope):
    """Upsert findings (source "match") for ``matches``; active match findings inside ``scope`` (a filter on
    Finding) that no longer match are closed as fixed with a timeline note."""
    now = timezone.now()
    policy = sla.active_policy()
    by_item = {item.id: item for item in items}
    run = MatchRun()
    wanted = {}
    for m in matches:
        item = by_item.get(m.software_id)
        if item is None:
            continue
        wanted[match_key(m.software_id, m.cve_id)] = (m, item)
        if m.status == "uncertain":
            run.uncertain += 1
        else:
            run.affected += 1
    levels = _security_levels({item.system_id for _m, item in wanted.values() if item.system_id})
    with transaction.atomic():
        for chunk in _chunks(list(wanted.items())):
            _write_match_batch(chunk, policy, levels, now, run)
        stale = (Finding.objects.filter(source=MATCH_SOURCE, status__in=ACTIVE_STATUSES, **scope)
                 .exclude(key__in=[]).only("id", "key", "status", "timeline", "unit_id"))
        closing = [f for f in stale.iterator(chunk_size=BATCH) if f.key not in wanted]
        note = _("The inventory no longer matches this advisory (software updated or removed).")
        for chunk in _chunks(closing):
            for finding in chunk:
                finding.timeline = [*finding.timeline, _event(finding.status, FindingStatus.FIXED, note=note, at=now)]
                finding.status, finding.fixed_at, finding.overdue, finding.updated = FindingStatus.FIXED, now, False, now
            Finding.objects.bulk_update(chunk, ["status", "fixed_at", "overdue", "timeline", "updated"],
                                        batch_size=UPDATE_BATCH)
        run.closed = len(closing)
    return run


def _security_levels(system_ids):
    from lachan.inventory.models import InformationSystem

    levels = {}
    for chunk in _chunks(system_ids):
        levels.update(InformationSystem.objects.filter(pk__in=chunk).values_list("id", "security_level"))
    return levels


def _write_match_batch(chunk, policy, levels, now, run):
    keys = [key for key, _v in chunk]
    units = {item.unit_id for _k, (_m, item) in chunk}
    existing = {f.key: f for f in Finding.objects.filter(unit_id__in=units, key__in=keys)}
    cves = {m.cve_id for _k, (m, _i) in chunk}
    advisories = {a.cve_id: a for a in Advisory.objects.filter(cve_id__in=cves).only(
        "id", "cve_id", "severity", "base_score", "kev", "kev_due_date", "description")}
    create, update, touch = [], [], []
    for key, (m, item) in chunk:
        advisory = advisories.get(m.cve_id)
        severity = advisory.severity if advisory else "info"
        kev = bool(advisory and advisory.kev)
        uncertain = m.status == "uncertain"
        reason = _text(m.reason, 500)
        finding = existing.get(key)
        if finding is None:
            due = sla.due_date(policy, severity=severity, start=now, kev=kev,
                               kev_due=advisory.kev_due_date if advisory else None,
                               security_level=levels.get(item.system_id))
            create.append(Finding(
                unit_id=item.unit_id, system_id=item.system_id, host_id=item.host_id, software_id=item.id,
                advisory=advisory, cve_id=m.cve_id, source=MATCH_SOURCE, rule_id=_text(m.criteria, 300),
                title=_text(f"{m.cve_id} · {' '.join(p for p in (item.vendor, item.product, item.version) if p)}", 500),
                severity=severity, cvss=advisory.base_score if advisory else None, kev=kev,
                component=_text(item.product, 300), installed_version=_text(item.version, 200), key=key,
                status=FindingStatus.OPEN, uncertain=uncertain, reason=reason, first_seen=now, last_seen=now,
                due_date=due, timeline=[_event("", FindingStatus.OPEN, note=reason, at=now)]))
            continue
        cvss = advisory.base_score if advisory else finding.cvss
        changed = (finding.status in CLOSED_STATUSES or (finding.uncertain, finding.reason, finding.severity, finding.kev,
                                                         finding.cvss, finding.advisory_id)
                   != (uncertain, reason, severity, kev, cvss, advisory.pk if advisory else finding.advisory_id))
        if not changed:
            touch.append(finding.pk)
            continue
        finding.last_seen, finding.uncertain, finding.reason = now, uncertain, reason
        finding.severity, finding.kev, finding.cvss = severity, kev, cvss
        finding.advisory = advisory or finding.advisory
        if finding.status in CLOSED_STATUSES:
            note = _("Matches the inventory again.")
            finding.timeline = [*finding.timeline, _event(finding.status, FindingStatus.OPEN, note=note, at=now)]
            finding.status, finding.fixed_at = FindingStatus.OPEN, None
            finding.due_date = sla.due_date(policy, severity=severity, start=now, kev=kev,
                                            kev_due=advisory.kev_due_date if advisory else None,
                                            security_level=levels.get(item.system_id))
            run.reopened += 1
        finding.updated = now
        update.append(finding)
    if create:
        Finding.objects.bulk_create(create)
    if touch:
        Finding.objects.filter(pk__in=touch).update(last_seen=now, updated=now)
    if update:
        Finding.objects.bulk_update(update, ["last_seen", "uncertain", "reason", "severity", "kev", "cvss", "advisory",
                                             "status", "fixed_at", "due_date", "timeline", "updated"],
                                    batch_size=UPDATE_BATCH)
    run.new += len(create)


def alias_confirm(*, vendor, product, cpe_vendor, cpe_product, by):
    """Record that inventory software named ``vendor``/``product`` (free text) is CPE ``cpe_vendor:cpe_product``
    (coordinators); the software concerned is matched again in the background."""
    from lachan.inventory.models import Software

    from .matching import normalise_name

    if not _can_change(by, SoftwareAlias):
        raise ValidationError(_("Only coordinators confirm software aliases."))
    cpe_vendor, cpe_product = cpe_vendor.strip().lower(), cpe_product.strip().lower()
    if not cpe_vendor or not cpe_product:
        raise ValidationError(_("Give the CPE vendor and product."))
    key = (normalise_name(vendor), normalise_name(product))
    with transaction.atomic(), acting_as(by):
        alias, _created = SoftwareAlias.objects.update_or_create(
            vendor=key[0], product=key[1],
            defaults={"cpe_vendor": cpe_vendor[:200], "cpe_product": cpe_product[:200], "confirmed_by": by,
                      "confirmed_at": timezone.now()})
        ids = [s.pk for s in Software.objects.filter(vendor__iexact=vendor, product__iexact=product).only("id")]
        if ids:
            from .tasks import match_software_job

            transaction.on_commit(lambda: match_software_job.enqueue(ids))
    return alias


# --- scans ------------------------------------------------------------------------------------------------------


def _canonical_ip(value):
    try:
        ip = ipaddress.ip_address(str(value).strip())
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


class HostIndex:
    """Inventory hosts by IP and hostname: those of the import unit's subtree, and the owners of the rest."""

    def __init__(self, unit):
        from lachan.inventory.models import Host

        self.unit = unit
        self.by_ip, self.by_name = {}, {}
        self.other_ip, self.other_name = {}, {}
        rows = Host.objects.values_list("id", "unit_id", "unit__path", "hostname", "ip_addresses", "system_id",
                                        "system__security_level")
        for host_id, unit_id, path, hostname, ips, system_id, level in rows.iterator(chunk_size=5000):
            mine = path.startswith(unit.path)
            entry = (host_id, unit_id, system_id, level)
            for raw in (ips or "").replace(";", ",").split(","):
                ip = _canonical_ip(raw)
                if ip:
                    (self.by_ip if mine else self.other_ip).setdefault(ip, entry if mine else unit_id)
            name = (hostname or "").strip().lower()
            if name:
                (self.by_name if mine else self.other_name).setdefault(name, entry if mine else unit_id)
        self._prefixes = None

    def find(self, ip, hostname):
        ip = _canonical_ip(ip) if ip else None
        if ip and ip in self.by_ip:
            return self.by_ip[ip]
        name = (hostname or "").strip().lower()
        if name and name in self.by_name:
            return self.by_name[name]
        return None

    def foreign_owner(self, ip, hostname):
        """The id of another unit (outside the subtree) owning this address, by host record or prefix."""
        ip = _canonical_ip(ip) if ip else None
        if ip and ip in self.other_ip:
            return self.other_ip[ip]
        name = (hostname or "").strip().lower()
        if not ip and name and name in self.other_name:
            return self.other_name[name]
        if ip:
            owner = self._prefix_owner(ip)
            if owner is not None and owner not in self._subtree_ids():
                return owner
        return None

    def _subtree_ids(self):
        if not hasattr(self, "_subtree"):
            from lachan.organizations.models import Unit

            self._subtree = set(Unit.objects.filter(path__startswith=self.unit.path).values_list("id", flat=True))
        return self._subtree

    def _prefix_owner(self, ip):
        if self._prefixes is None:
            from lachan.intel.matching import PrefixMatcher
            from lachan.inventory.models import IPPrefix

            self._prefixes = PrefixMatcher.from_queryset(IPPrefix.objects.all(), match_bogons=True,
                                                         allow_documentation=True)
        if not len(self._prefixes.labels):
            return None
        return self._prefixes.labels_of(self._prefixes.classify([ip]).index)[0]


@dataclass
class _ScanHostPlan:
    address: str
    hostname: str
    os: str
    host: tuple | None  # (host_id, unit_id, system_id, security_level)
    findings: int = 0


def _finding_address(item):
    return _canonical_ip(item.host_ip) or (item.hostname or "").strip().lower()


def read_scan(path, *, unit, fmt=None):
    """Phase 1 (no write, one streamed pass): the scan's hosts, each resolved in the inventory, with their
    finding counts — the findings themselves are not kept (a 1 GB file is read twice, never held).
    Raises ``ValidationError`` naming the addresses that belong to another unit."""
    from .parsers import iter_scan
    from .records import ScanHost

    index = HostIndex(unit)
    hosts = {}
    format_name = ""
    for item in iter_scan(path, fmt):
        if isinstance(item, ScanHost):
            address = _canonical_ip(item.ip) or item.hostname.strip().lower()
            if address and address not in hosts:
                hosts[address] = _ScanHostPlan(address, item.hostname, item.os, index.find(item.ip, item.hostname))
            continue
        format_name = format_name or item.scanner
        address = _finding_address(item)
        if not address:
            continue
        plan = hosts.get(address)
        if plan is None:
            plan = hosts[address] = _ScanHostPlan(address, item.hostname, "", index.find(item.host_ip, item.hostname))
        plan.findings += 1
    foreign = []
    for plan in hosts.values():
        if plan.host is None:
            ip = plan.address if _canonical_ip(plan.address) else ""
            if index.foreign_owner(ip, plan.hostname if not ip else "") is not None:
                foreign.append(plan.address)
    if foreign:
        raise ValidationError(
            _("This scan contains hosts of another unit; nothing was imported. Upload it for the unit owning "
              "them (or ask the coordinator): %(addresses)s") % {"addresses": ", ".join(sorted(foreign)[:50])})
    return hosts, format_name


def _scan_rows(path, fmt, hosts, unit):
    """Phase 2 (second streamed pass): ``(unit_id, host, address, finding)`` for every finding of the file,
    in file order, once per key (a file repeating a finding — same host, rule, port … — counts once)."""
    from .parsers import iter_scan
    from .records import ScanHost

    seen = set()
    for item in iter_scan(path, fmt):
        if isinstance(item, ScanHost):
            continue
        plan = hosts.get(_finding_address(item))
        if plan is None:
            continue
        key = scan_key(item, plan.host[0] if plan.host else None)
        if key in seen:
            continue
        seen.add(key)
        item.evidence = _text(item.evidence, 4000)
        item.description = _text(item.description, 2000)
        yield plan.host[1] if plan.host else unit.pk, plan.host, plan.address, item


def _batches(iterable, size=BATCH):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def scan_key(finding, host_id):
    return _digest("scan", host_id or 0, *finding.key())


def _write_scan_batch(rows, *, scan, policy, now, counts):
    """One batch of (unit_id, host tuple|None, address, ScanFinding): 1 read by key, 1 bulk_create,
    1 bulk_update — plus 1 read of the advisories the batch names."""
    keys = [scan_key(f, host[0] if host else None) for _u, host, _a, f in rows]
    units = {u for u, _h, _a, _f in rows}
    existing = {f.key: f for f in Finding.objects.filter(unit_id__in=units, key__in=keys)}
    cves = {c.upper() for *_x, f in rows for c in f.cves}
    advisories = {a.cve_id: a for a in Advisory.objects.filter(cve_id__in=cves).only(
        "id", "cve_id", "kev", "kev_due_date", "base_score", "severity")} if cves else {}
    create, update, seen, touch = [], [], [], []
    for key, (unit_id, host, address, f) in zip(keys, rows, strict=True):
        seen.append(key)
        linked = [advisories[c.upper()] for c in f.cves if c.upper() in advisories]
        kev_advisory = next((a for a in linked if a.kev), None)
        advisory = kev_advisory or (max(linked, key=lambda a: a.base_score or 0) if linked else None)
        cve_id = advisory.cve_id if advisory else (f.cves[0].upper() if f.cves else "")
        severity = f.severity if f.severity in SEVERITIES else "info"
        finding = existing.get(key)
        if finding is None:
            due = sla.due_date(policy, severity=severity, start=now, kev=kev_advisory is not None,
                               kev_due=kev_advisory.kev_due_date if kev_advisory else None,
                               security_level=host[3] if host else None)
            create.append(Finding(
                unit_id=unit_id, host_id=host[0] if host else None, system_id=host[2] if host else None,
                advisory=advisory, cve_id=cve_id[:30], source=_text(f.scanner, 20), rule_id=_text(f.rule_id, 300),
                title=_text(f.title, 500) or _text(f.rule_id, 500), severity=severity, cvss=f.cvss_score,
                kev=kev_advisory is not None, port=f.port if f.port and 0 < f.port < 65536 else None,
                protocol=_text(f.protocol, 300), component=_text(f.component, 300),
                installed_version=_text(f.installed_version, 200), fixed_version=_text(f.fixed_version, 200),
                target=_text(f.target, 500), address=_text(address, 255), evidence=f.evidence,
                solution=_text(f.solution, 4000), key=key, first_seen=now, last_seen=now, due_date=due,
                scan_import=scan, timeline=[_event("", FindingStatus.OPEN, note=scan.file_name, at=now)]))
            continue
        kev = kev_advisory is not None
        evidence = f.evidence or finding.evidence
        changed = (finding.status in CLOSED_STATUSES or (finding.severity, finding.cvss, finding.kev, finding.evidence)
                   != (severity, f.cvss_score, kev, evidence))
        if not changed:
            touch.append(finding.pk)
            counts["updated"] += 1
            continue
        finding.last_seen, finding.scan_import, finding.evidence = now, scan, evidence
        finding.severity, finding.cvss, finding.kev = severity, f.cvss_score, kev
        if finding.status in CLOSED_STATUSES:
            note = _("Found again by the scan %(file)s.") % {"file": scan.file_name}
            finding.timeline = [*finding.timeline, _event(finding.status, FindingStatus.OPEN, note=note, at=now)]
            finding.status, finding.fixed_at = FindingStatus.OPEN, None
            finding.due_date = sla.due_date(policy, severity=severity, start=now, kev=finding.kev,
                                            kev_due=kev_advisory.kev_due_date if kev_advisory else None,
                                            security_level=host[3] if host else None)
            counts["reopened"] += 1
        else:
            counts["updated"] += 1
        finding.updated = now
        update.append(finding)
    if create:
        Finding.objects.bulk_create(create)
    if touch:  # seen again, nothing else changed: one UPDATE
        Finding.objects.filter(pk__in=touch).update(last_seen=now, scan_import=scan, updated=now)
    if update:
        Finding.objects.bulk_update(update, ["last_seen", "scan_import", "evidence", "severity", "cvss", "kev",
                                             "status", "fixed_at", "due_date", "timeline", "updated"],
                                    batch_size=UPDATE_BATCH)
    counts["new"] += len(create)
    return seen


def scan_import(path, *, unit, fmt=None, by, file_name=None, scan=None):
    """Import a scanner file for ``unit`` (see the module documentation). Findings attach to the inventory
    hosts of the unit (and its sub-units) by IP, then hostname; other hosts are kept as "unknown hosts"
    (their findings carry the scanned address). A scan naming hosts of ANOTHER unit is refused with the
    addresses named and nothing stored. Findings of the scanned hosts absent from this scan are closed
    (fixed); fixed ones that come back are reopened. Returns the ``ScanImport``; raises
    ``ValidationError`` (refused) or the parser's ``ScanParseError`` (the ``ScanImport`` records both)."""
    from .parsers import ScanParseError

    if by is not None and not unit_in_scope(by, unit):
        raise ValidationError(_("You may not import scans for this unit."))
    now = timezone.now()
    if scan is None:
        sha256, size = file_digest(path)
        scan = ScanImport(unit=unit, file_name=_name_of(path, file_name), sha256=sha256, size=size,
                          imported_by=by, status=ImportStatus.RUNNING, started=now)
    scan.started = scan.started or now
    try:
        hosts, format_name = read_scan(path, unit=unit, fmt=fmt)
    except (ValidationError, ScanParseError) as exc:
        scan.status = ImportStatus.REFUSED if isinstance(exc, ValidationError) else ImportStatus.FAILED
        scan.error = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        scan.error = scan.error[:5000]
        scan.finished = timezone.now()
        with acting_as(by):
            scan.save()
        raise
    policy = sla.active_policy()
    counts = {"new": 0, "updated": 0, "reopened": 0}
    total = sum(p.findings for p in hosts.values())
    with transaction.atomic(), acting_as(by):
        scan.format = (fmt or format_name or "")[:50]
        scan.hosts = len(hosts)
        scan.findings = total
        scan.save()
        seen, scanners = set(), set()
        for chunk in _batches(_scan_rows(path, fmt, hosts, unit)):
            scanners.update(f.scanner for *_x, f in chunk)
            seen.update(_write_scan_batch(chunk, scan=scan, policy=policy, now=now, counts=counts))
        scanners = scanners or ({format_name} if format_name else set())
        closed = _close_absent(scan, hosts, scanners, seen, now)
        unknown = [{"ip": p.address, "hostname": p.hostname, "os": p.os, "findings": p.findings, "added": False}
                   for p in hosts.values() if p.host is None]
        scan.new, scan.updated_count, scan.reopened, scan.closed = (counts["new"], counts["updated"],
                                                                      counts["reopened"], closed)
        scan.unknown_hosts, scan.unknown_hosts_count = unknown[:5000], len(unknown)
        scan.status, scan.error, scan.finished = ImportStatus.DONE, "", timezone.now()
        scan.save()
    return scan


def _close_absent(scan, hosts, scanners, seen, now):
    """Active findings of the same scanner(s) on the scanned hosts that this scan no longer reports → fixed."""
    from django.db.models import Q

    host_ids = [p.host[0] for p in hosts.values() if p.host]
    addresses = [p.address for p in hosts.values() if p.host is None]
    if not scanners or not (host_ids or addresses):
        return 0
    condition = Q()
    for chunk in _chunks(host_ids):
        condition |= Q(host_id__in=chunk)
    for chunk in _chunks(addresses):
        condition |= Q(host__isnull=True, unit__path__startswith=scan.unit.path, address__in=chunk)
    stale = Finding.objects.filter(condition, source__in=scanners, status__in=ACTIVE_STATUSES).only(
        "id", "key", "status", "timeline")
    closing = [f for f in stale.iterator(chunk_size=BATCH) if f.key not in seen]
    note = _("Absent from the scan %(file)s.") % {"file": scan.file_name}
    for chunk in _chunks(closing):
        for f in chunk:
            f.timeline = [*f.timeline, _event(f.status, FindingStatus.FIXED, note=note, at=now)]
            f.status, f.fixed_at, f.overdue, f.updated, f.scan_import = FindingStatus.FIXED, now, False, now, scan
        Finding.objects.bulk_update(chunk, ["status", "fixed_at", "overdue", "timeline", "updated", "scan_import"],
                                    batch_size=UPDATE_BATCH)
    return len(closing)


def scan_upload_dir():
    return Path(settings.DATA_DIR) / "vulns" / "scans"


def scan_import_start(*, upload, unit, by, fmt=None):
    """Keep an uploaded scan on disk and queue its import (``tasks.import_scan_job``); returns the waiting
    ``ScanImport`` (its page shows the status)."""
    from .tasks import import_scan_job

    sha256, size = file_digest(upload)
    directory = scan_upload_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{sha256}-{int(time.time() * 1000)}"
    with open(target, "wb") as handle:
        for chunk in (upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b"")):
            handle.write(chunk)
    with transaction.atomic(), acting_as(by):
        scan = ScanImport.objects.create(unit=unit, file_name=_name_of(upload), sha256=sha256, size=size,
                                         imported_by=by, status=ImportStatus.PENDING, format=(fmt or "")[:50],
                                         stored_path=str(target))
        transaction.on_commit(lambda: import_scan_job.enqueue(scan.pk))
    return scan


def scan_import_run(scan_id):
    """The job: run a waiting ``ScanImport`` from its stored file (the file is removed afterwards)."""
    scan = ScanImport.objects.select_related("unit", "imported_by").get(pk=scan_id)
    if scan.status not in (ImportStatus.PENDING, ImportStatus.RUNNING):
        return scan
    scan.status = ImportStatus.RUNNING
    scan.save(update_fields=["status", "updated"])
    path = Path(scan.stored_path)
    try:
        scan_import(path, unit=scan.unit, fmt=scan.format or None, by=scan.imported_by, scan=scan)
    except ValidationError:
        pass  # recorded on the ScanImport (refused)
    except Exception as exc:
        if type(exc).__name__ != "ScanParseError":
            logger.exception("scan import %s failed", scan_id)
            scan.status, scan.error, scan.finished = ImportStatus.FAILED, str(exc)[:5000], timezone.now()
            scan.save()
    finally:
        path.unlink(missing_ok=True)
    scan.refresh_from_db()
    return scan


def unknown_host_add(*, scan, address, by, system=None):
    """Add an unknown host of a scan to the inventory of the scan's unit (one click) and attach its findings."""
    from lachan.inventory.models import Host

    entry = next((h for h in scan.unknown_hosts if h.get("ip") == address), None)
    if entry is None:
        raise ValidationError(_("%(address)s is not an unknown host of this scan.") % {"address": address})
    ip = _canonical_ip(address)
    hostname = (entry.get("hostname") or address)[:255]
    with transaction.atomic(), acting_as(by):
        host = Host.objects.filter(unit=scan.unit, hostname=hostname).first()
        if host is None:
            host = Host.objects.create(unit=scan.unit, system=system, hostname=hostname, ip_addresses=ip or "",
                                       os=(entry.get("os") or "")[:200])
        findings = list(Finding.objects.filter(unit=scan.unit, host__isnull=True, address=address))
        for f in findings:
            f.host, f.system = host, host.system
            f.key = _digest("rekey", host.pk, f.key)  # keep keys unique; the next scan re-keys by host
        Finding.objects.bulk_update(findings, ["host", "system", "key"])
        scan.unknown_hosts = [{**h, "added": True} if h.get("ip") == address else h for h in scan.unknown_hosts]
        scan.save()
    return host


# --- the finding lifecycle -----------------------------------------------------------------------------------


def finding_transition(finding, to_status, *, by, reason="", expires_on=None, now=None):
    """Move ``finding`` to ``to_status`` (``choices.TRANSITIONS``). Risk acceptance needs a reason and an expiry
    date and a unit administrator or coordinator (the approver is recorded); a false positive needs a reason;
    verification needs a unit administrator or coordinator. Audited (``.save()``)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    current = finding.status
    if to_status not in FindingStatus.values:
        raise ValidationError(_("Unknown status %(status)s.") % {"status": to_status})
    if to_status not in TRANSITIONS.get(current, set()):
        raise ValidationError(_("A finding cannot go from %(from)s to %(to)s.") % {
            "from": FindingStatus(current).label, "to": FindingStatus(to_status).label})
    if not Finding.objects.restrict(by, CHANGE).filter(pk=finding.pk).exists():
        raise ValidationError(_("You may not change this finding."))
    if to_status in APPROVER_STATUSES and user_role(by) not in ADMIN_ROLES:
        raise ValidationError(_("Only a unit administrator or a coordinator may do this."))
    if to_status in (FindingStatus.RISK_ACCEPTED, FindingStatus.FALSE_POSITIVE) and not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    if to_status == FindingStatus.RISK_ACCEPTED:
        if expires_on is None:
            raise ValidationError({"expires_on": _("Give the date the risk acceptance ends.")})
        if expires_on <= timezone.localdate(now):
            raise ValidationError({"expires_on": _("The end of the risk acceptance must lie in the future.")})
    with transaction.atomic(), acting_as(by):
        finding.timeline = [*finding.timeline, _event(current, to_status, by=by, note=reason, at=now)]
        finding.status = to_status
        if to_status == FindingStatus.FIXED:
            finding.fixed_at = now
        elif to_status in (FindingStatus.OPEN, FindingStatus.IN_PROGRESS):
            finding.fixed_at = None
        if to_status in (FindingStatus.RISK_ACCEPTED, FindingStatus.FALSE_POSITIVE):
            finding.risk_reason = reason[:5000]
            finding.risk_approver = by
            finding.risk_expires_on = expires_on if to_status == FindingStatus.RISK_ACCEPTED else None
        if to_status not in ACTIVE_STATUSES:
            finding.overdue = False
        finding.save()
    return finding


def finding_assign(finding, *, owner, by):
    with transaction.atomic(), acting_as(by):
        finding.owner = owner
        finding.save()
    return finding


def expire_risk_acceptances(*, today=None):
    """Reopen risk acceptances whose expiry date has passed. Returns how many."""
    today = today or timezone.localdate()
    count = 0
    with transaction.atomic():
        for f in Finding.objects.filter(status=FindingStatus.RISK_ACCEPTED, risk_expires_on__lt=today).select_for_update():
            f.timeline = [*f.timeline, _event(f.status, FindingStatus.OPEN, note=_("Risk acceptance expired."))]
            f.status = FindingStatus.OPEN
            f.overdue = bool(f.due_date and f.due_date < today)
            f.save()
            count += 1
    return count


def mark_overdue(*, today=None):
    """Flag active findings past their due date (and unflag the others). Returns how many are overdue."""
    today = today or timezone.localdate()
    active = Finding.objects.filter(status__in=ACTIVE_STATUSES)
    active.filter(due_date__lt=today, overdue=False).update(overdue=True, updated=timezone.now())
    active.filter(overdue=True).exclude(due_date__lt=today).update(overdue=False)
    return active.filter(overdue=True).count()


# --- warning campaigns -----------------------------------------------------------------------------------------


def _item_dict(item):
    data = item.to_dict() if hasattr(item, "to_dict") else dict(item)
    data["cve_id"] = (data.get("cve_id") or "").strip().upper()
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}


def campaign_create(*, by, title, items=(), number="", issuer="", issued_on=None, deadline=None, description=""):
    """A warning (Department / national authority) as a tracked campaign (coordinators): CVE ids and products
    from ``items`` (``records.WarningItem`` or dicts); every affected unit gets an answer row to fill."""
    if not _can_change(by, WarningCampaign):
        raise ValidationError(_("Only coordinators create warning campaigns."))
    items = [_item_dict(i) for i in items]
    cve_ids = sorted({i["cve_id"] for i in items if i["cve_id"]})
    if not title.strip():
        raise ValidationError({"title": _("Give the warning's title.")})
    if not items:
        raise ValidationError({"items": _("The warning lists no CVE and no product.")})
    with transaction.atomic(), acting_as(by):
        campaign = WarningCampaign.objects.create(
            number=number[:100], title=title[:500], issuer=issuer[:300], issued_on=issued_on, deadline=deadline,
            description=description, cve_ids=cve_ids, items=items, created_by=by)
        campaign_refresh(campaign)
    return campaign


def campaign_from_national(file, *, by, file_name=""):
    """Parse a national/Department warning letter or list (``advisories.parse_national``) into a campaign."""
    from .advisories import parse_national

    warning = parse_national(file, filename=file_name or _name_of(file))
    return campaign_create(by=by, title=warning.title or file_name or warning.number, items=warning.items,
                           number=warning.number, issuer=warning.issuer, issued_on=warning.issued_on,
                           deadline=warning.deadline)


def campaign_findings(campaign):
    """Findings concerned by the campaign (every unit: the callers restrict)."""
    from django.db.models import Q

    condition = Q(cve_id__in=campaign.cve_ids) if campaign.cve_ids else Q(pk__in=[])
    for item in campaign.items:
        if not item.get("cve_id") and item.get("product"):
            condition |= Q(software__product__icontains=item["product"]) | Q(component__icontains=item["product"])
    return Finding.objects.filter(condition)


def campaign_refresh(campaign):
    """Recompute the affected units (units with a finding of the campaign, false positives aside) and each
    answer's open-finding count; new affected units get an answer row."""
    from django.db.models import Count, Q

    findings = campaign_findings(campaign).exclude(status=FindingStatus.FALSE_POSITIVE)
    per_unit = dict(findings.values("unit").annotate(n=Count("id", filter=Q(status__in=ACTIVE_STATUSES)))
                    .values_list("unit", "n"))
    existing = {a.unit_id: a for a in CampaignAnswer.objects.filter(campaign=campaign)}
    create, update = [], []
    for unit_id, n in per_unit.items():
        answer = existing.get(unit_id)
        if answer is None:
            create.append(CampaignAnswer(campaign=campaign, unit_id=unit_id, affected=True, open_findings=n))
        else:
            answer.affected, answer.open_findings = True, n
            update.append(answer)
    for unit_id, answer in existing.items():
        if unit_id not in per_unit:
            answer.affected, answer.open_findings = False, 0
            update.append(answer)
    CampaignAnswer.objects.bulk_create(create)
    CampaignAnswer.objects.bulk_update(update, ["affected", "open_findings"])
    from .notify import notify_campaign_on_commit

    notify_campaign_on_commit(campaign)  # newly affected units are told (once per unit and campaign)
    return campaign


def campaign_answer(*, answer, by, status, note="", evidence=None):
    """A unit's answer to a campaign: acknowledged, patched, or not affected (with a note)."""
    if status not in (AnswerStatus.ACKNOWLEDGED, AnswerStatus.PATCHED, AnswerStatus.NOT_AFFECTED):
        raise ValidationError({"status": _("Choose an answer.")})
    if not CampaignAnswer.objects.restrict(by, CHANGE).filter(pk=answer.pk).exists():
        raise ValidationError(_("You may not answer for this unit."))
    note = (note or "").strip()
    if status == AnswerStatus.NOT_AFFECTED and not note:
        raise ValidationError({"note": _("Say why the unit is not affected.")})
    with transaction.atomic(), acting_as(by):
        answer.status, answer.note = status, note[:5000]
        if evidence is not None:
            answer.evidence = evidence
        answer.answered_by, answer.answered_at = by, timezone.now()
        answer.save()
    return answer


def campaign_overdue(campaign, *, today=None):
    """Answers still pending or not patched after the campaign's deadline (affected units only)."""
    today = today or timezone.localdate()
    if campaign.deadline is None or campaign.deadline >= today:
        return CampaignAnswer.objects.none()
    return (CampaignAnswer.objects.filter(campaign=campaign, affected=True)
            .exclude(status__in=(AnswerStatus.PATCHED, AnswerStatus.NOT_AFFECTED)))


__all__ = [
    "advisories_import", "alias_confirm", "campaign_answer", "campaign_create", "campaign_from_national",
    "campaign_refresh", "expire_risk_acceptances", "finding_transition", "mark_overdue", "match_advisories",
    "match_all", "match_software", "scan_import", "scan_import_run", "scan_import_start", "unknown_host_add",
    "upsert_advisories",
]
