"""Read side: the units × tasks matrix (constant number of queries whatever its size)."""

from dataclasses import dataclass, field
from functools import cached_property

from django.utils import timezone

from lachan.core.scope import VIEW

from .checks import CHECKS
from .choices import AnswerStatus
from .models import Directive, Dispatch, TaskAnswer

CLOSED = (AnswerStatus.DONE, AnswerStatus.NOT_APPLICABLE)


@dataclass(slots=True)
class Cell:
    status: str | None = None  # None: the task does not apply to the unit
    answer_id: int | None = None
    overdue: bool = False
    has_evidence: bool = False
    rollup: tuple | None = None  # (done, total) of the unit's sub-units for its re-issued task
    done: bool = field(init=False)

    def __post_init__(self):
        rollup = self.rollup
        self.done = self.status in CLOSED or bool(rollup and rollup[1] and rollup[0] == rollup[1])

    @property
    def css(self):
        if self.status is None:
            return "na"
        if self.done:
            return "done"
        return "overdue" if self.overdue else self.status


NOT_APPLICABLE = Cell()  # shared by every cell whose task does not apply to the unit (never modified)


@dataclass
class Row:
    unit: object
    dispatch: object
    cells: list = field(default_factory=list)

    @cached_property
    def done_count(self):  # asked by the page, the export and the completion figure: counted once
        return sum(c.done for c in self.cells)

    @cached_property
    def applicable(self):
        return sum(c.status is not None for c in self.cells)


@dataclass
class Matrix:
    directive: Directive
    tasks: list
    rows: list
    checks: dict  # {(unit_id, task_id): (ok, detail)} for tasks bound to a live check

    def completion(self):
        total = sum(r.applicable for r in self.rows)
        return round(100 * sum(r.done_count for r in self.rows) / total) if total else 0


def visible_directives(user):
    return Directive.objects.restrict(user, VIEW)


def matrix(directive, user, *, group=None, status=None, overdue=False, with_checks=True):
    """The matrix of ``directive`` for ``user``: one row per dispatched unit the user may see (the issuing
    side sees every recipient), one column per task. Filters: unit group (pk), answer status, overdue."""
    today = timezone.localdate()
    tasks = list(directive.tasks.order_by("ordinal", "pk"))
    dispatches = Dispatch.objects.restrict(user, VIEW).filter(directive=directive).select_related("unit")
    if group:
        dispatches = dispatches.filter(unit__groups=group)
    # Only what the matrix shows: 2,000 dispatches with their units load in a few milliseconds.
    dispatches = list(dispatches.order_by("unit__path").only(
        "directive_id", "unit_id", "acknowledged_at", "unit__code", "unit__name", "unit__path"))
    # Answers and roll-ups of the whole directive, read by (task, unit) below: only the rows' units are
    # looked up, so no list of 2,000 unit ids is sent to the database.
    answers = {}
    for row in (TaskAnswer.objects.restrict(user, VIEW).filter(task__directive=directive)
                .values_list("pk", "task_id", "unit_id", "status", "evidence")):
        answers[(row[1], row[2])] = row
    # Roll-up of re-issues: answers to the children's tasks passed on from this directive's tasks.
    rollups = {}
    for source_id, issuer_id, child_status in (
            TaskAnswer.objects.filter(task__directive__parent=directive, task__source_task__directive=directive)
            .values_list("task__source_task_id", "task__directive__unit_id", "status")):
        done, total = rollups.get((source_id, issuer_id), (0, 0))
        rollups[(source_id, issuer_id)] = (done + (child_status in CLOSED), total + 1)
    rows = []
    columns = [(task.pk, bool(task.deadline and task.deadline < today)) for task in tasks]  # (id, past due)
    for dispatch in dispatches:
        row = Row(unit=dispatch.unit, dispatch=dispatch)
        unit_id = dispatch.unit_id
        for task_id, past_due in columns:
            found = answers.get((task_id, unit_id))
            if found is None:
                row.cells.append(NOT_APPLICABLE)
                continue
            cell = Cell(status=found[3], answer_id=found[0], has_evidence=bool(found[4]),
                        rollup=rollups.get((task_id, unit_id)) if rollups else None)
            cell.overdue = past_due and not cell.done
            row.cells.append(cell)
        rows.append(row)
    if status:
        rows = [r for r in rows if any(c.status == status for c in r.cells)]
    if overdue:
        rows = [r for r in rows if any(c.overdue for c in r.cells)]
    checks = {}
    if with_checks:
        units = [row.unit for row in rows]
        results = {}  # one run per check key, for every unit of the page at once
        for task in tasks:
            entry = CHECKS.get(task.check_key or "")
            if entry is None:
                continue
            if task.check_key not in results:
                results[task.check_key] = entry[1](units)
            for row in rows:
                checks[(row.unit.pk, task.pk)] = results[task.check_key][row.unit.pk]
    return Matrix(directive=directive, tasks=tasks, rows=rows, checks=checks)


def answer_may_download(user, answer):
    """Whether ``user`` may download the evidence of ``answer`` (the answering unit, its ancestors, the issuing
    side, coordinators/auditors — exactly TaskAnswer.objects.restrict)."""
    return TaskAnswer.objects.restrict(user, VIEW).filter(pk=answer.pk).exists()
