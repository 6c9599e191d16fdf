"""The only writers of directives, dispatches and answers (every write audited with ``acting_as``)."""

import hashlib
import io
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.core.audit import acting_as
from lachan.core.scope import CHANGE, VIEW
from lachan.organizations.models import Unit

from .choices import AnswerStatus, DirectiveStatus, MatchDecision, TaskTarget
from .matching import match_names
from .models import Directive, DirectiveTask, Dispatch, RecipientMatch, TaskAnswer
from .parsing import DocumentParseError, parse_document

SOURCE_EXTENSIONS = (".txt", ".md", ".docx", ".pdf")
EVIDENCE_EXTENSIONS = (".pdf", ".docx", ".xlsx", ".odt", ".ods", ".png", ".jpg", ".jpeg", ".txt", ".csv", ".zip")
# Leading bytes each evidence type must start with (text types: valid UTF-8 without NUL instead).
_MAGIC = {".pdf": (b"%PDF-",), ".docx": (b"PK\x03\x04",), ".xlsx": (b"PK\x03\x04",), ".odt": (b"PK\x03\x04",),
          ".ods": (b"PK\x03\x04",), ".zip": (b"PK\x03\x04",), ".png": (b"\x89PNG\r\n\x1a\n",),
          ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",)}
EDITABLE_FIELDS = ("doc_type", "number", "number_blank", "issuer", "date", "subject")
TASK_FIELDS = ("text", "audience", "deadline", "target", "target_group", "target_kind", "check_key", "ordinal")


def setting(name, default):
    return getattr(settings, name, default)


def _read_limited(file, limit, what):
    """All bytes of an uploaded file / stream / path, refusing more than ``limit`` bytes."""
    if isinstance(file, str | Path):
        with open(file, "rb") as handle:
            return _read_limited(handle, limit, what)
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise ValidationError(_("%(what)s is too large (%(size)d bytes; at most %(limit)d).")
                              % {"what": what, "size": size, "limit": limit})
    data = b"".join(file.chunks()) if hasattr(file, "chunks") else file.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(_("%(what)s is too large (more than %(limit)d bytes).") % {"what": what, "limit": limit})
    return data


def _require(user, queryset, obj, message):
    if user is not None and not queryset.restrict(user, CHANGE).filter(pk=obj.pk).exists():
        raise ValidationError(message)


def _parse_date(value):
    if not value:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


# --- import and review -------------------------------------------------------------------------------------


def directive_import(file, *, by, unit, filename=None):
    """Parse an uploaded letter (.txt/.md/.docx/.pdf) → a draft ``Directive`` with its tasks.

    Raises ``ValidationError`` (with the parser's message) and stores nothing when the file is not a document."""
    name = filename or Path(getattr(file, "name", "") or "document.txt").name
    if not name.lower().endswith(SOURCE_EXTENSIONS):
        raise ValidationError(_("Upload a .txt, .md, .docx or .pdf file (got %(name)s).") % {"name": name})
    _require(by, Unit.objects, unit, _("You may not issue directives for %(unit)s.") % {"unit": unit})
    data = _read_limited(file, setting("DIRECTIVES_SOURCE_MAX_BYTES", 20 * 1024 * 1024), _("The file"))
    try:
        parsed = parse_document(io.BytesIO(data), filename=name)
    except DocumentParseError as exc:
        raise ValidationError(_("%(name)s: %(error)s") % {"name": name, "error": exc}) from None
    with transaction.atomic(), acting_as(by):
        directive = Directive(
            unit=unit, doc_type=parsed.get("doc_type") or "other", number=(parsed.get("number") or "")[:100],
            number_blank=bool(parsed.get("number_blank")), issuer=(parsed.get("issuer") or "")[:300],
            date=_parse_date(parsed.get("date")), subject=parsed.get("subject") or "", parsed=parsed,
            source_name=name[:300], created_by=by, parent=cited_directive(parsed, by))
        directive.source_file.save(name, ContentFile(data), save=False)
        directive.save()
        DirectiveTask.objects.bulk_create([
            DirectiveTask(directive=directive, ordinal=n, section=(t.get("id") or "")[:50], text=t.get("text") or "",
                          audience=(t.get("audience") or "")[:500])
            for n, t in enumerate(parsed.get("tasks") or [], start=1)])
    return directive


def cited_directive(parsed, user):
    """The directive (one ``user`` may see) whose number the letter cites — "Thực hiện Văn bản số 5644/BTTTT-CATTT…"
    makes the imported letter that one's re-issue; None when it cites none the platform holds."""
    numbers = [(r.get("number") or "").strip() for r in parsed.get("references") or []]
    numbers = [n for n in numbers if n and not n.startswith("/")]
    if not numbers:
        return None
    queryset = Directive.objects.restrict(user, VIEW) if user is not None else Directive.objects.all()
    found = {d.number: d for d in queryset.filter(number__in=numbers, number_blank=False).order_by("-date", "-pk")}
    return next((found[n] for n in numbers if n in found), None)


def directive_update(directive, *, by, fields=None, tasks=None, delete_task_ids=()):
    """Review-screen edits: ``fields`` (EDITABLE_FIELDS), ``tasks`` ([{"id": pk or None, …TASK_FIELDS}]) and
    tasks to drop. A directive already dispatched keeps its tasks' texts (answers refer to them)."""
    _require(by, Directive.objects, directive, _("You may not change this directive."))
    with transaction.atomic(), acting_as(by):
        for name, value in (fields or {}).items():
            if name not in EDITABLE_FIELDS:
                raise ValidationError({name: _("This field cannot be changed here.")})
            setattr(directive, name, value)
        directive.full_clean(exclude=["unit", "parent", "created_by", "source_file"])
        directive.save()
        existing = {t.pk: t for t in directive.tasks.all()}
        if delete_task_ids:
            if directive.status != DirectiveStatus.DRAFT:
                raise ValidationError(_("Tasks of a dispatched directive cannot be dropped."))
            directive.tasks.filter(pk__in=list(delete_task_ids)).delete()
        next_ordinal = max((t.ordinal for t in existing.values()), default=0) + 1
        for row in tasks or []:
            pk = row.get("id")
            if pk in delete_task_ids:
                continue
            task = existing.get(pk) if pk else DirectiveTask(directive=directive, ordinal=next_ordinal)
            if task is None:
                raise ValidationError(_("Task %(id)s is not a task of this directive.") % {"id": pk})
            if task.pk is None:
                next_ordinal += 1
            for name in TASK_FIELDS:
                if name in row:
                    setattr(task, name, row[name])
            if task.target != TaskTarget.GROUP:
                task.target_group = None
            if task.target != TaskTarget.KIND:
                task.target_kind = ""
            try:
                task.full_clean(exclude=["directive", "source_task"])
            except ValidationError as exc:
                raise ValidationError(_("Task %(n)s: %(errors)s") % {"n": task.ordinal, "errors": "; ".join(exc.messages)}) from None
            task.save()
    return directive


# --- recipients ---------------------------------------------------------------------------------------------


def recipient_names(directive):
    """[(name, group)] from the letter's "Kính gửi" list and its appendix, without repeats."""
    parsed = directive.parsed or {}
    seen, names = set(), []
    for name in parsed.get("recipients") or []:
        if name and name not in seen:
            seen.add(name)
            names.append((name, ""))
    for block in parsed.get("appendix_units") or []:
        for name in block.get("units") or []:
            if name and name not in seen:
                seen.add(name)
                names.append((name, block.get("group") or ""))
    return names


def candidate_units(directive):
    """The units a directive may go to: the issuing unit's active descendants."""
    return Unit.objects.filter(is_active=True, path__startswith=directive.unit.path).exclude(pk=directive.unit_id)


def recipients_resolve(directive, *, by=None):
    """Match the letter's recipient names to units; ≥ AUTO_SCORE accepted, the rest proposed for a decision.

    Decisions already taken are kept. Returns the directive's RecipientMatch rows."""
    names = recipient_names(directive)
    matches = match_names([n for n, _g in names], candidate_units(directive).only("pk", "name", "short_name", "code"))
    with transaction.atomic(), acting_as(by):
        decided = set(directive.recipient_matches.exclude(decision=MatchDecision.PENDING).values_list("name", flat=True))
        for (name, group), match in zip(names, matches, strict=True):
            if name[:500] in decided:
                continue
            auto = match.automatic
            RecipientMatch.objects.update_or_create(
                directive=directive, name=name[:500],
                defaults={"group": group[:300], "suggested_id": match.unit_id, "score": match.score,
                          "unit_id": match.unit_id if auto else None,
                          "decision": MatchDecision.ACCEPTED if auto else MatchDecision.PENDING})
    return list(directive.recipient_matches.select_related("suggested", "unit"))


def recipient_decide(match, *, by, decision, unit=None):
    """A coordinator's decision on a proposed match: accept the suggestion, choose another unit, or ignore."""
    _require(by, Directive.objects, match.directive, _("You may not change this directive."))
    if decision == MatchDecision.ACCEPTED:
        unit = match.suggested
    if decision in (MatchDecision.ACCEPTED, MatchDecision.OTHER_UNIT):
        if unit is None or not candidate_units(match.directive).filter(pk=unit.pk).exists():
            raise ValidationError(_("Choose a unit under the issuing unit for %(name)s.") % {"name": match.name})
    else:
        unit = None
    with acting_as(by):
        match.decision, match.unit = decision, unit
        match.save()
    return match


def resolved_units(directive):
    """The units of the accepted recipient matches."""
    ids = directive.recipient_matches.filter(unit__isnull=False).exclude(decision=MatchDecision.IGNORED
                                                                          ).values("unit_id")
    return Unit.objects.filter(pk__in=ids)


# --- dispatch, acknowledgement, answers ----------------------------------------------------------------------


def directive_dispatch(*, directive, units, by):
    """Send the directive to ``units``: one Dispatch each, an empty answer per task that applies to the unit,
    an e-mail to each unit after commit. Units already dispatched are left as they are. Returns new dispatches."""
    _require(by, Directive.objects, directive, _("You may not dispatch this directive."))
    units = list(units)
    if not units:
        raise ValidationError(_("Choose at least one recipient unit."))
    allowed = set(candidate_units(directive).filter(pk__in=[u.pk for u in units]).values_list("pk", flat=True))
    if by is not None:
        allowed &= set(Unit.objects.restrict(by, VIEW).filter(pk__in=allowed).values_list("pk", flat=True))
    outside = [str(u) for u in units if u.pk not in allowed]
    if outside:
        raise ValidationError(_("These units are not under the issuing unit: %(units)s.") % {"units": ", ".join(outside)})
    tasks = list(directive.tasks.all())
    if not tasks:
        raise ValidationError(_("The directive has no task to dispatch."))
    groups = {}
    for unit_id, group_id in Unit.groups.through.objects.filter(unit_id__in=allowed).values_list("unit_id",
                                                                                                  "unitgroup_id"):
        groups.setdefault(unit_id, set()).add(group_id)
    with transaction.atomic(), acting_as(by):
        already = set(directive.dispatches.values_list("unit_id", flat=True))
        new = [Dispatch(directive=directive, unit=u, dispatched_by=by) for u in units if u.pk not in already]
        Dispatch.objects.bulk_create(new)
        answers = [TaskAnswer(task=t, unit=u) for u in units for t in tasks if t.applies_to(u, groups.get(u.pk, set()))]
        TaskAnswer.objects.bulk_create(answers, ignore_conflicts=True)
        if directive.status == DirectiveStatus.DRAFT:
            directive.status = DirectiveStatus.DISPATCHED
            directive.save(update_fields=["status", "updated"])
        ids = list(directive.dispatches.filter(unit__in=[d.unit for d in new]).values_list("pk", flat=True))
        transaction.on_commit(lambda: _enqueue_dispatch_mail(ids))
    return list(Dispatch.objects.filter(pk__in=ids))


def _enqueue_dispatch_mail(ids):
    from .tasks import send_dispatch_notifications

    if ids:
        send_dispatch_notifications.enqueue(ids)


def dispatch_acknowledge(*, dispatch, by):
    """The recipient unit confirms receipt (once; later calls change nothing)."""
    _require(by, Dispatch.objects, dispatch, _("You may not acknowledge this directive."))
    if dispatch.acknowledged_at is None:
        with acting_as(by):
            dispatch.acknowledged_at, dispatch.acknowledged_by = timezone.now(), by
            dispatch.save(update_fields=["acknowledged_at", "acknowledged_by", "updated"])
    return dispatch


def check_evidence(file):
    """(bytes, sha256, name) of an acceptable evidence file, else ValidationError naming the problem."""
    name = Path(getattr(file, "name", "") or "").name
    extension = Path(name).suffix.lower()
    if extension not in EVIDENCE_EXTENSIONS:
        raise ValidationError({"evidence": _("%(name)s: evidence must be one of %(types)s.")
                               % {"name": name, "types": ", ".join(EVIDENCE_EXTENSIONS)}})
    limit = setting("DIRECTIVES_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
    try:
        data = _read_limited(file, limit, name)
    except ValidationError as exc:
        raise ValidationError({"evidence": exc.messages}) from None
    if not data:
        raise ValidationError({"evidence": _("%(name)s is empty.") % {"name": name}})
    magic = _MAGIC.get(extension)
    if magic and not data.startswith(magic):
        raise ValidationError({"evidence": _("%(name)s is not a real %(type)s file.") % {"name": name, "type": extension}})
    if magic is None:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError({"evidence": _("%(name)s is not UTF-8 text.") % {"name": name}}) from None
        if "\x00" in text:
            raise ValidationError({"evidence": _("%(name)s is not a text file.") % {"name": name}})
    return data, hashlib.sha256(data).hexdigest(), name


def task_answer(*, answer, by, status, note="", reason="", evidence=None):
    """The unit's answer to a task. "Not applicable" needs a reason; an evidence file replaces the previous one."""
    _require(by, TaskAnswer.objects, answer, _("You may not answer for this unit."))
    if status not in AnswerStatus.values:
        raise ValidationError({"status": _("Unknown status %(status)s.") % {"status": status}})
    if status == AnswerStatus.NOT_APPLICABLE and not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason why the task does not apply.")})
    payload = check_evidence(evidence) if evidence is not None else None
    with transaction.atomic(), acting_as(by):
        answer.status, answer.note = status, note or ""
        answer.reason = (reason or "").strip()[:500] if status == AnswerStatus.NOT_APPLICABLE else ""
        answer.answered_at, answer.answered_by = timezone.now(), by
        if payload is not None:
            data, digest, name = payload
            old = answer.evidence.name if answer.evidence else None
            answer.evidence.save(name, ContentFile(data), save=False)
            answer.evidence_name, answer.evidence_sha256, answer.evidence_size = name[:300], digest, len(data)
            if old:
                transaction.on_commit(lambda: answer.evidence.storage.delete(old))
        answer.save()
    return answer


# --- cascade ----------------------------------------------------------------------------------------------


def directive_reissue(*, parent, unit, by, keep_task_ids, extra_tasks=()):
    """``unit`` (a recipient of ``parent``) passes it on to its own sub-units: a draft child directive issued
    by ``unit`` referencing ``parent``, with the kept tasks (linked to the parent's, for the roll-up) and new
    ones (``extra_tasks``: [{"text", "deadline"?, …}])."""
    if not Dispatch.objects.filter(directive=parent, unit=unit).exists():
        raise ValidationError(_("%(unit)s did not receive this directive.") % {"unit": unit})
    _require(by, Unit.objects, unit, _("You may not issue directives for %(unit)s.") % {"unit": unit})
    keep = list(parent.tasks.filter(pk__in=list(keep_task_ids)))
    if not keep and not extra_tasks:
        raise ValidationError(_("Keep or add at least one task."))
    with transaction.atomic(), acting_as(by):
        child = Directive.objects.create(
            unit=unit, doc_type=parent.doc_type, number="", number_blank=True, issuer=unit.name[:300],
            subject=parent.subject, parent=parent, created_by=by,
            parsed={"reissues": parent.number, "recipients": [], "appendix_units": []})
        tasks = [DirectiveTask(directive=child, ordinal=n, section=t.section, text=t.text, audience=t.audience,
                               deadline=t.deadline, check_key=t.check_key, source_task=t)
                 for n, t in enumerate(keep, start=1)]
        for row in extra_tasks:
            if not (row.get("text") or "").strip():
                raise ValidationError(_("A new task needs a text."))
            tasks.append(DirectiveTask(directive=child, ordinal=len(tasks) + 1, text=row["text"].strip(),
                                       deadline=_parse_date(row.get("deadline")), check_key=row.get("check_key", "")))
        DirectiveTask.objects.bulk_create(tasks)
    return child


# --- reminders ----------------------------------------------------------------------------------------------


def reminders_due(*, today=None, days_before=None):
    """Claim the reminders due now: before a deadline (within ``days_before`` days) and after it, once per
    (answer, kind). Returns {(unit_id, kind): [answer ids]} of the claimed ones (the job mails them)."""
    today = today or timezone.localdate()
    days_before = days_before if days_before is not None else setting("DIRECTIVES_REMIND_DAYS_BEFORE", 3)
    now = timezone.now()
    open_answers = TaskAnswer.objects.filter(
        status__in=[AnswerStatus.NOT_STARTED, AnswerStatus.IN_PROGRESS], task__deadline__isnull=False,
        task__directive__status=DirectiveStatus.DISPATCHED)
    due = {}
    plans = (
        ("before", open_answers.filter(task__deadline__gte=today, task__deadline__lte=today + timedelta(days=days_before),
                                       reminded_before_at__isnull=True), "reminded_before_at"),
        ("after", open_answers.filter(task__deadline__lt=today, reminded_after_at__isnull=True), "reminded_after_at"),
    )
    for kind, queryset, field in plans:
        for pk, unit_id in list(queryset.values_list("pk", "unit_id")):
            # The conditional UPDATE is the claim: two workers never remind the same answer twice.
            if TaskAnswer.objects.filter(pk=pk, **{f"{field}__isnull": True}).update(**{field: now}):
                due.setdefault((unit_id, kind), []).append(pk)
    return due
