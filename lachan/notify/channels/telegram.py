"""Telegram through Apprise's Telegram plugin (bot token from NOTIFY_TELEGRAM_BOT_TOKEN, the target is the
chat id). The plugin's HTTP calls go through the outbound guard (see ``guarded_requests``).

NOTIFY_TELEGRAM_API_URL points the plugin at another Bot API server (Telegram's self-hosted
``telegram-bot-api``, or a loopback fake in tests; it must then be allowlisted like any internal address).
"""

import logging

import apprise
from apprise.plugins import telegram as apprise_telegram
from django.conf import settings
from django.utils.translation import gettext as _

from .base import DeliveryError, Transport
from .guarded_requests import install

install(apprise_telegram)


def telegram_url(token, chat_id):
    """The Apprise URL of a chat: plain text, no bot avatar image sent first, no link previews."""
    return f"tgram://{token}/{chat_id}/?format=text&image=no&preview=no"


def build(token, chat_id, api_url=None):
    """The Apprise Telegram plugin object for ``chat_id``; ``api_url`` replaces https://api.telegram.org."""
    plugin = apprise.Apprise.instantiate(telegram_url(token, chat_id))
    if plugin is None:
        raise DeliveryError(_("Apprise refused the Telegram bot token or chat id."), permanent=True)
    if api_url:
        plugin.notify_url = api_url.rstrip("/") + "/bot"
    return plugin


def notify_with_log(plugin, *, title, body):
    """``plugin.notify`` and, when it fails, the reason Apprise logged (the guard's refusal included)."""
    with apprise.LogCapture(level=logging.DEBUG, fmt="%(message)s") as captured:
        ok = plugin.notify(body=body, title=title)
    if ok:
        return
    lines = [line.strip() for line in captured.getvalue().splitlines() if line.strip()]
    reasons = [line for line in lines if "Exception" in line or "error" in line.lower() or "Failed" in line]
    raise DeliveryError(" | ".join(reasons[-3:] or lines[-3:]) or "Apprise reported a failure")


class TelegramTransport(Transport):
    channel = "telegram"

    def notify(self, delivery):
        token = settings.NOTIFY_TELEGRAM_BOT_TOKEN
        if not token:
            raise DeliveryError(_("NOTIFY_TELEGRAM_BOT_TOKEN is not set."), permanent=True)
        plugin = build(token, delivery.target, settings.NOTIFY_TELEGRAM_API_URL)
        body = delivery.body
        if delivery.attachments:
            body += "\n\n" + _("Attachments (sent by e-mail only): %s") % ", ".join(delivery.attachment_names)
        notify_with_log(plugin, title=delivery.subject, body=body)
