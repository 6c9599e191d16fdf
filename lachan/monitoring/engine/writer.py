"""Persisting a batch of check results in one transaction (the engine runs it in a thread).

For each result: a ``Check`` row (bulk), a ``Snapshot`` of each page whose content hash changed since the
last snapshot of that URL (``WatchedSite.page_hashes``), the first good page of a URL becoming its baseline,
the state machine of ``services.evaluate`` (alerts, events), the next check time, and the claim released —
the sites are written back with one UPDATE statement run for all rows (``update_sites``). Results of sites no longer claimed by this worker (its
lease ran out and another monitor took them) are dropped, so a site's check is never recorded twice.

The content hash (``checking.analyser.content_hash``, computed with the analysis, off the event loop)
covers the words of the title, the visible text and the hidden blocks' text (``analysis.similarity.words``:
dates, times, counters, session tokens left out), and the sorted link, script and frame addresses (already
stripped of session and tracking parameters): a page that only shows today's date or a visit counter does
not make a new snapshot on each check, an injected hidden link does.

With the snapshots the site keeps ``analysed_pages``: for each page URL the record of its last analysis
(body digest, baseline key, content hash, findings — ``checking.analyser.PageRecord``), which the next check
reuses when the bytes and the baseline are the same. A record is kept only while its content hash is the
one in ``page_hashes`` (both are written in the same transaction), at most ``RECORDS_MAX`` URLs a site.
"""

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connections, router, transaction

from ..checking.analyser import content_hash
from ..choices import EventKind, FindingKind, Verdict
from ..models import Check, SiteEvent, Snapshot, WatchedSite
from ..services import (
    CONTENT_KINDS,
    SITE_RESULT_FIELDS,
    after_commit_notify,
    evaluate,
    load_contexts,
    next_check_time,
)

logger = logging.getLogger("lachan.monitoring")

JUDGED_KINDS = CONTENT_KINDS | {FindingKind.CLOAKING}
RECORDS_MAX = 16  # analysis records kept per site (home, sub-pages, the sitemap URLs sampled lately)
WRITTEN_FIELDS = [*SITE_RESULT_FIELDS, "analysed_pages", "claimed_by", "claimed_until"]


@dataclass
class Done:
    """A finished check waiting to be written. ``failed``: the engine itself failed on it (a bug, not the
    site): the check is recorded, the site's state left alone."""

    site: WatchedSite
    result: object  # checking.CheckResult
    checked_at: datetime
    baseline_urls: frozenset = frozenset()
    failed: bool = False
    extra: dict = field(default_factory=dict)


def _features_dict(features):
    """``PageFeatures.to_dict()`` without ``dataclasses.asdict``'s deep copy (the lists of links are fresh
    lists of fresh dicts all the same): a tenth of the time on a page of a few hundred links."""
    if not hasattr(features, "to_dict"):
        return dict(features)
    out = dict(vars(features))
    for name in ("links", "iframes"):
        out[name] = [dict(vars(x)) if hasattr(x, "__dict__") else dict(x) for x in out[name]]
    out["hidden_blocks"] = [{**vars(b), "links": list(b.links)} if hasattr(b, "__dict__") else dict(b)
                            for b in out["hidden_blocks"]]
    for name, value in out.items():
        if isinstance(value, list) and name not in ("links", "iframes", "hidden_blocks"):
            out[name] = list(value)
        elif isinstance(value, dict):
            out[name] = dict(value)
    return out


def _check_row(item, worker):
    r = item.result
    findings = [f.to_json() if hasattr(f, "to_json") else asdict(f) for f in r.findings]
    return Check(site=item.site, checked_at=item.checked_at, deep=bool(r.deep), url=(r.url or "")[:2000],
                 final_url=(r.final_url or "")[:2000], http_status=r.http_status, latency_ms=r.latency_ms,
                 tls_days_left=r.tls_days_left, verdict=r.verdict, error_kind=(r.error_kind or "")[:30],
                 error_message=(r.error_message or "")[:500], findings=findings, worker=worker[:100])


def _judged_urls(result):
    return {f.url or result.url for f in result.findings if f.kind in JUDGED_KINDS}


def _pages(result):
    """``(url, content hash, features or None)`` of each page the check judged."""
    records = getattr(result, "analyses", None) or {}
    out = [(url, record.content_hash, record.features) for url, record in records.items()]
    out += [(url, content_hash(features), features) for url, features in (result.pages or {}).items()
            if url not in records]
    return out


def _records(site, result):
    """The site's ``analysed_pages`` after this check: this check's records whose content hash is the one
    in ``page_hashes`` (others dropped), then older ones, at most ``RECORDS_MAX``."""
    hashes = site.page_hashes or {}
    fresh = {url: record.to_json() for url, record in (getattr(result, "analyses", None) or {}).items()
             if hashes.get(url) == record.content_hash}
    older = {url: data for url, data in (site.analysed_pages or {}).items()
             if url not in fresh and isinstance(data, dict) and hashes.get(url) == data.get("hash")}
    merged = {**fresh, **older}
    return dict(list(merged.items())[:RECORDS_MAX])


def _snapshots(item, events):
    """New Snapshot rows of the item's pages (the site's ``page_hashes`` and ``analysed_pages`` updated in
    memory)."""
    site, result = item.site, item.result
    pages = _pages(result) if result.verdict != Verdict.DOWN else []
    if not pages:
        return []
    hashes = dict(site.page_hashes or {})
    judged = _judged_urls(result)
    rows = []
    for url, digest, features in pages:
        previous = hashes.get(url)
        if previous == digest or features is None:  # unchanged, or a reused analysis (nothing to keep)
            continue
        hashes[url] = digest
        baseline = url not in item.baseline_urls and url not in judged
        rows.append(Snapshot(site=site, url=url[:2000], taken_at=item.checked_at, content_hash=digest,
                             title=(features.title or "")[:500], text=features.text,
                             features=_features_dict(features), is_baseline=baseline))
        if previous is not None:
            events.append(SiteEvent(site=site, at=item.checked_at, kind=EventKind.CONTENT_CHANGED,
                                    message=url[:500], data={"url": url, "baseline": baseline}))
    site.page_hashes = hashes
    site.analysed_pages = _records(site, result)
    return rows


def update_sites(sites, fields):
    """Write ``fields`` of ``sites`` back: one ``UPDATE … WHERE id = %s`` run with ``executemany``. Django's
    ``bulk_update`` builds a ``CASE WHEN id = … THEN …`` expression per field and row and compiles it: with
    eighteen fields it took most of the writer's CPU. The values go through each field's
    ``get_db_prep_save`` (JSON, dates) as with ``save()``; no signals are sent (nor were they)."""
    if not sites:
        return
    meta = WatchedSite._meta
    connection = connections[router.db_for_write(WatchedSite)]
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = (f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in columns)} "
           f"WHERE {quote(meta.pk.column)} = %s")
    rows = [[f.get_db_prep_save(getattr(site, f.attname), connection) for f in columns] + [site.pk] for site in sites]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def persist(items, worker):
    """Write a batch of ``Done`` items; returns ``(written, alert ids to notify)``. If the transaction
    fails the sites are left as they were in memory, so the call can be retried as a whole."""
    if not items:
        return 0, []
    saved = [(item.site, dict(item.site.__dict__)) for item in items]
    try:
        return _persist(items, worker)
    except BaseException:
        for site, state in saved:
            site.__dict__.update(state)
        raise


def _persist(items, worker):
    ids = [item.site.pk for item in items]
    with transaction.atomic():
        ours = set(WatchedSite.objects.filter(pk__in=ids, claimed_by=worker).values_list("pk", flat=True))
        lost = [item for item in items if item.site.pk not in ours]
        if lost:
            logger.warning("%d results dropped: this worker no longer holds their claims (lease of %s s ran out)",
                           len(lost), settings.MONITOR_LEASE_SECONDS)
        items = [item for item in items if item.site.pk in ours]
        if not items:
            return 0, []
        checks = Check.objects.bulk_create([_check_row(item, worker) for item in items])
        contexts = load_contexts([item.site.pk for item in items])
        events, snapshots, notify = [], [], []
        for item, check in zip(items, checks, strict=True):
            site = item.site
            if item.failed:
                site.check_count += 1
                site.last_checked_at = item.checked_at
                site.last_error = f"{item.result.error_kind}: {item.result.error_message}"[:500]
                site.next_check_at = next_check_time(site, item.checked_at)
            else:
                outcome = evaluate(site, item.result, now=item.checked_at, check=check if check.pk else None,
                                   context=contexts[site.pk])
                snapshots.extend(_snapshots(item, events))
                events.extend(outcome.events)
                notify.extend(outcome.notify)
                site.next_check_at = next_check_time(site, item.checked_at, recheck=outcome.recheck)
            site.claimed_by, site.claimed_until = "", None
        Snapshot.objects.bulk_create(snapshots)
        SiteEvent.objects.bulk_create(events)
        update_sites([item.site for item in items], WRITTEN_FIELDS)
        after_commit_notify(notify)
    return len(items), notify
