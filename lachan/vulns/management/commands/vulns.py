"""``lachan vulns …``: vulnerability advisories, scans and matching on the command line (issue 7).

    lachan vulns import-advisories FILE... [--format F] [--by USERNAME] [--no-match] [--json]
    lachan vulns import-scan FILE [--format F] --unit CODE [--by USERNAME] [--json]
    lachan vulns match [--json]

One pair of functions per subcommand: ``add_<name>_arguments(parser)`` declares its options and
``run_<name>(command, **options)`` runs it; ``SUBCOMMANDS`` maps the name to both.

``import-advisories``: NVD JSON 2.0 (records or feed files), CVE 5, CISA KEV (JSON/CSV); each file in one
transaction, the same file twice changes nothing; the changed CVEs are matched against the inventory.
``import-scan``: Nessus, OpenVAS/Greenbone, Nuclei, Trivy, Nmap (vulners) for the unit ``--unit`` (its code);
a scan naming hosts of another unit is refused and nothing is stored.
``match --json`` prints ``{"advisories", "software_items", "affected", "uncertain", "new", "closed",
"reopened", "seconds"}``.
"""

import json as jsonlib
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from lachan.core.commands import SubcommandCommand


def _user(username):
    if not username:
        return None
    from lachan.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(_("No user named %(name)s.") % {"name": username})
    return user


def _file(path):
    if not Path(path).is_file():
        raise CommandError(_("Cannot read %(path)s: no such file.") % {"path": path})
    return Path(path)


# --- import-advisories -------------------------------------------------------------------------------------


def add_import_advisories_arguments(parser):
    parser.add_argument("files", nargs="+", metavar="FILE", help="NVD JSON 2.0, CVE 5 JSON, CISA KEV JSON/CSV")
    parser.add_argument("--format", default=None, metavar="F", help="nvd, cve5, kev (default: detected)")
    parser.add_argument("--by", metavar="USERNAME", help="the coordinator the import is recorded for (audit log)")
    parser.add_argument("--no-match", action="store_true", help="do not match the changed CVEs afterwards")
    parser.add_argument("--json", action="store_true", help="print one JSON object per file")


def run_import_advisories(command, *, files, format=None, by=None, no_match=False, json=False, **_options):
    from lachan.vulns import services
    from lachan.vulns.advisories import AdvisoryParseError

    user = _user(by)
    for name in files:
        path = _file(name)
        try:
            result = services.advisories_import(path, fmt=format, by=user, match=not no_match)
        except AdvisoryParseError as exc:
            raise CommandError(_("%(path)s: %(error)s. Nothing was imported from this file.")
                               % {"path": name, "error": exc}) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        summary = {"file": name, "duplicate": result.duplicate, "format": result.format,
                   "created": result.created_count, "updated": result.updated_count,
                   "unchanged": result.unchanged_count,
                   "match": result.match_result.as_dict() if result.match_result else None}
        if json:
            command.stdout.write(jsonlib.dumps(summary))
        elif result.duplicate:
            command.stdout.write(_("%(path)s: already imported, nothing changed.") % {"path": name})
        else:
            command.stdout.write(_("%(path)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
                                 % {"path": name, **summary})


# --- import-scan ---------------------------------------------------------------------------------------------


def add_import_scan_arguments(parser):
    parser.add_argument("file", metavar="FILE", help="Nessus, OpenVAS/Greenbone XML, Nuclei JSON/JSONL, Trivy JSON, Nmap XML")
    parser.add_argument("--format", default=None, metavar="F", help="nessus, openvas, nuclei, trivy, nmap (default: detected)")
    parser.add_argument("--unit", required=True, metavar="CODE", help="the code of the unit the scan belongs to")
    parser.add_argument("--by", metavar="USERNAME", help="the user the import is recorded for (audit log)")
    parser.add_argument("--json", action="store_true", help="print the import's counts as JSON")


def run_import_scan(command, *, file, unit, format=None, by=None, json=False, **_options):
    from lachan.organizations.models import Unit
    from lachan.vulns import services
    from lachan.vulns.parsers import ScanParseError

    path = _file(file)
    owner = Unit.objects.filter(code=unit).first()
    if owner is None:
        raise CommandError(_("No unit with the code %(code)s.") % {"code": unit})
    try:
        scan = services.scan_import(path, unit=owner, fmt=format, by=_user(by))
    except ScanParseError as exc:
        raise CommandError(_("%(path)s: %(error)s. Nothing was imported.") % {"path": file, "error": exc}) from None
    except ValidationError as exc:
        raise CommandError("; ".join(exc.messages)) from None
    summary = {"file": file, "unit": unit, "format": scan.format, "hosts": scan.hosts, "findings": scan.findings,
               "new": scan.new, "updated": scan.updated_count, "closed": scan.closed, "reopened": scan.reopened,
               "unknown_hosts": [h["ip"] for h in scan.unknown_hosts]}
    if json:
        command.stdout.write(jsonlib.dumps(summary))
    else:
        command.stdout.write(_("%(file)s: %(hosts)d hosts, %(findings)d findings: %(new)d new, %(updated)d updated, "
                               "%(closed)d closed, %(reopened)d reopened.") % summary)
        if summary["unknown_hosts"]:
            command.stdout.write(_("Hosts not in the inventory: %(hosts)s") % {
                "hosts": ", ".join(summary["unknown_hosts"][:50])})


# --- match ---------------------------------------------------------------------------------------------------


def add_match_arguments(parser):
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")


def run_match(command, *, json=False, **_options):
    from lachan.vulns import services

    run = services.match_all()
    if json:
        command.stdout.write(jsonlib.dumps(run.as_dict()))
    else:
        command.stdout.write(_("%(advisories)d advisories × %(software_items)d software items: %(affected)d affected, "
                               "%(uncertain)d to confirm; findings %(new)d new, %(closed)d closed (%(seconds).1f s).")
                             % run.as_dict())


SUBCOMMANDS = {
    "import-advisories": (add_import_advisories_arguments, run_import_advisories,
                          "import advisory files (NVD, CVE 5, CISA KEV) and match the changed CVEs"),
    "import-scan": (add_import_scan_arguments, run_import_scan, "import a scanner file for a unit"),
    "match": (add_match_arguments, run_match, "match every advisory against the inventory software"),
}


class Command(SubcommandCommand):
    subcommands = SUBCOMMANDS
    help = ("Vulnerabilities: 'vulns import-advisories FILE...', 'vulns import-scan FILE [--format F] --unit CODE', "
            "'vulns match [--json]'.")

