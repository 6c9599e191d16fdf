"""Background jobs of the directives app."""

from datetime import timedelta

from lachan.core.jobs import periodic, task


@task()
def send_dispatch_notifications(dispatch_ids):
    """E-mail each newly dispatched unit (see ``notify.notify_dispatches``)."""
    from .notify import notify_dispatches

    return notify_dispatches(dispatch_ids)


@periodic(every=timedelta(hours=6))
@task()
def send_deadline_reminders():
    """Reminders before and after task deadlines, once per (answer, kind)."""
    from .notify import notify_reminders
    from .services import reminders_due

    return notify_reminders(reminders_due())
