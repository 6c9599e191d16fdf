"""Indicators of compromise attached to incidents: validation/normalisation, and the bridge to the IoC store
(``intel.Indicator``: domains, URLs and file hashes; IP and e-mail indicators stay on the incident)."""

import ipaddress
import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import IndicatorType

HASH_LENGTHS = {32: IndicatorType.MD5, 40: IndicatorType.SHA1, 64: IndicatorType.SHA256}
STORE_KINDS = {IndicatorType.DOMAIN: "domain", IndicatorType.URL: "url", IndicatorType.MD5: "md5",
               IndicatorType.SHA1: "sha1", IndicatorType.SHA256: "sha256"}
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_HEX = re.compile(r"^[0-9a-f]+$")


def refang(value):
    """``hxxp://evil[.]example(.)com`` → ``http://evil.example.com``."""
    text = value.strip()
    text = re.sub(r"^hxxp", "http", text, flags=re.IGNORECASE)
    for fanged, plain in (("[.]", "."), ("(.)", "."), ("{.}", "."), ("[dot]", "."), ("[:]", ":"), ("[@]", "@"),
                          ("[at]", "@")):
        text = text.replace(fanged, plain)
    return text


def _domain(value):
    text = value.lower().rstrip(".")
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(_("%(value)s is not a valid domain name.") % {"value": value}) from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or len(ascii_name) > 253 or not all(_LABEL.match(label) for label in labels) \
            or labels[-1].isdigit():
        raise ValueError(_("%(value)s is not a valid domain name.") % {"value": value})
    return ascii_name


def normalise(kind, value):
    """(kind, canonical value); ``ValueError`` with a message naming the value when it is not one."""
    value = refang(str(value or ""))
    if not value:
        raise ValueError(_("Give the indicator's value."))
    if len(value) > 2000:
        raise ValueError(_("The value is too long (at most 2,000 characters)."))
    kind = str(kind or "").lower()
    if kind == "hash":
        kind = HASH_LENGTHS.get(len(value))
        if kind is None:
            raise ValueError(_("%(value)s is not an MD5, SHA-1 or SHA-256 hash.") % {"value": value})
    if kind == IndicatorType.IP:
        try:
            return kind, str(ipaddress.ip_address(value))
        except ValueError:
            raise ValueError(_("%(value)s is not an IP address.") % {"value": value}) from None
    if kind == IndicatorType.DOMAIN:
        return kind, _domain(value)
    if kind == IndicatorType.URL:
        try:
            URLValidator(schemes=["http", "https", "ftp", "ftps"])(value)
        except ValidationError:
            raise ValueError(_("%(value)s is not a URL (http, https or ftp).") % {"value": value}) from None
        return kind, value
    if kind in (IndicatorType.MD5, IndicatorType.SHA1, IndicatorType.SHA256):
        digest = value.lower()
        if HASH_LENGTHS.get(len(digest)) != kind or not _HEX.match(digest):
            raise ValueError(_("%(value)s is not a valid %(kind)s hash.") % {"value": value,
                                                                               "kind": IndicatorType(kind).label})
        return kind, digest
    if kind == IndicatorType.EMAIL:
        try:
            EmailValidator()(value)
        except ValidationError:
            raise ValueError(_("%(value)s is not an e-mail address.") % {"value": value}) from None
        local, _at, domain = value.rpartition("@")
        return kind, f"{local}@{domain.lower()}"
    raise ValueError(_("Unknown indicator kind %(kind)s.") % {"kind": kind})


def store(kind, value, now=None):
    """The IoC store's row for (kind, value), created or refreshed (last seen, expiry); None for kinds the store
    does not hold (IP, e-mail)."""
    from lachan.intel.models import Indicator

    store_kind = STORE_KINDS.get(kind)
    if store_kind is None:
        return None
    now = now or timezone.now()
    expires = now + timedelta(days=getattr(settings, "INTEL_INDICATOR_DAYS", 90))
    indicator, created = Indicator.objects.get_or_create(
        kind=store_kind, value=value, defaults={"first_seen": now, "last_seen": now, "expires_at": expires})
    if not created:
        indicator.last_seen, indicator.expires_at = now, max(expires, indicator.expires_at or expires)
        indicator.save(update_fields=["last_seen", "expires_at", "updated"])
    return indicator
