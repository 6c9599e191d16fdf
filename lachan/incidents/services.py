"""The only writers of incidents and their parts. Every write is audited (``acting_as``) and leaves an
``IncidentEvent`` on the incident's timeline.

Concurrency: an incident carries ``version``; ``incident_update``, ``incident_transition`` and
``serious_override`` take the version the caller read and write with a conditional UPDATE
(``filter(pk=…, version=v).update(…, version=v + 1)``). When another write came first nothing is written and
``VersionConflict`` names who changed the incident and when."""

import datetime
import json
from pathlib import PurePath

from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from lachan.accounts.choices import ADMIN_ROLES, Role
from lachan.core.audit import acting_as
from lachan.core.files import file_digest
from lachan.core.scope import CHANGE, VIEW, can, user_role
from lachan.organizations.models import Unit

from . import indicators as ioc
from . import lifecycle, playbooks, sniffing, taxonomy
from .choices import EventKind, IncidentStatus, Source
from .deadlines import deadlines_sync
from .models import (
    SERIOUS_CRITERIA,
    Incident,
    IncidentComment,
    IncidentDeadline,
    IncidentEvent,
    IncidentEvidence,
    IncidentIndicator,
    ReportingRule,
)

EDITABLE_FIELDS = (
    "title", "incident_type", "severity", "reporter_name", "reporter_position", "reporter_phone", "reporter_email",
    "system", "system_name", "security_level", "domains_ips", "providers", "description", "detected_at",
    "current_status", "detection_method", "notified_parties", "os_info", "services_info", "security_measures",
    "support_requested", "confidential", "personal_data_breach", *SERIOUS_CRITERIA, "lessons_learned",
)
# Fields whose change moves the reporting clocks.
CLOCK_FIELDS = ("detected_at", "serious", "personal_data_breach")
FUTURE_SKEW = datetime.timedelta(minutes=10)
TEXT_EXTENSIONS = {".txt", ".log", ".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".xml", ".eml", ".html", ".htm",
                   ".md", ".yaml", ".yml", ".ini", ".conf", ".cfg"}


def setting(name, default):
    return getattr(settings, name, default)


class VersionConflict(Exception):
    """Another write changed the incident since the caller read ``version``."""

    def __init__(self, incident):
        self.incident = incident
        self.current_version = incident.version
        last = incident.events.exclude(kind=EventKind.COMMENT).order_by("-at", "-pk").first()
        self.changed_by = (last.actor if last else None)
        self.changed_at = (last.at if last else incident.updated)
        who = str(self.changed_by) if self.changed_by else _("someone else")
        when = date_format(timezone.localtime(self.changed_at), "d/m/Y H:i") if self.changed_at else "?"
        self.message = _("%(who)s changed this incident at %(when)s, after you opened it (version %(current)d). "
                         "Your change was not saved: reload the incident and apply it again.") % {
            "who": who, "when": when, "current": self.current_version}
        super().__init__(self.message)


# --- checks ---------------------------------------------------------------------------------------------------


def _may_write_for_unit(by, unit):
    """``by`` files/works incidents of ``unit`` (None: the platform itself, e.g. the website monitor)."""
    if by is None:
        return
    if not can(by, Incident, CHANGE) or not Unit.objects.restrict(by, VIEW).filter(pk=unit.pk).exists():
        raise PermissionDenied(_("You may not report incidents for %(unit)s.") % {"unit": unit})


def _may_change(by, incident):
    if by is None:
        return
    if not Incident.objects.restrict(by, CHANGE).filter(pk=incident.pk).exists():
        raise PermissionDenied(_("You may not change this incident."))


def _may_delete(by, queryset, obj):
    """Write-but-no-delete: only coordinators and unit administrators delete, inside their scope."""
    if by is not None and (user_role(by) not in ADMIN_ROLES or not queryset.restrict(by, CHANGE).filter(pk=obj.pk).exists()):
        raise PermissionDenied(_("Only coordinators and unit administrators may delete."))


def _check_system(incident, by):
    system = incident.system
    if system is None:
        return
    if system.unit_id != incident.unit_id:
        raise ValidationError({"system": _("%(object)s belongs to another unit.") % {"object": system}})
    if by is not None and not type(system).objects.restrict(by, VIEW).filter(pk=system.pk).exists():
        raise ValidationError({"system": _("%(object)s belongs to another unit.") % {"object": system}})


def _validate(incident, by):
    if incident.incident_type not in taxonomy.BY_KEY:
        raise ValidationError({"incident_type": _("Unknown incident type %(value)s.") % {"value": incident.incident_type}})
    incident.full_clean(exclude=["unit", "system", "created_by"])
    if incident.detected_at and incident.detected_at > timezone.now() + FUTURE_SKEW:
        raise ValidationError({"detected_at": _("The time of detection is in the future.")})
    _check_system(incident, by)
    if incident.status == IncidentStatus.CLOSED and not incident.lessons_learned.strip():
        raise ValidationError({"lessons_learned": _("A closed incident keeps its lessons learned.")})


def _apply_serious(incident):
    incident.serious = incident.serious_override if incident.serious_override is not None else incident.serious_computed


def _shown(value):
    """A value as the timeline and the audit trail keep it."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, bool | int | str):
        return value
    return str(value)


def _event(incident, by, kind, message="", changes=None, version=None):
    return IncidentEvent.objects.create(incident=incident, actor=by, kind=kind, message=message,
                                        changes=changes or {}, version=version or incident.version)


def _conditional_write(before, version, values, by):
    """``values`` ({attname: value}) onto the row if it is still at ``version``; the audit entry; the new version."""
    now = timezone.now()
    rows = Incident.objects.filter(pk=before.pk, version=version).update(**values, version=version + 1, updated=now)
    if rows != 1:
        raise VersionConflict(Incident.objects.get(pk=before.pk))
    after = Incident.objects.select_related("unit", "system").get(pk=before.pk)
    changes = model_instance_diff(before, after, fields_to_check=None)
    if changes:
        LogEntry.objects.log_create(after, action=LogEntry.Action.UPDATE, changes=changes, actor=by)
    return after


def _need_version(version):
    if version in (None, ""):
        raise ValidationError({"version": _("Send the version of the incident you read.")})
    try:
        return int(version)
    except (TypeError, ValueError):
        raise ValidationError({"version": _("The version must be a whole number.")}) from None


# --- incidents ------------------------------------------------------------------------------------------------


def _without_nul(values):
    """Text values without NUL characters: forms and the API refuse them, but text also comes from the
    website monitor (a hostile page) and PostgreSQL cannot store them."""
    return {k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in values.items()}


def incident_create(*, by, unit, source=Source.WEB, source_ref="", **fields):
    """File an incident for ``unit`` (``fields``: any of EDITABLE_FIELDS). The reporter defaults to ``by``.
    Starts the reporting clocks. Returns the incident."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    _may_write_for_unit(by, unit)
    fields = _without_nul(fields)
    incident = Incident(unit=unit, source=source, source_ref=source_ref or "", created_by=by, **fields)
    if by is not None and source != Source.PHONE:
        incident.reporter_name = incident.reporter_name or by.get_full_name() or by.username
        incident.reporter_email = incident.reporter_email or by.email
        incident.reporter_phone = incident.reporter_phone or getattr(by, "phone", "")
    if source == Source.PHONE and not (incident.reporter_name and incident.reporter_phone):
        raise ValidationError({"reporter_phone": _("A phone report needs the caller's name and phone number.")})
    _validate(incident, by)
    _apply_serious(incident)
    with transaction.atomic(), acting_as(by):
        incident.save()
        _event(incident, by, EventKind.CREATED, _("Reported through: %(source)s") % {"source": incident.get_source_display()})
        deadlines_sync(incident)
        playbooks.playbook_attach(incident, by=by, record_event=False)  # the checklist of its type
    return incident


def incident_update(incident, *, by, version, changes):
    """Edit fields (``changes``: {field: value} of EDITABLE_FIELDS) of the incident as it was at ``version``.
    Raises ``VersionConflict`` when someone else wrote since. Returns the incident as now stored."""
    version = _need_version(version)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    _may_change(by, incident)
    with transaction.atomic(), acting_as(by):
        before = Incident.objects.select_related("unit", "system").get(pk=incident.pk)
        if before.version != version:
            raise VersionConflict(before)
        after = Incident.objects.select_related("unit", "system").get(pk=incident.pk)
        for name, value in _without_nul(changes).items():
            setattr(after, name, value)
        _validate(after, by)
        _apply_serious(after)
        diff = {}
        for name in (*EDITABLE_FIELDS, "serious"):
            old, new = getattr(before, name), getattr(after, name)
            if old != new:
                diff[name] = [_shown(old), _shown(new)]
        if not diff:
            return before
        values = {Incident._meta.get_field(n).attname: getattr(after, Incident._meta.get_field(n).attname)
                  for n in diff}
        stored = _conditional_write(before, version, values, by)
        _event(stored, by, EventKind.UPDATED, changes=diff)
        if any(name in diff for name in CLOCK_FIELDS):
            deadlines_sync(stored)
    return stored


def incident_transition(incident, *, by, to, version, note="", lessons_learned=None):
    """Move the incident to status ``to`` (allowed moves: ``lifecycle.TRANSITIONS``). Closing needs the
    lessons learned (given here or already written)."""
    version = _need_version(version)
    _may_change(by, incident)
    if to not in IncidentStatus.values:
        raise ValidationError({"to": _("Unknown status %(value)s.") % {"value": to}})
    with transaction.atomic(), acting_as(by):
        before = Incident.objects.select_related("unit", "system").get(pk=incident.pk)
        if before.version != version:
            raise VersionConflict(before)
        if not lifecycle.allowed(before.status, to):
            raise ValidationError({"to": _("An incident cannot go from %(from)s to %(to)s.") % {
                "from": before.get_status_display(), "to": IncidentStatus(to).label}})
        lessons = before.lessons_learned if lessons_learned is None else str(lessons_learned)
        if to == IncidentStatus.CLOSED and not lessons.strip():
            raise ValidationError({"lessons_learned": _("Write the lessons learned before closing the incident.")})
        now = timezone.now()
        values = {"status": to, "lessons_learned": lessons}
        if to == IncidentStatus.TRIAGED and before.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
            values |= {"resolved_at": None, "closed_at": None}  # reopened: the next resolution is stamped again
        stamp = lifecycle.STAMPS.get(to)
        if stamp and (getattr(before, stamp) is None or stamp in values):
            values[stamp] = now
        stored = _conditional_write(before, version, values, by)
        _event(stored, by, EventKind.TRANSITION, note or "", changes={"status": [before.status, to]})
        if by is not None:  # a person works on it: the on-duty paging of the incident (and its alert) stops
            transaction.on_commit(lambda: _stop_paging(stored, by))
    return stored


def _stop_paging(incident, by):
    from lachan.monitoring.escalation import acknowledge_incident

    acknowledge_incident(incident, by)


def serious_override(incident, *, by, value, reason, version):
    """A coordinator sets the serious flag against the criteria (``value`` True/False, with a reason) or gives it
    back to the criteria (``value`` None)."""
    version = _need_version(version)
    if by is not None and user_role(by) != Role.COORDINATOR:
        raise PermissionDenied(_("Only coordinators may override the serious flag."))
    _may_change(by, incident)
    reason = (reason or "").strip()
    if value is not None and not reason:
        raise ValidationError({"reason": _("Give the reason for the override.")})
    with transaction.atomic(), acting_as(by):
        before = Incident.objects.select_related("unit", "system").get(pk=incident.pk)
        if before.version != version:
            raise VersionConflict(before)
        probe = Incident.objects.select_related("system").get(pk=incident.pk)
        probe.serious_override = value
        _apply_serious(probe)
        values = {"serious_override": value, "serious_override_reason": reason if value is not None else "",
                  "serious": probe.serious}
        stored = _conditional_write(before, version, values, by)
        _event(stored, by, EventKind.SERIOUS, reason,
               changes={"serious": [before.serious, stored.serious], "override": [before.serious_override, value]})
        deadlines_sync(stored)
    return stored


def deadline_mark_done(incident, *, by, rule, at=None, note=""):
    """Stop the clock of ``rule`` for ``incident``: the report was sent (the escalation step calls this)."""
    _may_change(by, incident)
    if isinstance(rule, str):
        rule = ReportingRule.objects.filter(key=rule).first()
    deadline = IncidentDeadline.objects.filter(incident=incident, rule=rule).first() if rule else None
    if deadline is None:
        raise ValidationError({"rule": _("This incident has no such reporting deadline.")})
    at = at or timezone.now()
    with transaction.atomic(), acting_as(by):
        deadline.done_at, deadline.done_by, deadline.note = at, by, (note or "")[:500]
        deadline.save()
        _event(incident, by, EventKind.REPORTED, note or "", changes={"rule": rule.key, "at": _shown(at)})
    return deadline


def incident_delete(incident, *, by):
    _may_delete(by, Incident.objects, incident)
    with transaction.atomic(), acting_as(by):
        files = [e.file.name for e in incident.evidence.all() if e.file]
        incident.delete()
        transaction.on_commit(lambda: _delete_files(files))


def _delete_files(names):
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)


# --- entry points of the platform ------------------------------------------------------------------------------


def incident_from_alert(alert_payload, *, by):
    """An incident from an alert of the platform (website monitor, feeds). ``alert_payload``: title, unit (Unit),
    system (InformationSystem or None), detected_at, type (a taxonomy key, ENISA class/type or name), description,
    evidence (dict); optional severity, source ("monitor"), source_ref ("monitoring.alert:42").

    The same ``source_ref`` while its incident is still open gives back that incident (an alert raised twice opens
    one case). The evidence dict is kept as a JSON evidence file (SHA-256 like any other)."""
    payload = dict(alert_payload)
    missing = [k for k in ("title", "unit", "detected_at") if not payload.get(k)]
    if missing:
        raise ValidationError({k: _("This field is required.") for k in missing})
    source_ref = str(payload.get("source_ref") or "")[:100]
    if source_ref:
        existing = Incident.objects.filter(source_ref=source_ref).exclude(
            status__in=(IncidentStatus.RESOLVED, IncidentStatus.CLOSED)).order_by("-pk").first()
        if existing is not None:
            return existing
    fields = {
        "title": str(payload["title"])[:300],
        "incident_type": taxonomy.normalise(payload.get("type")) or taxonomy.DEFAULT,
        "description": str(payload.get("description") or payload["title"]),
        "detected_at": payload["detected_at"],
        "system": payload.get("system"),
        "detection_method": _("Detected automatically by the platform (%(source)s).") % {
            "source": Source(payload.get("source") or Source.MONITOR).label},
    }
    if payload.get("severity"):
        fields["severity"] = payload["severity"]
    with transaction.atomic():
        incident = incident_create(by=by, unit=payload["unit"], source=payload.get("source") or Source.MONITOR,
                                   source_ref=source_ref, **fields)
        evidence = payload.get("evidence")
        if evidence:
            data = json.dumps(evidence, ensure_ascii=False, indent=2, default=str).encode("utf-8")
            evidence_add(incident=incident, by=by, file=ContentFile(data, name="alert-evidence.json"),
                         description=_("Evidence recorded with the alert"))
    return incident


# --- comments, evidence, indicators ------------------------------------------------------------------------------


def comment_add(*, incident, by, body):
    _may_change(by, incident)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a comment.")})
    if len(body) > 20000:
        raise ValidationError({"body": _("The comment is too long (at most 20,000 characters).")})
    with transaction.atomic(), acting_as(by):
        comment = IncidentComment.objects.create(incident=incident, body=body, author=by)
        _event(incident, by, EventKind.COMMENT, body[:1000])
    return comment


def comment_delete(comment, *, by):
    _may_delete(by, IncidentComment.objects, comment)
    with transaction.atomic(), acting_as(by):
        _event(comment.incident, by, EventKind.DELETED, _("Comment deleted: %(text)s") % {"text": comment.body[:200]})
        comment.delete()


def _read_limited(file, limit):
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise ValidationError({"file": _("The file is too large (%(size)d bytes; at most %(limit)d).")
                               % {"size": size, "limit": limit}})
    if hasattr(file, "seek"):
        file.seek(0)
    data = b"".join(file.chunks()) if hasattr(file, "chunks") else file.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({"file": _("The file is too large (more than %(limit)d bytes).") % {"limit": limit}})
    return data


def _download_name(name, kind):
    name = PurePath(str(name or "evidence").replace("\\", "/")).name.strip() or "evidence"
    suffix = PurePath(name).suffix.lower()
    fits = suffix in TEXT_EXTENSIONS if kind is sniffing.TEXT else (
        suffix == kind.extension or (kind is sniffing.JPEG and suffix == ".jpeg")
        or (kind is sniffing.ODF and suffix in (".odt", ".ods", ".odp")) or (kind is sniffing.GZIP and suffix == ".tgz"))
    if not fits:
        name = f"{name}{kind.extension}"
    return name[-300:]


def evidence_add(*, incident, by, file, description="", filename=None):
    """Keep ``file`` as evidence: at most INCIDENTS_EVIDENCE_MAX_BYTES, a type accepted by its content
    (``sniffing``), stored under a random name, SHA-256 recorded."""
    _may_change(by, incident)
    data = _read_limited(file, setting("INCIDENTS_EVIDENCE_MAX_BYTES", 25 * 1024 * 1024))
    try:
        kind = sniffing.sniff(data)
    except sniffing.RefusedType as exc:
        raise ValidationError({"file": str(exc)}) from None
    content = ContentFile(data)
    sha256, size = file_digest(content)
    name = _download_name(filename or getattr(file, "name", ""), kind)
    with transaction.atomic(), acting_as(by):
        evidence = IncidentEvidence(incident=incident, file_name=name, file_type=kind.key,
                                    content_type=kind.content_type, sha256=sha256, size=size,
                                    description=(description or "")[:500], uploaded_by=by)
        evidence.file.save(name, content, save=False)
        evidence.save()
        _event(incident, by, EventKind.EVIDENCE, name, changes={"sha256": sha256, "size": size, "type": kind.key})
    return evidence


def evidence_delete(evidence, *, by):
    _may_delete(by, IncidentEvidence.objects, evidence)
    with transaction.atomic(), acting_as(by):
        name = evidence.file.name
        _event(evidence.incident, by, EventKind.DELETED, _("Evidence deleted: %(name)s (SHA-256 %(sha)s)")
               % {"name": evidence.file_name, "sha": evidence.sha256})
        evidence.delete()
        transaction.on_commit(lambda: _delete_files([name]))


def indicator_add(*, incident, by, kind, value, note=""):
    """Attach an IoC (kind ip/domain/url/md5/sha1/sha256/email, or "hash" to detect which). Defanged values
    (``hxxp://example[.]com``) are refanged. Shareable kinds of a non-confidential incident also go to the IoC
    store (``intel.Indicator``), whose rows carry no unit (so no incident leaks through them)."""
    _may_change(by, incident)
    try:
        kind, value = ioc.normalise(kind, value)
    except ValueError as exc:
        raise ValidationError({"value": str(exc)}) from None
    if IncidentIndicator.objects.filter(incident=incident, kind=kind, value=value).exists():
        raise ValidationError({"value": _("This indicator is already attached to the incident.")})
    with transaction.atomic(), acting_as(by):
        stored = ioc.store(kind, value) if not incident.confidential else None
        indicator = IncidentIndicator.objects.create(incident=incident, kind=kind, value=value,
                                                     note=(note or "")[:500], indicator=stored, created_by=by)
        _event(incident, by, EventKind.INDICATOR, f"{indicator.get_kind_display()}: {value}")
    return indicator
