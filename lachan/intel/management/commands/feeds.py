"""``lachan feeds …``: botnet and IoC feeds on the command line (issue 4).

    lachan feeds match --prefixes PREFIXES.csv FILE [--format F] [--json] [--out MATCHES.csv]
    lachan feeds import FILE [--format F] [--source NAME] [--dry-run] [--json] [--by USERNAME]

One pair of functions per subcommand: ``add_<name>_arguments(parser)`` declares its options and
``run_<name>(command, **options)`` runs it; ``SUBCOMMANDS`` maps the name to both. (``feeds import``,
the database import, is added the same way next to ``match``.)

``feeds match`` is stateless: it reads a prefix list and a feed, and never opens the database — no
system checks (they may query it), no model import. Its import path stays light: numpy, the matcher
and the parsers are imported when the subcommand runs, not when ``lachan`` lists its commands.

``PREFIXES.csv`` (CSV or XLSX; UTF-8, UTF-16 or cp1258/cp1252; ``,``/``;``/tab) has the columns
``prefix,unit`` (header required, other columns ignored). Nested prefixes are fine; the same prefix
listed for several units goes to the first one listed. Any unreadable prefix stops the command with
the line named.

Counting, per data row of FILE: ``rows`` = rows read; ``bad_rows`` = rows the parser could not read
plus rows whose IP is not an address (``None``/empty, junk); ``matched`` = rows whose IP lies in a listed
prefix (most specific wins); ``unmatched`` = the rest, bogons included (private, loopback, … are reported,
not matched; documentation ranges are matched, as in the demo — see ``lachan.intel.matching``). So
``rows = bad_rows + matched + unmatched``. CIDR text in a plain list is matched by its network address.

``--out MATCHES.csv``: ``ip,unit,prefix`` for each matched row in the order of FILE, header first; UTF-8
without BOM, CRLF line ends (RFC 4180); cells that a spreadsheet would run as a formula are neutralised
(``lachan.core.tabular.neutralise``). Written beside the target and renamed at the end, so a failed run
leaves no half-written file.
"""

import argparse
import json as jsonlib
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

BAD_ROWS_SHOWN = 20


# --- feeds match -----------------------------------------------------------------------------------------------

def add_match_arguments(parser):
    parser.add_argument("file", metavar="FILE", help="the feed file (format detected, or --format)")
    parser.add_argument("--prefixes", required=True, metavar="PREFIXES.csv",
                        help="CSV/XLSX with the columns prefix,unit")
    parser.add_argument("--format", default=None, metavar="F",
                        help="feed format: shadowserver, spamhaus_cert, plain, generic, … (default: detected)")
    parser.add_argument("--json", action="store_true",
                        help='print {"rows", "bad_rows", "matched", "unmatched", "by_unit"} as JSON')
    parser.add_argument("--out", metavar="MATCHES.csv", help="write ip,unit,prefix for every matched row")
    parser.add_argument("--timings", action="store_true", help=argparse.SUPPRESS)  # bench/feeds_match.py


def load_prefixes(path):
    """``[(prefix, unit)]`` and the row number of each, from PREFIXES.csv. CommandError names the line."""
    from lachan.core.tabular import TabularError, read_table, unescape_cell

    try:
        with open(path, "rb") as fh:
            data = fh.read()
        sheets = read_table(data, str(path))
    except OSError as exc:
        raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}) from None
    except TabularError as exc:
        raise CommandError(f"{path}: {exc}") from None
    sheet = next((s for s in sheets if s), None)
    if sheet is None:
        raise CommandError(_("%(path)s has no rows.") % {"path": path})
    header_line, header = sheet.rows[0]
    names = [cell.strip().lower() for cell in header]
    if "prefix" not in names or "unit" not in names:
        raise CommandError(_("%(path)s line %(line)s: the header must name the columns prefix,unit (found: %(found)s).")
                           % {"path": path, "line": header_line, "found": ",".join(header)})
    at_prefix, at_unit = names.index("prefix"), names.index("unit")
    entries, lines = [], []
    for line, cells in sheet.rows[1:]:
        prefix = cells[at_prefix].strip() if at_prefix < len(cells) else ""
        unit = unescape_cell(cells[at_unit].strip()) if at_unit < len(cells) else ""
        if not unit:
            raise CommandError(_("%(path)s line %(line)s: the unit is empty.") % {"path": path, "line": line})
        entries.append((prefix, unit))
        lines.append(line)
    return entries, lines


class _MatchWriter:
    """MATCHES.csv, streamed batch by batch: each line is the IP text plus a pre-rendered
    ``,unit,prefix\\r\\n`` per prefix, so a batch is one ``str.join``."""

    def __init__(self, path, matcher):
        import csv
        import io
        import os
        import tempfile

        from lachan.core.tabular import neutralise

        self._neutralise = neutralise
        self.path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(self.path))
        fd, self.tmp = tempfile.mkstemp(dir=directory, prefix=".matches-", suffix=".csv.part")
        self.fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
        buffer = io.StringIO(newline="")
        self._csv = csv.writer(buffer, lineterminator="\r\n")
        self._buffer = buffer
        self.fh.write(self._row(["ip", "unit", "prefix"]))
        self.suffix = []
        for i in range(len(matcher)):
            line = self._row(["", matcher.label(i), matcher.prefix(i)])
            self.suffix.append(line)

    def _row(self, cells):
        self._buffer.seek(0)
        self._buffer.truncate()
        self._csv.writerow([self._neutralise(c) for c in cells])
        return self._buffer.getvalue()

    def write(self, ips, positions, index, careful):
        import operator

        import numpy as np

        """``positions``: matched rows of the batch; ``careful``: positions whose IP text did not pass the
        strict dotted-quad fast path (IPv6, CIDR, spaces…), quoted and neutralised one by one."""
        texts = list(map(ips.__getitem__, positions.tolist()))
        if careful:
            careful = np.asarray(careful, dtype=positions.dtype)
            at = np.searchsorted(positions, careful).clip(max=len(positions) - 1)
            for k in at[positions[at] == careful].tolist():
                texts[k] = self._row([texts[k]]).removesuffix("\r\n")
        self.fh.write("".join(map(operator.add, texts, map(self.suffix.__getitem__, index.tolist()))))

    def commit(self):
        import os

        self.fh.close()
        os.replace(self.tmp, self.path)

    def abort(self):
        import contextlib
        import os

        self.fh.close()
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)


def run_match(command, *, file, prefixes, format=None, json=False, out=None, timings=False, **_options):
    started = time.perf_counter()
    import numpy as np

    from lachan.intel import parsers
    from lachan.intel.matching import PrefixError, PrefixMatcher

    entries, lines = load_prefixes(prefixes)
    try:
        matcher = PrefixMatcher(entries, allow_documentation=True)
    except PrefixError as exc:
        raise CommandError(_("%(path)s line %(line)s: %(error)s")
                           % {"path": prefixes, "line": lines[exc.index], "error": exc}) from None
    if format is not None and format not in parsers.FORMATS:
        raise CommandError(_("Unknown format %(format)s; known formats: %(formats)s.")
                           % {"format": format, "formats": ", ".join(sorted(parsers.FORMATS))})
    loaded = time.perf_counter()

    rows = bad_rows = matched = bogons = 0
    counts = np.zeros(len(matcher), dtype=np.int64)
    bad_shown = []
    clock = {"parse": 0.0, "match": 0.0, "write": 0.0}
    writer = _MatchWriter(out, matcher) if out else None
    try:
        try:
            batches = iter(parsers.parse(file, format=format))
            while True:
                t0 = time.perf_counter()
                batch = next(batches, None)
                t1 = time.perf_counter()
                clock["parse"] += t1 - t0
                if batch is None:
                    break
                size = len(batch)
                rows += size + len(batch.bad)
                bad_rows += len(batch.bad)
                bad_shown.extend(batch.bad[: BAD_ROWS_SHOWN - len(bad_shown)])
                if not size:
                    continue
                result = matcher.classify(batch.ip)
                index = result.index
                hit = index >= 0
                positions = np.flatnonzero(hit)
                hit_index = index[positions]
                counts += np.bincount(hit_index, minlength=len(matcher))
                matched += len(positions)
                bogons += int((result.bogon & ~hit).sum())  # reported, not matched
                bad_rows += len(result.bad)
                if len(bad_shown) < BAD_ROWS_SHOWN:
                    bad_shown.extend((batch.line[i], reason) for i, reason in result.bad[: BAD_ROWS_SHOWN - len(bad_shown)])
                t2 = time.perf_counter()
                clock["match"] += t2 - t1
                if writer is not None and len(positions):
                    writer.write(batch.ip, positions, hit_index, result.careful)
                    clock["write"] += time.perf_counter() - t2
        except parsers.ParseError as exc:
            raise CommandError(_("%(path)s: %(error)s") % {"path": file, "error": exc}) from None
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": file, "error": exc.strerror or exc}) from None
        if writer is not None:
            t3 = time.perf_counter()
            writer.commit()
            clock["write"] += time.perf_counter() - t3
    except BaseException:
        if writer is not None:
            writer.abort()
        raise

    by_unit = {}
    for i in np.flatnonzero(counts).tolist():
        unit = matcher.label(i)
        by_unit[unit] = by_unit.get(unit, 0) + int(counts[i])
    by_unit = dict(sorted(by_unit.items(), key=lambda kv: (-kv[1], kv[0])))
    summary = {"rows": rows, "bad_rows": bad_rows, "matched": matched, "unmatched": rows - bad_rows - matched,
               "by_unit": by_unit}
    if json:
        command.stdout.write(jsonlib.dumps(summary, ensure_ascii=False))
    else:
        _print_summary(command, summary, bogons=bogons, bad_shown=bad_shown, out=out, prefixes=len(matcher))
    if timings:
        clock.update(prefixes=loaded - started, total=time.perf_counter() - started)
        sys.stderr.write("timings " + " ".join(f"{k}={v:.3f}" for k, v in clock.items()) + "\n")


def _print_summary(command, summary, *, bogons, bad_shown, out, prefixes):
    write = command.stdout.write
    write(f"Số dòng / rows:                    {summary['rows']:>10,}")
    write(f"Dòng lỗi / bad rows:               {summary['bad_rows']:>10,}")
    write(f"Khớp đơn vị / matched:             {summary['matched']:>10,}")
    write(f"Không khớp / unmatched:            {summary['unmatched']:>10,}"
          f"   (bogon: {bogons:,}, không đối chiếu / reported, not matched)" if bogons else
          f"Không khớp / unmatched:            {summary['unmatched']:>10,}")
    write(f"Theo đơn vị / by unit ({len(summary['by_unit'])} / {prefixes:,} dải / prefixes):")
    for unit, count in summary["by_unit"].items():
        write(f"  {unit:<32} {count:>10,}")
    if bad_shown:
        write(f"Dòng lỗi đầu tiên / first bad rows ({len(bad_shown)} / {summary['bad_rows']:,}):")
        for line, reason in bad_shown:
            write(f"  {reason}" if str(line) in str(reason) else f"  dòng / line {line}: {reason}")
    if out:
        write(f"Đã ghi / written: {out}")


# --- the command -----------------------------------------------------------------------------------------------

# --- feeds import ------------------------------------------------------------------------------------------------

def add_import_arguments(parser):
    parser.add_argument("file", metavar="FILE", help="the feed file (format detected, or --format)")
    parser.add_argument("--format", default=None, metavar="F", help="feed format (default: the feed's, else detected)")
    parser.add_argument("--source", default="CLI", metavar="NAME",
                        help="the feed's name; created if missing (default: CLI)")
    parser.add_argument("--dry-run", action="store_true", help="parse, map and count; write nothing")
    parser.add_argument("--json", action="store_true", help="print the import's summary as JSON")
    parser.add_argument("--by", metavar="USERNAME", help="the coordinator the import is recorded for (audit log)")


def run_import(command, *, file, format=None, source="CLI", dry_run=False, json=False, by=None, **_options):
    """``lachan feeds import``: the database import (``lachan.intel.services.feed_import``): one transaction,
    the same file twice for a feed changes nothing, units notified after commit (by the worker)."""
    from pathlib import Path

    from django.core.exceptions import ValidationError

    from lachan.accounts.models import User
    from lachan.intel import services
    from lachan.intel.models import Feed
    from lachan.organizations.models import Unit

    try:
        from lachan.intel.parsers import ParseError
    except ImportError:  # no parsers package: no parse error to catch
        ParseError = ()  # noqa: N806

    path = Path(file)
    if not path.is_file():
        raise CommandError(_("Cannot read %(path)s: no such file.") % {"path": file})
    user = None
    if by:
        user = User.objects.filter(username=by).first()
        if user is None:
            raise CommandError(_("No user named %(name)s.") % {"name": by})
    if dry_run:
        feed = Feed.objects.filter(name=source).first() or Feed(name=source)
    else:
        feed = services.feed_for_name(source, by=user)
    try:
        result = services.feed_import(file=path, feed=feed, by=user, format=format, dry_run=dry_run)
    except ParseError as exc:
        raise CommandError(_("%(path)s: %(error)s — nothing was imported.") % {"path": file, "error": exc}) from None
    except ValidationError as exc:
        raise CommandError("; ".join(exc.messages)) from None
    codes = dict(Unit.objects.filter(pk__in=[int(k) for k in result.per_unit]).values_list("pk", "code"))
    summary = {
        "import": result.pk, "duplicate": bool(getattr(result, "duplicate", False)), "dry_run": result.dry_run,
        "feed": feed.name, "file": result.file_name, "sha256": result.sha256, "format": result.format,
        "rows": result.rows, "parsed": result.parsed, "bad_rows": result.bad_rows, "matched": result.matched,
        "matched_by_asn": result.matched_by_asn, "unmatched": result.unmatched, "bogon": result.bogon,
        "indicators": result.indicators, "cases_new": result.cases_new, "cases_reinfected": result.cases_reinfected,
        "cases_closed": result.cases_closed,
        "by_unit": {codes.get(int(k), k): v["rows"] for k, v in sorted(result.per_unit.items(), key=lambda kv: int(kv[0]))},
        "bad_examples": (result.bad_report or {}).get("rows", [])[:BAD_ROWS_SHOWN],
    }
    if json:
        command.stdout.write(jsonlib.dumps(summary, ensure_ascii=False))
        return
    if summary["duplicate"]:
        command.stdout.write(_("%(file)s was already imported for %(feed)s (import %(id)s): nothing changed.")
                             % {"file": result.file_name, "feed": feed.name, "id": result.pk})
        return
    values = {
        "file": result.file_name, "feed": feed.name, "rows": result.rows, "bad": result.bad_rows,
        "matched": result.matched, "asn": result.matched_by_asn, "unmatched": result.unmatched,
        "bogon": result.bogon, "new": result.cases_new, "reinfected": result.cases_reinfected,
        "closed": result.cases_closed,
    }
    if dry_run:
        message = _("Dry run of %(file)s (%(feed)s), nothing written: %(rows)d rows, %(bad)d bad, %(matched)d "
                    "matched (%(asn)d through the ASN), %(unmatched)d unmatched, %(bogon)d bogon/private.")
    else:
        message = _("Imported %(file)s (%(feed)s): %(rows)d rows, %(bad)d bad, %(matched)d matched (%(asn)d "
                    "through the ASN), %(unmatched)d unmatched, %(bogon)d bogon/private; %(new)d new cases, "
                    "%(reinfected)d reinfected, %(closed)d closed.")
    command.stdout.write(message % values)
    for line, reason in summary["bad_examples"]:
        command.stdout.write("  " + _("Line %(line)s: %(reason)s") % {"line": line, "reason": reason})


SUBCOMMANDS = {
    "match": (add_match_arguments, run_match,
              "map every IP of a feed to the unit owning it, from a prefix list (no database)"),
    "import": (add_import_arguments, run_import,
               "import a feed file into the database: cases per unit, unmapped queue, notifications"),
}


class Command(BaseCommand):
    help = ("Botnet and IoC feeds. 'feeds match --prefixes PREFIXES.csv FILE [--format F] [--json] "
            "[--out MATCHES.csv]': which unit owns each IP of a feed, from a prefix,unit list, without the database.")
    requires_system_checks = []  # feeds match never touches the database; checks could
    requires_migrations_checks = False

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        for name, (add_arguments, _run, help_text) in SUBCOMMANDS.items():
            add_arguments(sub.add_parser(name, help=help_text))

    def handle(self, *args, subcommand, **options):
        SUBCOMMANDS[subcommand][1](self, **options)
