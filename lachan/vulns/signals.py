"""Inventory software saved (form, import, API) → ``tasks.match_software_job`` once the transaction commits,
so its findings follow the inventory without a full match. An import saving thousands of rows in one
transaction enqueues ONE job for all of them. Connected in ``VulnsConfig.ready``."""

import threading

from django.db import transaction
from django.db.models.signals import post_save

_pending = threading.local()  # software ids saved in this thread and not yet enqueued


def _flush():
    ids = getattr(_pending, "ids", None)
    _pending.ids = None
    if ids:
        from .tasks import match_software_job

        match_software_job.enqueue(sorted(ids))


def _software_saved(sender, instance, created, raw=False, **kwargs):
    if raw:  # loaddata
        return
    if getattr(_pending, "ids", None) is None:
        _pending.ids = set()
    _pending.ids.add(instance.pk)
    # Registered on every save: the first callback to run after commit enqueues the whole set, the
    # others find it empty. Ids of a rolled-back transaction ride along with the next commit (the job
    # skips software that does not exist).
    transaction.on_commit(_flush)


def connect():
    from lachan.inventory.models import Software

    post_save.connect(_software_saved, sender=Software, dispatch_uid="vulns_match_software")
