"""Inventory software saved (form, import, API) → ``tasks.match_software_job`` for it once the transaction
commits, so its findings follow the inventory without a full match. Connected in ``VulnsConfig.ready``."""

from django.db import transaction
from django.db.models.signals import post_save


def _software_saved(sender, instance, created, raw=False, **kwargs):
    if raw:  # loaddata
        return
    software_id = instance.pk

    def enqueue():
        from .tasks import match_software_job

        match_software_job.enqueue([software_id])

    transaction.on_commit(enqueue)


def connect():
    from lachan.inventory.models import Software

    post_save.connect(_software_saved, sender=Software, dispatch_uid="vulns_match_software")
