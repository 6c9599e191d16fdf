import base64


class DeliveryError(Exception):
    """A delivery that did not go out. ``permanent``: retrying cannot help (refused target, bad config)."""

    def __init__(self, message, *, permanent=False):
        super().__init__(message)
        self.message = str(message)
        self.permanent = permanent


class Transport:
    channel = None

    def validate(self, target, *, guard=True):
        """Raise django's ValidationError if ``target`` cannot be used on this channel (``guard``: also
        judge its address by the outbound policy, where the channel can tell it before sending)."""

    def notify(self, delivery):
        raise NotImplementedError


def attachment_files(delivery):
    """``(name, bytes, mimetype)`` of each attachment kept on the delivery."""
    return [(a["name"], base64.b64decode(a["content"]), a.get("mimetype") or "application/octet-stream")
            for a in delivery.attachments or ()]
