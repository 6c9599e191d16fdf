"""Feed imports and the cleanup-case lifecycle (writes). Reads with the user's scope are in ``selectors``.

``feed_import`` runs in two phases:

1. **Read** (no database write): the parser streams ``EventBatch`` columns; each batch is mapped at once
   by the ``PrefixMatcher`` built from every unit's prefixes (most specific wins), then by the ASN → unit
   assignments; what is left goes to the unmapped queue. Bogon/private addresses are counted and
   listed, never matched. Only rows of known units are kept (aggregated per (unit, IP, family): a list
   naming the same IP twice makes one sighting with ``count`` 2); the rest is kept as counts and, for the
   unmapped queue, per (IP, family) — at most ``INTEL_UNMAPPED_KEPT`` addresses, the others counted.
   A ``ParseError`` here leaves nothing behind: nothing has been written yet.
2. **Write**, in ONE transaction: the ``FeedImport`` row, new cases, sightings (``bulk_create`` in
   chunks), status changes, closures, the unmapped queue and the indicators. Any error rolls all of it
   back. Audit: ``FeedImport`` is saved with ``.save()`` (one audit entry carrying every count), and so
   is every case whose *status* changes (reinfected, reopened, closed); new cases, sightings and the
   ``last_seen``/count updates of cases are written in bulk and NOT audited one by one — the import's
   entry (who, when, which file, how many) stands for them. A national list would otherwise write a
   million audit rows.

Rules of the case lifecycle (one case per (unit, IP, family), whatever the feed or source):

- a key never seen before → a new ``open`` case;
- seen again while ``open`` or ``reinfected`` → stays so (last seen, count updated);
- seen again while ``cleaned``: if the event is later than the unit's cleanup report (or has no time),
  the cleanup did not work → back to ``open`` (``cleaned_*`` kept for the record); an older event
  changes only the counts;
- seen again while ``closed`` → ``reinfected`` (``reinfections`` + 1), whatever the event's time;
- **closing**: when the feed is a *complete list*, every active case whose last sighting came from this
  feed and that is absent from the new file is ``closed`` ("absent from the next list"); cases seen
  more recently by another feed are left alone. Independently, ``close_stale_cases`` (a periodic job)
  closes active cases without a sighting for ``INTEL_CASE_CLOSE_DAYS`` days.

Re-importing a file already imported for the same feed (same SHA-256) writes nothing and returns the
first import with ``duplicate = True``; notifications are enqueued only by a new import, after commit.

Settings (read with defaults; not yet in ``lachan/settings.py``/``.env.example``):
``INTEL_CASE_CLOSE_DAYS`` (30), ``INTEL_UNMAPPED_KEPT`` (10,000 queued addresses per import),
``INTEL_BAD_ROWS_KEPT`` (200 reasons per import), ``INTEL_INDICATOR_DAYS`` (90: indicator expiry),
``INTEL_MATCH_DOCUMENTATION`` (True, as ``feeds match``: documentation ranges registered as a unit's
prefix — the demo's — are matched; unregistered ones are still counted as bogons),
``INTEL_UPLOAD_MAX_BYTES`` (2 GiB, the upload page).
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.core.audit import acting_as
from lachan.core.files import file_digest
from lachan.core.scope import CHANGE, can

from .choices import ACTIVE_CASE_STATUSES, CaseStatus, ImportStatus, UploadStatus
from .models import AsnAssignment, Case, Feed, FeedImport, FeedUpload, Indicator, Sighting, UnmappedIP

CHUNK = 5000


def setting(name, default):
    return getattr(settings, name, default)


# --- phase 1: read and map -----------------------------------------------------------------------------


@dataclass
class _Hit:
    first_seen: object
    last_seen: object
    count: int
    port: object
    protocol: object
    asn: object
    destination: object
    line: object
    raw: object
    via_asn: bool


@dataclass
class ImportPlan:
    """What phase 1 learnt from the file: counts and the rows of known units, aggregated."""

    rows: int = 0
    parsed: int = 0
    bad_total: int = 0
    bad_rows: list = field(default_factory=list)  # [(line, reason)], the first INTEL_BAD_ROWS_KEPT
    matched: int = 0
    matched_by_asn: int = 0
    unmatched: int = 0
    bogon: int = 0
    hits: dict = field(default_factory=dict)  # (unit_id, ip, family) -> _Hit
    unmapped: Counter = field(default_factory=Counter)  # (ip, family) -> rows
    unmapped_asn: dict = field(default_factory=dict)  # ip -> asn
    bogons: Counter = field(default_factory=Counter)  # (ip, family) -> rows
    indicators: dict = field(default_factory=dict)  # (kind, value) -> rows

    def bad(self, line, reason):
        self.bad_total += 1
        if len(self.bad_rows) < setting("INTEL_BAD_ROWS_KEPT", 200):
            self.bad_rows.append([line, str(reason)])


def _family(value):
    return _text(value, 100).strip().lower()


def _text(value, limit):
    # NUL is refused by PostgreSQL text columns; a misdecoded line must not fail the whole import.
    return "" if value is None else str(value).replace("\x00", "")[:limit]


def _int_or_none(value, high=2 ** 32 - 1):
    """An int in 0..high (ports, AS numbers), else None: out-of-range values are evidence in ``raw`` only."""
    try:
        number = int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None
    return number if number is not None and 0 <= number <= high else None


class Mapper:
    """IP → owning unit: registered prefixes (most specific wins) valid on the event's day, then ASN → unit.

    The matcher is built once from every prefix. Most prefixes have no validity bounds; a row whose
    best prefix has bounds that exclude the event's day (Asia/Ho_Chi_Minh; an event without a time
    counts as today) is matched again by a matcher of the prefixes valid that day — built once per
    day and cached — so an address block handed from one unit to another maps each event to the
    unit that held it then."""

    def __init__(self):
        from lachan.intel.matching import PrefixMatcher
        from lachan.inventory.models import IPPrefix

        self._policy = {"allow_documentation": setting("INTEL_MATCH_DOCUMENTATION", True)}
        # Every unit's prefixes: the importer maps for the whole platform (no user scope here).
        self.matcher = PrefixMatcher.from_queryset(IPPrefix.objects.all(), **self._policy)
        self.asn_units = dict(AsnAssignment.objects.values_list("asn", "unit_id"))
        self.today = timezone.localdate()
        bounds = {pk: (start, end) for pk, start, end in IPPrefix.objects.filter(
            Q(valid_from__isnull=False) | Q(valid_until__isnull=False)).values_list("pk", "valid_from", "valid_until")}
        self.bounded = {}
        if bounds:
            for i in range(len(self.matcher)):
                if self.matcher.ref(i) in bounds:
                    self.bounded[i] = bounds[self.matcher.ref(i)]
        self._by_day = {}

    def owner_on(self, ip, when, index):
        """The unit holding ``ip`` on the day of ``when``, given that its best prefix overall is ``index``."""
        from lachan.intel.matching import PrefixMatcher, local_day
        from lachan.inventory.models import IPPrefix

        day = local_day(when) if when is not None else self.today
        start, end = self.bounded[index]
        if (start is None or start <= day) and (end is None or day <= end):
            return self.matcher.label(index)
        matcher = self._by_day.get(day)
        if matcher is None:
            matcher = self._by_day[day] = PrefixMatcher.from_queryset(IPPrefix.objects.all(), at=day, **self._policy)
        found = int(matcher.classify([ip]).index[0])
        return matcher.label(found) if found >= 0 else None

    def add(self, plan, batch):
        plan.rows += len(batch) + len(batch.bad)
        for line, reason in batch.bad:
            plan.bad(line, reason)
        for kind, value, _line in batch.indicators:
            key = (kind, str(value).strip()[:2000])
            plan.indicators[key] = plan.indicators.get(key, 0) + 1
        if not len(batch):
            return
        result = self.matcher.classify(batch.ip)
        index = result.index.tolist()
        bogon = result.bogon_code.tolist()
        bad_positions = {position for position, _reason in result.bad}
        for position, reason in result.bad:
            plan.bad(batch.line[position], reason)
        labels = self.matcher.labels
        ips, families, seen, asns = batch.ip, batch.family, batch.seen, batch.asn
        for i in range(len(batch)):
            if i in bad_positions:
                continue
            plan.parsed += 1
            ip, family = ips[i], _family(families[i])
            via_asn = False
            unit_id = None
            if index[i] >= 0:
                unit_id = self.owner_on(ip, seen[i], index[i]) if index[i] in self.bounded else labels[index[i]]
            if unit_id is not None:
                plan.matched += 1
            elif bogon[i]:
                plan.bogon += 1
                plan.bogons[(ip, family)] += 1
                continue
            else:
                asn = _int_or_none(asns[i])
                unit_id = self.asn_units.get(asn) if asn is not None else None
                if unit_id is None:
                    plan.unmatched += 1
                    plan.unmapped[(ip, family)] += 1
                    if asn is not None:
                        plan.unmapped_asn.setdefault(ip, asn)
                    continue
                via_asn = True
                plan.matched += 1
                plan.matched_by_asn += 1
            key = (unit_id, ip, family)
            hit = plan.hits.get(key)
            when = seen[i]
            if hit is None:
                plan.hits[key] = _Hit(when, when, 1, _int_or_none(batch.port[i], 65535), batch.protocol[i],
                                      _int_or_none(asns[i]), batch.destination[i], batch.line[i], batch.raw[i], via_asn)
            else:
                hit.count += 1
                if when is not None:
                    if hit.first_seen is None or when < hit.first_seen:
                        hit.first_seen = when
                    if hit.last_seen is None or when > hit.last_seen:
                        hit.last_seen = when


def _parse(source, **options):
    from lachan.intel.parsers import parse

    return parse(source, **options)


def read_plan(source, *, format=None, source_tz=None, mapping=None):
    """Phase 1 over a path or binary stream (raises the parser's ``ParseError``)."""
    mapper = Mapper()
    plan = ImportPlan()
    for batch in _parse(source, format=format or None, source_tz=source_tz, mapping=mapping):
        mapper.add(plan, batch)
    return plan


# --- the import -------------------------------------------------------------------------------------------


def _detect(file, name):
    """The parser's format name for the file's first 64 KiB (recorded on the import); raises its ParseError."""
    from lachan.intel.parsers import detect

    if isinstance(file, str | Path):
        with open(file, "rb") as handle:
            head = handle.read(1 << 16)
    else:
        head = file.read(1 << 16)
        file.seek(0)
    return detect(head, name)


def feed_for_name(name, *, by=None):
    """The feed called ``name``, created (audited) if missing — the CLI's ``--source``."""
    feed = Feed.objects.filter(name=name).first()
    if feed is None:
        with acting_as(by):
            feed = Feed.objects.create(name=name)
    return feed


def feed_import(*, file, feed, by, format=None, dry_run=False, file_name=None, tlp=None, source_tz=None,
                mapping=None, now=None):
    """Import one file of ``feed`` (see the module documentation). Returns the ``FeedImport`` — unsaved
    for a dry run, the earlier one (``duplicate`` True) when the same file was already imported.
    Raises the parser's ``ParseError`` (nothing written)."""
    if by is not None and not can(by, FeedImport, CHANGE):
        raise ValidationError(_("Only coordinators import feeds."))
    name = file_name or (Path(file).name if isinstance(file, str | Path) else getattr(file, "name", "")) or "-"
    name = Path(str(name)).name[:300]
    sha256, size = file_digest(file)
    if not dry_run:
        earlier = FeedImport.objects.filter(feed=feed, sha256=sha256).first()
        if earlier is not None:
            earlier.duplicate = True
            return earlier
    started = now or timezone.now()
    format = format or feed.default_format or (None if mapping else _detect(file, name))
    plan = read_plan(file, format=format, source_tz=source_tz, mapping=mapping)
    feed_import = FeedImport(
        feed=feed, file_name=name, sha256=sha256, size=size, format=(format or "")[:50],
        tlp=tlp or feed.default_tlp, imported_by=by, started=started, dry_run=dry_run,
        status=ImportStatus.DRY_RUN if dry_run else ImportStatus.DONE,
        rows=plan.rows, parsed=plan.parsed, bad_rows=plan.bad_total, matched=plan.matched,
        matched_by_asn=plan.matched_by_asn, unmatched=plan.unmatched, bogon=plan.bogon,
        indicators=len(plan.indicators),
        bad_report={"total": plan.bad_total, "rows": plan.bad_rows},
        bogon_report={"total": plan.bogon, "ips": [[ip, n] for (ip, _f), n in plan.bogons.most_common(200)]},
    )
    feed_import.duplicate = False
    feed_import.plan = plan
    if dry_run:
        feed_import.per_unit = _per_unit(plan, new=set(), reinfected=set())
        feed_import.unmapped_asns = _unmapped_asns(plan)
        feed_import.finished = timezone.now()
        return feed_import
    try:
        with transaction.atomic(), acting_as(by):
            _write(feed_import, plan, now=started)
            transaction.on_commit(lambda: _enqueue_notifications(feed_import.pk))
    except IntegrityError:
        # The same file imported concurrently: the other import won.
        earlier = FeedImport.objects.filter(feed=feed, sha256=sha256).first()
        if earlier is None:
            raise
        earlier.duplicate = True
        return earlier
    return feed_import


COUNT_FIELDS = ("rows", "parsed", "bad_rows", "matched", "matched_by_asn", "unmatched", "bogon", "indicators")


def feed_upload_create(*, file, by, feed=None, new_feed="", format="", dry_run=False):
    """Keep an uploaded file and enqueue its import (after commit); the upload's page shows the status."""
    if not can(by, FeedImport, CHANGE):
        raise ValidationError(_("Only coordinators import feeds."))
    name = Path(str(getattr(file, "name", "") or "-")).name[:300]
    with transaction.atomic(), acting_as(by):
        upload = FeedUpload(feed=feed, new_feed=(new_feed or "").strip()[:200], file_name=name,
                            size=getattr(file, "size", 0) or 0, format=format or "", dry_run=dry_run, uploaded_by=by)
        upload.file.save(name, file, save=False)
        upload.save()
        transaction.on_commit(lambda: _enqueue_upload(upload.pk))
    return upload


def _enqueue_upload(upload_id):
    from .tasks import run_feed_upload

    run_feed_upload.enqueue(upload_id)


def feed_upload_run(upload_id):
    """The job: claim the upload (queued → running, once), import it, record the outcome, drop the file."""
    claimed = FeedUpload.objects.filter(pk=upload_id, status=UploadStatus.QUEUED).update(
        status=UploadStatus.RUNNING, started=timezone.now())
    if not claimed:
        return None
    upload = FeedUpload.objects.select_related("feed", "uploaded_by").get(pk=upload_id)
    try:
        # A new feed is created in the same transaction: a file that cannot be read leaves nothing.
        with transaction.atomic():
            feed = upload.feed or feed_for_name(upload.new_feed, by=upload.uploaded_by)
            with upload.file.open("rb") as handle:
                result = feed_import(file=handle, feed=feed, by=upload.uploaded_by, format=upload.format or None,
                                     dry_run=upload.dry_run, file_name=upload.file_name)
    except Exception as exc:
        upload.status, upload.error = UploadStatus.FAILED, _describe_failure(exc)
    else:
        upload.status = UploadStatus.DONE
        upload.feed = feed
        if upload.dry_run:
            upload.counts = {name: getattr(result, name) for name in COUNT_FIELDS}
        else:
            upload.result, upload.duplicate = result, bool(getattr(result, "duplicate", False))
    upload.finished = timezone.now()
    upload.file.delete(save=False)
    with acting_as(upload.uploaded_by):
        upload.save()
    return upload


def _describe_failure(exc):
    from lachan.intel.parsers import ParseError

    if isinstance(exc, ParseError):
        return _("The file could not be read: %(error)s. Nothing was imported.") % {"error": exc}
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    import logging

    logging.getLogger("lachan.intel").exception("feed upload failed")
    return _("The import failed (%(error)s). Nothing was imported.") % {"error": type(exc).__name__}


def _enqueue_notifications(import_id):
    from .tasks import send_import_notifications

    send_import_notifications.enqueue(import_id)


def _per_unit(plan, *, new, reinfected):
    per_unit = {}
    for key, hit in plan.hits.items():
        entry = per_unit.setdefault(str(key[0]), {"rows": 0, "ips": 0, "new": 0, "reinfected": 0})
        entry["rows"] += hit.count
        entry["ips"] += 1
        entry["new"] += key in new
        entry["reinfected"] += key in reinfected
    return per_unit


def _unmapped_asns(plan, top=100):
    """``[[asn, rows, addresses]]`` of the unmapped rows, the ASNs with the most rows first."""
    rows, addresses = Counter(), Counter()
    seen = set()
    for (ip, _family), n in plan.unmapped.items():
        asn = plan.unmapped_asn.get(ip)
        if asn is None:
            continue
        rows[asn] += n
        if ip not in seen:
            seen.add(ip)
            addresses[asn] += 1
    return [[asn, n, addresses[asn]] for asn, n in rows.most_common(top)]


def _chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _write(feed_import, plan, *, now):
    feed = feed_import.feed
    keys = plan.hits
    unit_ids = {unit_id for unit_id, _ip, _family in keys}
    existing = {}
    for chunk in _chunks(unit_ids, 500):
        for case in Case.objects.filter(unit_id__in=chunk):
            existing[(case.unit_id, case.ip, case.family)] = case
    # Plan the transitions before writing, so that the import's single audit entry carries every count.
    new_keys, reinfected, reopened, bumped = [], set(), [], []
    for key, hit in keys.items():
        case = existing.get(key)
        if case is None:
            new_keys.append(key)
        elif case.status == CaseStatus.CLOSED:
            reinfected.add(key)
        elif case.status == CaseStatus.CLEANED and (hit.last_seen is None or case.cleaned_at is None
                                                    or hit.last_seen > case.cleaned_at):
            reopened.append(key)
        else:
            bumped.append(key)
    seen_case_ids = {existing[k].pk for k in keys if k in existing}
    closing = []
    if feed.complete_list:
        closing = [case for case in Case.objects.filter(status__in=ACTIVE_CASE_STATUSES, last_import__feed=feed)
                   if case.pk not in seen_case_ids]
    feed_import.cases_new = len(new_keys)
    feed_import.cases_reinfected = len(reinfected)
    feed_import.cases_closed = len(closing)
    feed_import.per_unit = _per_unit(plan, new=set(new_keys), reinfected=reinfected)
    unmapped_kept = setting("INTEL_UNMAPPED_KEPT", 10000)
    feed_import.unmapped_not_queued = max(0, len(plan.unmapped) - unmapped_kept)
    feed_import.unmapped_asns = _unmapped_asns(plan)
    feed_import.finished = timezone.now()
    feed_import.save()  # the one audit entry of the import

    def dates(case, hit):
        if hit.first_seen is not None and (case.first_seen is None or hit.first_seen < case.first_seen):
            case.first_seen = hit.first_seen
        last = hit.last_seen or now
        if case.last_seen is None or last > case.last_seen:
            case.last_seen = last
        case.last_import = feed_import
        case.sightings_count += 1

    # New cases, in bulk (not audited one by one).
    created = []
    for chunk in _chunks(new_keys):
        batch = []
        for unit_id, ip, family in chunk:
            hit = keys[(unit_id, ip, family)]
            batch.append(Case(unit_id=unit_id, ip=ip, family=family, status=CaseStatus.OPEN,
                              first_seen=hit.first_seen or now, last_seen=hit.last_seen or now,
                              last_import=feed_import, sightings_count=1))
        created += Case.objects.bulk_create(batch)
    if created and created[0].pk is None:  # a backend that does not return ids from bulk inserts
        for case in Case.objects.filter(last_import=feed_import, sightings_count=1, status=CaseStatus.OPEN):
            existing[(case.unit_id, case.ip, case.family)] = case
    else:
        for case in created:
            existing[(case.unit_id, case.ip, case.family)] = case
    # Status changes: one .save() each, so the audit log records them.
    for key in reinfected:
        case = existing[key]
        dates(case, keys[key])
        case.status = CaseStatus.REINFECTED
        case.reinfections += 1
        case.save()
    for key in reopened:
        case = existing[key]
        dates(case, keys[key])
        case.status = CaseStatus.OPEN
        case.save()
    for case in closing:
        case.status = CaseStatus.CLOSED
        case.closed_at = now
        case.closed_reason = _("Absent from the complete list %(file)s of %(feed)s") % {
            "file": feed_import.file_name, "feed": feed.name}
        case.save()
    # Counts and dates only: in bulk.
    bump = []
    for key in bumped:
        case = existing[key]
        dates(case, keys[key])
        bump.append(case)
    for chunk in _chunks(bump):
        Case.objects.bulk_update(chunk, ["first_seen", "last_seen", "last_import", "sightings_count", "updated"])
    # Sightings: one per case and import, in bulk.
    for chunk in _chunks(keys.items()):
        Sighting.objects.bulk_create([
            Sighting(feed_import=feed_import, case=existing[key], unit_id=key[0], ip=key[1], family=key[2],
                     seen=hit.last_seen, port=hit.port, protocol=_text(hit.protocol, 20), asn=hit.asn,
                     destination=_text(hit.destination, 500), count=hit.count, line=hit.line,
                     raw=_text(hit.raw, 4000), via_asn=hit.via_asn)
            for key, hit in chunk
        ])
    # The coordinators' queue: unmapped addresses (the most frequent first) and bogons.
    queue = [UnmappedIP(feed_import=feed_import, ip=ip, family=family, asn=plan.unmapped_asn.get(ip), count=n)
             for (ip, family), n in plan.unmapped.most_common(unmapped_kept)]
    queue += [UnmappedIP(feed_import=feed_import, ip=ip, family=family, count=n, bogon=True)
              for (ip, family), n in plan.bogons.most_common(unmapped_kept)]
    for chunk in _chunks(queue):
        UnmappedIP.objects.bulk_create(chunk)
    _store_indicators(plan.indicators, feed, now)


def _store_indicators(found, feed, now):
    if not found:
        return
    expires = now + timedelta(days=setting("INTEL_INDICATOR_DAYS", 90))
    by_kind = {}
    for kind, value in found:
        by_kind.setdefault(kind, []).append(value)
    for kind, values in by_kind.items():
        for chunk in _chunks(values):
            known = {i.value: i for i in Indicator.objects.filter(kind=kind, value__in=chunk)}
            for indicator in known.values():
                indicator.last_seen, indicator.expires_at, indicator.feed = now, expires, feed
            Indicator.objects.bulk_update(list(known.values()), ["last_seen", "expires_at", "feed", "updated"])
            Indicator.objects.bulk_create([Indicator(kind=kind, value=v, feed=feed, first_seen=now, last_seen=now,
                                                     expires_at=expires) for v in chunk if v not in known])


# --- the unit's side -----------------------------------------------------------------------------------


def case_report_cleaned(*, case, by, note):
    """The unit reports the host cleaned (note required). Audited (``.save()``)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what was done to clean the host.")})
    if case.status not in (CaseStatus.OPEN, CaseStatus.REINFECTED):
        raise ValidationError(_("Only an open or reinfected case can be reported cleaned."))
    with transaction.atomic(), acting_as(by):
        case.status = CaseStatus.CLEANED
        case.cleaned_at = timezone.now()
        case.cleaned_by = by
        case.cleaned_note = note[:5000]
        case.save()
    return case


def close_stale_cases(*, days=None, now=None):
    """Close active cases without a sighting for ``days`` (INTEL_CASE_CLOSE_DAYS). Returns how many."""
    days = setting("INTEL_CASE_CLOSE_DAYS", 30) if days is None else days
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    closed = 0
    with transaction.atomic():
        for case in Case.objects.filter(status__in=ACTIVE_CASE_STATUSES, last_seen__lt=cutoff).select_for_update():
            case.status = CaseStatus.CLOSED
            case.closed_at = now
            case.closed_reason = _("No sighting for %(days)d days") % {"days": days}
            case.save()
            closed += 1
    return closed


def assign_asn(*, asn, unit, by, description=""):
    """ASN → unit for the fallback mapping (coordinators); audited."""
    with transaction.atomic(), acting_as(by):
        assignment, _created = AsnAssignment.objects.update_or_create(
            asn=asn, defaults={"unit": unit, "description": description[:300]})
    return assignment
