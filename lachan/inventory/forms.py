from django import forms
from django.utils.translation import gettext_lazy as _

from lachan.core.forms import ScopedModelForm

from .ipam import parse_address_list, parse_prefix
from .models import Domain, Host, InformationSystem, IPPrefix, Software, Website


class InformationSystemForm(ScopedModelForm):
    class Meta:
        model = InformationSystem
        fields = ["unit", "operator_unit", "name", "purpose", "security_level", "approval_number", "approval_date",
                  "status", "description"]
        widgets = {"approval_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("approval_number") and not cleaned.get("security_level"):
            self.add_error("security_level", _("An approval decision needs the approved security level."))
        return cleaned


class HostForm(ScopedModelForm):
    class Meta:
        model = Host
        fields = ["unit", "system", "hostname", "ip_addresses", "os", "role", "description"]

    def clean_ip_addresses(self):
        try:
            return ", ".join(parse_address_list(self.cleaned_data["ip_addresses"]))
        except ValueError as exc:
            raise forms.ValidationError(_("Not an IP address: %(value)s") % {"value": exc}) from None


class IPPrefixForm(ScopedModelForm):
    class Meta:
        model = IPPrefix
        fields = ["unit", "system", "prefix", "description", "source"]

    def clean_prefix(self):
        try:
            return str(parse_prefix(self.cleaned_data["prefix"]))
        except ValueError as exc:
            raise forms.ValidationError(_("Invalid IP prefix: %(error)s") % {"error": exc}) from None


class DomainForm(ScopedModelForm):
    class Meta:
        model = Domain
        fields = ["unit", "name", "registrar", "expires_on", "description"]
        widgets = {"expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def clean_name(self):
        name = self.cleaned_data["name"].strip().lower().rstrip(".")
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise forms.ValidationError(_("Not a valid domain name.")) from None
        if "." not in name or any(not label or len(label) > 63 for label in name.split(".")):
            raise forms.ValidationError(_("Not a valid domain name."))
        return name


class WebsiteForm(ScopedModelForm):
    class Meta:
        model = Website
        fields = ["unit", "system", "url", "name", "monitored", "description"]


class SoftwareForm(ScopedModelForm):
    class Meta:
        model = Software
        fields = ["unit", "host", "system", "vendor", "product", "version", "cpe", "description"]
