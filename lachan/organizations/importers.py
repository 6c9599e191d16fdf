"""Import of units — a CSV/XLSX table (one row per unit) or the appendix table of an official letter —
and the export columns of the organisation tables.

Table rows are matched to existing units by ``code``; a row may name as its parent a unit defined
further down the file (rows are written parents first). Appendix rows carry no code: they are
matched by name among the children of the parent unit (``--parent``, or the top level), and new
units get a code made from the name and a kind guessed from it. Units are written through
``services.unit_create``/``unit_update`` (materialised path), field rules come from ``UnitForm``.
"""

import copy

from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from lachan.core import tabular
from lachan.core.exports import Exporter
from lachan.core.imports import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Column,
    Importer,
    PlannedRow,
    RowFailure,
    RowIssue,
    choice_parser,
)
from lachan.core.scope import CHANGE, VIEW, can

from .appendix import (
    Appendix,
    AppendixError,
    guess_kind,
    looks_like_appendix,
    name_key,
    parse_appendix,
    unique_code,
)
from .choices import UnitKind
from .forms import UnitForm
from .models import Unit, UnitGroup
from .services import unit_create, unit_update

UNIT_FIELDS = ("code", "name", "short_name", "kind", "address", "email", "phone", "website", "description")
_CHUNK = 500


def _parent_code(unit):
    return unit.parent.code if unit.parent_id else ""


def _group_names(unit):
    return "; ".join(g.name for g in unit.groups.all())


def _target(ref):
    return ref.target if isinstance(ref, PlannedRow) else ref


def _chunks(items):
    items = list(items)
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


class UnitImporter(Importer):
    kind = "units"
    model = Unit
    sheet_names = ("Đơn vị", "units", "danh sách đơn vị")
    file_stem = "don-vi"
    columns = (
        Column("code", "mã", "mã đơn vị", "mã ĐV", "unit code", required=True),
        Column("name", "tên", "tên đơn vị", "tên cơ quan", "unit name", required=True),
        Column("short_name", "tên viết tắt", "viết tắt", "tên ngắn gọn", "tên ngắn"),
        Column("kind", "loại", "loại đơn vị", "loại hình", parse=choice_parser(UnitKind.choices)),
        Column("parent_code", "mã đơn vị cha", "mã cha", "đơn vị cha", "mã đơn vị cấp trên", "đơn vị cấp trên",
               "mã đơn vị chủ quản", "parent", field="parent", ref=True, export=_parent_code),
        Column("groups", "khối", "nhóm", "khối nhóm", "các khối", "unit groups", ref=True, export=_group_names),
        Column("address", "địa chỉ", "trụ sở"),
        Column("email", "thư điện tử", "e-mail", "địa chỉ email", "hộp thư"),
        Column("phone", "điện thoại", "số điện thoại", "sđt", "điện thoại liên hệ"),
        Column("website", "trang web", "cổng thông tin", "trang thông tin điện tử"),
        Column("description", "mô tả", "ghi chú"),
    )

    def __init__(self, user=None, *, actor=None, parent=None):
        super().__init__(user, actor=actor)
        self.parent = parent  # where rows without a parent go (``--parent``); None: the top level
        self.new_groups = []

    @classmethod
    def export_queryset(cls, queryset):
        return queryset.select_related("parent").prefetch_related("groups")

    # reading ------------------------------------------------------------------------------------------

    def read(self, data, filename, encoding):
        name = (filename or "").lower()
        if not data or tabular.is_xlsx(data) or name.endswith((".xlsx", ".xlsm", ".xls")):
            return super().read(data, filename, encoding)
        text = tabular.decode_text(data, encoding)
        if looks_like_appendix(text):
            try:
                appendix = parse_appendix(text)
            except AppendixError as exc:
                raise tabular.TabularError(str(exc)) from None
            if len(appendix.units) > settings.IMPORT_MAX_ROWS:
                raise tabular.TabularError(_("The file has more than %(limit)s rows; split it into smaller files.")
                                           % {"limit": settings.IMPORT_MAX_ROWS})
            return [appendix]
        sheet = tabular.read_csv(text, max_rows=settings.IMPORT_MAX_ROWS)
        header = self.find_header(sheet)
        if name.endswith((".txt", ".md")) and (header is None or header.missing):
            raise tabular.TabularError(_("This text is neither the appendix of a letter (a table whose header row is "
                                         "“STT<TAB>TÊN ĐƠN VỊ”) nor a table with the columns code and name."))
        return [sheet]

    # planning -----------------------------------------------------------------------------------------

    def prepare(self, sheets, ctx):
        if not can(self.user, Unit, CHANGE):
            ctx.error(None, "", _("You may not change units."))
            return []
        self._setup()
        if isinstance(sheets[0], Appendix):
            plan = self.plan_appendix(sheets[0], ctx)
        else:
            plan = self.plan_sheet(self.choose_sheet(sheets), ctx, show_name=len(sheets) > 1)
        for planned in plan:
            ctx.result.count(self.kind, planned.action, Unit._meta.verbose_name_plural)
        if self.new_groups:
            ctx.result.notes.append(_("New unit groups: %(names)s.") % {
                "names": "; ".join(g.obj.name for g in self.new_groups)})
        return [(self, plan)]

    def _setup(self):
        self.groups_by_key = {name_key(g.name): g for g in UnitGroup.objects.restrict(self.user, VIEW)}
        self.new_groups = []
        self.units_by_code = {}
        self.changeable = {}

    def plan_rows(self, rows, ctx):  # counted in prepare(), after the topological order is known
        rows_by_code = {}
        for number, values in rows:
            code = values.get("code", "")
            if not code:
                ctx.error(number, "code", _("This field is required."))
            elif code in rows_by_code:
                ctx.error(number, "code", _("Duplicate of row %(row)s.") % {"row": rows_by_code[code][0]})
            else:
                rows_by_code[code] = (number, values)
        codes = set(rows_by_code) | {v.get("parent_code") for _n, v in rows_by_code.values() if v.get("parent_code")}
        self._load_units(codes)
        plan = []
        for code in self._parents_first(rows_by_code, ctx):
            number, values = rows_by_code[code]
            planned = self.plan_unit(number, values, rows_by_code, ctx)
            if planned is not None:
                plan.append(planned)
                ctx.pending[(Unit, code)] = planned
        return plan

    def _load_units(self, codes):
        for chunk in _chunks(codes):
            for unit in Unit.objects.filter(code__in=chunk).select_related("parent").prefetch_related("groups"):
                self.units_by_code[unit.code] = unit

    def _parents_first(self, rows_by_code, ctx):
        """Codes of the file, each parent before its children; rows in a parent loop are reported."""
        order, state = [], {}
        for start in rows_by_code:
            chain, code = [], start
            while code in rows_by_code and code not in state:
                state[code] = "open"
                chain.append(code)
                code = rows_by_code[code][1].get("parent_code", "")
            if code in rows_by_code and state.get(code) == "open":
                loop = chain[chain.index(code):]
                text = " → ".join([*loop, loop[0]])
                for member in loop:
                    ctx.error(rows_by_code[member][0], "parent_code",
                              _("The parent units form a loop: %(loop)s.") % {"loop": text})
                    state[member] = "bad"
                chain = chain[:chain.index(code)]
            for member in reversed(chain):
                state[member] = "done"
                order.append(member)
        return order

    def may_change_unit(self, unit):
        if not self.restricted:
            return True
        if unit.pk not in self.changeable:
            self.changeable[unit.pk] = Unit.objects.restrict(self.user, CHANGE).filter(pk=unit.pk).exists()
        return self.changeable[unit.pk]

    def may_see_unit(self, unit):
        return not self.restricted or Unit.objects.restrict(self.user, VIEW).filter(pk=unit.pk).exists()

    def plan_unit(self, number, values, rows_by_code, ctx):
        code = values["code"]
        existing = self.units_by_code.get(code)
        if existing is not None and not self.may_change_unit(existing):
            message = (_("Unit “%(code)s” is outside the part of the tree you may change.") if self.may_see_unit(existing)
                       else _("The code “%(code)s” is already used by another unit."))
            ctx.error(number, "code", message % {"code": code})
            return None
        data = {}
        for column in self.columns:
            if column.name in values and not column.ref:
                try:
                    data[column.field] = column.parse(values[column.name]) if column.parse else values[column.name]
                except ValidationError as exc:
                    ctx.error(number, column.name, " ".join(exc.messages))
                    return None
        if existing is None and not data.get("kind"):
            data["kind"] = guess_kind(values["name"])
        parent = self.plan_parent(number, values, existing, rows_by_code, ctx)
        groups = self.resolve_groups(number, values["groups"], ctx) if "groups" in values else None
        if parent is False or groups is False:
            return None
        fields = self.validate_fields(number, data, existing, parent, ctx)
        if fields is None:
            return None
        if existing is None:
            action = CREATE
        else:
            target = _target(parent)
            same_fields = all(getattr(existing, name) == fields[name] for name in UNIT_FIELDS)
            same_parent = (parent is None or target is not None) and (target.pk if target else None) == existing.parent_id
            same_groups = groups is None or (
                all(_target(g) is not None for g in groups)
                and {_target(g).pk for g in groups} == {g.pk for g in existing.groups.all()})
            action = UNCHANGED if same_fields and same_parent and same_groups else UPDATE
        return PlannedRow(number, action, existing, sheet=ctx.sheet,
                          data={"fields": fields, "parent": parent, "groups": groups, "add_groups": False})

    def plan_parent(self, number, values, existing, rows_by_code, ctx):
        """The parent (Unit, PlannedRow or None), or False after reporting an error."""
        code = values.get("parent_code", "")
        if "parent_code" not in values and existing is not None:
            return existing.parent
        if not code:
            parent = self.parent
        elif code in rows_by_code:
            parent = ctx.pending.get((Unit, code))
            if parent is None:
                ctx.error(number, "parent_code", _("The parent unit “%(code)s” (row %(row)s) has errors.")
                          % {"code": code, "row": rows_by_code[code][0]})
                return False
        elif existing is not None and existing.parent_id and existing.parent.code == code:
            return existing.parent  # unchanged, even if the parent is outside the user's scope
        else:
            parent = self.units_by_code.get(code)
            if parent is None or not self.may_see_unit(parent):
                ctx.error(number, "parent_code", _("No unit with code “%(code)s”.") % {"code": code})
                return False
        return self.check_placement(number, existing, parent, ctx)

    def check_placement(self, number, existing, parent, ctx):
        target = _target(parent)
        if parent is None and self.restricted and not self.user.is_coordinator:
            ctx.error(number, "parent_code", _("Only coordinators create top-level units: give the code of a parent "
                                               "unit within your scope."))
            return False
        if isinstance(parent, Unit) and not self.may_change_unit(parent):
            ctx.error(number, "parent_code", _("Unit “%(code)s” is outside the part of the tree you may change.")
                      % {"code": parent.code})
            return False
        if existing is not None and target is not None and target.path.startswith(existing.path):
            ctx.error(number, "parent_code", _("A unit cannot be placed under itself or one of its sub-units."))
            return False
        return parent

    def resolve_groups(self, number, text, ctx):
        groups = []
        for name in (n.strip() for n in text.replace("\n", ";").split(";")):
            if name:
                group = self.group_for(name, number, "groups", ctx)
                if group is None:
                    return False
                if group not in groups:
                    groups.append(group)
        return groups

    def group_for(self, name, number, column, ctx):
        """An existing group, or one this import creates (coordinators only); None after an error."""
        key = name_key(name)
        group = self.groups_by_key.get(key)
        if group is not None:
            return group
        if not can(self.user, UnitGroup, CHANGE):
            ctx.error(number, column, _("No unit group named “%(name)s” (only coordinators create groups).")
                      % {"name": name})
            return None
        obj = UnitGroup(name=name[:300], order=len(self.groups_by_key) + 1)
        try:
            obj.full_clean(validate_unique=False)
        except ValidationError as exc:
            ctx.error(number, column, " ".join(exc.messages))
            return None
        planned = PlannedRow(number, CREATE, obj, sheet=ctx.sheet)
        self.groups_by_key[key] = planned
        self.new_groups.append(planned)
        return planned

    def validate_fields(self, number, data, existing, parent, ctx):
        """The unit's fields checked by ``UnitForm`` (parent and groups are checked above)."""
        instance = copy.copy(existing) if existing is not None else Unit()
        form_data = model_to_dict(instance, fields=UnitForm._meta.fields)
        for name, value in data.items():
            if value is None or (value == "" and name == "kind"):
                continue
            form_data[name] = value
        target = _target(parent)
        form_data["parent"] = target.pk if target is not None else None
        form_data["groups"] = []
        form = UnitForm(data=form_data, instance=instance, user=self.user)
        form.is_valid()
        errors = {name: e for name, e in form.errors.items() if name not in ("parent", "groups")}
        for name, messages in errors.items():
            column = name if name in UNIT_FIELDS else ""
            ctx.error(number, column, " ".join(messages))
        if errors:
            return None
        return {name: form.cleaned_data[name] for name in UNIT_FIELDS}

    def plan_appendix(self, appendix, ctx):
        for line, message in appendix.warnings:
            ctx.warn(line, "", message)
        parent = self.check_placement(None, None, self.parent, ctx)
        if parent is False:
            return []
        siblings = {}
        for unit in Unit.objects.filter(parent=self.parent).prefetch_related("groups"):
            siblings.setdefault(name_key(unit.name), []).append(unit)
        taken = {code.upper() for code in Unit.objects.values_list("code", flat=True)}
        plan, by_key = [], {}
        for group in appendix.groups:
            group_ref = self.group_for(group.name, group.line, "", ctx) if group.name else None
            if group.name and group_ref is None:
                continue
            members = self.group_members(group_ref)
            for entry in group.units:
                key = name_key(entry.name)
                planned = by_key.get(key)
                if planned is not None:
                    ctx.warn(entry.line, "", _("“%(name)s” is listed again (line %(line)s): one unit, in each group "
                                                 "listed.") % {"name": entry.name, "line": planned.row})
                else:
                    # A unit already in this group (wherever it sits in the tree) is the same unit;
                    # otherwise a unit of that name under the chosen parent.
                    matches = members.get(key) or siblings.get(key, [])
                    planned = self.plan_appendix_unit(entry, matches, taken, ctx)
                    if planned is None:
                        continue
                    by_key[key] = planned
                    plan.append(planned)
                self.join_group(planned, group_ref)
            ctx.result.notes.append(_("%(group)s: %(count)s units.") % {
                "group": group.name or _("(no group)"), "count": len(group.units)})
        return plan

    def group_members(self, group_ref):
        """Existing units of an existing group, by name key (units the importer may see; with
        ``--parent``, only those inside that parent's subtree — elsewhere the same names are other units)."""
        if not isinstance(group_ref, UnitGroup):
            return {}
        units = group_ref.units.restrict(self.user, VIEW)
        if self.parent is not None:
            units = units.filter(path__startswith=self.parent.path)
        members = {}
        for unit in units.prefetch_related("groups"):
            members.setdefault(name_key(unit.name), []).append(unit)
        return members

    def plan_appendix_unit(self, entry, matches, taken, ctx):
        if len(matches) > 1:
            ctx.error(entry.line, "", _("Several existing units are named “%(name)s”; correct them first.")
                      % {"name": entry.name})
            return None
        if matches:
            return PlannedRow(entry.line, UNCHANGED, matches[0], sheet=ctx.sheet,
                              data={"fields": None, "parent": matches[0].parent, "groups": [], "add_groups": True})
        code = unique_code(entry.name, taken)
        fields = self.validate_fields(entry.line, {"code": code, "name": entry.name, "kind": guess_kind(entry.name)},
                                      None, self.parent, ctx)
        if fields is None:
            return None
        taken.add(code.upper())
        return PlannedRow(entry.line, CREATE, None, sheet=ctx.sheet,
                          data={"fields": fields, "parent": self.parent, "groups": [], "add_groups": False})

    def join_group(self, planned, group_ref):
        if group_ref is None or group_ref in planned.data["groups"]:
            return
        existing = planned.obj
        if existing is not None and isinstance(group_ref, UnitGroup) and group_ref in existing.groups.all():
            return
        planned.data["groups"].append(group_ref)
        if planned.action == UNCHANGED:
            planned.action = UPDATE

    # writing ------------------------------------------------------------------------------------------

    def write(self, plan, ctx):
        for planned in self.new_groups:
            planned.obj.save()
        for planned in plan:
            if planned.action == UNCHANGED:
                continue
            try:
                planned.obj = self.save_unit(planned)
            except ValidationError as exc:
                raise RowFailure(RowIssue(planned.row, "", " ".join(exc.messages), planned.sheet)) from None

    def save_unit(self, planned):
        data = planned.data
        groups = None if data["groups"] is None else [_target(g) for g in data["groups"]]
        parent = _target(data["parent"])
        if parent is not None:
            parent = Unit.objects.get(pk=parent.pk)  # fresh path: earlier rows may have moved it
        if planned.obj is None:
            return unit_create(parent=parent, groups=groups or (), **data["fields"])
        unit = Unit.objects.get(pk=planned.obj.pk)
        if data["add_groups"]:
            unit.groups.add(*groups)
            return unit
        return unit_update(unit=unit, parent=parent, groups=groups, **data["fields"])


def unit_exporter():
    return Exporter.for_importer(UnitImporter)


GROUP_EXPORTER = Exporter(
    (Column("name"), Column("description"), Column("order"),
     Column("units", export=lambda g: g.unit_count)),  # annotated in scope by the list view
    title="Khối đơn vị", file_stem="khoi-don-vi")

CONTACT_EXPORTER = Exporter(
    (Column("unit_code", export=lambda c: c.unit.code), Column("full_name"), Column("position"), Column("phones"),
     Column("emails"), Column("roles"), Column("notes")),
    title="Đầu mối liên hệ", file_stem="dau-moi-lien-he", prepare=lambda qs: qs.select_related("unit"))

DIRECTORY_EXPORTER = Exporter(
    tuple(Column(name) for name in ("organization", "short_name", "category", "parent_organization", "person",
                                    "purpose", "phones", "hotline", "emails", "website", "address", "source", "notes",
                                    "is_active", "order")),
    title="Danh bạ bên ngoài", file_stem="danh-ba-ben-ngoai")
