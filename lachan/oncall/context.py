"""The "who is on duty now" panel for dashboards.

In a view: ``context |= on_duty_panel(request.user)``; in the template:
``{% include "oncall/_on_duty_panel.html" %}``."""

from .selectors import active_escalations, on_duty_now


def on_duty_panel(user, at=None):
    if not getattr(user, "is_authenticated", False):
        return {"oncall_panel": None}
    return {"oncall_panel": {"rows": on_duty_now(user, at), "active_escalations": active_escalations(user).count()}}
