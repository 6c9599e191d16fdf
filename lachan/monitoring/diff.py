"""A side-by-side diff of two page texts (a baseline snapshot and a later one), for the site and alert pages.

The texts come from hostile pages: every piece of text is escaped here, and the only markup added is
``<del>``/``<ins>`` around the characters that changed inside a changed line. Inputs are capped
(``MAX_INPUT_CHARS`` per side, ``MAX_LINE_CHARS`` per line) and so is the output (``max_rows``): a defaced
page of megabytes cannot make the page heavy. Long runs of equal lines collapse to one "skip" row.

A snapshot's visible text may come as very long lines; lines are also split after sentence ends, and
what is still too long is cut into pieces of ``MAX_LINE_CHARS``, so that the diff stays readable.
"""

import difflib
import re
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import mark_safe

MAX_INPUT_CHARS = 200_000
MAX_LINE_CHARS = 240
MAX_ROWS = 400
CONTEXT = 2
SIMILAR = 0.5  # below this ratio a changed pair of lines is marked as a whole, not character by character
INTRALINE_MAX = 2_000  # longer pairs of lines are marked changed as a whole (SequenceMatcher is quadratic)

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


@dataclass(frozen=True)
class Row:
    """One row of the side-by-side table. ``kind``: equal, replace, delete, insert or skip (``skipped``
    equal lines not shown). ``left``/``right`` are safe HTML (escaped text, ``<del>``/``<ins>`` marks)."""

    kind: str
    left_no: int | None = None
    left: str = ""
    right_no: int | None = None
    right: str = ""
    skipped: int = 0


@dataclass
class SideBySide:
    rows: list = field(default_factory=list)
    added: int = 0  # lines only on the right
    removed: int = 0  # lines only on the left
    truncated: bool = False  # the input or the output was cut

    @property
    def changed(self):
        return bool(self.added or self.removed)


def split_lines(text):
    """The text as diffable lines: line breaks, then sentence ends, then hard cuts of ``MAX_LINE_CHARS``."""
    lines = []
    for raw in (text or "").splitlines():
        raw = " ".join(raw.split())
        if not raw:
            continue
        for sentence in _SENTENCE_END.split(raw):
            while len(sentence) > MAX_LINE_CHARS:
                cut = sentence.rfind(" ", 0, MAX_LINE_CHARS)
                cut = cut if cut > MAX_LINE_CHARS // 2 else MAX_LINE_CHARS
                lines.append(sentence[:cut])
                sentence = sentence[cut:].lstrip()
            if sentence:
                lines.append(sentence)
    return lines


def _marked(old, new):
    """(left, right) safe HTML of a changed pair of lines, the changed characters in ``<del>``/``<ins>``."""
    if len(old) + len(new) > INTRALINE_MAX:
        return mark_safe(f"<del>{escape(old)}</del>"), mark_safe(f"<ins>{escape(new)}</ins>")  # noqa: S308
    left, right = [], []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    if matcher.ratio() < SIMILAR:  # unrelated lines: character marks would only scatter both
        return mark_safe(f"<del>{escape(old)}</del>"), mark_safe(f"<ins>{escape(new)}</ins>")  # noqa: S308
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = escape(old[i1:i2]), escape(new[j1:j2])
        if tag == "equal":
            left.append(a)
            right.append(b)
            continue
        if a:
            left.append(f"<del>{a}</del>")
        if b:
            right.append(f"<ins>{b}</ins>")
    return mark_safe("".join(left)), mark_safe("".join(right))  # noqa: S308 - every piece escaped above


def side_by_side(old_text, new_text, *, context=CONTEXT, max_rows=MAX_ROWS):
    """Rows comparing ``old_text`` (left) with ``new_text`` (right)."""
    result = SideBySide()
    old_text, new_text = old_text or "", new_text or ""
    if len(old_text) > MAX_INPUT_CHARS or len(new_text) > MAX_INPUT_CHARS:
        result.truncated = True
        old_text, new_text = old_text[:MAX_INPUT_CHARS], new_text[:MAX_INPUT_CHARS]
    old, new = split_lines(old_text), split_lines(new_text)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    rows, end = result.rows, 0
    for group in matcher.get_grouped_opcodes(context) if old != new else ():
        first = group[0]
        if first[1] > end:
            rows.append(Row("skip", skipped=first[1] - end))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows.extend(Row("equal", i + 1, escape(old[i]), j + 1, escape(new[j]))
                            for i, j in zip(range(i1, i2), range(j1, j2), strict=True))
            elif tag == "delete":
                result.removed += i2 - i1
                rows.extend(Row("delete", i + 1, escape(old[i])) for i in range(i1, i2))
            elif tag == "insert":
                result.added += j2 - j1
                rows.extend(Row("insert", right_no=j + 1, right=escape(new[j])) for j in range(j1, j2))
            else:
                result.removed += i2 - i1
                result.added += j2 - j1
                for offset in range(max(i2 - i1, j2 - j1)):
                    i, j = i1 + offset, j1 + offset
                    if i < i2 and j < j2:
                        left, right = _marked(old[i], new[j])
                        rows.append(Row("replace", i + 1, left, j + 1, right))
                    elif i < i2:
                        rows.append(Row("delete", i + 1, escape(old[i])))
                    else:
                        rows.append(Row("insert", right_no=j + 1, right=escape(new[j])))
        if len(rows) > max_rows:
            break
        end = group[-1][2]
    else:
        if rows and end < len(old):
            rows.append(Row("skip", skipped=len(old) - end))
    if len(rows) > max_rows:
        del rows[max_rows:]
        result.truncated = True
    return result
