from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lachan.core.scope import ScopedQuerySet

from .choices import ADMIN_ROLES, GLOBAL_VIEW_ROLES, WRITE_ROLES, Role


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


class User(AbstractUser):
    """A person who logs in. Belongs to one unit and has one role; sees that unit and its sub-units."""

    unit = models.ForeignKey(
        "organizations.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.UNIT_MEMBER)
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    objects = ScopedUserManager()

    scope_unit = "unit"
    scope_write_roles = ADMIN_ROLES
    detail_hidden_fields = ("password", "is_superuser", "is_staff", "groups", "user_permissions")

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username

    def get_absolute_url(self):
        return reverse("accounts:user_detail", args=[self.pk])

    @property
    def effective_role(self):
        return Role.COORDINATOR if self.is_superuser else self.role

    @property
    def sees_everything(self):
        return self.effective_role in GLOBAL_VIEW_ROLES

    @property
    def can_write(self):
        return self.effective_role in WRITE_ROLES

    @property
    def is_coordinator(self):
        return self.effective_role == Role.COORDINATOR
