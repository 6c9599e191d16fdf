from datetime import timedelta

from lachan.core.jobs import periodic, task


@periodic(every=timedelta(minutes=1))
@task()
def advance_escalations():
    """Page the next step of every unacknowledged escalation whose wait has passed."""
    from .services import advance_due

    return advance_due()
