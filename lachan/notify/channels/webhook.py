"""Generic webhook: a JSON POST, optionally signed (``X-LaChan-Signature: sha256=<HMAC of the body>``).

The request goes through the outbound guard (``lachan.core.outbound.fetch_sync``): the address is checked at
resolution and at connect time, so a webhook to 127.0.0.1 or a private network is refused unless
OUTBOUND_ALLOWLIST allows it. Redirects are not followed (a webhook that answers 3xx has failed)."""

import hashlib
import hmac
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from lachan.core.outbound import BlockedAddress, FetchError, check_url, fetch_sync

from .base import DeliveryError, Transport

SIGNATURE_HEADER = "X-LaChan-Signature"
EVERYWHERE = ("0.0.0.0/0", "::/0")


def payload(delivery):
    unit = delivery.unit
    return {
        "event": delivery.event_key,
        "delivery": delivery.pk,
        "severity": delivery.severity,
        "subject": delivery.subject,
        "body": delivery.body,
        "unit": {"code": unit.code, "name": unit.name} if unit else None,
        "attachments": [{"name": a.get("name"), "mimetype": a.get("mimetype")} for a in delivery.attachments or ()],
        "sent_at": timezone.now().isoformat(),
    }


def signature(secret, body: bytes):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookTransport(Transport):
    channel = "webhook"

    def validate(self, target, *, guard=True):
        """``guard=False``: the URL's form only (the address is judged when the delivery is sent, so that a
        refusal is recorded on the delivery)."""
        try:
            check_url(target, allowlist=None if guard else EVERYWHERE)
        except BlockedAddress as exc:
            raise ValidationError(exc.reason) from None

    def notify(self, delivery):
        body = json.dumps(payload(delivery), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "LaChan-Notify",
                   "X-LaChan-Event": delivery.event_key}
        secret = delivery.preference.secret if delivery.preference_id else settings.NOTIFY_WEBHOOK_SECRET
        if secret:
            headers[SIGNATURE_HEADER] = signature(secret, body)
        timeout = settings.NOTIFY_HTTP_TIMEOUT
        try:
            result = fetch_sync(delivery.target, method="POST", headers=headers, data=body, max_redirects=0,
                                timeout=timeout, connect_timeout=timeout, read_timeout=timeout,
                                max_bytes=64 * 1024)
        except FetchError as exc:
            raise DeliveryError(f"{exc.kind}: {exc.message}", permanent=exc.kind == "blocked") from exc
        if not 200 <= result.status < 300:
            raise DeliveryError(f"HTTP {result.status}: {result.text()[:300]}", permanent=False)
