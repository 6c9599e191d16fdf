"""Background jobs of the vulns app (``lachan worker`` runs them; ``lachan scheduler`` the periodic ones).

``signals`` enqueues ``match_software_job`` when inventory software changes."""

from datetime import timedelta

from django.conf import settings

from lachan.core.jobs import periodic, task


@task()
def import_scan_job(scan_import_id):
    """Run an uploaded scan (``ScanImport`` waiting) — see ``services.scan_import_run``."""
    from .services import scan_import_run

    scan = scan_import_run(scan_import_id)
    return {"status": scan.status, "new": scan.new, "closed": scan.closed}


@task()
def match_software_job(software_ids):
    from .services import match_software

    return match_software(software_ids).as_dict()


@task()
def match_advisories_job(cve_ids):
    from .services import match_advisories

    return match_advisories(cve_ids).as_dict()


@periodic(every=timedelta(hours=1))
@task()
def expire_and_mark_overdue():
    """Reopen risk acceptances past their expiry date and flag findings past their due date."""
    from .services import expire_risk_acceptances, mark_overdue

    return {"reopened": expire_risk_acceptances(), "overdue": mark_overdue()}


@periodic(every=timedelta(hours=settings.VULNS_FEED_FETCH_HOURS))
@task()
def fetch_advisory_feeds():
    """Fetch and import ``settings.VULNS_ADVISORY_FEEDS`` (nothing when empty: air-gapped deployments)."""
    from .feed_fetch import fetch_all

    return fetch_all()
