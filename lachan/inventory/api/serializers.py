from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from lachan.core.api.serializers import ScopedModelSerializer, run_django_validator
from lachan.inventory.models import Domain, Host, InformationSystem, IPPrefix, Software, Website
from lachan.inventory.validators import (
    approval_errors,
    clean_domain_name,
    clean_ip_address_list,
    clean_prefix,
)

TIMESTAMPS = ("created", "updated")


class InformationSystemSerializer(ScopedModelSerializer):
    class Meta:
        model = InformationSystem
        fields = ("id", "url", "display", "unit", "operator_unit", "name", "purpose", "security_level",
                  "approval_number", "approval_date", "status", "description", *TIMESTAMPS)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        errors = approval_errors(self.value(attrs, "approval_number"), self.value(attrs, "security_level"))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class HostSerializer(ScopedModelSerializer):
    class Meta:
        model = Host
        fields = ("id", "url", "display", "unit", "system", "hostname", "ip_addresses", "os", "role", "description",
                  *TIMESTAMPS)

    def validate_ip_addresses(self, value):
        return run_django_validator(clean_ip_address_list, value)


class IPPrefixSerializer(ScopedModelSerializer):
    class Meta:
        model = IPPrefix
        fields = ("id", "url", "display", "unit", "system", "prefix", "version", "prefix_length", "description",
                  "source", "valid_from", "valid_until", *TIMESTAMPS)
        read_only_fields = ("version", "prefix_length")

    def validate_prefix(self, value):
        # Canonical form first, so that "10.0.0.5/24" and "10.0.0.0/24" are the same prefix for uniqueness.
        return run_django_validator(clean_prefix, value)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        start = attrs.get("valid_from", getattr(self.instance, "valid_from", None))
        end = attrs.get("valid_until", getattr(self.instance, "valid_until", None))
        if start and end and end < start:
            raise serializers.ValidationError({"valid_until": _("The end of validity is before its start.")})
        return attrs


class DomainSerializer(ScopedModelSerializer):
    class Meta:
        model = Domain
        fields = ("id", "url", "display", "unit", "name", "registrar", "expires_on", "description", *TIMESTAMPS)

    def validate_name(self, value):
        return run_django_validator(clean_domain_name, value)


class WebsiteSerializer(ScopedModelSerializer):
    # ``url`` is every object's API link; the website's own address is ``website_url``.
    website_url = serializers.URLField(
        source="url", max_length=500, label=Website._meta.get_field("url").verbose_name,
        validators=[UniqueValidator(queryset=Website.objects.all())],
    )

    class Meta:
        model = Website
        fields = ("id", "url", "display", "unit", "system", "website_url", "name", "monitored", "description",
                  *TIMESTAMPS)


class SoftwareSerializer(ScopedModelSerializer):
    class Meta:
        model = Software
        fields = ("id", "url", "display", "unit", "host", "system", "vendor", "product", "version", "cpe",
                  "description", *TIMESTAMPS)
