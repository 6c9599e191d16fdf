"""``lachan feeds …``: botnet and IoC feeds on the command line (issue 4).

    lachan feeds match --prefixes PREFIXES.csv FILE [--format F] [--json] [--out MATCHES.csv] [--jobs N]
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

``--jobs N`` (default: the CPUs, at most 4): a Shadowserver CSV or plain list of at least 32 MB in UTF-8
is cut into N parts at line ends (never inside a quoted field; not at all with lone-CR line ends) and
the parts after the first are parsed, matched and written by forked workers; the counts, the first bad
rows (with the file's line numbers) and the parts of MATCHES.csv are put together in file order, so the
output is exactly the one-process output. If a worker fails, the whole file is read again in one
process, which gives the exact error. ``bench/feeds_match.py`` measures both.
"""

import argparse
import io
import json as jsonlib
import sys
import time

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from lachan.core.commands import SubcommandCommand

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
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="processes reading a large Shadowserver CSV or plain list in parts "
                             "(default: the CPUs, at most 4; 1 or less = one process)")
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


class _WriteError(Exception):
    """MATCHES.csv could not be written (disk full, …): not to be reported as a read error."""


class _MatchWriter:
    """MATCHES.csv, streamed batch by batch: each line is the IP text plus a pre-rendered
    ``,unit,prefix\\r\\n`` per prefix, so a batch is one ``str.join``. Written to a temporary file beside
    ``path``; ``commit`` renames it into place (a part written by a worker process has no header and is
    appended to the main file with ``append``)."""

    def __init__(self, path, matcher, *, header=True):
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
        if header:
            self.fh.write(self._row(["ip", "unit", "prefix"]))
        # ",unit,prefix\r\n" per prefix; a prefix's canonical text never needs quoting nor neutralising
        units = {label: self._row([label]).removesuffix("\r\n") for label in set(matcher.labels)}
        self.suffix = [f",{units[label]},{prefix}\r\n" for label, prefix in zip(matcher.labels, matcher.prefixes, strict=True)]

    def _row(self, cells):
        self._buffer.seek(0)
        self._buffer.truncate()
        self._csv.writerow([self._neutralise(c) for c in cells])
        return self._buffer.getvalue()

    def write(self, ips, positions, index, careful):
        """``positions``: matched rows of the batch (sorted); ``careful``: positions whose IP text is not a
        plain address token (``MatchResult.careful``): quoted and neutralised one by one."""
        import operator

        import numpy as np

        texts = list(map(ips.__getitem__, positions.tolist()))
        if careful:
            careful = np.asarray(careful, dtype=positions.dtype)
            at = np.searchsorted(positions, careful).clip(max=len(positions) - 1)
            for k in at[positions[at] == careful].tolist():
                texts[k] = self._row([texts[k]]).removesuffix("\r\n")
        try:
            self.fh.write("".join(map(operator.add, texts, map(self.suffix.__getitem__, index.tolist()))))
        except OSError as exc:
            raise _WriteError(exc.strerror or str(exc)) from None

    def close_part(self):
        """For a worker's part: close it and hand over its path."""
        self.fh.close()
        return self.tmp

    def append(self, part):
        import os
        import shutil

        try:
            self.fh.flush()
            with open(part, "rb") as src:
                shutil.copyfileobj(src, self.fh.buffer, 1 << 20)
        except OSError as exc:
            raise _WriteError(exc.strerror or str(exc)) from None
        finally:
            os.unlink(part)

    def commit(self):
        import os

        try:
            self.fh.close()
            umask = os.umask(0o022)
            os.umask(umask)
            os.chmod(self.tmp, 0o666 & ~umask)  # as open() would create it (mkstemp makes 0600)
            os.replace(self.tmp, self.path)
        except OSError as exc:
            raise _WriteError(exc.strerror or str(exc)) from None

    def abort(self):
        import contextlib
        import os

        with contextlib.suppress(OSError):
            self.fh.close()
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)


class _Tally:
    """Counts of one run (or one worker's part of it)."""

    def __init__(self, size):
        import numpy as np

        self.rows = self.bad_rows = self.matched = self.bogons = 0
        self.counts = np.zeros(size, dtype=np.int64)
        self.bad_shown = []
        self.clock = {"parse": 0.0, "match": 0.0, "write": 0.0}

    def merge(self, other):
        self.rows += other.rows
        self.bad_rows += other.bad_rows
        self.matched += other.matched
        self.bogons += other.bogons
        self.counts += other.counts
        self.bad_shown = (self.bad_shown + other.bad_shown)[:BAD_ROWS_SHOWN]
        for key, value in other.clock.items():
            self.clock[key] += value


def _renumber(reason, line, real):
    """A parser's reason names the line it saw ("Row 7: …"); a worker saw its part with the lines
    before it left out: put the real number in."""
    import re

    return re.sub(rf"(?<!\d){line}(?!\d)", str(real), str(reason), count=1) if line != real else reason


def _consume(batches, matcher, tally, writer, offset=0):
    """Parse → match → write, batch by batch. ``offset``: added to the line numbers a worker sees."""
    import numpy as np

    batches = iter(batches)
    while True:
        t0 = time.perf_counter()
        batch = next(batches, None)
        t1 = time.perf_counter()
        tally.clock["parse"] += t1 - t0
        if batch is None:
            return
        size = len(batch)
        tally.rows += size + len(batch.bad)
        tally.bad_rows += len(batch.bad)
        room = BAD_ROWS_SHOWN - len(tally.bad_shown)
        if room > 0:
            tally.bad_shown += [(line + offset, _renumber(reason, line, line + offset))
                                for line, reason in batch.bad[:room]]
        if not size:
            continue
        result = matcher.classify(batch.ip)
        index = result.index
        hit = index >= 0
        positions = np.flatnonzero(hit)
        hit_index = index[positions]
        tally.counts += np.bincount(hit_index, minlength=len(matcher))
        tally.matched += len(positions)
        tally.bogons += int((result.bogon & ~hit).sum())  # reported, not matched
        tally.bad_rows += len(result.bad)
        room = BAD_ROWS_SHOWN - len(tally.bad_shown)
        if room > 0:
            tally.bad_shown += [(batch.line[i] + offset, reason) for i, reason in result.bad[:room]]
        t2 = time.perf_counter()
        tally.clock["match"] += t2 - t1
        if writer is not None and len(positions):
            writer.write(batch.ip, positions, hit_index, result.careful)
            tally.clock["write"] += time.perf_counter() - t2


# --- parallel parts ----------------------------------------------------------------------------------------------

SPLIT_FORMATS = {"shadowserver": 1, "plain": 0}  # line-oriented formats → lines of header a part needs
SPLIT_MIN_BYTES = 32 << 20
_SCAN_BLOCK = 8 << 20


class _Part:
    """Bytes ``start``..``end`` of the feed, read after ``prefix`` (the header line); a worker's line ``n``
    is line ``n + offset`` of the file."""

    def __init__(self, path, start, end, prefix=b"", offset=0):
        self.path, self.start, self.end, self.prefix, self.offset = path, start, end, prefix, offset

    def stream(self):
        return io.BufferedReader(_RangeReader(self.path, self.start, self.end, self.prefix), 1 << 20)


class _RangeReader(io.RawIOBase):
    """``prefix`` then bytes ``start``..``end`` of a file, as a raw binary stream."""

    def __init__(self, path, start, end, prefix):
        self._fh = open(path, "rb")  # noqa: SIM115 — closed with the reader
        self._fh.seek(start)
        self._left = end - start
        self._prefix = memoryview(prefix)

    def readable(self):
        return True

    def readinto(self, buffer):
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        if self._left <= 0:
            return 0
        n = self._fh.readinto(memoryview(buffer)[: min(len(buffer), self._left)])
        self._left -= n
        return n

    def close(self):
        self._fh.close()
        super().close()


def _split(path, format, jobs):
    """The feed cut into ``jobs`` parts at line ends, or None to read it in one piece: only for the
    line-oriented formats (``SPLIT_FORMATS``) in UTF-8 (or ASCII) of at least ``SPLIT_MIN_BYTES``. A cut
    is never inside a quoted field (an even number of ``"`` before it), and a file with a lone CR line
    end is not cut (line numbers are counted on LF)."""
    import os

    if jobs < 2 or format not in SPLIT_FORMATS:
        return None
    try:
        size = os.path.getsize(path)
        fh = open(path, "rb")  # noqa: SIM115 — closed below
    except OSError:
        return None
    with fh:
        from lachan.core.tabular import TabularError, detect_encoding

        head = fh.read(1 << 16)
        try:
            if size < SPLIT_MIN_BYTES or detect_encoding(head, partial=True) not in ("utf-8", "utf-8-sig"):
                return None
        except TabularError:
            return None
        bom = 3 if head.startswith(b"\xef\xbb\xbf") else 0
        header_lines = SPLIT_FORMATS[format]
        data_start = bom
        for _ in range(header_lines):
            end_of_line = head.find(b"\n", data_start)
            if end_of_line < 0:
                return None
            data_start = end_of_line + 1
        quoted = format != "plain"
        scan = _Scan(fh, quotes=quoted)
        try:
            cuts = []
            for k in range(1, jobs):
                cut = scan.line_end_after(max(data_start + (size - data_start) * k // jobs, scan.position))
                while quoted and cut is not None and cut < size and scan.quotes_before(cut) % 2:
                    cut = scan.line_end_after(cut)  # inside a quoted field that goes on over lines
                if cut is None or cut >= size:
                    break
                cuts.append((cut, scan.newlines_before(cut)))
                if scan.lone_cr:
                    return None
        finally:
            scan.close()
        if not cuts:
            return None
    prefix = head[bom:data_start]
    parts = [_Part(path, 0, cuts[0][0])]
    for (start, lines_before), (end, _lines) in zip(cuts, [*cuts[1:], (size, 0)], strict=True):
        parts.append(_Part(path, start, end, prefix, lines_before - header_lines))
    return parts


class _Scan:
    """Counts newlines (and quotes) from the start of a file up to a position, forward only, with numpy
    over a memory map (about 0.1 s for 128 MB), plus whether a lone CR line end was seen."""

    def __init__(self, fh, *, quotes=True):
        import mmap

        import numpy as np

        self.fh = fh
        self.map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        self.bytes = np.frombuffer(self.map, dtype=np.uint8)
        self.count_quotes = quotes
        self.position = self.newlines = self.quotes = 0
        self.lone_cr = False

    def close(self):
        del self.bytes
        self.map.close()

    def _advance(self, to):
        import numpy as np

        while self.position < to:
            end = min(self.position + _SCAN_BLOCK, to)
            block = self.bytes[self.position:end]
            self.newlines += int(np.count_nonzero(block == 10))
            if self.count_quotes:
                self.quotes += int(np.count_nonzero(block == 34))
            if self.map.find(b"\r", self.position, end) >= 0:
                window = self.bytes[self.position:min(end + 1, len(self.bytes))]
                crlf = np.count_nonzero((window[:-1] == 13) & (window[1:] == 10))
                self.lone_cr |= bool(np.count_nonzero(window[:end - self.position] == 13) != crlf)
            self.position = end

    def newlines_before(self, position):
        self._advance(position)
        return self.newlines

    def quotes_before(self, position):
        self._advance(position)
        return self.quotes

    def line_end_after(self, position):
        """The position just after the first LF at or after ``position`` (None at the end of the file)."""
        found = self.map.find(b"\n", position)
        return None if found < 0 else found + 1


def _work(conn, part, format, matcher, out):
    """A worker process: parse, match and write one part; send back ("ok", tally, part file) or
    ("error", message)."""
    from lachan.intel import parsers

    writer = None
    try:
        tally = _Tally(len(matcher))
        writer = _MatchWriter(out, matcher, header=False) if out else None
        stream = part.stream()
        try:
            _consume(parsers.parse(stream, format=format, encoding="utf-8"), matcher, tally, writer, part.offset)
        finally:
            stream.close()
        conn.send(("ok", tally, writer.close_part() if writer else None))
    except BaseException as exc:  # everything goes back to the main process, which reads the file again
        if writer is not None:
            writer.abort()
        conn.send(("error", f"{type(exc).__name__}: {exc}", None))
    finally:
        conn.close()


def _parallel(parts, format, matcher, writer, tally, out):
    """The first part here, the others in forked worker processes (copy-on-write: the matcher is not
    copied); their counts and MATCHES parts are merged in file order. False when a worker failed (the
    caller then reads the whole file in one piece, so every message is the sequential one)."""
    import multiprocessing

    from lachan.intel import parsers

    context = multiprocessing.get_context("fork")
    sys.stdout.flush()  # nothing buffered may be written twice
    sys.stderr.flush()
    workers = []
    for part in parts[1:]:
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_work, args=(send, part, format, matcher, out), daemon=True)
        process.start()
        send.close()
        workers.append((process, receive))
    try:
        stream = parts[0].stream()
        try:
            _consume(parsers.parse(stream, format=format), matcher, tally, writer)
        finally:
            stream.close()
        results = []
        for process, receive in workers:
            try:
                results.append(receive.recv())
            except EOFError:
                results.append(("error", "worker ended without a result", None))
            process.join()
    except BaseException:
        for process, _receive in workers:
            process.kill()
            process.join()
        raise
    if any(status != "ok" for status, _tally, _part in results):
        for status, _tally, part_file in results:
            if status == "ok" and part_file:
                import contextlib
                import os

                with contextlib.suppress(OSError):
                    os.unlink(part_file)
        return False
    for _status, other, part_file in results:
        tally.merge(other)
        if part_file:
            t0 = time.perf_counter()
            writer.append(part_file)
            tally.clock["write"] += time.perf_counter() - t0
    return True


def run_match(command, *, file, prefixes, format=None, json=False, out=None, jobs=None, timings=False, **_options):
    started = time.perf_counter()
    import os

    import numpy as np

    from lachan.intel import parsers
    from lachan.intel.matching import PrefixError, PrefixMatcher

    imported = time.perf_counter()
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

    tally = _Tally(len(matcher))
    try:
        writer = _MatchWriter(out, matcher) if out else None
    except OSError as exc:
        raise CommandError(_("Cannot write %(path)s: %(error)s") % {"path": out, "error": exc.strerror or exc}) from None
    parallel = None
    try:
        try:
            parts = None
            if (jobs is None or jobs > 1) and os.path.isfile(file):
                detected = format
                if detected is None:
                    with open(file, "rb") as fh:
                        detected = parsers.detect(fh.read(1 << 16), os.fspath(file))
                parts = _split(file, detected, jobs or min(os.cpu_count() or 1, 4))
            if parts:
                t0 = time.perf_counter()
                if _parallel(parts, detected, matcher, writer, tally, out):
                    parallel = (len(parts), time.perf_counter() - t0)
                else:  # a worker failed: read the whole file again in one piece, for the exact messages
                    tally = _Tally(len(matcher))
                    if writer is not None:
                        writer.abort()
                        writer = _MatchWriter(out, matcher)
                    parts = None
            if not parts:
                _consume(parsers.parse(file, format=format), matcher, tally, writer)
        except parsers.ParseError as exc:
            raise CommandError(_("%(path)s: %(error)s") % {"path": file, "error": exc}) from None
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": file, "error": exc.strerror or exc}) from None
        if writer is not None:
            t0 = time.perf_counter()
            writer.commit()
            tally.clock["write"] += time.perf_counter() - t0
    except _WriteError as exc:
        if writer is not None:
            writer.abort()
        raise CommandError(_("Cannot write %(path)s: %(error)s") % {"path": out, "error": exc}) from None
    except BaseException:
        if writer is not None:
            writer.abort()
        raise

    by_unit = {}
    for i in np.flatnonzero(tally.counts).tolist():
        unit = matcher.label(i)
        by_unit[unit] = by_unit.get(unit, 0) + int(tally.counts[i])
    by_unit = dict(sorted(by_unit.items(), key=lambda kv: (-kv[1], kv[0])))
    summary = {"rows": tally.rows, "bad_rows": tally.bad_rows, "matched": tally.matched,
               "unmatched": tally.rows - tally.bad_rows - tally.matched, "by_unit": by_unit}
    if json:
        command.stdout.write(jsonlib.dumps(summary, ensure_ascii=False))
    else:
        _print_summary(command, summary, bogons=tally.bogons, bad_shown=tally.bad_shown, out=out,
                       prefixes=len(matcher))
    if timings:
        clock = {"imports": imported - started, "prefixes": loaded - imported, **tally.clock,
                 "jobs": parallel[0] if parallel else 1, "parallel": parallel[1] if parallel else 0.0,
                 "total": time.perf_counter() - started}
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
    from django.db import transaction

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
    try:
        with transaction.atomic():  # a new feed and its first import: both or nothing
            if dry_run:
                feed = Feed.objects.filter(name=source).first() or Feed(name=source)
            else:
                feed = services.feed_for_name(source, by=user)
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


class Command(SubcommandCommand):
    subcommands = SUBCOMMANDS
    help = ("Botnet and IoC feeds. 'feeds match --prefixes PREFIXES.csv FILE [--format F] [--json] "
            "[--out MATCHES.csv]': which unit owns each IP of a feed, from a prefix,unit list, without the database.")
    requires_system_checks = []  # feeds match never touches the database; checks could
    requires_migrations_checks = False

