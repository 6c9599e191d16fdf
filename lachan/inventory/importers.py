"""Import of the inventory from CSV/XLSX: information systems, hosts, IP prefixes, domains, websites
and software, each validated by its UI form.

``InventoryImporter`` reads a workbook with a sheet per kind (named "systems"/"Hệ thống thông tin",
"hosts"/"Máy chủ", …) or one CSV (kind given or recognised from its header) and writes everything
in one transaction, systems first, so that hosts, prefixes, websites and software may name systems
(and software hosts) defined in the same file. Units are referred to by code, systems by name
within the unit, hosts by hostname within the unit.
"""

from django.utils.translation import gettext as _

from lachan.core.exports import Exporter
from lachan.core.imports import (
    CREATE,
    Column,
    Importer,
    ModelImporter,
    choice_parser,
    parse_bool,
    parse_date,
    parse_security_level,
)
from lachan.core.scope import CHANGE, VIEW, can
from lachan.organizations.models import Unit

from . import forms
from .choices import HostRole, PrefixSource, SystemStatus
from .models import Domain, Host, InformationSystem, IPPrefix, Software, Website
from .selectors import overlapping_pairs, span_of


def _code(unit):
    return unit.code if unit is not None else ""


def _name(obj):
    return str(obj) if obj is not None else ""


def unit_column():
    return Column("unit_code", "mã đơn vị", "đơn vị", "mã ĐV", "unit", field="unit", ref=True, required=True,
                  export=lambda o: _code(o.unit))


def system_column():
    return Column("system", "hệ thống", "hệ thống thông tin", "tên hệ thống", "information system", ref=True,
                  export=lambda o: _name(o.system))


def description_column():
    return Column("description", "mô tả", "ghi chú")


class InventoryRowImporter(ModelImporter):
    """Resolves ``unit_code`` (a unit the user may write in), other unit codes, and systems/hosts by name."""

    @classmethod
    def export_queryset(cls, queryset):
        related = [f for f in ("unit", "system", "host", "operator_unit") if f in {c.field for c in cls.columns}]
        return queryset.select_related(*related)

    def prepare(self, sheets, ctx):
        if not can(self.user, self.model, CHANGE):
            ctx.error(None, "", _("You may not change %(objects)s.") % {"objects": self.model._meta.verbose_name_plural})
            return []
        return super().prepare(sheets, ctx)

    def resolve_refs(self, number, values, ctx):
        refs, failed = {}, set()
        unit = self.resolve_unit(number, "unit_code", values.get("unit_code", ""), ctx)
        if unit is None:
            return refs, {"unit", *(c.field for c in self.columns if c.ref)}
        refs["unit"] = unit
        for column in self.columns:
            if not column.ref or column.name not in values or column.name == "unit_code":
                continue
            text = values[column.name]
            if not text:
                found = None
            elif column.field == "operator_unit":
                found = self.resolve_unit(number, column.name, text, ctx)
            else:
                found = self.resolve_named(number, column, text, unit, ctx)
            if text and found is None:
                failed.add(column.field)
            else:
                refs[column.field] = found
        return refs, failed

    def resolve_unit(self, number, column, code, ctx):
        """A unit by code among those the user sees. For a user allowed to change this model at all
        (checked in ``prepare``) those are exactly the units whose objects they may change."""
        if not code:
            ctx.error(number, column, _("This field is required."))
            return None
        cache_key = ("unit", code)
        if cache_key not in ctx.cache:
            ctx.cache[cache_key] = Unit.objects.restrict(self.user, VIEW).filter(code=code).first()
        unit = ctx.cache[cache_key]
        if unit is None:
            message = _("No unit with code “%(code)s” within your scope.") if self.restricted else \
                _("No unit with code “%(code)s”.")
            ctx.error(number, column, message % {"code": code})
        return unit

    def resolve_named(self, number, column, text, unit, ctx):
        importer_class = HostImporter if column.field == "host" else SystemImporter
        cache_key = ("importer", importer_class)
        if cache_key not in ctx.cache:
            ctx.cache[cache_key] = importer_class(self.user if self.restricted else None)
        key = (("pk", unit.pk), text.strip().casefold())
        found = ctx.cache[cache_key].lookup(ctx, key)
        if found is None:
            message = (_("No host named “%(name)s” in unit %(unit)s.") if column.field == "host"
                       else _("No information system named “%(name)s” in unit %(unit)s."))
            ctx.error(number, column.name, message % {"name": text, "unit": unit.code})
        return found


class SystemImporter(InventoryRowImporter):
    kind = "systems"
    model = InformationSystem
    form_class = forms.InformationSystemForm
    key_fields = ("unit", "name")
    sheet_names = ("Hệ thống thông tin", "systems", "information systems", "hệ thống", "HTTT")
    file_stem = "he-thong-thong-tin"
    columns = (
        unit_column(),
        Column("name", "tên", "tên hệ thống", "tên hệ thống thông tin", required=True),
        Column("operator_unit_code", "mã đơn vị vận hành", "đơn vị vận hành", field="operator_unit", ref=True,
               export=lambda o: _code(o.operator_unit)),
        Column("purpose", "mục đích", "mục đích sử dụng"),
        Column("security_level", "cấp độ", "cấp độ an toàn", "cấp độ ATTT", "cấp độ an toàn thông tin",
               parse=parse_security_level),
        Column("approval_number", "số quyết định", "số quyết định phê duyệt", "quyết định phê duyệt"),
        Column("approval_date", "ngày phê duyệt", "ngày quyết định", parse=parse_date),
        Column("status", "trạng thái", "tình trạng", parse=choice_parser(SystemStatus.choices)),
        description_column(),
    )


class HostImporter(InventoryRowImporter):
    kind = "hosts"
    model = Host
    form_class = forms.HostForm
    key_fields = ("unit", "hostname")
    sheet_names = ("Máy chủ", "hosts", "thiết bị", "máy")
    file_stem = "may-chu"
    columns = (
        unit_column(),
        Column("hostname", "tên máy", "tên máy chủ", "host", "tên thiết bị", required=True),
        system_column(),
        Column("ip_addresses", "địa chỉ IP", "IP", "các địa chỉ IP", "IP address"),
        Column("os", "hệ điều hành", "operating system"),
        Column("role", "vai trò", "chức năng", parse=choice_parser(HostRole.choices)),
        description_column(),
    )


class PrefixImporter(InventoryRowImporter):
    kind = "prefixes"
    model = IPPrefix
    form_class = forms.IPPrefixForm
    key_fields = ("unit", "prefix")
    sheet_names = ("Dải IP", "prefixes", "IP prefixes", "dải địa chỉ IP", "dải mạng")
    file_stem = "dai-ip"
    columns = (
        unit_column(),
        Column("prefix", "dải IP", "dải địa chỉ", "dải địa chỉ IP", "mạng", "subnet", "CIDR", required=True),
        system_column(),
        description_column(),
        Column("source", "nguồn", "nguồn gốc", parse=choice_parser(PrefixSource.choices)),
        Column("valid_from", "hiệu lực từ", "từ ngày", "ngày cấp", parse=parse_date),
        Column("valid_until", "hiệu lực đến", "đến ngày", "ngày thu hồi", parse=parse_date),
    )

    def plan_rows(self, rows, ctx):
        plan = super().plan_rows(rows, ctx)
        self.warn_overlaps(plan, ctx)
        return plan

    def warn_overlaps(self, plan, ctx):
        """Warn about each new prefix that overlaps a prefix of another unit (existing ones the user
        may see, or new ones of this file)."""
        new = [p for p in plan if p.action == CREATE]
        if not new:
            return
        spans = [span_of(p, order=(0, p.pk)) for p in IPPrefix.objects.restrict(self.user, VIEW).select_related("unit")]
        spans += [span_of(p.obj, order=(1, p.row)) for p in new]
        rows = {id(p.obj): p for p in new}
        for outer, inner in overlapping_pairs(spans):
            for this, other in ((inner, outer), (outer, inner)):
                planned = rows.get(id(this.item))
                if planned is not None and (id(other.item) not in rows or this is inner):
                    ctx.warn(planned.row, "prefix", _("%(prefix)s (unit %(unit)s) overlaps %(other)s of unit %(other_unit)s.")
                             % {"prefix": this.item.prefix, "unit": this.item.unit.code, "other": other.item.prefix,
                                "other_unit": other.item.unit.code})
                    break


class DomainImporter(InventoryRowImporter):
    kind = "domains"
    model = Domain
    form_class = forms.DomainForm
    key_fields = ("name",)
    sheet_names = ("Tên miền", "domains", "domain names")
    file_stem = "ten-mien"
    columns = (
        unit_column(),
        Column("name", "tên miền", "domain", "domain name", required=True),
        Column("registrar", "nhà đăng ký", "đơn vị đăng ký", "nhà cung cấp"),
        Column("expires_on", "ngày hết hạn", "hết hạn", "hạn sử dụng", parse=parse_date),
        description_column(),
    )


class WebsiteImporter(InventoryRowImporter):
    kind = "websites"
    model = Website
    form_class = forms.WebsiteForm
    key_fields = ("url",)
    sheet_names = ("Trang web", "websites", "trang thông tin điện tử", "cổng thông tin")
    file_stem = "trang-web"
    columns = (
        unit_column(),
        Column("url", "địa chỉ", "địa chỉ trang web", "đường dẫn", "trang web", "URL", required=True),
        Column("name", "tên", "tên trang", "tên trang web"),
        system_column(),
        Column("monitored", "giám sát", "theo dõi", "được giám sát", parse=parse_bool),
        description_column(),
    )


class SoftwareImporter(InventoryRowImporter):
    kind = "software"
    model = Software
    form_class = forms.SoftwareForm
    key_fields = ("unit", "host", "system", "vendor", "product", "version")
    sheet_names = ("Phần mềm", "software")
    file_stem = "phan-mem"
    columns = (
        unit_column(),
        Column("vendor", "nhà sản xuất", "hãng", "nhà cung cấp", required=True),
        Column("product", "sản phẩm", "tên phần mềm", "phần mềm", required=True),
        Column("version", "phiên bản"),
        Column("host", "máy chủ", "tên máy", "tên máy chủ", "hostname", ref=True, export=lambda o: _name(o.host)),
        system_column(),
        Column("cpe", "CPE", "CPE 2.3", "mã CPE"),
        description_column(),
    )


# In dependency order: systems before what names them, hosts before software.
IMPORTERS = {cls.kind: cls for cls in (SystemImporter, HostImporter, PrefixImporter, DomainImporter,
                                       WebsiteImporter, SoftwareImporter)}
EXPORTERS = {kind: Exporter.for_importer(cls) for kind, cls in IMPORTERS.items()}


def kind_of_sheet_name(name):
    for kind, cls in IMPORTERS.items():
        if cls(None).matches_sheet_name(name):
            return kind
    return None


def kind_of_header(sheet):
    """The kind whose required columns the sheet's header holds and which recognises most columns;
    None if no kind or several tie."""
    scores = {}
    for kind, cls in IMPORTERS.items():
        header = cls(None).find_header(sheet)
        if header is not None and not header.missing and header.columns:
            scores[kind] = len(header.columns)
    if not scores:
        return None
    best = max(scores.values())
    winners = [kind for kind, score in scores.items() if score == best]
    return winners[0] if len(winners) == 1 else None


class InventoryImporter(Importer):
    """Every sheet of a workbook (or one CSV) to the importer of its kind; one transaction for all."""

    kind = "inventory"

    def __init__(self, user=None, *, actor=None, kind=None):
        super().__init__(user, actor=actor)
        if kind is not None and kind not in IMPORTERS:
            raise ValueError(kind)
        self.only_kind = kind
        self.user_given = user

    def assign(self, sheets, ctx):
        """``{kind: [sheet, ...]}``; sheets of no recognisable kind are reported."""
        assigned = {}
        for sheet in sheets:
            kind = kind_of_sheet_name(sheet.name) if sheet.name else None
            if kind is None and self.only_kind and len(sheets) == 1:
                kind = self.only_kind
            kind = kind or kind_of_header(sheet)
            if kind is None:
                if len(sheets) == 1:
                    ctx.error(None, "", _("Cannot tell which inventory this file holds: name the kind (%(kinds)s) or "
                                          "use the column names of an export.") % {"kinds": ", ".join(IMPORTERS)})
                else:
                    ctx.warn(None, "", _("Sheet “%(sheet)s” was skipped: its name and columns match no inventory "
                                         "kind.") % {"sheet": sheet.name})
                continue
            if self.only_kind and kind != self.only_kind:
                ctx.warn(None, "", _("Sheet “%(sheet)s” (%(kind)s) was skipped: only %(only)s are imported.")
                         % {"sheet": sheet.name, "kind": kind, "only": self.only_kind})
                continue
            assigned.setdefault(kind, []).append(sheet)
        if not assigned and ctx.result.ok:
            ctx.error(None, "", _("The file holds no inventory sheet."))
        return assigned

    def prepare(self, sheets, ctx):
        assigned = self.assign(sheets, ctx)
        steps = []
        for kind, importer_class in IMPORTERS.items():
            for sheet in assigned.get(kind, []):
                importer = importer_class(self.user_given, actor=self.actor)
                if not can(importer.user, importer.model, CHANGE):
                    ctx.error(None, "", _("You may not change %(objects)s.")
                              % {"objects": importer.model._meta.verbose_name_plural})
                    continue
                steps.append((importer, importer.plan_sheet(sheet, ctx, show_name=len(sheets) > 1)))
        return steps

