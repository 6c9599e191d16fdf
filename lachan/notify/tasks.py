from datetime import timedelta

from lachan.core.jobs import periodic, task


@task()
def deliver_task(ids):
    """Send the given deliveries (those another worker has not claimed)."""
    from .services import deliver

    return sum(1 for pk in ids if deliver(pk) is not None)


@periodic(every=timedelta(minutes=1))
@task()
def retry_deliveries():
    """Retry failed deliveries whose backoff has passed (and anything an enqueue lost)."""
    from .services import retry_due

    return retry_due()
