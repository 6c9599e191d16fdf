"""Any table with a header row: CSV (``,`` or ``;``), TSV, XLSX — the lists authorities send.

Columns are found by their header, without regard to case, diacritics or punctuation ("Địa chỉ IP",
"dia chi ip", "IP_ADDRESS" …): see ``ALIASES``; failing an exact alias, a header that contains a telling
word ("ip", "thời gian", "mã độc", "botnet", "cổng", …) is used. Title rows above the header are skipped
(the header is the first of the first ``HEADER_ROWS`` rows that has an IP column). An explicit
``mapping`` — ``{"ip": "Column A", "family": "Loại", "seen": 3}`` (a header text, or a 0-based column
index) — takes precedence; roles it leaves out are still found by alias. Roles: ``ip``, ``seen``,
``family``, ``port``, ``protocol``, ``asn``, ``destination``, ``destination_port``.

Dates written dd/mm/yyyy (day first, as in Vietnam) and Excel date cells are read in ``source_tz``
(UTC unless given: pass "Asia/Ho_Chi_Minh" for Vietnamese lists). The IP column may hold networks
("203.0.113.0/24", see ``plain``). A formula in a mapped cell makes the row bad. In a workbook, every sheet
with a recognisable header is read; a sheet that has content but no header is reported, never skipped
silently.
"""

import csv
import datetime
import re
import unicodedata

from django.utils.translation import gettext as _

from lachan.core import tabular

from .base import (
    Batches,
    Clock,
    CsvRecords,
    Invalid,
    Memo,
    ParseError,
    RowError,
    asn_value,
    bad_value,
    canonical_ip,
    canonical_ip_or_network,
    check,
    endpoint,
    is_formula,
    no_ip,
    port_value,
    protocol_value,
    text_value,
)

NAME = "generic"
HEADER_ROWS = 30
ROLES = ("ip", "seen", "family", "port", "protocol", "asn", "destination", "destination_port")
_ROLE_SYNONYMS = {"time": "seen", "timestamp": "seen", "malware": "family", "dst": "destination",
                  "c2": "destination", "dst_port": "destination_port"}


def key(text):
    """Header text for comparison: no diacritics (đ → d), lower case, words separated by one space."""
    text = str(text or "").replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9&]+", " ", text).strip()


ALIASES = {
    "ip": ["ip", "dia chi ip", "ip address", "ipaddress", "ip addr", "src ip", "source ip", "sourceip", "ip nguon",
           "dia chi ip nguon", "ip bi nhiem", "dia chi ip bi nhiem", "ip nhiem ma doc", "ipv4", "ipv6",
           "ip v4", "host ip", "infected ip", "bot ip", "so ip", "ip may bi nhiem"],
    "seen": ["thoi gian", "ngay phat hien", "thoi gian phat hien", "ngay", "thoi diem", "ngay gio", "thoi gian ghi nhan",
             "ngay ghi nhan", "lan cuoi", "thoi gian cuoi", "timestamp", "time", "date", "datetime", "first seen",
             "last seen", "seen", "ngay gio phat hien", "time seen", "thoi gian ket noi"],
    "family": ["ten ma doc", "loai ma doc", "ma doc", "botnet", "ten botnet", "loai botnet", "mang botnet",
               "ten mang botnet", "dong ma doc", "ho ma doc", "malware", "malware family", "family", "infection",
               "threat", "tag", "bot name", "botname"],
    "port": ["cong", "port", "src port", "source port", "cong nguon", "cong ket noi"],
    "protocol": ["giao thuc", "protocol", "transport", "giao thuc ket noi"],
    "asn": ["asn", "as", "so hieu mang", "as number", "so hieu as", "src asn", "asn nguon", "so hieu mang as"],
    "destination": ["may chu c&c", "may chu c c", "may chu cc", "may chu c2", "may chu dieu khien", "dia chi dich",
                    "ip dich", "c&c", "c c", "cc", "c2", "cnc", "c&c server", "destination", "dst ip", "destination ip",
                    "dia chi c&c", "ip c&c", "ten mien c&c", "dia chi may chu c&c", "may chu", "c&c ip", "ip may chu c&c"],
    "destination_port": ["cong dich", "dst port", "destination port", "cong c&c", "cong may chu", "cong may chu c&c"],
}
_ALIAS_ROLE = {alias: role for role, aliases in ALIASES.items() for alias in aliases}
_DESTINATION_WORDS = ("dich", "dst", "destination", "c&c", "c c", "cc", "c2", "cnc", "may chu", "server", "dieu khien")
_CONTAINS = [
    ("destination_port", lambda k: ("cong" in k.split() or "port" in k.split()) and _destinationish(k)),
    ("destination", lambda k: _destinationish(k)),
    ("ip", lambda k: "ip" in k.split()),
    ("seen", lambda k: any(w in k for w in ("thoi gian", "ngay", "time", "date"))),
    ("family", lambda k: any(w in k for w in ("ma doc", "botnet", "malware", "family", "infection"))),
    ("port", lambda k: "cong" in k.split() or "port" in k.split()),
    ("protocol", lambda k: "giao thuc" in k or "protocol" in k),
    ("asn", lambda k: "asn" in k.split() or "so hieu" in k),
]


def _destinationish(k):
    words = k.split()
    return any((w in words) if " " not in w else (w in k) for w in _DESTINATION_WORDS)


def auto_map(cells):
    """Header cells → {role: column index} by alias, then by telling words."""
    keys = [key(c) for c in cells]
    found = {}
    for i, k in enumerate(keys):
        role = _ALIAS_ROLE.get(k)
        if role and role not in found:
            found[role] = i
    taken = set(found.values())
    for role, test in _CONTAINS:
        if role in found:
            continue
        for i, k in enumerate(keys):
            if i not in taken and k and test(k):
                found[role] = i
                taken.add(i)
                break
    return found


def header_columns(cells):
    """{role: column} when ``cells`` is a header row with an IP column, else None. A title row ("DANH SÁCH
    ĐỊA CHỈ IP …", one cell) is not a header unless its only cell is exactly an alias ("IP")."""
    texts = [tabular.cell_text(c).strip() for c in cells]
    filled = [t for t in texts if t]
    found = auto_map(texts)
    if "ip" not in found:
        return None
    if len(filled) < 2 and key(texts[found["ip"]]) not in ALIASES["ip"]:
        return None
    if any(len(t) > 80 for t in filled):
        return None
    return found


def _explicit(mapping, cells):
    """{role: column} from the user's mapping, or None when this row is not the header it names."""
    keys = [key(c) for c in cells]
    found = {}
    for role, column in mapping.items():
        if isinstance(column, int) and not isinstance(column, bool):
            if column < 0:
                raise ParseError(_("Column numbers in a mapping start at 0: %(column)s.") % {"column": column})
            found[role] = column
            continue
        wanted = key(column)
        if wanted not in keys:
            return None
        found[role] = keys.index(wanted)
    return found


def _check_mapping(mapping):
    if mapping is None:
        return None
    if not isinstance(mapping, dict) or not mapping:
        raise ParseError(_("A column mapping is a dictionary such as {\"ip\": \"Địa chỉ IP\"}."))
    out = {}
    for role, column in mapping.items():
        role = _ROLE_SYNONYMS.get(str(role).strip().lower(), str(role).strip().lower())
        if role not in ROLES:
            raise ParseError(_("Unknown field %(field)s in the column mapping; fields: %(fields)s.")
                             % {"field": role, "fields": ", ".join(ROLES)})
        if column in (None, ""):
            continue
        out[role] = column
    if "ip" not in out:
        raise ParseError(_("The column mapping must name the IP address column (\"ip\")."))
    return out


class Header:
    """Finds the header among the first rows, then converts data rows."""

    def __init__(self, mapping):
        self.mapping = mapping
        self.columns = None
        self.seen_rows = []

    def offer(self, cells):
        """True when ``cells`` is the header (columns now known)."""
        if self.mapping:
            explicit = _explicit(self.mapping, cells)
            if explicit is None:
                return False
            if all(isinstance(c, int) for c in self.mapping.values()) and _looks_like_data(cells, explicit):
                self.columns = explicit
                return None  # no header row: this row is data
            found = {role: col for role, col in auto_map(cells).items() if role not in explicit
                     and col not in explicit.values() and any(key(cells[col]) == a for a in ALIASES[role])}
            self.columns = {**found, **explicit}
            return True
        found = header_columns(cells)
        if found is not None:
            self.columns = found
            return True
        return False


def _looks_like_data(cells, columns):
    ip = columns.get("ip")
    return ip is not None and ip < len(cells) and canonical_ip_or_network(tabular.cell_text(cells[ip]).strip()) is not None


class Rows:
    """Data rows → events (shared by CSV and XLSX). Conversions are memoised: lists repeat their
    families, ports, dates and C&C servers."""

    def __init__(self, columns, options, batches):
        self.columns = columns
        self.clock = Clock(options.tz)
        self.batches = batches
        self.width = max(columns.values()) + 1
        self.ip_col = columns["ip"]
        self.others = [(role, columns[role]) for role in ROLES[1:] if role in columns]
        self.memos = {
            "family": Memo(text_value(lower=True)),
            "port": Memo(port_value),
            "protocol": Memo(protocol_value),
            "asn": Memo(asn_value),
            "destination": Memo(_destination),
            "destination_port": Memo(port_value),
        }

    def add(self, number, cells, raw, prefix=""):
        try:
            ip_cell = cells[self.ip_col] if self.ip_col < len(cells) else None
            if isinstance(ip_cell, str):
                ip_cell = ip_cell.strip()
            if not ip_cell:
                if not any(str(c).strip() for c in cells if c is not None):
                    return  # a blank row
                raise RowError(no_ip(number))
            text = ip_cell if isinstance(ip_cell, str) else tabular.cell_text(ip_cell)
            formula = next((c for c in cells if type(c) is str and c and (c[0] in _TRIGGERS or c.lstrip()[:1] in _TRIGGERS)
                            and is_formula(c)), None)
            if formula is not None:  # in any cell: the row's raw text goes into evidence and exports
                raise RowError(bad_value(number, "formula", formula.strip()))
            ip = canonical_ip_or_network(text)
            stated_port = None
            if ip is None:
                ip, stated_port = _address_and_port(text)
            if ip is None:
                what = "formula" if is_formula(text) else "network" if "/" in text else "ip"
                raise RowError(bad_value(number, what, text))
            event = {"ip": ip}
            if stated_port is not None:
                event["port"] = stated_port
            memos = self.memos
            for role, col in self.others:
                value = cells[col] if col < len(cells) else None
                if value is None or value == "":
                    continue
                if role == "seen":
                    if isinstance(value, datetime.datetime | datetime.date):
                        event["seen"] = self.clock.from_datetime(value)
                    else:
                        event["seen"] = check(self.clock(value), number)
                else:
                    event[role] = check(memos[role][value if isinstance(value, str | int | float) else str(value)],
                                        number)
            dport = event.pop("destination_port", None)
            host = event.get("destination")
            if host is not None and dport is not None and ":" not in host:
                event["destination"] = endpoint(host, dport)
        except RowError as exc:
            self.batches.bad(number, prefix + exc.reason)
            return
        self.batches.add(line=number, raw=raw, **event)


_TRIGGERS = "=+-@\t\r"


def _address_and_port(text):
    """"192.0.2.1:8080" or "[2001:db8::1]:8080" (as lists often write them) → (address, port), else (None, None)."""
    text = text.strip()
    if text.startswith("["):
        address, _bracket, port = text[1:].partition("]:")
    elif text.count(":") == 1:
        address, _colon, port = text.partition(":")
    else:
        return None, None
    ip = canonical_ip(address)
    if ip is None or not (port.isascii() and port.isdigit()) or int(port) > 65535:
        return None, None
    return ip, int(port)


def _destination(value):
    """A C&C/destination cell: text (a host, "ip:port", a URL), None when empty, Invalid for a formula."""
    text = tabular.cell_text(value).strip()
    if not text or text in ("-", "?"):
        return None
    if is_formula(text):
        return Invalid("formula", text)
    return text


def find_delimiter(lines, mapping=None):
    """The delimiter under which one of ``lines`` is a header (with an IP column, or the mapping's columns),
    or None."""
    header = Header(mapping)
    candidates = [d for d in (",", ";", "\t", "|") if any(d in line for line in lines)]
    for delimiter in sorted(candidates, key=lambda d: -max(line.count(d) for line in lines)):
        try:
            rows = list(csv.reader(lines, delimiter=delimiter, strict=False))
        except csv.Error:
            continue
        if any(row and header.offer(row) is not False for row in rows):
            return delimiter
    return None


def sniff(sample):
    if sample.xlsx:
        return True
    return find_delimiter(sample.lines[:HEADER_ROWS]) is not None


def parse(source, options):
    mapping = _check_mapping(options.mapping)
    name = source.name.lower()
    if source.head.startswith(b"PK\x03\x04") or name.endswith((".xlsx", ".xlsm")):
        yield from parse_xlsx(source, options, mapping)
    else:
        yield from parse_csv(source, options, mapping)


def _not_found(first_row):
    return ParseError(_("No column of IP addresses in the first %(rows)s rows (headers such as \"IP\" or \"Địa chỉ "
                        "IP\"); the first row is: %(row)s. Give a column mapping.")
                      % {"rows": HEADER_ROWS, "row": (first_row or "")[:200]})


def parse_csv(source, options, mapping):
    lines = source.lines(options.encoding)
    start, head = lines.chunk(HEADER_ROWS)
    if not any(line.strip() for line in head):
        raise ParseError(_("The file is empty."))
    delimiter = find_delimiter(head, mapping) or tabular.sniff_delimiter("\n".join(head))
    header = Header(mapping)
    batches = Batches(options.batch_size)
    rows = None
    first_row = next((line for line in head if line.strip()), "")
    records = CsvRecords(_replayed(start, head, lines), delimiter)
    for number, raw, cells, error in records:
        if rows is None:
            if cells is None or not any(c.strip() for c in cells):
                continue
            if number - start >= HEADER_ROWS:
                break
            state = header.offer(cells)
            if state is False:
                continue
            rows = Rows(header.columns, options, batches)
            records.width = max(len(cells), rows.width)
            if state is None:
                rows.add(number, cells, raw)
            continue
        if cells is None:
            batches.bad(number, _("Row %(row)s cannot be read as CSV: %(error)s") % {"row": number, "error": error})
        else:
            rows.add(number, cells, raw)
        if batches.full():
            yield batches.take()
    if rows is None:
        if mapping:
            raise ParseError(_("The columns of the mapping (%(columns)s) are not in the first %(rows)s rows; the first "
                               "row is: %(row)s") % {"columns": ", ".join(str(c) for c in mapping.values()),
                                                     "rows": HEADER_ROWS, "row": first_row[:200]})
        raise _not_found(first_row)
    rest = batches.rest()
    if rest is not None:
        yield rest


def _replayed(start, head, lines):
    """The lines already read for the header search, then the rest of the reader, numbered."""
    yield from enumerate(head, start)
    yield from lines


def parse_xlsx(source, options, mapping):
    batches = Batches(options.batch_size)
    found_any = False
    first_row = ""
    try:
        for index, (title, sheet_rows) in enumerate(tabular.iter_xlsx(source.seekable_binary(),
                                                                       max_expanded=_xlsx_limit(source))):
            prefix = "" if index == 0 else f"{title}: "
            header = Header(mapping)
            rows = None
            content = False
            for number, values in sheet_rows:
                cells = list(values)
                while cells and (cells[-1] is None or (isinstance(cells[-1], str) and not cells[-1].strip())):
                    cells.pop()
                if not cells:
                    continue
                content = True
                text_cells = [tabular.normalise_text(tabular.cell_text(c)) for c in cells]
                raw = _join(text_cells)
                if rows is None:
                    first_row = first_row or raw
                    if number > HEADER_ROWS:
                        break
                    state = header.offer(text_cells)
                    if state is False:
                        continue
                    rows = Rows(header.columns, options, batches)
                    found_any = True
                    if state is None:
                        rows.add(number, _cells(cells), raw, prefix)
                    continue
                rows.add(number, _cells(cells), raw, prefix)
                if batches.full():
                    yield batches.take()
            if rows is None and content:
                batches.bad(0, _("Sheet %(sheet)s: no column of IP addresses found in its first %(rows)s rows; "
                                 "the sheet was not read.") % {"sheet": title, "rows": HEADER_ROWS})
    except tabular.TabularError as exc:
        raise ParseError(str(exc)) from None
    if not found_any:
        raise _not_found(first_row)
    rest = batches.rest()
    if rest is not None:
        yield rest


def _xlsx_limit(source):
    from django.conf import settings

    size = 0
    if source.seekable:
        try:
            position = source.stream.tell()
            source.stream.seek(0, 2)
            size = source.stream.tell()
            source.stream.seek(position)
        except OSError:
            size = 0
    return max(20 * settings.UPLOAD_MAX_BYTES, 40 * size)


def _cells(values):
    """Cell values for conversion: text NFC-normalised, numbers and dates kept."""
    return [tabular.normalise_text(v) if isinstance(v, str) else v for v in values]


def _join(cells):
    out = []
    for cell in cells:
        if any(c in cell for c in ',"\n\r'):
            cell = '"' + cell.replace('"', '""') + '"'
        out.append(cell)
    return ",".join(out)
