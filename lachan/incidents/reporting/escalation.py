"""Escalation to the national bodies: one action builds the initial report (form 03, DOCX), sends it by e-mail
(subject ``[TBSC] …``) with the chosen evidence files to the chosen recipients of the external contact
directory (or typed addresses), records an ``IncidentReport`` and a timeline event, and stops the reporting
clocks the report answers (``ESCALATION_RULES``).

Who may escalate (``may_escalate``): coordinators, and unit administrators for the incidents of their units;
an on-duty operator (role ``operator``) for the incidents of their scope while they are on duty now — for the
incident's unit (its schedule or its nearest ancestor's) or on the coordinator desk. Unit members and auditors
may not: the report speaks for the unit to the national bodies.

The e-mail goes through the notification framework (``lachan.notify.services.send``): one delivery per
recipient address — each its own copy of the same message and attachments — in the delivery log, sent by
the worker after the transaction commits and retried on failure. ``IncidentReport.delivery_status`` reads it.
"""

import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.choices import Role
from lachan.core.audit import acting_as
from lachan.core.scope import CHANGE, user_role
from lachan.organizations.choices import DirectoryCategory
from lachan.organizations.models import ExternalContact

from .. import services
from ..choices import EventKind
from ..models import Incident, IncidentEvent, IncidentEvidence, IncidentReport
from . import form03

# Reporting clocks an escalation stops: rule key → the directory category one recipient must have (None: any).
ESCALATION_RULES = {
    "initial_report": None,
    "serious_report": None,
    "personal_data_breach": DirectoryCategory.POLICE,
}
NOTIFY_SEVERITY = {"info": "info", "low": "low", "medium": "medium", "high": "high", "critical": "critical"}
_SPLIT = re.compile(r"[\s,;]+")


def max_attachment_bytes():
    return getattr(settings, "INCIDENTS_REPORT_MAX_ATTACHMENT_BYTES",
                   getattr(settings, "NOTIFY_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024))


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    contact_id: int | None = None
    category: str = ""

    def as_json(self):
        return {"name": self.name, "email": self.email, "contact": self.contact_id, "category": self.category}


# --- who -------------------------------------------------------------------------------------------------------


def operator_on_duty(user, incident, at=None):
    """``user`` is on duty now for the incident's unit (or on the coordinator desk)."""
    from lachan.oncall.roster import on_duty

    at = at or timezone.now()
    return any(u.pk == user.pk for u in [*on_duty(incident.unit, at), *on_duty(None, at)])


def may_escalate(user, incident, at=None):
    role = user_role(user)
    if role not in (Role.COORDINATOR, Role.UNIT_ADMIN, Role.OPERATOR):
        return False
    if not Incident.objects.restrict(user, CHANGE).filter(pk=incident.pk).exists():
        return False
    return role != Role.OPERATOR or operator_on_duty(user, incident, at)


def _check(by, incident):
    if by is not None and not may_escalate(by, incident):
        raise PermissionDenied(_("Only coordinators, the unit's administrators and the operator on duty may send "
                                 "reports to the national bodies."))


# --- what ------------------------------------------------------------------------------------------------------


def _emails(text):
    return [e for e in _SPLIT.split(text or "") if e]


def resolve_recipients(recipients):
    """``[Recipient]`` from ExternalContact rows (every e-mail they list) and typed addresses; repeats dropped.
    A contact without an e-mail, an inactive one or a malformed address is refused by name."""
    found, seen = [], set()

    def add(recipient):
        key = recipient.email.lower()
        if key not in seen:
            seen.add(key)
            found.append(recipient)

    for item in recipients or ():
        if isinstance(item, ExternalContact):
            if not item.is_active:
                raise ValidationError({"recipients": _("%(contact)s is no longer active in the directory.")
                                       % {"contact": item}})
            emails = _emails(item.emails)
            if not emails:
                raise ValidationError({"recipients": _("%(contact)s has no e-mail address in the directory.")
                                       % {"contact": item}})
            name = f"{item.organization} ({item.short_name})" if item.short_name else item.organization
            for email in emails:
                try:
                    validate_email(email)
                except ValidationError:
                    raise ValidationError({"recipients": _("The directory gives %(contact)s a malformed e-mail "
                                                           "address: %(value)s") % {"contact": item, "value": email}}) from None
                add(Recipient(name, email, item.pk, item.category))
        else:
            email = str(item).strip()
            try:
                validate_email(email)
            except ValidationError:
                raise ValidationError({"recipients": _("Not an e-mail address: %(value)s") % {"value": email[:200]}}) from None
            add(Recipient(email, email))
    if not found:
        raise ValidationError({"recipients": _("Choose at least one recipient.")})
    return found


def _evidence(incident, ids):
    ids = [int(i) for i in ids or ()]
    rows = {e.pk: e for e in IncidentEvidence.objects.filter(incident=incident, pk__in=ids)}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise ValidationError({"attachments": _("Evidence %(ids)s does not belong to this incident.")
                               % {"ids": ", ".join(map(str, missing))}})
    return [rows[i] for i in dict.fromkeys(ids)]


def _one_line(text, limit):
    return re.sub(r"\s+", " ", form03.clean(text))[:limit].strip()


def subject_for(incident):
    detected = incident.detected_at.astimezone(form03.VN).strftime("%d/%m/%Y")
    return _one_line(f"[TBSC] {incident.unit.name} — {_one_line(incident.title, 120)} — {detected}", 300)


def body_for(incident, recipients, *, file_name, sha256, evidence, note):
    """The e-mail text (Vietnamese, like the form): a summary of the report and what is attached."""
    name, _owner, _operator, level = form03._system(incident)
    c = form03.clean
    lines = [
        "Kính gửi: " + "; ".join(dict.fromkeys(r.name for r in recipients)),
        "",
        f"{c(incident.unit.name)} gửi báo cáo ban đầu sự cố an toàn thông tin mạng "
        "(mẫu 03, Thông tư số 20/2017/TT-BTTTT):",
        "",
        f"- Sự cố: {c(incident.title)}",
        f"- Loại sự cố: {incident.type_info.official_name}",
        f"- Hệ thống bị ảnh hưởng: {c(name) or form03.EMPTY}"
        + (f" (cấp độ {level})" if level else " (chưa xác định cấp độ)"),
        f"- Thời điểm phát hiện: {form03.vn_datetime(incident.detected_at)} (giờ Việt Nam)",
        f"- Sự cố nghiêm trọng: {'Có' if incident.serious else 'Không'}",
        f"- Tình trạng hiện tại: {c(incident.current_status) or form03.EMPTY}",
        f"- Đề nghị hỗ trợ: {c(incident.support_requested) or form03.EMPTY}",
        f"- Người liên hệ: {c(incident.reporter_name) or form03.EMPTY}"
        + "".join(f", {c(v)}" for v in (incident.reporter_position, incident.reporter_phone, incident.reporter_email)
                  if c(v)),
    ]
    if incident.confidential:
        lines.append("- Đơn vị đề nghị giữ bí mật thông tin về sự cố.")
    if c(note):
        lines += ["", f"Ghi chú: {c(note)}"]
    lines += ["", f"Báo cáo đầy đủ: tệp đính kèm {file_name} (SHA-256: {sha256})."]
    if evidence:
        lines.append("Bằng chứng gửi kèm:")
        lines += [f"- {c(e.file_name)} (SHA-256: {e.sha256})" for e in evidence]
    lines += ["", "Trân trọng,", c(incident.unit.name),
              f"(gửi từ hệ thống {getattr(settings, 'SITE_NAME', 'Lá Chắn')})"]
    return "\n".join(lines) + "\n"


def report_file_name(incident, day):
    return f"bao-cao-ban-dau-su-co-{incident.pk}-{day:%Y%m%d}.docx"


def _context(incident, recipients, evidence, note, day):
    return form03.ReportContext(day=day, place=getattr(settings, "INCIDENTS_REPORT_PLACE", ""),
                                recipients=list(dict.fromkeys(r.name for r in recipients)),
                                attachments=[(e.file_name, e.sha256) for e in evidence], note=note)


def report_preview(incident, *, by, recipients=(), note="", attachments=(), day=None):
    """``(file name, DOCX bytes)`` of the report as it would be sent now (nothing stored or sent)."""
    _check(by, incident)
    incident = Incident.objects.select_related("unit__parent", "system__unit", "system__operator_unit").get(
        pk=incident.pk)
    day = day or timezone.localdate()
    try:
        resolved = resolve_recipients(recipients)
    except ValidationError:
        resolved = []
    evidence = _evidence(incident, attachments)
    return report_file_name(incident, day), form03.build(incident, _context(incident, resolved, evidence, note, day))


# --- the action ------------------------------------------------------------------------------------------------


def incident_escalate(incident, *, by, recipients, note="", attachments=(), version, now=None):
    """Send the initial report of ``incident`` as it is at ``version`` (the version the sender read; a newer one
    raises ``VersionConflict``) to ``recipients`` (ExternalContact rows and/or e-mail addresses) with the evidence
    files ``attachments`` (ids of the incident's evidence). Returns the ``IncidentReport``."""
    from lachan.notify import services as notify

    version = services._need_version(version)
    _check(by, incident)
    now = now or timezone.now()
    day = timezone.localtime(now, form03.VN).date()
    note = form03.clean(note)[:5000]
    resolved = resolve_recipients(recipients)
    current = Incident.objects.select_related("unit__parent", "system__unit", "system__operator_unit").get(
        pk=incident.pk)
    if current.version != version:
        raise services.VersionConflict(current)
    evidence = _evidence(current, attachments)
    data = form03.build(current, _context(current, resolved, evidence, note, day))
    total, limit = len(data) + sum(e.size for e in evidence), max_attachment_bytes()
    if total > limit:
        raise ValidationError({"attachments": _("The report and the chosen evidence total %(total)s bytes; at most "
                                                "%(limit)s bytes may be sent. Attach fewer files.")
                               % {"total": f"{total:,}", "limit": f"{limit:,}"}})
    report = IncidentReport(incident=current, sent_by=by, sent_at=now, incident_version=version,
                            recipients=[r.as_json() for r in resolved], subject=subject_for(current), note=note,
                            file_name=report_file_name(current, day), size=len(data),
                            attachments=[{"evidence": e.pk, "file_name": e.file_name, "sha256": e.sha256,
                                          "size": e.size} for e in evidence])
    report.sha256 = hashlib.sha256(data).hexdigest()
    report.body = body_for(current, resolved, file_name=report.file_name, sha256=report.sha256, evidence=evidence,
                           note=note)
    stored_name = None
    try:
        with transaction.atomic(), acting_as(by):
            report.file.save(report.file_name, ContentFile(data), save=False)
            stored_name = report.file.name
            report.save()
            report.event_key = f"incident.report:{report.pk}"
            IncidentReport.objects.filter(pk=report.pk).update(event_key=report.event_key)
            files = [(report.file_name, data, form03.CONTENT_TYPE)]
            for item in evidence:
                with item.file.open("rb") as handle:
                    files.append((item.file_name, handle.read(), item.content_type or "application/octet-stream"))
            notify.send(report.event_key, addresses=[r.email for r in resolved], subject=report.subject,
                        body=report.body, attachments=files, unit=current.unit,
                        severity=NOTIFY_SEVERITY.get(current.severity, "info"))
            IncidentEvent.objects.create(
                incident=current, actor=by, kind=EventKind.ESCALATED, version=current.version,
                message=_("Initial report sent to %(recipients)s") % {
                    "recipients": ", ".join(f"{r.name} <{r.email}>" for r in resolved)},
                changes={"report": report.pk, "sha256": report.sha256, "recipients": [r.email for r in resolved],
                         "evidence": [e.pk for e in evidence]})
            _stop_clocks(current, by, resolved, report, now)
    except BaseException:
        if stored_name:
            report.file.storage.delete(stored_name)
        raise
    return report


def _stop_clocks(incident, by, recipients, report, now):
    categories = {r.category for r in recipients}
    names = ", ".join(dict.fromkeys(r.name for r in recipients))
    open_rules = set(incident.deadlines.filter(done_at__isnull=True).values_list("rule__key", flat=True))
    for key, category in ESCALATION_RULES.items():
        if key in open_rules and (category is None or category in categories):
            services.deadline_mark_done(incident, by=by, rule=key, at=now,
                                        note=_("Report #%(pk)s sent to %(names)s (SHA-256 %(sha)s)")
                                        % {"pk": report.pk, "names": names, "sha": report.sha256[:16]})


def reports_for(incident):
    return incident.reports.select_related("sent_by").order_by("-sent_at", "-pk")
