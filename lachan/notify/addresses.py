"""Targets written as one string (``send(addresses=...)``, the preference form): which channel, and how to
show them without their secrets (webhook and Apprise URLs often carry a token in the path or query)."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .choices import Channel

TELEGRAM_CHAT = re.compile(r"^-?\d{1,20}$|^@[A-Za-z][A-Za-z0-9_]{3,62}$")


def parse_address(text, *, guard=False):
    """``(channel, target)`` for ``x@y.vn`` / ``mailto:x@y.vn`` (e-mail), ``telegram:<chat id>``,
    ``http(s)://…`` (webhook) or any other ``scheme://…`` (an Apprise URL); ValidationError otherwise."""
    value = (text or "").strip()
    lower = value.lower()
    if lower.startswith("mailto:"):
        value, lower = value[7:], lower[7:]
    if lower.startswith("telegram:"):
        return Channel.TELEGRAM, validate_target(Channel.TELEGRAM, value[9:], guard=guard)
    if lower.startswith(("http://", "https://")):
        return Channel.WEBHOOK, validate_target(Channel.WEBHOOK, value, guard=guard)
    if "://" in value:
        return Channel.APPRISE, validate_target(Channel.APPRISE, value, guard=guard)
    return Channel.EMAIL, validate_target(Channel.EMAIL, value, guard=guard)


def validate_target(channel, target, *, guard=True):
    """The target cleaned for ``channel``; ValidationError naming what is wrong."""
    from .channels import transport_for

    target = (target or "").strip()
    if not target:
        raise ValidationError(_("The address is empty."))
    if channel == Channel.EMAIL:
        validate_email(target)
    elif channel == Channel.TELEGRAM:
        if not TELEGRAM_CHAT.match(target):
            raise ValidationError(_("A Telegram chat id is a number (groups: negative) or @channelname."))
    else:
        transport_for(channel).validate(target, guard=guard)
    return target


def redact(channel, target):
    """The target as lists show it: e-mail and chat id as they are, URLs as ``scheme://host/…``."""
    if channel in (Channel.WEBHOOK, Channel.APPRISE):
        match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@]*@)?([^/?#]*)", target or "")
        if match:
            rest = (target or "")[match.end():]
            host = match.group(3) if channel == Channel.WEBHOOK else "…"
            return f"{match.group(1)}{host}{'/…' if rest.strip('/') else ''}"
    return target
