"""``lachan directive …``: official letters on the command line (issue 3).

    lachan directive parse FILE [--json]
    lachan directive import FILE --unit CODE [--json]

``parse`` reads a .txt, .md, .docx or .pdf (text layer) letter and prints what the parser found: with
``--json`` the dict of ``lachan.directives.parsing`` (UTF-8, indented); without it a short summary for a
person. It never opens the database. A file that is not a document stops the command with the reason.

``import`` stores the letter as a draft directive of the unit CODE (tasks from the parsed items, the cited
directive as its parent when the platform holds it) and matches its recipients to units; the draft is then
reviewed and dispatched on its page. Nothing is stored when the file is not a document.
"""

import json

from django.core.management.base import CommandError

from lachan.core.commands import SubcommandCommand


def add_parse_arguments(parser):
    parser.add_argument("file", metavar="FILE", help="the letter: .txt, .md, .docx or .pdf")
    parser.add_argument("--json", action="store_true", help="print the parsed fields as JSON")


def run_parse(command, *, file, json=False, **_options):
    from lachan.directives.parsing import DocumentParseError, parse_document

    try:
        result = parse_document(file)
    except DocumentParseError as exc:
        raise CommandError(f"{file}: {exc}") from None
    if json:
        command.stdout.write(_dump(result))
    else:
        command.stdout.write(summary(result))


def add_import_arguments(parser):
    parser.add_argument("file", metavar="FILE", help="the letter: .txt, .md, .docx or .pdf")
    parser.add_argument("--unit", required=True, metavar="CODE", help="code of the issuing unit")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run_import(command, *, file, unit, json=False, **_options):
    from pathlib import Path

    from django.core.exceptions import ValidationError

    from lachan.directives import services
    from lachan.organizations.models import Unit

    issuer = Unit.objects.filter(code=unit).first()
    if issuer is None:
        raise CommandError(f"--unit {unit}: không có đơn vị mã này / no unit with this code")
    try:
        with open(file, "rb") as handle:
            directive = services.directive_import(handle, by=None, unit=issuer, filename=Path(file).name)
    except OSError as exc:
        raise CommandError(f"{file}: {exc.strerror or exc}") from None
    except ValidationError as exc:
        raise CommandError("; ".join(exc.messages)) from None
    matches = services.recipients_resolve(directive)
    result = {
        "id": directive.pk, "number": directive.number, "doc_type": directive.doc_type,
        "tasks": directive.tasks.count(), "parent": directive.parent.number if directive.parent else None,
        "recipients_matched": sum(1 for m in matches if m.unit_id), "recipients_pending": sum(1 for m in matches if not m.unit_id),
    }
    if json:
        command.stdout.write(_dump(result))
    else:
        command.stdout.write(
            f"Đã nhập văn bản #{result['id']} ({result['number'] or '—'}): {result['tasks']} nhiệm vụ, "
            f"{result['recipients_matched']} nơi nhận khớp đơn vị, {result['recipients_pending']} chờ quyết định.\n"
            f"Imported directive #{result['id']}: review and dispatch it on its page.")


def _dump(result):
    return json.dumps(result, ensure_ascii=False, indent=2)


def summary(result):
    """A few lines for a person reading the terminal (labels Vietnamese first)."""
    none = "—"
    signer = result["signer"]
    lines = [
        f"Loại văn bản / type: {result['doc_type']}",
        f"Số / number: {result['number'] or none}{' (chưa điền số / blank)' if result['number_blank'] else ''}",
        f"Cơ quan ban hành / issuer: {result['issuer'] or none}"
        + (f" ({result['parent_issuer']})" if result["parent_issuer"] else ""),
        f"Nơi, ngày / place, date: {result['place'] or none}, {result['date'] or result['year'] or none}",
        f"V/v / subject: {result['subject'] or none}",
        f"Kính gửi / recipients: {len(result['recipients'])}",
    ]
    lines += [f"  - {r}" for r in result["recipients"]]
    lines.append(f"Văn bản dẫn chiếu / references: {len(result['references'])}")
    lines += [f"  - {r['kind']} {r['number']}" + (f" ngày {r['date']}" if r["date"] else "")
              + (f" của {r['issuer']}" if r["issuer"] else "") for r in result["references"]]
    lines.append(f"Nhiệm vụ / tasks: {len(result['tasks'])}")
    for task in result["tasks"]:
        text = task["text"] if len(task["text"]) <= 100 else task["text"][:99] + "…"
        lines.append(f"  [{task['id']}] {text}" + (f"  → {task['audience']}" if task["audience"] else ""))
    lines.append(f"Đầu mối liên hệ / contacts: {len(result['contacts'])}")
    for c in result["contacts"]:
        who = ", ".join(x for x in (c["organization"], c["person"]) if x) or none
        lines.append(f"  - {who}: {', '.join(c['phones'] + c['emails'])}")
    lines.append(f"Người ký / signer: {signer['name'] or none} ({signer['title'] or none})")
    lines.append(f"Nơi nhận / cc: {'; '.join(result['cc']) or none}")
    if result["appendix_units"]:
        total = sum(len(g["units"]) for g in result["appendix_units"])
        lines.append(f"Phụ lục / appendix: {total} units in {len(result['appendix_units'])} groups")
    return "\n".join(lines)


SUBCOMMANDS = {
    "parse": (add_parse_arguments, run_parse, "parse an official letter and print its fields"),
    "import": (add_import_arguments, run_import, "store a letter as a draft directive of a unit"),
}


class Command(SubcommandCommand):
    subcommands = SUBCOMMANDS
    help = "Official letters (directives). 'directive parse FILE [--json]': the fields read from a letter."
    requires_system_checks = []  # parse never touches the database
    requires_migrations_checks = False

