"""Background jobs of the intel app (``lachan worker`` runs them; ``lachan scheduler`` the periodic ones)."""

from datetime import timedelta

from lachan.core.jobs import periodic, task


@task()
def send_import_notifications(import_id):
    """One digest per unit (and the critical-family alerts) for a finished import; see ``notify``."""
    from .notify import notify_import

    return notify_import(import_id)


@periodic(every=timedelta(hours=6))
@task()
def close_stale_cases():
    """Close active cases with no sighting for INTEL_CASE_CLOSE_DAYS days."""
    from .services import close_stale_cases as close

    return close()
