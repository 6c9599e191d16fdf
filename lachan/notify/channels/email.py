"""E-mail through Django's mail backend (SMTP in production, configured by EMAIL_* settings)."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage

from .base import DeliveryError, Transport, attachment_files


class EmailTransport(Transport):
    channel = "email"

    def notify(self, delivery):
        message = EmailMessage(delivery.subject, delivery.body, settings.DEFAULT_FROM_EMAIL, [delivery.target],
                               headers={"X-LaChan-Event": delivery.event_key})
        for name, content, mimetype in attachment_files(delivery):
            message.attach(name, content, mimetype)
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {exc.recipients}", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
