"""CSV/XLSX export of the incident list (through ``core.exports.Exporter``: same scope and filters as the list)."""

from lachan.core.exports import Exporter
from lachan.core.imports import Column

INCIDENT_COLUMNS = (
    Column("id"),
    Column("unit", export=lambda o: o.unit.code),
    Column("unit_name", export=lambda o: o.unit.name),
    Column("title"),
    Column("incident_type", export=lambda o: o.type_info.official_name),
    Column("enisa", export=lambda o: f"{o.type_info.enisa_class}/{o.type_info.enisa_type}"),
    Column("severity", export=lambda o: o.get_severity_display()),
    Column("status", export=lambda o: o.get_status_display()),
    Column("serious"),
    Column("personal_data_breach"),
    Column("confidential"),
    Column("source", export=lambda o: o.get_source_display()),
    Column("system", export=lambda o: str(o.system) if o.system_id else o.system_name),
    Column("security_level", export=lambda o: o.effective_security_level),
    Column("detected_at"),
    Column("reporter_name"),
    Column("reporter_phone"),
    Column("reporter_email"),
    Column("description"),
    Column("reporting_overdue", export=lambda o: getattr(o, "is_overdue", None)),
    Column("triaged_at"),
    Column("resolved_at"),
    Column("closed_at"),
)

incident_exporter = Exporter(INCIDENT_COLUMNS, title="Sự cố", file_stem="su-co",
                             prepare=lambda qs: qs.select_related("unit", "system"))
