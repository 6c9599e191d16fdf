"""Background jobs of the vulns app (``lachan worker`` runs them; ``lachan scheduler`` the periodic ones).

A change of inventory software (saved through any form, import or the API) enqueues ``match_software_job``
for that item once the transaction commits, so its findings follow the inventory without a full match."""

from datetime import timedelta

from django.db import transaction
from django.db.models.signals import post_save

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


def _software_saved(sender, instance, created, raw=False, **kwargs):
    if raw:  # loaddata
        return
    software_id = instance.pk
    transaction.on_commit(lambda: match_software_job.enqueue([software_id]))


def connect():
    from lachan.inventory.models import Software

    post_save.connect(_software_saved, sender=Software, dispatch_uid="vulns_match_software")


connect()
