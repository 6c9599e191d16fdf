from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lachan.accounts.choices import ADMIN_ROLES, Role
from lachan.core.models import ScopedModel

from .choices import ContactRole, DirectoryCategory, UnitKind


class UnitGroup(ScopedModel):
    """A block of units as the appendix of a letter lists them ("Khối các cơ quan Đảng thành phố")."""

    name = models.CharField(_("name"), max_length=300, unique=True)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    scope_unit = None
    scope_write_roles = frozenset({Role.COORDINATOR})

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("unit group")
        verbose_name_plural = _("unit groups")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("organizations:unitgroup_detail", args=[self.pk])


class Unit(ScopedModel):
    """A unit in the tree (ministry → department → district → school …).

    ``path`` is the materialised path of primary keys ("/1/7/42/"), maintained by
    ``services.unit_create`` / ``unit_update``; the scope rule filters on it.
    """

    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=UnitKind.choices, default=UnitKind.AGENCY)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=500, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    groups = models.ManyToManyField(UnitGroup, verbose_name=_("groups"), blank=True, related_name="units")
    address = models.CharField(_("address"), max_length=300, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_unit = ""
    scope_write_roles = ADMIN_ROLES

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self):
        return self.short_name or self.name

    def get_absolute_url(self):
        return reverse("organizations:unit_detail", args=[self.pk])

    def is_descendant_of(self, other):
        return bool(other) and self.path.startswith(other.path)


class Contact(ScopedModel):
    """A person in a unit: security focal point, on-duty staff, leader …"""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="contacts")
    full_name = models.CharField(_("full name"), max_length=200)
    position = models.CharField(_("position"), max_length=200, blank=True)
    phones = models.CharField(_("phones"), max_length=300, blank=True, help_text=_("Separated by commas"))
    emails = models.CharField(_("e-mails"), max_length=300, blank=True, help_text=_("Separated by commas"))
    roles = models.CharField(_("roles"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["unit__path", "full_name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("organizations:contact_detail", args=[self.pk])

    @property
    def role_list(self):
        return [r for r in self.roles.split(",") if r]

    def get_roles_display(self):
        labels = dict(ContactRole.choices)
        return ", ".join(str(labels.get(r, r)) for r in self.role_list)


class ExternalContact(ScopedModel):
    """The external contact directory (VNCERT/CC, NCSC, …): editable data, never hard-coded."""

    organization = models.CharField(_("organization"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    category = models.CharField(_("category"), max_length=30, choices=DirectoryCategory.choices, default=DirectoryCategory.OTHER)
    parent_organization = models.CharField(_("parent organization"), max_length=300, blank=True)
    person = models.CharField(_("person"), max_length=200, blank=True)
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    phones = models.CharField(_("phones"), max_length=300, blank=True)
    hotline = models.CharField(_("hotline"), max_length=100, blank=True)
    emails = models.CharField(_("e-mails"), max_length=300, blank=True)
    website = models.URLField(_("website"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True, help_text=_("Where this entry comes from, e.g. the letter that lists it"))
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    scope_unit = None
    scope_write_roles = frozenset({Role.COORDINATOR})

    class Meta:
        ordering = ["order", "organization"]
        verbose_name = _("external contact")
        verbose_name_plural = _("external contact directory")

    def __str__(self):
        return self.short_name or self.organization

    def get_absolute_url(self):
        return reverse("organizations:externalcontact_detail", args=[self.pk])

    def clean(self):
        if not (self.phones or self.hotline or self.emails):
            raise ValidationError(_("Give at least a phone, a hotline or an e-mail."))
