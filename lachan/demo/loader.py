"""Load the demo data files of this folder into the database.

    demo.yaml                     unit tree (besides the appendix), contacts, external directory,
                                  fictional inventory, demo accounts
    appendix_03-STTTT-BCVT.yaml   the 88 recipient units of letter 03/STTTT-BCVT in their 7 groups,
                                  in the letter's own order
    letters/                      the five seed letters, imported, linked, dispatched and partly
                                  answered through the directives services (``directives.py``)

Idempotent: every object has a natural key (unit code, group name, username, …); an object that
already exists is left exactly as it is (never overwritten), so loading twice writes nothing.
Everything is validated before the first write and written in one transaction, through the
services (``unit_create``, ``user_create``) and ``full_clean()`` for the rest.
"""

import ipaddress
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from lachan.accounts.choices import Role
from lachan.accounts.models import User
from lachan.accounts.services import user_create
from lachan.core.audit import acting_as
from lachan.demo.directives import load_directives
from lachan.demo.duty import load_duty_desk
from lachan.inventory.choices import HostRole, PrefixSource, SystemStatus
from lachan.inventory.ipam import parse_address_list, parse_prefix
from lachan.inventory.models import Domain, Host, InformationSystem, IPPrefix, Software, Website
from lachan.organizations.choices import ContactRole, DirectoryCategory, UnitKind
from lachan.organizations.models import Contact, ExternalContact, Unit, UnitGroup
from lachan.organizations.phones import normalize_phone, normalize_phone_list
from lachan.organizations.services import unit_create

DEMO_DIR = Path(__file__).resolve().parent
DATA_FILE = DEMO_DIR / "demo.yaml"
APPENDIX_FILE = DEMO_DIR / "appendix_03-STTTT-BCVT.yaml"

PASSWORD_ENV = "LACHAN_DEMO_PASSWORD"
DEFAULT_PASSWORD = "LaChan@2025demo"
DEMO_EMAIL_DOMAIN = "demo.lachan.vn"

# Addresses the demo may use: documentation and reserved ranges only, so nothing real is implied.
DEMO_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "100.64.0.0/10", "198.18.0.0/15", "2001:db8::/32")
)

# The order in which the summary lists what was loaded (the model's plural name is the label).
SUMMARY_MODELS = (UnitGroup, Unit, Contact, ExternalContact, InformationSystem, Host, IPPrefix, Domain, Website,
                  Software, User)


class DemoDataError(ValueError):
    """A demo data file is wrong; the message names the file and the item."""


def demo_password():
    return os.environ.get(PASSWORD_ENV) or DEFAULT_PASSWORD


# --------------------------------------------------------------------------------------------------
# Reading and validating the files (no database access)
# --------------------------------------------------------------------------------------------------

def _read_yaml(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise DemoDataError(f"{path.name}: {exc}") from None


class _Checker:
    def __init__(self, path):
        self.path = path

    def fail(self, where, message):
        raise DemoDataError(f"{self.path.name}: {where}: {message}")

    def keys(self, where, item, required, optional=()):
        if not isinstance(item, dict):
            self.fail(where, f"expected a mapping, got {item!r}")
        missing = [k for k in required if item.get(k) in (None, "")]
        unknown = sorted(set(item) - set(required) - set(optional))
        if missing:
            self.fail(where, f"missing {', '.join(missing)}")
        if unknown:
            self.fail(where, f"unknown key(s) {', '.join(map(str, unknown))}")
        for key, value in item.items():
            if isinstance(value, float):  # 0984.462472 unquoted is read as a number
                self.fail(where, f"{key}: write {value!r} in quotes")
        return item

    def choice(self, where, value, choices):
        if value not in choices.values:
            self.fail(where, f"{value!r} is not one of {', '.join(choices.values)}")
        return value

    def phones(self, where, value):
        if value in (None, ""):
            return ""
        try:
            return normalize_phone_list(str(value))
        except ValueError as exc:
            self.fail(where, f"not a phone number: {exc}")

    def demo_network(self, where, value):
        try:
            network = parse_prefix(value)
        except ValueError as exc:
            self.fail(where, f"bad IP prefix {value!r}: {exc}")
        if not any(network.version == n.version and network.subnet_of(n) for n in DEMO_NETWORKS):
            self.fail(where, f"{network} is outside the documentation/reserved ranges the demo may use")
        return str(network)

    def demo_addresses(self, where, value):
        try:
            addresses = parse_address_list(str(value or ""))
        except ValueError as exc:
            self.fail(where, f"bad IP address {exc}")
        for address in addresses:
            self.demo_network(where, address)
        return ", ".join(addresses)


def _appendix_units(checker, appendix, note):
    """[(group dict, [unit spec …]) …] from the appendix file."""
    out = []
    checker.keys("top", appendix, ["groups"], ["source"])
    for g_index, group in enumerate(appendix["groups"], start=1):
        where = f"group {g_index}"
        checker.keys(where, group, ["name", "units"], ["parent"])
        specs = []
        for u_index, line in enumerate(group["units"], start=1):
            parts = [p.strip() for p in str(line).split("|")]
            if len(parts) not in (3, 4) or not all(parts[:3]):
                checker.fail(f"{where}, unit {u_index}", f"expected 'CODE | kind | Name [| short name]', got {line!r}")
            code, kind, name = parts[:3]
            specs.append({
                "code": code, "kind": checker.choice(f"{where}, {code}", kind, UnitKind), "name": name,
                "short_name": parts[3] if len(parts) == 4 else "", "parent": group.get("parent"),
                "description": note,
            })
        out.append(({"name": group["name"], "order": g_index, "description": appendix.get("source", "")}, specs))
    return out


UNIT_KEYS = ("parent", "short_name", "address", "email", "phone", "website", "description")
CONTACT_KEYS = ("position", "phones", "emails", "roles", "source")
DIRECTORY_KEYS = ("short_name", "category", "parent_organization", "person", "purpose", "phones", "hotline", "emails",
                  "website", "address", "source", "notes")
SYSTEM_KEYS = ("purpose", "security_level", "approval_number", "approval_date", "status", "websites", "hosts", "description")
HOST_KEYS = ("ip_addresses", "os", "role", "software", "description")


def read_data(data_file=DATA_FILE, appendix_file=APPENDIX_FILE):
    """Parse and check both files; returns a plain dict ready for ``load``. Raises DemoDataError."""
    data = _read_yaml(data_file)
    checker = _Checker(data_file)
    demo_note = data.get("demo_note", "")
    groups = _appendix_units(_Checker(appendix_file), _read_yaml(appendix_file), data.get("appendix_note", ""))

    units = [spec for _group, specs in groups for spec in specs]
    for index, item in enumerate(data.get("units") or [], start=1):
        checker.keys(f"units[{index}]", item, ["code", "name", "kind"], UNIT_KEYS)
        checker.choice(f"units[{index}] {item['code']}", item["kind"], UnitKind)
        spec = dict(item)
        if spec.get("phone"):
            spec["phone"] = normalize_phone(str(spec["phone"])) or checker.fail(item["code"], f"bad phone {spec['phone']!r}")
        units.append(spec)
    codes = Counter(u["code"] for u in units)
    if duplicated := [c for c, n in codes.items() if n > 1]:
        checker.fail("units", f"duplicate code(s) {', '.join(duplicated)}")
    for spec in units:
        if spec.get("parent") and spec["parent"] not in codes:
            checker.fail(f"unit {spec['code']}", f"unknown parent {spec['parent']!r}")

    contacts = []
    for index, item in enumerate(data.get("contacts") or [], start=1):
        where = f"contacts[{index}]"
        checker.keys(where, item, ["unit", "full_name"], CONTACT_KEYS)
        if item["unit"] not in codes:
            checker.fail(where, f"unknown unit {item['unit']!r}")
        roles = [checker.choice(where, r, ContactRole) for r in item.get("roles") or []]
        source = item.get("source")
        contacts.append({
            "unit": item["unit"], "full_name": item["full_name"], "position": item.get("position", ""),
            "phones": checker.phones(where, item.get("phones")), "emails": item.get("emails", ""),
            "roles": ",".join(roles),
            "notes": f"Nguồn: {source}" if source else demo_note,
        })

    directory = []
    for index, item in enumerate(data.get("directory") or [], start=1):
        where = f"directory[{index}]"
        checker.keys(where, item, ["organization"], DIRECTORY_KEYS)
        entry = {k: item.get(k) or "" for k in DIRECTORY_KEYS}
        entry["organization"] = item["organization"]
        entry["category"] = checker.choice(where, item.get("category", "other"), DirectoryCategory)
        entry["phones"] = checker.phones(where, item.get("phones"))
        entry["hotline"] = checker.phones(where, item.get("hotline"))
        entry["order"] = index * 10
        directory.append(entry)

    inventory = []
    for index, item in enumerate(data.get("inventory") or [], start=1):
        where = f"inventory[{index}]"
        checker.keys(where, item, ["unit"], ["prefixes", "domains", "systems", "hosts"])
        if item["unit"] not in codes:
            checker.fail(where, f"unknown unit {item['unit']!r}")
        block = {"unit": item["unit"], "prefixes": [], "domains": [], "systems": [], "hosts": []}
        system_names = set()
        for s_index, system in enumerate(item.get("systems") or [], start=1):
            s_where = f"{where} ({item['unit']}) systems[{s_index}]"
            checker.keys(s_where, system, ["name"], SYSTEM_KEYS)
            system_names.add(system["name"])
            status = checker.choice(s_where, system.get("status", SystemStatus.OPERATING), SystemStatus)
            block["systems"].append({
                "name": system["name"], "purpose": system.get("purpose", ""),
                "security_level": system.get("security_level"), "approval_number": system.get("approval_number", ""),
                "approval_date": system.get("approval_date"), "status": status,
                "description": system.get("description") or demo_note,
                "websites": [_website(checker, s_where, w, demo_note) for w in system.get("websites") or []],
                "hosts": [_host(checker, s_where, h, demo_note) for h in system.get("hosts") or []],
            })
        block["hosts"] = [_host(checker, where, h, demo_note) for h in item.get("hosts") or []]
        for p_index, prefix in enumerate(item.get("prefixes") or [], start=1):
            p_where = f"{where} ({item['unit']}) prefixes[{p_index}]"
            checker.keys(p_where, prefix, ["prefix"], ["description", "source", "system"])
            if prefix.get("system") and prefix["system"] not in system_names:
                checker.fail(p_where, f"unknown system {prefix['system']!r}")
            block["prefixes"].append({
                "prefix": checker.demo_network(p_where, prefix["prefix"]), "description": prefix.get("description", ""),
                "source": checker.choice(p_where, prefix.get("source", PrefixSource.MANUAL), PrefixSource),
                "system": prefix.get("system"),
            })
        for d_index, domain in enumerate(item.get("domains") or [], start=1):
            d_where = f"{where} ({item['unit']}) domains[{d_index}]"
            checker.keys(d_where, domain, ["name"], ["registrar", "expires_on", "description"])
            if not domain["name"].endswith("." + DEMO_EMAIL_DOMAIN):
                checker.fail(d_where, f"demo domains must end in .{DEMO_EMAIL_DOMAIN}")
            block["domains"].append({"description": demo_note} | domain)
        inventory.append(block)

    users = []
    for index, item in enumerate(data.get("users") or [], start=1):
        where = f"users[{index}]"
        checker.keys(where, item, ["username", "role", "label"], ["unit", "first_name", "last_name"])
        checker.choice(where, item["role"], Role)
        if item.get("unit") and item["unit"] not in codes:
            checker.fail(where, f"unknown unit {item['unit']!r}")
        users.append(dict(item))

    return {"groups": groups, "units": units, "contacts": contacts, "directory": directory,
            "inventory": inventory, "users": users}


def _website(checker, where, item, demo_note):
    checker.keys(f"{where} websites", item, ["url"], ["name", "description"])
    host = item["url"].split("//", 1)[-1].split("/", 1)[0]
    if not host.endswith("." + DEMO_EMAIL_DOMAIN):
        checker.fail(f"{where} websites", f"demo websites must be under .{DEMO_EMAIL_DOMAIN}: {item['url']}")
    # monitored=False: the demo hostnames are not ours to probe.
    return {"url": item["url"], "name": item.get("name", ""), "description": item.get("description") or demo_note,
            "monitored": False}


def _host(checker, where, item, demo_note):
    h_where = f"{where} hosts {item.get('hostname') if isinstance(item, dict) else item!r}"
    checker.keys(h_where, item, ["hostname"], HOST_KEYS)
    software = []
    for cpe in item.get("software") or []:
        parts = str(cpe).split(":")
        if len(parts) != 13 or parts[:2] != ["cpe", "2.3"]:
            checker.fail(h_where, f"not a CPE 2.3 string: {cpe!r}")
        software.append({"cpe": cpe, "vendor": parts[3], "product": parts[4],
                         "version": parts[5] if parts[5] not in ("*", "-") else ""})
    return {
        "hostname": item["hostname"], "ip_addresses": checker.demo_addresses(h_where, item.get("ip_addresses")),
        "os": item.get("os", ""), "role": checker.choice(h_where, item.get("role", HostRole.SERVER), HostRole),
        "description": item.get("description") or demo_note, "software": software,
    }


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------

@dataclass
class DemoAccount:
    username: str
    password: str
    role: str
    unit: str
    label: str
    requires_two_factor: bool
    created: bool = False

    def line(self):
        return f"  {self.username} / {self.password}  ({self.label})"


@dataclass
class LoadResult:
    created: Counter = field(default_factory=Counter)
    existing: Counter = field(default_factory=Counter)
    group_links: int = 0
    accounts: list = field(default_factory=list)
    # "directive", "dispatch", "answered" (answers filled in), "existing" (letters already imported)
    directives: Counter = field(default_factory=Counter)

    @property
    def total_created(self):
        """Units, contacts, accounts … created (the directives have their own counts in ``directives``)."""
        return sum(self.created.values()) + self.group_links

    def as_dict(self):
        labels = [m._meta.model_name for m in SUMMARY_MODELS]
        return {
            "created": {k: self.created[k] for k in labels},
            "existing": {k: self.existing[k] for k in labels},
            "unit_group_links_added": self.group_links,
            "directives": {k: self.directives[k] for k in ("directive", "dispatch", "answered", "existing")},
            "accounts": [
                {"username": a.username, "password": a.password, "role": a.role, "unit": a.unit, "label": a.label,
                 "requires_two_factor": a.requires_two_factor, "created": a.created}
                for a in self.accounts
            ],
        }


class _Writer:
    def __init__(self, result):
        self.result = result

    def get_or_create(self, model, lookup, defaults):
        """The existing object (left untouched) or a new, validated one."""
        obj = model.objects.filter(**lookup).first()
        if obj is not None:
            self.result.existing[model._meta.model_name] += 1
            return obj
        obj = model(**lookup, **defaults)
        try:
            obj.full_clean()
        except ValidationError as exc:
            raise DemoDataError(f"{model._meta.model_name} {lookup}: {'; '.join(exc.messages)}") from None
        obj.save()
        self.result.created[model._meta.model_name] += 1
        return obj


def load(*, password=None, data=None, directives=True):
    """Load the demo data; returns a LoadResult. Safe to run again (creates only what is missing).

    ``directives``: also import the five seed letters of ``letters/`` and link, dispatch and answer them
    (``lachan.demo.directives``)."""
    data = data or read_data()
    password = password or demo_password()
    result = LoadResult()
    writer = _Writer(result)
    with transaction.atomic(), acting_as(None):
        groups = {}
        group_of = {}
        for group_spec, unit_specs in data["groups"]:
            group = writer.get_or_create(UnitGroup, {"name": group_spec["name"]},
                                         {"order": group_spec["order"], "description": group_spec["description"]})
            groups[group.name] = group
            for spec in unit_specs:
                group_of[spec["code"]] = group
        units = _load_units(data["units"], group_of, result)
        for item in data["contacts"]:
            writer.get_or_create(Contact, {"unit": units[item["unit"]], "full_name": item["full_name"]},
                                 {k: v for k, v in item.items() if k not in ("unit", "full_name")})
        for item in data["directory"]:
            lookup = {k: item[k] for k in ("organization", "person", "hotline")}
            writer.get_or_create(ExternalContact, lookup, {k: v for k, v in item.items() if k not in lookup})
        for block in data["inventory"]:
            _load_inventory(writer, units[block["unit"]], block)
        result.accounts = _load_users(data["users"], units, password, result)
        load_duty_desk(writer)
        if directives:
            load_directives(units, result.directives)
    return result


def _load_units(specs, group_of, result):
    existing = {u.code: u for u in Unit.objects.filter(code__in=[s["code"] for s in specs])}
    units = dict(existing)
    pending = list(specs)
    while pending:
        waiting = []
        for spec in pending:
            parent_code = spec.get("parent")
            if parent_code and parent_code not in units:
                waiting.append(spec)
                continue
            code = spec["code"]
            group = group_of.get(code)
            if code in existing:
                result.existing["unit"] += 1
                if group is not None and not existing[code].groups.filter(pk=group.pk).exists():
                    existing[code].groups.add(group)
                    result.group_links += 1
                continue
            fields = {k: spec.get(k) or "" for k in ("code", "name", "short_name", "kind", "address", "email",
                                                     "phone", "website", "description")}
            try:
                units[code] = unit_create(parent=units.get(parent_code), groups=[group] if group else (), **fields)
            except ValidationError as exc:
                raise DemoDataError(f"unit {code}: {'; '.join(exc.messages)}") from None
            result.created["unit"] += 1
        if len(waiting) == len(pending):
            raise DemoDataError(f"units with a parent cycle: {', '.join(s['code'] for s in waiting)}")
        pending = waiting
    return units


def _load_inventory(writer, unit, block):
    systems = {}
    for spec in block["systems"]:
        fields = {k: spec[k] for k in ("purpose", "security_level", "approval_number", "approval_date", "status",
                                       "description")}
        system = writer.get_or_create(InformationSystem, {"unit": unit, "name": spec["name"]}, fields)
        systems[spec["name"]] = system
        for site in spec["websites"]:
            writer.get_or_create(Website, {"url": site["url"]},
                                 {"unit": unit, "system": system} | {k: v for k, v in site.items() if k != "url"})
        for host in spec["hosts"]:
            _load_host(writer, unit, system, host)
    for host in block["hosts"]:
        _load_host(writer, unit, None, host)
    for spec in block["prefixes"]:
        prefix = str(parse_prefix(spec["prefix"]))
        writer.get_or_create(IPPrefix, {"unit": unit, "prefix": prefix},
                             {"description": spec["description"], "source": spec["source"],
                              "system": systems.get(spec["system"])})
    for spec in block["domains"]:
        writer.get_or_create(Domain, {"name": spec["name"]}, {"unit": unit} | {k: v for k, v in spec.items() if k != "name"})


def _load_host(writer, unit, system, spec):
    fields = {k: spec[k] for k in ("ip_addresses", "os", "role", "description")}
    host = writer.get_or_create(Host, {"unit": unit, "hostname": spec["hostname"]}, {"system": system} | fields)
    for item in spec["software"]:
        writer.get_or_create(Software, {"unit": unit, "host": host, "cpe": item["cpe"]},
                             {"system": system, "vendor": item["vendor"], "product": item["product"],
                              "version": item["version"], "description": spec["description"]})


def _load_users(specs, units, password, result):
    required = set(getattr(settings, "TWO_FACTOR_REQUIRED_ROLES", []))
    accounts = []
    for spec in specs:
        user = User.objects.filter(username=spec["username"]).first()
        created = user is None
        if created:
            try:
                user_create(username=spec["username"], password=password, unit=units.get(spec.get("unit")),
                            role=spec["role"], email=f"{spec['username']}@{DEMO_EMAIL_DOMAIN}",
                            first_name=spec.get("first_name", ""), last_name=spec.get("last_name", ""))
            except ValidationError as exc:
                raise DemoDataError(f"user {spec['username']}: {'; '.join(exc.messages)}") from None
            result.created["user"] += 1
        else:
            result.existing["user"] += 1
        accounts.append(DemoAccount(username=spec["username"], password=password, role=spec["role"],
                                    unit=spec.get("unit") or "", label=spec["label"],
                                    requires_two_factor=spec["role"] in required, created=created))
    return accounts


# --------------------------------------------------------------------------------------------------
# What the command (and the platform start script) prints
# --------------------------------------------------------------------------------------------------

def account_lines(accounts=None):
    """The demo accounts as printed after loading, one per line (Vietnamese content).

    Without ``accounts``, built from the data file and the environment (for a start script that
    only wants to remind the user of the logins)."""
    loaded = accounts is not None
    if accounts is None:
        required = set(getattr(settings, "TWO_FACTOR_REQUIRED_ROLES", []))
        password = demo_password()
        accounts = [DemoAccount(username=u["username"], password=password, role=u["role"], unit=u.get("unit") or "",
                                label=u["label"], requires_two_factor=u["role"] in required)
                    for u in (_read_yaml(DATA_FILE).get("users") or [])]
    lines = ["Tài khoản minh họa (tên đăng nhập / mật khẩu):"]
    lines += [a.line() for a in accounts]
    two_factor = [a.username for a in accounts if a.requires_two_factor]
    if two_factor:
        lines.append(
            f"Lưu ý: {', '.join(two_factor)} bắt buộc xác thực hai lớp (TOTP) theo vai trò. Lần đăng nhập đầu tiên, "
            "trang web hiện một mã QR: quét bằng ứng dụng xác thực (Google Authenticator, Microsoft Authenticator, "
            "FreeOTP…) rồi nhập mã 6 chữ số; các lần sau chỉ cần nhập mã."
        )
    elif any(a.role == Role.COORDINATOR for a in accounts):
        lines.append("Lưu ý: xác thực hai lớp đang TẮT với mọi vai trò (TWO_FACTOR_REQUIRED_ROLES rỗng); "
                     "bản triển khai thật phải bật cho vai trò điều phối viên (coordinator).")
    if loaded and (kept := [a.username for a in accounts if not a.created]):
        lines.append(f"(Đã có từ trước, không đổi mật khẩu: {', '.join(kept)} — mật khẩu là mật khẩu lúc tạo lần đầu.)")
    return lines
