"""Audit trail: every create/update/delete of every model of our apps goes to django-auditlog
(who, when, the changed fields before/after). Registering is done per app in AppConfig.ready()."""

from contextlib import contextmanager

from auditlog.context import set_actor
from auditlog.registry import auditlog


def register_app(app_config, exclude_fields=None):
    exclude_fields = exclude_fields or {}
    for model in app_config.get_models():
        if model._meta.abstract or auditlog.contains(model):
            continue
        m2m = {f.name for f in model._meta.many_to_many}
        auditlog.register(model, m2m_fields=m2m, exclude_fields=exclude_fields.get(model.__name__, []))


@contextmanager
def acting_as(user):
    """Attribute writes done outside a request (CLI, jobs) to ``user``."""
    if user is None:
        yield
        return
    with set_actor(user):
        yield
