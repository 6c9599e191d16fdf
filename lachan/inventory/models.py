import ipaddress

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lachan.core.models import ScopedModel

from .choices import HostRole, PrefixSource, SecurityLevel, SystemStatus
from .ipam import network_keys, parse_prefix

CPE23_VALIDATOR = RegexValidator(
    r"^cpe:2\.3:[aho\*\-](:(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!\"#$%&'\(\)\+,/:;<=>@\[\]\^`\{\|}~]))+(\?*|\*?))|[\*\-])){5}"
    r"(:(([a-zA-Z]{2,3}(-([a-zA-Z]{2}|[0-9]{3}))?)|[\*\-]))(:(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!\"#$%&'\(\)\+,/:;<=>@\[\]\^`\{\|}~]))+(\?*|\*?))|[\*\-])){4}$",
    _("Not a valid CPE 2.3 formatted string (cpe:2.3:part:vendor:product:version:…, 13 parts)."),
)


class InformationSystem(ScopedModel):
    unit = models.ForeignKey("organizations.Unit", verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="systems")
    operator_unit = models.ForeignKey(
        "organizations.Unit", verbose_name=_("operating unit"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="operated_systems",
    )
    name = models.CharField(_("name"), max_length=300)
    purpose = models.TextField(_("purpose"), blank=True)
    security_level = models.PositiveSmallIntegerField(
        _("security level"), choices=SecurityLevel.choices, null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    approval_number = models.CharField(_("approval decision number"), max_length=100, blank=True)
    approval_date = models.DateField(_("approval date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=SystemStatus.choices, default=SystemStatus.OPERATING)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["unit__path", "name"]
        verbose_name = _("information system")
        verbose_name_plural = _("information systems")
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="system_unique_name_per_unit")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("inventory:informationsystem_detail", args=[self.pk])


class Host(ScopedModel):
    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="hosts")
    system = models.ForeignKey(
        InformationSystem, verbose_name=_("information system"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="hosts",
    )
    hostname = models.CharField(_("hostname"), max_length=255)
    ip_addresses = models.CharField(pgettext_lazy("field name", "IP addresses"), max_length=500, blank=True, help_text=_("Separated by commas"))
    os = models.CharField(_("operating system"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=HostRole.choices, default=HostRole.SERVER)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["unit__path", "hostname"]
        verbose_name = _("host")
        verbose_name_plural = _("hosts")
        constraints = [models.UniqueConstraint(fields=["unit", "hostname"], name="host_unique_name_per_unit")]

    def __str__(self):
        return self.hostname

    def get_absolute_url(self):
        return reverse("inventory:host_detail", args=[self.pk])


class IPPrefix(ScopedModel):
    unit = models.ForeignKey("organizations.Unit", verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="prefixes")
    system = models.ForeignKey(
        InformationSystem, verbose_name=_("information system"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="prefixes",
    )
    prefix = models.CharField(_("prefix"), max_length=50)
    version = models.PositiveSmallIntegerField(_("IP version"), editable=False)
    prefix_length = models.PositiveSmallIntegerField(editable=False)
    first_key = models.CharField(max_length=32, editable=False, db_index=True)
    last_key = models.CharField(max_length=32, editable=False)
    description = models.CharField(_("description"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=PrefixSource.choices, default=PrefixSource.MANUAL)
    # The assignment's validity (address space moves between units): feeds map an event with the
    # assignment valid on the event's day (Asia/Ho_Chi_Minh); an empty bound is open.
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True,
                                   help_text=_("Last day of the assignment; empty while it lasts."))

    class Meta:
        ordering = ["version", "first_key", "prefix_length"]
        verbose_name = _("IP prefix")
        verbose_name_plural = pgettext_lazy("model name", "IP prefixes")
        constraints = [models.UniqueConstraint(fields=["unit", "prefix"], name="prefix_unique_per_unit")]
        indexes = [
            models.Index(fields=["first_key", "last_key"], name="prefix_range_idx"),
            models.Index(fields=["version", "first_key", "prefix_length"], name="prefix_order_idx"),
        ]

    def __str__(self):
        return self.prefix

    def get_absolute_url(self):
        return reverse("inventory:ipprefix_detail", args=[self.pk])

    @property
    def network(self):
        return ipaddress.ip_network(self.prefix)

    def clean(self):
        from django.core.exceptions import ValidationError

        try:
            parse_prefix(self.prefix)
        except ValueError as exc:
            raise ValidationError({"prefix": _("Invalid IP prefix: %(error)s") % {"error": exc}}) from None
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The end of validity is before its start.")})

    def valid_on(self, day):
        """Whether the assignment holds on ``day`` (a date; both bounds inclusive, empty = open)."""
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_until is None or day <= self.valid_until)

    def save(self, *args, **kwargs):
        # Derived columns only (canonical form and range keys); no side effects.
        network = parse_prefix(self.prefix)
        self.prefix = str(network)
        self.version = network.version
        self.prefix_length = network.prefixlen
        self.first_key, self.last_key = network_keys(network)
        super().save(*args, **kwargs)


class Domain(ScopedModel):
    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="domains")
    name = models.CharField(_("domain name"), max_length=253, unique=True)
    registrar = models.CharField(_("registrar"), max_length=200, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("inventory:domain_detail", args=[self.pk])


class Website(ScopedModel):
    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="websites")
    system = models.ForeignKey(
        InformationSystem, verbose_name=_("information system"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="websites",
    )
    url = models.URLField(_("URL"), max_length=500)
    name = models.CharField(_("name"), max_length=300, blank=True)
    monitored = models.BooleanField(_("monitored"), default=True)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["url"]
        verbose_name = _("website")
        verbose_name_plural = _("websites")
        constraints = [models.UniqueConstraint(fields=["url"], name="website_unique_url")]

    def __str__(self):
        return self.name or self.url

    def get_absolute_url(self):
        return reverse("inventory:website_detail", args=[self.pk])


class Software(ScopedModel):
    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="software")
    host = models.ForeignKey(Host, verbose_name=_("host"), null=True, blank=True, on_delete=models.CASCADE, related_name="software")
    system = models.ForeignKey(
        InformationSystem, verbose_name=_("information system"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="software",
    )
    vendor = models.CharField(_("vendor"), max_length=200)
    product = models.CharField(_("product"), max_length=200)
    version = models.CharField(_("version"), max_length=100, blank=True)
    cpe = models.CharField(_("CPE 2.3"), max_length=500, blank=True, validators=[CPE23_VALIDATOR])
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["vendor", "product", "version"]
        verbose_name = _("software")
        verbose_name_plural = _("software")

    def __str__(self):
        return " ".join(p for p in (self.vendor, self.product, self.version) if p)

    def get_absolute_url(self):
        return reverse("inventory:software_detail", args=[self.pk])
