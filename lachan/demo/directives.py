"""Demo directives: the five seed letters of ``letters/``, imported, linked and partly answered through the
directives services (never by writing the models directly).

    003-5644-BTTTT-CATTT.txt        Bộ TTTT, 5644/BTTTT-CATTT (29/12/2024)          — imported under BTTTT
    000-03-STTTT-BCVT-HaiPhong.txt  Sở TTTT Hải Phòng, 03/STTTT-BCVT (02/01/2025)    — dispatched to the appendix units
    001-SGDDT-VP-HaiPhong.txt       Sở GDĐT Hải Phòng, …/SGDDT-VP                    — re-issue of 03 to its schools
    004-STTTT-CDS-DongNai.txt       Sở TTTT Đồng Nai, …/STTTT-CĐS (cites 5644)       — imported under DN-STTTT
    002-UBND-VHTT-TamDiep.txt       UBND TP Tam Điệp, …/UBND-VHTT                    — dispatched to its wards/communes

What the tree allows: ``directive_dispatch`` sends a directive only to the issuing unit's descendants. In the
demo tree the Ministry, Hải Phòng and Đồng Nai are separate roots and the Sở TTTT Hải Phòng is a sibling of the
units it writes to (all under the city's People's Committee), so:

- 03/STTTT-BCVT is recorded under HP-UBND (the Sở TTTT coordinates on the city's behalf; the letter's own issuer
  text stays "Sở Thông tin và Truyền thông"); it reaches the appendix units under HP-UBND, and the appendix names
  outside that subtree (Party bodies, central agencies, socio-political organisations) stay proposed matches
  awaiting a decision on the recipients page — as they would for a coordinator;
- 5644 → 03/STTTT-BCVT and 5644 → Đồng Nai cannot be dispatch links (no common ancestor): both letters cite 5644
  in their parsed references, but no Dispatch/parent link is made between the trees.

Idempotent: a letter already imported (same issuing unit and file name) is left exactly as it is.
"""

import datetime
from pathlib import Path

from django.utils import timezone

from lachan.accounts.models import User
from lachan.directives import services
from lachan.directives.choices import AnswerStatus, MatchDecision
from lachan.directives.models import Directive, TaskAnswer
from lachan.directives.parsing import parse_document

LETTERS_DIR = Path(__file__).resolve().parent / "letters"
MINISTRY = "003-5644-BTTTT-CATTT.txt"
HAI_PHONG = "000-03-STTTT-BCVT-HaiPhong.txt"
EDUCATION = "001-SGDDT-VP-HaiPhong.txt"
DONG_NAI = "004-STTTT-CDS-DongNai.txt"
TAM_DIEP = "002-UBND-VHTT-TamDiep.txt"
# The numbers and dates the letters carry downstream (the seed texts are drafts with them left blank).
KNOWN = {MINISTRY: ("5644/BTTTT-CATTT", datetime.date(2024, 12, 29)),
         HAI_PHONG: ("03/STTTT-BCVT", datetime.date(2025, 1, 2))}
COORDINATOR = "dieuphoi"

DONE_NOTES = ("Đã triển khai, có biên bản kiểm tra kèm theo hồ sơ lưu.", "Đã hoàn thành, báo cáo bằng văn bản.",
              "Đã rà soát toàn bộ máy chủ và máy trạm.")
NOT_APPLICABLE = "Đơn vị không trực tiếp quản lý hệ thống thông tin; hạ tầng do Trung tâm TT&TT vận hành."


def _import(name, unit, by, counts):
    """The letter as a draft directive of ``unit``; None when it was imported before (left as it is)."""
    if Directive.objects.filter(unit=unit, source_name=name).exists():
        counts["existing"] += 1
        return None
    directive = services.directive_import(LETTERS_DIR / name, by=by, unit=unit, filename=name)
    if name in KNOWN:
        number, date = KNOWN[name]
        services.directive_update(directive, by=by, fields={"number": number, "number_blank": False, "date": date})
    counts["directive"] += 1
    return directive


def _deadlines(directive, by, dates):
    """Deadlines by task ordinal (tasks beyond ``dates`` take the last one)."""
    tasks = list(directive.tasks.order_by("ordinal"))
    services.directive_update(directive, by=by, tasks=[
        {"id": t.pk, "deadline": dates[min(i, len(dates) - 1)]} for i, t in enumerate(tasks)])


def _answer_mix(directive, counts, skip_tasks=()):
    """A realistic mix, the same on every load: by the unit's rank, all done / partly done / one task not
    applicable / just started / nothing yet (its open tasks past their deadline show as overdue)."""
    answers = (TaskAnswer.objects.filter(task__directive=directive).exclude(task__in=skip_tasks)
               .select_related("task", "unit").order_by("unit__path", "task__ordinal"))
    by_unit = {}
    for answer in answers:
        by_unit.setdefault(answer.unit_id, []).append(answer)
    for rank, unit_answers in enumerate(by_unit.values()):
        pattern = rank % 5
        for index, answer in enumerate(unit_answers):
            status, note, reason = None, "", ""
            if pattern == 0 or (pattern == 2 and index != 1):
                status, note = AnswerStatus.DONE, DONE_NOTES[(rank + index) % len(DONE_NOTES)]
            elif pattern == 2:
                status, reason = AnswerStatus.NOT_APPLICABLE, NOT_APPLICABLE
            elif pattern == 1:
                status = AnswerStatus.DONE if index < 2 else AnswerStatus.IN_PROGRESS if index == 2 else None
                note = "Đang tổ chức rà soát, dự kiến xong trong tuần." if index == 2 else DONE_NOTES[0]
            elif pattern == 3 and index == 0:
                status, note = AnswerStatus.IN_PROGRESS, "Đã phân công cán bộ, đang triển khai."
            if status:
                services.task_answer(answer=answer, by=None, status=status, note=note, reason=reason)
                counts["answered"] += 1


def load_directives(units, counts):
    """Import and link the five letters; ``units``: {code: Unit} of the demo; ``counts``: a Counter updated with
    "directive", "dispatch", "answered" and "existing" (letters already there)."""
    by = User.objects.filter(username=COORDINATOR).first()
    soon = timezone.localdate() + datetime.timedelta(days=30)

    ministry = _import(MINISTRY, units["BTTTT"], by, counts)
    if ministry is not None:
        _deadlines(ministry, by, [datetime.date(2025, 1, 20)])

    hai_phong = _import(HAI_PHONG, units["HP-UBND"], by, counts)
    if hai_phong is not None:
        # Tasks 1–4 were due before Tết (past: unanswered ones are overdue); the last ones are due later.
        _deadlines(hai_phong, by, [datetime.date(2025, 1, 20)] * 4 + [soon])
        services.recipients_resolve(hai_phong, by=by)
        recipients = list(services.resolved_units(hai_phong).filter(path__startswith=units["HP-UBND"].path))
        counts["dispatch"] += len(services.directive_dispatch(directive=hai_phong, units=recipients, by=by))
        education = units["HP-SGDDT"]
        passed_on = list(hai_phong.tasks.order_by("ordinal")[:4])  # what 001 asks are 03's tasks 1–4
        _answer_mix(hai_phong, counts, skip_tasks=passed_on)
        _reissue_education(hai_phong, education, passed_on, units, by, counts)
    elif Directive.objects.filter(unit=units["HP-SGDDT"], parent__source_name=HAI_PHONG).exists():
        counts["existing"] += 1  # the re-issue comes with its parent: never made on its own later

    dong_nai = _import(DONG_NAI, units["DN-STTTT"], by, counts)
    if dong_nai is not None:
        services.recipients_resolve(dong_nai, by=by)  # its recipients are outside DN-STTTT: proposed, not sent

    tam_diep = _import(TAM_DIEP, units["TD-UBND"], by, counts)
    if tam_diep is not None:
        _deadlines(tam_diep, by, [datetime.date(2024, 2, 5)])
        services.recipients_resolve(tam_diep, by=by)
        local = [u for code, u in units.items() if code.startswith(("TD-P-", "TD-X-")) or code == "TD-VHTT"]
        counts["dispatch"] += len(services.directive_dispatch(directive=tam_diep, units=local, by=by))
        _answer_mix(tam_diep, counts)
    return counts


def _reissue_education(parent, education, passed_on, units, by, counts):
    """The Sở GDĐT passes 03's tasks 1–4 on to its schools as its letter …/SGDDT-VP (seed 001)."""
    with open(LETTERS_DIR / EDUCATION, "rb") as handle:
        parsed = parse_document(handle, filename=EDUCATION)
    child = services.directive_reissue(parent=parent, unit=education, by=by,
                                       keep_task_ids=[t.pk for t in passed_on])
    services.directive_update(child, by=by, fields={
        "doc_type": parsed["doc_type"], "number": parsed["number"] or "", "number_blank": bool(parsed["number_blank"]),
        "issuer": parsed["issuer"] or education.name, "subject": parsed["subject"] or child.subject},
        tasks=[{"id": task.pk, "text": item["text"], "deadline": datetime.date(2025, 1, 24)}
               for task, item in zip(child.tasks.order_by("ordinal"), parsed["tasks"], strict=False)])
    # Its Kính gửi list names kinds of units ("Hiệu trưởng trường THPT …"), not units: nothing to match.
    for match in services.recipients_resolve(child, by=by):
        if match.decision == MatchDecision.PENDING:
            services.recipient_decide(match, by=by, decision=MatchDecision.IGNORED)
    schools = [u for u in units.values() if u.path.startswith(education.path) and u.pk != education.pk
               and (u.kind in ("school", "public_service") or u.code.startswith("HP-PGD-"))]
    counts["directive"] += 1
    counts["dispatch"] += len(services.directive_dispatch(directive=child, units=schools, by=by))
    _answer_mix(child, counts)
