"""Other services through Apprise URLs (a user's preference holds the URL): Slack, Discord, ntfy, Gotify,
Mattermost, Rocket.Chat, Zulip and Google Chat. Only these plugins are allowed, and each has its
``requests`` routed through the outbound guard (``guarded_requests``); any other Apprise URL is refused
before Apprise sees it (many plugins talk other protocols — SMTP, MQTT, XMPP — that the guard cannot cover).
"""

import importlib

import apprise
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .base import DeliveryError, Transport
from .guarded_requests import install
from .telegram import notify_with_log

GUARDED_PLUGINS = ("slack", "discord", "ntfy", "gotify", "mattermost", "rocketchat", "zulip", "google_chat")
_MODULES = {f"apprise.plugins.{name}" for name in GUARDED_PLUGINS}

for _name in GUARDED_PLUGINS:
    install(importlib.import_module(f"apprise.plugins.{_name}"))


def plugin_for(url):
    """The Apprise plugin object of ``url`` if it is one of the allowed services, else ValidationError."""
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        raise ValidationError(_("Apprise does not understand this URL."))
    if type(plugin).__module__ not in _MODULES:
        raise ValidationError(_("This service is not offered; allowed: %s") % ", ".join(GUARDED_PLUGINS))
    return plugin


class AppriseTransport(Transport):
    channel = "apprise"

    def validate(self, target, *, guard=True):
        plugin_for(target)

    def notify(self, delivery):
        try:
            plugin = plugin_for(delivery.target)
        except ValidationError as exc:
            raise DeliveryError(" ".join(exc.messages), permanent=True) from None
        notify_with_log(plugin, title=delivery.subject, body=delivery.body)
