"""Read-side questions: which targets a user is reached on for an event, and the deliveries a user sees."""

from zoneinfo import ZoneInfo

from django.conf import settings

from lachan.core.scope import VIEW

from .choices import SEVERITY_RANK, Channel
from .models import Delivery, NotificationPreference


def event_kind(event_key):
    """``"oncall.page:17:r0s1"`` → ``"oncall.page"``: the part before the first colon."""
    return event_key.split(":", 1)[0]


def in_quiet_hours(preference, at):
    """Whether ``at`` (aware) falls in the preference's quiet hours, read in the time zone of the platform."""
    start, end = preference.quiet_start, preference.quiet_end
    if start is None or end is None or start == end:
        return False
    local = at.astimezone(ZoneInfo(settings.TIME_ZONE)).time()
    return start <= local < end if start < end else (local >= start or local < end)


def matches(preference, event_key, severity):
    if not preference.enabled:
        return False
    if SEVERITY_RANK.get(severity, 0) < SEVERITY_RANK.get(preference.min_severity, 0):
        return False
    kinds = preference.kinds
    kind = event_kind(event_key)
    return not kinds or any(kind == k or kind.startswith(k + ".") for k in kinds)


def targets_for(user, event_key, severity, at):
    """``[(channel, target, preference, skipped_reason)]`` for one user: the matching enabled preferences
    (``skipped_reason`` set during quiet hours below the breakthrough severity); a user with no preference
    at all is reached by e-mail at the account's address."""
    preferences = list(NotificationPreference.objects.filter(user=user).order_by("pk"))
    if not preferences:
        return [(Channel.EMAIL, user.email, None, "")] if user.email else []
    breakthrough = SEVERITY_RANK.get(settings.NOTIFY_QUIET_HOURS_BREAKTHROUGH, len(SEVERITY_RANK))
    found = []
    for preference in preferences:
        if not matches(preference, event_key, severity):
            continue
        quiet = in_quiet_hours(preference, at) and SEVERITY_RANK.get(severity, 0) < breakthrough
        found.append((preference.channel, preference.target, preference, "quiet hours" if quiet else ""))
    return found


def deliveries_for(user):
    return Delivery.objects.restrict(user, VIEW).select_related("unit", "user")


def own_preferences(user):
    return NotificationPreference.objects.filter(user=user).order_by("channel", "target")
