"""Background jobs of the intel app (``lachan worker`` runs them; ``lachan scheduler`` the periodic ones)."""

from datetime import timedelta

from lachan.core.jobs import periodic, task


@task()
def send_import_notifications(import_id):
    """One digest per unit (and the critical-family alerts) for a finished import; see ``notify``."""
    from .notify import notify_import

    return notify_import(import_id)


@task()
def run_feed_upload(upload_id):
    """Import a file uploaded on the import page (see ``services.feed_upload_run``)."""
    from .services import feed_upload_run

    upload = feed_upload_run(upload_id)
    return upload.status if upload is not None else None


@periodic(every=timedelta(hours=6))
@task()
def close_stale_cases():
    """Close active cases with no sighting for INTEL_CASE_CLOSE_DAYS days."""
    from .services import close_stale_cases as close

    return close()
