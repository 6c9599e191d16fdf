from django.db import models
from django.utils.translation import gettext_lazy as _

from lachan.accounts.choices import WRITE_ROLES
from lachan.core.scope import ScopedManager


class ScopedModel(models.Model):
    """Base for every model users reach: timestamps and the scope rule (see core.scope)."""

    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager()

    scope_unit = "unit"
    scope_write_roles = WRITE_ROLES

    class Meta:
        abstract = True


class PeriodicJobRun(models.Model):
    """Last enqueue time of each periodic job, claimed with a conditional UPDATE so that
    several scheduler processes never enqueue the same run twice."""

    name = models.CharField(max_length=100, unique=True)
    last_enqueued = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name
