"""Bulk import: the machinery every importer shares.

An importer declares its columns (canonical name plus header aliases, matched without regard to
case, diacritics or punctuation, so "Mã đơn vị", "MA DON VI" and "unit_code" may all be the same
column). Running it:

1. reads the file (``core.tabular``: CSV/XLSX, encodings, size and row limits);
2. finds the header row and names the missing required columns;
3. validates every row: cell level first (formulas are rejected), then the importer's rules —
   the UI's ModelForm wherever there is one — collecting ``RowIssue``s that give the row number
   and column as the user sees them in the file;
4. only if no row has an error and it is not a dry run, writes every row in one transaction, with
   ``.save()`` so that the audit log records each object.

Rows are matched to existing objects by natural key; a row that changes nothing is counted as
unchanged and not saved, so importing the same file twice writes nothing the second time.
A user given to an importer limits it to the user's scope; without one (the CLI) it acts as a
coordinator.
"""

import datetime
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import DatabaseError, models, transaction
from django.forms.models import model_to_dict
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _

from lachan.core import tabular
from lachan.core.audit import acting_as
from lachan.core.scope import CHANGE

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
_COUNT_NAMES = {CREATE: "created", UPDATE: "updated", UNCHANGED: "unchanged"}
MAX_REPORTED_ISSUES = 500
HEADER_SEARCH_ROWS = 10


# --- text keys ---------------------------------------------------------------------------------------

def ascii_fold(text):
    """"Đơn vị Hải Phòng" → "Don vi Hai Phong"."""
    text = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c))


def text_key(text):
    """Case-, diacritic- and spacing-insensitive key of a name: "Sở  Y tế" → "so y te"."""
    return " ".join(re.findall(r"[a-z0-9]+", ascii_fold(text).casefold()))


def header_key(text):
    """Key of a header cell; notes in brackets and required-marks are ignored: "Mã đơn vị (*)" → "madonvi"."""
    text = re.sub(r"\(.*?\)|\[.*?\]|\*", " ", str(text))
    return text_key(text).replace(" ", "")


# --- value parsers (text of a cell → value for the form; ``None`` = keep the current value) ---------------

def parse_date(text):
    if not text:
        return ""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(_("Not a date: %(value)s (write dd/mm/yyyy or yyyy-mm-dd).") % {"value": text})


def parse_bool(text):
    if not text:
        return None
    key = text_key(text)
    if key in {"1", "true", "yes", "y", "x", "co", "dung", "on"}:
        return True
    if key in {"0", "false", "no", "n", "khong", "sai", "off"}:
        return False
    raise ValidationError(_("Not a yes/no value: %(value)s (write 1 or 0).") % {"value": text})


def choice_parser(choices):
    """Accepts the stored value or the label (English or Vietnamese) of one of ``choices``."""

    def parse(text):
        if not text:
            return None
        key = text_key(text)
        for value, label in choices:
            labels = {text_key(value), text_key(label)}
            for language in ("vi", "en"):
                with translation.override(language):
                    labels.add(text_key(label))
            if key in labels:
                return value
        raise ValidationError(_("“%(value)s” is not one of: %(choices)s.")
                              % {"value": text, "choices": ", ".join(str(v) for v, _label in choices)})

    return parse


def parse_security_level(text):
    if not text:
        return ""
    match = re.fullmatch(r"(?:cap|level|muc|cap do)?\s*0*([1-5])", text_key(text))
    if match is None:
        raise ValidationError(_("The security level must be a number from 1 to 5 (found %(value)s).") % {"value": text})
    return int(match.group(1))


# --- declarations and results ------------------------------------------------------------------------

class Column:
    """One column of an import/export table.

    ``field``: the form/model field it feeds (default: ``name``); ``ref``: resolved by the importer
    (unit codes, names of related objects) instead of parsed; ``parse``: text → form value;
    ``export``: object → cell value."""

    def __init__(self, name, *aliases, required=False, field=None, ref=False, parse=None, export=None):
        self.name = name
        self.aliases = aliases
        self.required = required
        self.field = field or name
        self.ref = ref
        self.parse = parse
        self.export = export

    def header_keys(self):
        return {header_key(self.name), *(header_key(a) for a in self.aliases)}

    def export_value(self, obj):
        if self.export is not None:
            return self.export(obj)
        value = getattr(obj, self.field, "")
        if isinstance(value, models.Model):
            return str(value)
        return value

    def __repr__(self):
        return f"<Column {self.name}>"


@dataclass
class RowIssue:
    """An error or warning about a row (``row`` as the user sees it; ``None``: about the whole file)."""

    row: int | None
    column: str
    message: str
    sheet: str = ""

    def location(self):
        parts = []
        if self.sheet:
            parts.append(_("sheet “%(sheet)s”") % {"sheet": self.sheet})
        if self.row is not None:
            parts.append(_("row %(row)s") % {"row": self.row})
        if self.column:
            parts.append(_("column %(column)s") % {"column": self.column})
        text = ", ".join(parts)
        return text[:1].upper() + text[1:]

    def __str__(self):
        location = self.location()
        return f"{location}: {self.message}" if location else self.message

    def as_dict(self):
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    dry_run: bool = False
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # kind → Counter(created=…, updated=…, unchanged=…)
    labels: dict = field(default_factory=dict)  # kind → what users call it ("information systems")
    error_count: int = 0
    warning_count: int = 0
    written: bool = False

    @property
    def ok(self):
        return self.error_count == 0

    def add_error(self, issue):
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ISSUES:
            self.errors.append(issue)

    def add_warning(self, issue):
        self.warning_count += 1
        if len(self.warnings) < MAX_REPORTED_ISSUES:
            self.warnings.append(issue)

    def fail(self, message):
        self.add_error(RowIssue(None, "", str(message)))
        return self

    def count(self, kind, action, label=None):
        self.counts.setdefault(kind, Counter())[_COUNT_NAMES[action]] += 1
        if label is not None:
            self.labels[kind] = label

    @property
    def count_rows(self):
        """``[(label, Counter), …]`` for display."""
        return [(self.labels.get(kind, kind), counter) for kind, counter in self.counts.items()]

    def _total(self, name):
        return sum(counter[name] for counter in self.counts.values())

    @property
    def created(self):
        return self._total("created")

    @property
    def updated(self):
        return self._total("updated")

    @property
    def unchanged(self):
        return self._total("unchanged")

    @property
    def hidden_errors(self):
        return self.error_count - len(self.errors)

    def summary(self):
        numbers = {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}
        if not self.ok:
            return _("Nothing was imported: %(count)s error(s) found. Correct the file and import it again.") % {
                "count": self.error_count}
        if not self.written:
            return _("Check passed, nothing was written: %(created)s to create, %(updated)s to update, "
                     "%(unchanged)s unchanged.") % numbers
        return _("Imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % numbers

    def as_dict(self):
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "written": self.written,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "counts": {kind: dict(counter) for kind, counter in self.counts.items()},
            "error_count": self.error_count,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
            "notes": list(self.notes),
            "summary": self.summary(),
        }


@dataclass(eq=False)
class PlannedRow:
    """A validated row waiting to be written. ``refs``: attributes to point at objects that other
    rows of the same import create (assigned once those are saved)."""

    row: int
    action: str
    obj: object
    refs: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    sheet: str = ""

    @property
    def target(self):
        """The object a reference to this row points at (saved or existing), or None before it is written."""
        return self.obj if self.obj is not None and self.obj.pk else None


class RowFailure(Exception):
    def __init__(self, issue):
        super().__init__(str(issue))
        self.issue = issue


@dataclass
class HeaderMap:
    row: int
    position: int  # index in sheet.rows
    columns: dict  # cell index → Column
    labels: dict  # column name → header text as written in the file
    missing: list
    unknown: list
    duplicates: list


class ImportContext:
    """State shared by the importers of one run: the result, the current sheet and header, in-file
    references (``pending``), natural keys already seen (duplicates) and caches."""

    def __init__(self, user, result):
        self.user = user
        self.result = result
        self.sheet = ""
        self.labels = {}
        self.pending = {}
        self.seen = {}
        self.cache = {}

    def begin_sheet(self, sheet, header, *, show_name):
        self.sheet = sheet.name if show_name else ""
        self.labels = header.labels if header else {}

    def label(self, column):
        return self.labels.get(column, column) if column else ""

    def error(self, row, column, message):
        self.result.add_error(RowIssue(row, self.label(column), str(message), self.sheet))

    def warn(self, row, column, message):
        self.result.add_warning(RowIssue(row, self.label(column), str(message), self.sheet))


def cli_user():
    """The user the CLI acts as: an unsaved coordinator, so that forms and ``restrict()`` limit nothing."""
    from lachan.accounts.choices import Role
    from lachan.accounts.models import User

    return User(username="lachan-cli", role=Role.COORDINATOR, is_superuser=True, is_active=True)


def _messages(exc):
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


# --- the importer base -------------------------------------------------------------------------------

class Importer:
    kind = ""  # machine name used in counts and on the command line: "units", "hosts", …
    model = None
    columns = ()
    sheet_names = ()  # sheet titles recognised in a workbook; the first is used when exporting
    file_stem = ""  # exports are named <file_stem>-<yyyy-mm-dd>.<csv|xlsx>

    def __init__(self, user=None, *, actor=None):
        self.restricted = user is not None
        self.user = user if user is not None else cli_user()
        self.actor = actor if actor is not None else (user if getattr(user, "pk", None) else None)
        self._by_key = {key: column for column in self.columns for key in column.header_keys()}

    @classmethod
    def title(cls):
        return cls.sheet_names[0] if cls.sheet_names else cls.kind

    @classmethod
    def required_columns(cls):
        return [c for c in cls.columns if c.required]

    @classmethod
    def export_queryset(cls, queryset):
        """The queryset an export of this importer's columns reads (add select_related here)."""
        return queryset

    # entry points -------------------------------------------------------------------------------------

    def run_upload(self, upload, *, dry_run=False, encoding=None):
        """An uploaded file (Django ``UploadedFile``) from the import view."""
        if upload.size > settings.UPLOAD_MAX_BYTES:
            return ImportResult(dry_run=dry_run).fail(_too_large(upload.size))
        return self.run_bytes(upload.read(), upload.name, dry_run=dry_run, encoding=encoding)

    def run_path(self, path, *, dry_run=False, encoding=None):
        path = Path(path)
        try:
            size = path.stat().st_size
            if size > settings.UPLOAD_MAX_BYTES:
                return ImportResult(dry_run=dry_run).fail(_too_large(size))
            data = path.read_bytes()
        except OSError as exc:
            return ImportResult(dry_run=dry_run).fail(_("Cannot read %(path)s: %(error)s") % {
                "path": path, "error": exc.strerror or exc})
        return self.run_bytes(data, path.name, dry_run=dry_run, encoding=encoding)

    def run_bytes(self, data, filename="", *, dry_run=False, encoding=None):
        result = ImportResult(dry_run=dry_run)
        if len(data) > settings.UPLOAD_MAX_BYTES:
            return result.fail(_too_large(len(data)))
        try:
            sheets = self.read(data, filename, encoding)
        except tabular.TabularError as exc:
            return result.fail(exc)
        return self.run_sheets(sheets, dry_run=dry_run, result=result)

    def read(self, data, filename, encoding):
        return tabular.read_table(data, filename, encoding=encoding, max_rows=settings.IMPORT_MAX_ROWS)

    def run_sheets(self, sheets, *, dry_run=False, result=None):
        result = result or ImportResult(dry_run=dry_run)
        ctx = ImportContext(self.user, result)
        steps = self.prepare(sheets, ctx)
        if not result.ok or dry_run:
            return result
        try:
            with acting_as(self.actor), transaction.atomic():
                for importer, plan in steps:
                    importer.write(plan, ctx)
        except RowFailure as exc:
            result.add_error(exc.issue)
        except DatabaseError as exc:
            result.fail(_("The database refused the import, nothing was written: %(error)s") % {"error": exc})
        else:
            result.written = True
        return result

    # planning -----------------------------------------------------------------------------------------

    def prepare(self, sheets, ctx):
        """Validate; return ``[(importer, plan), …]`` in the order to write them."""
        sheet = self.choose_sheet(sheets)
        return [(self, self.plan_sheet(sheet, ctx, show_name=len(sheets) > 1))]

    def matches_sheet_name(self, name):
        key = header_key(name)
        return any(header_key(n) == key for n in (self.kind, *self.sheet_names))

    def choose_sheet(self, sheets):
        """The sheet named for this importer, else the first whose header has the required columns, else the first."""
        for sheet in sheets:
            if self.matches_sheet_name(sheet.name):
                return sheet
        for sheet in sheets:
            header = self.find_header(sheet)
            if header is not None and not header.missing:
                return sheet
        return sheets[0]

    def map_header(self, number, position, cells):
        columns, labels, unknown, duplicates = {}, {}, [], []
        for index, cell in enumerate(cells):
            text = cell.strip()
            if not text:
                continue
            column = self._by_key.get(header_key(text))
            if column is None:
                unknown.append(text)
            elif column.name in labels:
                duplicates.append(text)
            else:
                columns[index] = column
                labels[column.name] = text
        missing = [c for c in self.columns if c.required and c.name not in labels]
        return HeaderMap(number, position, columns, labels, missing, unknown, duplicates)

    def find_header(self, sheet):
        """The first of the first rows that holds every required column (title rows above it are
        allowed), else the row naming the most columns. None for an empty sheet."""
        best = None
        for position, (number, cells) in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
            header = self.map_header(number, position, cells)
            if not header.missing and header.columns:
                return header
            if best is None or len(header.columns) > len(best.columns):
                best = header
        return best

    def plan_sheet(self, sheet, ctx, *, show_name=False):
        header = self.find_header(sheet)
        ctx.begin_sheet(sheet, header, show_name=show_name)
        if header is None:
            ctx.error(None, "", _("The sheet is empty."))
            return []
        if header.missing or not header.columns:
            names = ", ".join(c.name for c in (header.missing or self.required_columns()))
            ctx.error(header.row, "", _("Missing required column(s): %(columns)s. The first row must hold the column "
                                        "names; accepted columns: %(accepted)s.")
                      % {"columns": names, "accepted": ", ".join(c.name for c in self.columns)})
            return []
        for text in header.duplicates:
            ctx.error(header.row, text, _("This column appears twice."))
        for text in header.unknown:
            ctx.warn(header.row, text, _("Unknown column, ignored."))
        first_error = len(ctx.result.errors)
        rows = []
        for number, cells in sheet.rows[header.position + 1:]:
            values = self.row_values(number, cells, header, ctx)
            if values is not None:
                rows.append((number, values))
        if len(sheet.rows) == header.position + 1:
            ctx.error(None, "", _("The file has a header row but no data rows."))
        plan = self.plan_rows(rows, ctx)
        ctx.result.errors[first_error:] = sorted(ctx.result.errors[first_error:], key=lambda e: e.row or 0)
        return plan

    def row_values(self, number, cells, header, ctx):
        """``{column name: text}`` of the columns present in the file; None if a cell is refused."""
        values, ok = {}, True
        for index, column in header.columns.items():
            raw = cells[index] if index < len(cells) else ""
            if tabular.is_escaped_formula(raw):
                text = tabular.unescape_cell(raw).strip()
            elif tabular.is_formula(raw):
                ctx.error(number, column.name, _("Formulas are not accepted (%(value)s): type the value itself, or "
                                                 "start the cell with an apostrophe.") % {"value": raw.strip()[:40]})
                ok = False
                continue
            else:
                text = raw.strip()
            values[column.name] = text
        return values if ok else None

    def plan_rows(self, rows, ctx):
        plan = []
        for number, values in rows:
            planned = self.plan_row(number, values, ctx)
            if planned is not None:
                plan.append(planned)
                ctx.result.count(self.kind, planned.action, self.model._meta.verbose_name_plural)
        return plan

    def plan_row(self, number, values, ctx):
        raise NotImplementedError

    # writing ------------------------------------------------------------------------------------------

    def write(self, plan, ctx):
        for planned in plan:
            if planned.action == UNCHANGED:
                continue
            for attr, ref in planned.refs.items():
                setattr(planned.obj, attr, ref.obj)
            try:
                self.save(planned)
            except ValidationError as exc:
                raise RowFailure(RowIssue(planned.row, "", _messages(exc), planned.sheet)) from None

    def save(self, planned):
        planned.obj.save()


def _too_large(size):
    return _("The file is too large (%(size)s); the limit is %(limit)s.") % {
        "size": filesizeformat(size), "limit": filesizeformat(settings.UPLOAD_MAX_BYTES)}


class ModelImporter(Importer):
    """Rows validated by the UI's ModelForm and matched to existing objects by ``key_fields``.

    Subclasses resolve reference columns in ``resolve_refs`` (unit codes, related objects by name),
    returning the object, a ``PlannedRow`` of this import, or None."""

    form_class = None
    key_fields = ()  # natural key: form field names; "unit" first for objects unique within a unit

    def parse_values(self, number, values, ctx):
        """Column texts → ``({field: value}, {fields that did not parse})``, errors reported."""
        data, failed = {}, set()
        for column in self.columns:
            if column.name not in values or column.ref:
                continue
            text = values[column.name]
            try:
                data[column.field] = column.parse(text) if column.parse else text
            except ValidationError as exc:
                ctx.error(number, column.name, _messages(exc))
                failed.add(column.field)
        return data, failed

    def resolve_refs(self, number, values, ctx):
        """``({field: object | PlannedRow | None}, {fields that could not be resolved})`` for the
        reference columns, errors reported."""
        return {}, set()

    def make_form(self, data, refs, instance=None):
        instance = instance if instance is not None else self.model()
        form_data = model_to_dict(instance, fields=self.form_class._meta.fields)
        for name, value in data.items():
            if value is None or (value == "" and self._keeps_value(name)):
                continue
            form_data[name] = value
        for name, ref in refs.items():
            target = ref.target if isinstance(ref, PlannedRow) else ref
            form_data[name] = target.pk if target is not None else None
        return self.form_class(data=form_data, instance=instance, user=self.user)

    def _keeps_value(self, name):
        """An empty cell keeps the current (or default) value of a field that cannot be blank."""
        try:
            model_field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        return not model_field.blank and model_field.has_default()

    def _key_part(self, value):
        if isinstance(value, PlannedRow):
            return ("pk", value.target.pk) if value.target is not None else ("new", id(value))
        if isinstance(value, models.Model):
            return ("pk", value.pk)
        if isinstance(value, str):
            return value.strip().casefold()
        return value

    def natural_key(self, form, refs):
        """The key of a validated form, or None if a key field is invalid. A key field refused only
        because the value already exists still gives its key (the form has put the cleaned value on
        its instance before checking uniqueness): that is how rows find the object to update."""
        errors = form.errors.as_data()
        parts = []
        for name in self.key_fields:
            if name in refs:
                parts.append(self._key_part(refs[name]))
                continue
            if any(e.code not in ("unique", "unique_together") for e in errors.get(name, [])):
                return None
            parts.append(self._key_part(self._form_value(form, name)))
        return tuple(parts)

    @staticmethod
    def _form_value(form, name):
        return form.cleaned_data[name] if name in form.cleaned_data else getattr(form.instance, name)

    def instance_key(self, obj):
        parts = []
        for name in self.key_fields:
            model_field = self.model._meta.get_field(name)
            if model_field.is_relation:
                value = getattr(obj, model_field.attname)
                parts.append(("pk", value) if value is not None else None)
            else:
                parts.append(self._key_part(getattr(obj, name)))
        return tuple(parts)

    def existing_index(self, ctx, unit_pk):
        """Existing objects of one unit by natural key (loaded once per unit and run)."""
        cache_key = (self.model, unit_pk)
        if cache_key not in ctx.cache:
            index = {}
            for obj in self.model.objects.filter(unit_id=unit_pk):
                index.setdefault(self.instance_key(obj), []).append(obj)
            ctx.cache[cache_key] = index
        return ctx.cache[cache_key]

    def find_existing(self, key, form, refs, ctx):
        """The existing object with this natural key, or None; raises ValidationError when ambiguous."""
        if any(isinstance(part, tuple) and part[0] == "new" for part in key):
            return None
        if self.key_fields[0] == "unit":
            matches = self.existing_index(ctx, key[0][1]).get(key, [])
        else:
            lookup = {name: self._form_value(form, name) for name in self.key_fields}
            matches = list(self.model.objects.filter(**lookup)[:2])
        if len(matches) > 1:
            raise ValidationError(_("Several existing objects match this row; correct them in the application first."))
        return matches[0] if matches else None

    def lookup(self, ctx, key):
        """A row of this import or an existing object with natural ``key`` (references to objects
        unique within a unit: a system or host named in another row)."""
        planned = ctx.pending.get((self.model, key))
        if planned is not None:
            return planned.target or planned
        if self.key_fields[0] != "unit":
            raise TypeError("lookup() needs a key that starts with the unit")
        try:
            return self.find_existing(key, None, {}, ctx)
        except ValidationError:
            return None

    def may_change(self, obj):
        return not self.restricted or self.model.objects.restrict(self.user, CHANGE).filter(pk=obj.pk).exists()

    def key_column(self):
        """The column named in duplicate errors: the first key column that is not the unit."""
        for name in self.key_fields:
            if name != "unit":
                return next((c.name for c in self.columns if c.field == name), name)
        return ""

    def column_for_field(self, name):
        return next((c.name for c in self.columns if c.field == name), "")

    def report_form_errors(self, number, form, ctx, skip=()):
        for name, errors in form.errors.items():
            if name in skip:
                continue
            column = self.column_for_field(name) if name != "__all__" else ""
            ctx.error(number, column, " ".join(errors))

    def plan_row(self, number, values, ctx):
        data, failed = self.parse_values(number, values, ctx)
        refs, failed_refs = self.resolve_refs(number, values, ctx)
        failed |= failed_refs
        form = self.make_form(data, refs)
        form.is_valid()
        if failed:  # report the other problems of the row too
            self.report_form_errors(number, form, ctx, skip=failed)
            return None
        key = self.natural_key(form, refs)
        if key is None:
            self.report_form_errors(number, form, ctx)
            return None
        first = ctx.seen.setdefault((self.model, key), number)
        if first != number:
            ctx.error(number, self.key_column(), _("Duplicate of row %(row)s.") % {"row": first})
            return None
        try:
            existing = self.find_existing(key, form, refs, ctx)
        except ValidationError as exc:
            ctx.error(number, self.key_column(), _messages(exc))
            return None
        before = None
        if existing is not None:
            if self.key_fields[0] != "unit" and not self.may_change(existing):
                ctx.error(number, self.key_column(), _("“%(object)s” already exists in a unit outside your scope.")
                          % {"object": existing})
                return None
            before = self.snapshot(existing)
            form = self.make_form(data, refs, instance=existing)
        if not form.is_valid():
            self.report_form_errors(number, form, ctx)
            return None
        deferred = {name: ref for name, ref in refs.items() if isinstance(ref, PlannedRow) and ref.target is None}
        if existing is None:
            action = CREATE
        else:
            action = UPDATE if deferred or self.snapshot(form.instance) != before else UNCHANGED
        planned = PlannedRow(number, action, form.instance, deferred, sheet=ctx.sheet)
        ctx.pending[(self.model, key)] = planned
        return planned

    def snapshot(self, obj):
        return {f.attname: getattr(obj, f.attname) for f in self.model._meta.concrete_fields
                if f.editable and not f.primary_key}
