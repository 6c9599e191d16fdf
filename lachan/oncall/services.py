"""Writes of the duty roster and the escalation engine.

Callers (incidents, the website monitor's alerts)::

    from lachan.oncall import services as oncall
    esc = oncall.escalate("incident:42", policy=policy, subject="…", body="…", unit=unit, source_ref="incident 42")
    oncall.acknowledge(esc, by=user)

``escalate`` notifies the policy's first rule at once; ``advance_due`` (every minute, ``tasks.py``) moves
each unacknowledged escalation whose wait has passed to its next rule — claimed with a conditional UPDATE
on (status, step, round, next_at), so two sweeps racing advance it once — and after the last rule starts
again ``policy.repeat`` times, then stops as exhausted. Every notified step is an EscalationStep row with
the users, addresses and Delivery ids.
"""

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.choices import Role
from lachan.accounts.models import User
from lachan.core.scope import VIEW
from lachan.notify import services as notify
from lachan.organizations.models import Contact
from lachan.organizations.selectors import recipients_for

from .choices import EscalationStatus, StepTarget
from .models import Escalation, EscalationRule, EscalationStep, RotationMember
from .roster import on_duty

logger = logging.getLogger("lachan.oncall")

LEADER_ROLE = "leader"


# --- roster --------------------------------------------------------------------------------------------


def rotation_set_participants(rotation, users):
    """Replace the rotation's participants by ``users`` in that order. A unit schedule takes only users of
    its unit and sub-units (ValidationError naming the others)."""
    users = list(users)
    unit = rotation.schedule.unit
    if unit is not None:
        outside = [str(u) for u in users if u.unit is None or not u.unit.path.startswith(unit.path)]
        if outside:
            raise ValidationError({"participants": _("Not in the schedule's unit: %s") % ", ".join(outside)})
    if len({u.pk for u in users}) != len(users):
        raise ValidationError({"participants": _("A participant is listed twice.")})
    RotationMember.objects.filter(rotation=rotation).delete()
    RotationMember.objects.bulk_create(
        [RotationMember(rotation=rotation, user=user, position=index) for index, user in enumerate(users)])
    return rotation


def users_by_username(names, *, by):
    """The users ``by`` may see, in the order of ``names``; ValidationError naming unknown ones."""
    names = [n.strip() for n in names if n.strip()]
    found = {u.username: u for u in User.objects.restrict(by, VIEW).filter(username__in=names)
             .select_related("unit")}
    missing = [n for n in names if n not in found]
    if missing:
        raise ValidationError({"participants": _("Unknown users: %s") % ", ".join(missing)})
    return [found[n] for n in names]


# --- escalation ----------------------------------------------------------------------------------------


def _rules(policy):
    return list(EscalationRule.objects.filter(policy=policy).select_related("schedule", "user")
                .order_by("position", "pk"))


def _leader_emails(unit):
    if unit is None:
        return []
    emails, _via = recipients_for(unit, (LEADER_ROLE,))
    return emails


def _recipients(rule, escalation, at):
    """``(users, addresses, description)`` a rule reaches at ``at``."""
    if rule.target == StepTarget.ON_DUTY:
        users = on_duty(rule.schedule, at) if rule.schedule_id else []
        return users, [], _("on duty: %(schedule)s") % {"schedule": rule.schedule}
    if rule.target == StepTarget.USER:
        return ([rule.user] if rule.user_id and rule.user.is_active else []), [], str(rule.user)
    unit = escalation.unit or escalation.policy.unit
    return [], _leader_emails(unit), _("leader of %(unit)s") % {"unit": unit or "—"}


def _notify_step(escalation, rule, index, round_, at):
    users, addresses, description = _recipients(rule, escalation, at)
    deliveries = []
    note = ""
    if users or addresses:
        deliveries = notify.send(
            f"oncall.page:{escalation.pk}:r{round_}s{index}", users=users, addresses=addresses,
            subject=escalation.subject, body=_page_body(escalation, index, round_), severity=escalation.severity,
            unit=escalation.unit, now=at)
    else:
        note = _("nobody to notify")
        logger.warning("escalation %s step %s: nobody to notify (%s)", escalation.pk, index, description)
    step = EscalationStep.objects.create(escalation=escalation, step=index, round=round_, at=at,
                                         target=str(description)[:300], addresses=addresses,
                                         delivery_ids=[d.pk for d in deliveries], note=note)
    step.notified.set(users)
    return step


def _page_body(escalation, index, round_):
    lines = [escalation.body, "", _("Step %(step)d (round %(round)d) of the escalation «%(policy)s».")
             % {"step": index + 1, "round": round_ + 1, "policy": escalation.policy}]
    if escalation.source_ref:
        lines.append(_("Source: %s") % escalation.source_ref)
    lines.append(_("Acknowledge it in Lá Chắn to stop the escalation."))
    return "\n".join(lines)


def escalate(event_key, *, policy, subject, body, unit=None, source_ref="", severity="high", now=None):
    """Start paging for ``event_key`` with ``policy`` (idempotent: an existing escalation of the same event
    is returned as it is). The first rule is notified at once; returns the Escalation."""
    now = now or timezone.now()
    rules = _rules(policy)
    if not rules:
        raise ValidationError(_("The escalation policy «%s» has no rules.") % policy)
    existing = Escalation.objects.filter(event_key=event_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                event_key=event_key, policy=policy, unit=unit, subject=subject[:300], body=body,
                severity=severity, source_ref=source_ref[:300], started_at=now,
                next_at=now + dt.timedelta(minutes=rules[0].wait_minutes))
    except IntegrityError:  # another caller started it between our check and our insert
        return Escalation.objects.get(event_key=event_key)
    _notify_step(escalation, rules[0], 0, 0, now)
    return escalation


def _next_position(escalation, rules):
    """``(step, round)`` after the current one, or None when every rule and repeat is done."""
    if escalation.step + 1 < len(rules):
        return escalation.step + 1, escalation.round
    if escalation.round < escalation.policy.repeat:
        return 0, escalation.round + 1
    return None


def advance(escalation, *, now=None):
    """Move one due escalation to its next step if this caller wins the claim; True if it did anything."""
    now = now or timezone.now()
    rules = _rules(escalation.policy)
    claim = Escalation.objects.filter(pk=escalation.pk, status=EscalationStatus.ACTIVE, step=escalation.step,
                                      round=escalation.round, next_at=escalation.next_at, next_at__lte=now)
    following = _next_position(escalation, rules) if rules else None
    if following is None:
        return claim.update(status=EscalationStatus.EXHAUSTED, next_at=None) == 1
    step, round_ = following
    if not claim.update(step=step, round=round_, next_at=now + dt.timedelta(minutes=rules[step].wait_minutes)):
        return False
    escalation.step, escalation.round = step, round_
    _notify_step(escalation, rules[step], step, round_, now)
    return True


def advance_due(*, now=None):
    """Advance every active escalation whose wait has passed; returns how many this caller advanced."""
    now = now or timezone.now()
    due = Escalation.objects.filter(status=EscalationStatus.ACTIVE, next_at__lte=now).select_related("policy", "unit")
    return sum(1 for escalation in due.order_by("next_at", "pk") if advance(escalation, now=now))


def can_acknowledge(user, escalation):
    """Anyone who sees the escalation may acknowledge it, except auditors (read-only)."""
    if not getattr(user, "is_authenticated", False) or user.effective_role == Role.AUDITOR:
        return False
    return Escalation.objects.restrict(user, VIEW).filter(pk=escalation.pk).exists()


def acknowledge(escalation, by, *, note="", now=None):
    """Stop the escalation (True), or False if it was no longer active (already acknowledged or exhausted)."""
    now = now or timezone.now()
    done = Escalation.objects.filter(pk=escalation.pk, status=EscalationStatus.ACTIVE).update(
        status=EscalationStatus.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=by, ack_note=note[:4000],
        next_at=None)
    escalation.refresh_from_db()
    return done == 1


def leader_contacts(unit):
    """The unit's contacts with the leader role (for the UI)."""
    return [c for c in Contact.objects.filter(unit=unit) if LEADER_ROLE in c.role_list] if unit else []
