"""Inventory software saved (form, import, API) → ``tasks.match_software_job`` once the transaction commits,
so its findings follow the inventory without a full match. An import saving thousands of rows in one
transaction enqueues ONE job for all of them. Connected in ``VulnsConfig.ready``."""

from django.db import transaction
from django.db.models.signals import post_save


class _Batch:
    """The on-commit callback of one transaction, holding the ids of the software it saved."""

    def __init__(self):
        self.ids = set()

    def __call__(self):
        from .tasks import match_software_job

        match_software_job.enqueue(sorted(self.ids))


def _pending_batch():
    """This transaction's batch if one is registered (a rollback discards it with the callback)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        for entry in connection.run_on_commit:  # (savepoint ids, callback, robust)
            if isinstance(entry[1], _Batch):
                return entry[1]
    return None


def _software_saved(sender, instance, created, raw=False, **kwargs):
    if raw:  # loaddata
        return
    batch = _pending_batch()
    if batch is None:
        batch = _Batch()
        transaction.on_commit(batch)
    batch.ids.add(instance.pk)


def connect():
    from lachan.inventory.models import Software

    post_save.connect(_software_saved, sender=Software, dispatch_uid="vulns_match_software")
