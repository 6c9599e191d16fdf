"""One module per channel, each with a ``Transport`` (healthchecks' layout): ``notify(delivery)`` sends one
delivery or raises ``DeliveryError``; ``validate(target)`` checks a target when a user saves it."""

from ..choices import Channel
from .base import DeliveryError, Transport


def transport_for(channel) -> Transport:
    from . import apprise_url, email, telegram, webhook

    transports = {
        Channel.EMAIL: email.EmailTransport,
        Channel.TELEGRAM: telegram.TelegramTransport,
        Channel.WEBHOOK: webhook.WebhookTransport,
        Channel.APPRISE: apprise_url.AppriseTransport,
    }
    try:
        return transports[channel]()
    except KeyError:
        raise DeliveryError(f"unknown channel {channel!r}", permanent=True) from None


__all__ = ["DeliveryError", "Transport", "transport_for"]
