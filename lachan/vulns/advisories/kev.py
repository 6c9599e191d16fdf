"""CISA Known Exploited Vulnerabilities catalog: the JSON file (``{"catalogVersion": ..., "vulnerabilities":
[{"cveID": ...}, ...]}``, streamed entry by entry) and the CSV form of the same catalog (header
``cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,requiredAction,dueDate,
knownRansomwareCampaignUse,notes,cwes``).

Each entry → ``Advisory(source="kev", description=shortDescription, cwes, kev=KevEntry(...))``;
``knownRansomwareCampaignUse`` "Known" → ``known_ransomware`` True ("Unknown" → False). Dates are checked
(yyyy-mm-dd). In the CSV, a cell that a spreadsheet would run as a formula is refused, naming the row and
the column; only ``cveID`` is a required column.
"""

import csv
import io

from django.utils.translation import gettext as _

from lachan.core import tabular
from lachan.vulns.records import Advisory, KevEntry

from .base import AdvisoryParseError, cve_id, cwe_ids, iso_date, mapping, text

NAME = "kev"
COLUMNS = ("cveID", "vendorProject", "product", "vulnerabilityName", "dateAdded", "shortDescription",
           "requiredAction", "dueDate", "knownRansomwareCampaignUse", "notes", "cwes")


def record_id(value):
    return value.get("cveID", "") if isinstance(value, dict) and isinstance(value.get("cveID"), str) else ""


def advisory(value, where=""):
    """One catalog entry (a JSON object, or a CSV row as a dict) → ``Advisory``."""
    entry = mapping(value, line=where, field="vulnerabilities")
    identifier = cve_id(entry.get("cveID"), line=where, field="cveID")
    where = f"{where} ({identifier})" if where else identifier
    cwes = entry.get("cwes") or []
    if isinstance(cwes, str):
        cwes = [cwes]
    return Advisory(
        cve_id=identifier,
        source=NAME,
        description=text(entry.get("shortDescription")),
        cwes=cwe_ids(cwes),
        kev=KevEntry(
            date_added=iso_date(entry.get("dateAdded"), line=where, field="dateAdded"),
            due_date=iso_date(entry.get("dueDate"), line=where, field="dueDate"),
            known_ransomware=text(entry.get("knownRansomwareCampaignUse")).lower() == "known",
            vendor_project=text(entry.get("vendorProject")),
            product=text(entry.get("product")),
            vulnerability_name=text(entry.get("vulnerabilityName")),
            required_action=text(entry.get("requiredAction")),
            notes=text(entry.get("notes")),
        ),
    )


def looks_like_csv(head_text):
    first = head_text.lstrip("\ufeff").split("\n", 1)[0]
    return "cveID" in first and "vendorProject" in first


def iter_csv(opened):
    """Stream the CSV catalog: one ``Advisory`` per row."""
    try:
        encoding = tabular.detect_encoding(opened.head, partial=len(opened.head) >= 64 * 1024)
    except tabular.TabularError as exc:
        raise AdvisoryParseError(str(exc)) from None
    reader = csv.reader(io.TextIOWrapper(opened.stream, encoding=encoding, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or "cveID" not in [h.strip().lstrip("\ufeff") for h in header]:
            raise AdvisoryParseError(_("not a CISA KEV CSV file: no 'cveID' column in the header"), line=1)
        header = [h.strip().lstrip("\ufeff") for h in header]
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            cells = dict(zip(header, (tabular.normalise_text(c) for c in row), strict=False))
            for column, cell in cells.items():
                if tabular.is_formula(cell):
                    raise AdvisoryParseError(_("a formula is not accepted: %(value)r") % {"value": cell[:60]},
                                             line=_("row %(row)s") % {"row": line}, field=column)
            yield advisory(cells, _("row %(row)s") % {"row": line})
    except csv.Error as exc:
        raise AdvisoryParseError(_("cannot be read as CSV: %(error)s") % {"error": exc},
                                 line=_("row %(row)s") % {"row": reader.line_num}) from None
    except UnicodeDecodeError:
        raise AdvisoryParseError(_("The file is not valid %(encoding)s text.") % {"encoding": encoding},
                                 line=_("row %(row)s") % {"row": reader.line_num + 1}) from None
