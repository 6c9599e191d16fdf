"""What the ``units`` and ``inventory`` commands share: options, the report of an import (text or
JSON for scripts), and writing an export to a file or standard output."""

import json
import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone


def add_import_arguments(parser):
    parser.add_argument("file", help="CSV, XLSX (or, for units, the text of a letter's appendix)")
    parser.add_argument("--dry-run", action="store_true", help="validate only, write nothing")
    parser.add_argument("--encoding", help="text encoding of a CSV file (default: detected)")
    parser.add_argument("--actor", metavar="USERNAME", help="user the audit log records as the author of the changes")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def add_export_arguments(parser, *, default_format="xlsx"):
    parser.add_argument("--format", choices=["csv", "xlsx"], default=default_format)
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="file to write, '-' for standard output (default: <name>-<date>.<format> here)")
    parser.add_argument("--json", action="store_true", help="print what was written as JSON")


def find_actor(username):
    if not username:
        return None
    from lachan.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"Không có người dùng {username!r} (no such user)")
    return user


def bilingual_summary(result):
    n = {"c": result.created, "u": result.updated, "k": result.unchanged, "e": result.error_count}
    if not result.ok:
        return "Không nhập gì: {e} lỗi. / Nothing imported: {e} error(s).".format(**n)
    if not result.written:
        return ("Kiểm tra xong, chưa ghi gì: {c} tạo mới, {u} cập nhật, {k} không đổi. / "
                "Dry run, nothing written: {c} to create, {u} to update, {k} unchanged.").format(**n)
    return ("Đã nhập: {c} tạo mới, {u} cập nhật, {k} không đổi. / "
            "Imported: {c} created, {u} updated, {k} unchanged.").format(**n)


def report(command, result, *, as_json):
    """Print the result; a failed import ends the command with exit status 1."""
    if as_json:
        command.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        for issue in result.errors:
            command.stdout.write(str(issue))
        if result.hidden_errors:
            command.stdout.write(f"… +{result.hidden_errors}")
        for issue in result.warnings:
            command.stdout.write(f"! {issue}")
        for note in result.notes:
            command.stdout.write(f"  {note}")
        command.stdout.write(bilingual_summary(result))
    if not result.ok:
        raise CommandError(bilingual_summary(result), returncode=1)


def write_output(command, content, default_name, output, *, rows, as_json):
    if output == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    path = Path(output or default_name)
    path.write_bytes(content)
    if as_json:
        command.stdout.write(json.dumps({"file": str(path), "rows": rows, "bytes": len(content),
                                         "date": timezone.localdate().isoformat()}, ensure_ascii=False))
    else:
        command.stdout.write(f"Đã ghi {rows} dòng vào {path} / Wrote {rows} rows to {path}")
