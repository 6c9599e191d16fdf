"""Playbooks on incidents: attach a checklist (``playbook_data``) to an incident — automatically by its type when
it is filed, or chosen later — and tick its steps one by one (who, when, note), each tick on the timeline."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.core.audit import acting_as

from . import playbook_data
from .choices import EventKind
from .models import IncidentEvent, IncidentPlaybook, IncidentPlaybookStep

PHASE_NAMES = dict(playbook_data.PHASES)
BY_KEY = {p["key"]: p for p in playbook_data.PLAYBOOKS}
GENERIC = "generic"


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self):
        return round(100 * self.done / self.total) if self.total else 0


def choices():
    return [(p["key"], p["title"]) for p in playbook_data.PLAYBOOKS]


def for_type(incident_type):
    """The key of the playbook attached automatically to incidents of ``incident_type``."""
    for playbook in playbook_data.PLAYBOOKS:
        if incident_type in playbook["types"]:
            return playbook["key"]
    return GENERIC


def _event(incident, by, message, changes):
    IncidentEvent.objects.create(incident=incident, actor=by, kind=EventKind.PLAYBOOK, message=message,
                                 changes=changes, version=incident.version)


def playbook_attach(incident, *, by, key=None, record_event=True):
    """Attach playbook ``key`` (default: the one of the incident's type) with its steps copied. The caller has
    checked that ``by`` may change the incident. A playbook already attached is refused."""
    key = key or for_type(incident.incident_type)
    data = BY_KEY.get(key)
    if data is None:
        raise ValidationError({"key": _("Unknown playbook %(value)s.") % {"value": key}})
    try:
        with transaction.atomic(), acting_as(by):
            playbook = IncidentPlaybook.objects.create(incident=incident, key=key, title=data["title"], attached_by=by)
            IncidentPlaybookStep.objects.bulk_create([
                IncidentPlaybookStep(playbook=playbook, order=number, phase=phase, text=text)
                for number, (phase, text) in enumerate(data["steps"], start=1)])
            if record_event:
                _event(incident, by, _("Playbook attached: %(title)s") % {"title": data["title"]}, {"playbook": key})
    except IntegrityError:
        raise ValidationError({"key": _("This playbook is already attached to the incident.")}) from None
    return playbook


def step_tick(incident, *, by, step_id, done=True, note=""):
    """Tick (``done``) or untick a step of one of ``incident``'s playbooks; a timeline event either way."""
    step = (IncidentPlaybookStep.objects.select_related("playbook")
            .filter(pk=step_id, playbook__incident=incident).first())
    if step is None:
        raise ValidationError({"step": _("This step does not belong to the incident.")})
    note = (note or "").strip()[:500]
    if bool(step.done_at) == bool(done) and not note:
        return step
    with transaction.atomic(), acting_as(by):
        if done:
            step.done_at, step.done_by = step.done_at or timezone.now(), step.done_by or by
        else:
            step.done_at, step.done_by = None, None
        step.note = note or step.note
        step.save(update_fields=["done_at", "done_by", "note"])
        verb = _("Step done") if done else _("Step reopened")
        _event(incident, by, f"{verb}: {step.order}. {step.text[:200]}" + (f" — {note}" if note else ""),
               {"playbook": step.playbook.key, "step": step.order, "done": bool(done)})
    return step


def progress(incident):
    """Progress over every playbook attached to ``incident``."""
    steps = IncidentPlaybookStep.objects.filter(playbook__incident=incident)
    return Progress(done=steps.filter(done_at__isnull=False).count(), total=steps.count())


def attached(incident):
    """The incident's playbooks with their steps (prefetched) and per-playbook progress."""
    playbooks = list(incident.playbooks.prefetch_related("steps__done_by"))
    for playbook in playbooks:
        done, total = playbook.progress()
        playbook.progress_info = Progress(done, total)
        playbook.phase_names = PHASE_NAMES
    return playbooks
