"""Background jobs of the incidents app."""

from datetime import timedelta

from lachan.core.jobs import periodic, task


@periodic(every=timedelta(minutes=15))
@task()
def notify_overdue_reporting():
    """E-mail each reporting clock that ran out, once (see ``notify.notify_overdue``)."""
    from .notify import notify_overdue

    return notify_overdue()


@task()
def resync_deadlines():
    """Refresh the clocks of unfinished incidents after a reporting rule was edited."""
    from .deadlines import deadlines_resync_open

    return deadlines_resync_open()
