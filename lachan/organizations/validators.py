"""Validation rules on organisations shared by the UI forms and the API serializers."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .phones import normalize_phone_list


def clean_phone_list(raw):
    """"0888.133.359, (024) 3640.4421" → "0888133359, 02436404421"; ValidationError naming the bad number."""
    try:
        return normalize_phone_list(raw or "")
    except ValueError as exc:
        raise ValidationError(_("Not a phone number: %(value)s") % {"value": exc}, code="phone") from None


def clean_email_list(raw):
    """"a@x.vn; b@y.vn" → "a@x.vn, b@y.vn"; ValidationError on the first invalid address."""
    emails = [e.strip() for e in (raw or "").replace(";", ",").split(",") if e.strip()]
    validator = forms.EmailField()
    for email in emails:
        validator.clean(email)
    return ", ".join(emails)


def unit_parent_required(user):
    """Only coordinators create top-level units; everybody else places units inside their own subtree."""
    return not user.is_coordinator
