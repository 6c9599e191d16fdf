"""Validation rules on the inventory shared by the UI forms and the API serializers."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .ipam import parse_address_list, parse_prefix


def clean_ip_address_list(raw):
    """"10.0.0.1 2001:DB8::1" → "10.0.0.1, 2001:db8::1"; ValidationError naming the bad entry."""
    try:
        return ", ".join(parse_address_list(raw))
    except ValueError as exc:
        raise ValidationError(_("Not an IP address: %(value)s") % {"value": exc}, code="ip_address") from None


def clean_prefix(raw):
    """"10.0.0.5/24" → "10.0.0.0/24" (canonical form); ValidationError with the parser's reason."""
    try:
        return str(parse_prefix(raw))
    except ValueError as exc:
        raise ValidationError(_("Invalid IP prefix: %(error)s") % {"error": exc}, code="prefix") from None


def clean_domain_name(raw):
    """"Cổng.Example.VN." → "xn--cng-....example.vn" (lower case, IDNA, no trailing dot)."""
    name = (raw or "").strip().lower().rstrip(".")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(_("Not a valid domain name."), code="domain") from None
    if "." not in name or any(not label or len(label) > 63 for label in name.split(".")):
        raise ValidationError(_("Not a valid domain name."), code="domain")
    return name


def approval_errors(approval_number, security_level):
    """An approval decision (Decree 85/2016) is always about a security level."""
    if approval_number and not security_level:
        return {"security_level": _("An approval decision needs the approved security level.")}
    return {}
