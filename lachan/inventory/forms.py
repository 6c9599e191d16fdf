from django import forms

from lachan.core.forms import ScopedModelForm

from .models import Domain, Host, InformationSystem, IPPrefix, Software, Website
from .validators import approval_errors, clean_domain_name, clean_ip_address_list, clean_prefix


class InformationSystemForm(ScopedModelForm):
    class Meta:
        model = InformationSystem
        fields = ["unit", "operator_unit", "name", "purpose", "security_level", "approval_number", "approval_date",
                  "status", "description"]
        widgets = {"approval_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def clean(self):
        cleaned = super().clean()
        for field, message in approval_errors(cleaned.get("approval_number"), cleaned.get("security_level")).items():
            self.add_error(field, message)
        return cleaned


class HostForm(ScopedModelForm):
    class Meta:
        model = Host
        fields = ["unit", "system", "hostname", "ip_addresses", "os", "role", "description"]

    def clean_ip_addresses(self):
        return clean_ip_address_list(self.cleaned_data["ip_addresses"])


class IPPrefixForm(ScopedModelForm):
    class Meta:
        model = IPPrefix
        fields = ["unit", "system", "prefix", "description", "source", "valid_from", "valid_until"]
        widgets = {name: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d") for name in ("valid_from", "valid_until")}

    def clean_prefix(self):
        return clean_prefix(self.cleaned_data["prefix"])


class DomainForm(ScopedModelForm):
    class Meta:
        model = Domain
        fields = ["unit", "name", "registrar", "expires_on", "description"]
        widgets = {"expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def clean_name(self):
        return clean_domain_name(self.cleaned_data["name"])


class WebsiteForm(ScopedModelForm):
    class Meta:
        model = Website
        fields = ["unit", "system", "url", "name", "monitored", "description"]


class SoftwareForm(ScopedModelForm):
    class Meta:
        model = Software
        fields = ["unit", "host", "system", "vendor", "product", "version", "cpe", "description"]
