"""The matrix as HTML (built in Python: 30,000 cells through the template engine would be slow) and as an
XLSX sheet (``core.tabular``)."""

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .choices import AnswerStatus

SYMBOLS = {"done": "✔", "not_applicable": "—", "in_progress": "◐", "not_started": "○", "overdue": "!"}


def _labels():
    """Status → label in the active language, translated once per render (not once per cell)."""
    return {value: str(label) for value, label in AnswerStatus.choices}


def _cell_text(cell, labels):
    if cell.status is None:
        return ""
    if cell.rollup and cell.status not in ("done", "not_applicable"):
        done, total = cell.rollup
        return f"{done}/{total}"
    return labels.get(cell.status, cell.status)


def matrix_html(matrix):
    """``<table>`` of the matrix; the unit names are escaped, every cell links to the answer."""
    answer_url = reverse("directives:taskanswer_detail", args=[0])[:-2]  # ".../answers/" + pk + "/"
    labels = {value: escape(label) for value, label in _labels().items()}
    head = "".join(f'<th scope="col" title="{escape(t.text[:300])}">{t.ordinal}'
                   f'{"<br><small>" + t.deadline.strftime("%d/%m/%Y") + "</small>" if t.deadline else ""}</th>'
                   for t in matrix.tasks)
    parts = ['<table class="table table-sm table-bordered lc-matrix" id="matrix"><thead><tr>',
             f'<th scope="col">{escape(_("Unit"))}</th><th scope="col">{escape(_("Done"))}</th>', head,
             "</tr></thead><tbody>"]
    task_ids = [t.pk for t in matrix.tasks]
    for row in matrix.rows:
        unit_id = row.unit.pk
        parts.append(f'<tr data-unit="{unit_id}"><th scope="row">{escape(row.unit.name)}</th>'
                     f"<td>{row.done_count}/{row.applicable}</td>")
        for task_id, cell in zip(task_ids, row.cells, strict=True):
            if cell.status is None:
                parts.append('<td class="lc-na"></td>')
                continue
            css = cell.css
            text = _cell_text(cell, labels)
            symbol = SYMBOLS.get(css, "")
            check = matrix.checks.get((unit_id, task_id)) if matrix.checks else None
            check_html = (f' <span class="badge {"text-bg-success" if check[0] else "text-bg-danger"}" '
                          f'title="{escape(check[1])}">{"✔" if check[0] else "✘"}</span>') if check else ""
            clip = " 📎" if cell.has_evidence else ""
            parts.append(f'<td class="lc-{css}" data-status="{css}"><a href="{answer_url}{cell.answer_id}/">'
                         f"{symbol} {text}</a>{clip}{check_html}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return mark_safe("".join(parts))  # noqa: S308 — every value above is escaped


def matrix_sheet(matrix):
    """(title, header, rows) for ``tabular.write_xlsx``."""
    header = [_("Unit code"), _("Unit"), _("Done")] + [f"{t.ordinal}. {t.text[:80]}" for t in matrix.tasks]
    labels, overdue = _labels(), " (" + _("overdue") + ")"
    rows = []
    for row in matrix.rows:
        rows.append([row.unit.code, row.unit.name, f"{row.done_count}/{row.applicable}",
                     *[_cell_text(c, labels) + (overdue if c.overdue else "") for c in row.cells]])
    return (_("Matrix"), header, rows)
