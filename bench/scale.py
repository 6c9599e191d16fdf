#!/usr/bin/env python
"""Scale benchmark: 2,000 units × 20 systems × 5 prefixes.

    .venv/bin/python bench/scale.py                      # full size, scratch SQLite under bench/out/
    .venv/bin/python bench/scale.py --quick              # 200 units: a smoke run
    .venv/bin/python bench/scale.py --database-url postgres://…/scratch   # an EMPTY scratch database

Seeds a scratch database with bulk_create (materialised unit paths and IP range keys computed here,
since bulk_create skips save(); audit log off), then, as a coordinator and as a unit administrator,
requests every UI list page (URL names ending in ``_list``, found in the resolver) and every API list
endpoint (found in the API router), at page 1 and at a deep page, counting queries and timing
``--repeat`` requests each. Also compares with the naive way in the same run (the same lists without
select_related: queries grow with the page size) and times the unit scope on the deep tree.

Exit status: 0 when every list keeps the same query count on page 1 and on the deep page; 1 when one
does not; 2 when a request fails.
"""

import argparse
import datetime
import ipaddress
import math
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--systems", type=int, default=20, help="information systems per unit")
    parser.add_argument("--prefixes", type=int, default=5, help="IP prefixes per information system")
    parser.add_argument("--fanout", type=int, default=4, help="children per unit in the generated tree")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per endpoint, role and page")
    parser.add_argument("--budget", type=float, default=1.5,
                        help="seconds of timed requests per measurement before stopping early (at least 2 requests)")
    parser.add_argument("--deep-page", type=int, default=50, help="the deep page (UI) / offset = (page-1)×50 (API)")
    parser.add_argument("--database-url", help="an empty scratch database (default: SQLite under bench/out/)")
    parser.add_argument("--reuse", action="store_true", help="reuse an already seeded bench/out database")
    parser.add_argument("--quick", action="store_true", help="200 units, 5 timed requests: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.units, args.repeat = 200, 5
    return args


def configure(args):
    """Environment for lachan.settings, set before Django starts."""
    (OUT / "var" / "static").mkdir(parents=True, exist_ok=True)  # STATIC_ROOT: whitenoise warns when missing
    if args.database_url:
        url = args.database_url
    else:
        db = OUT / f"scale-{args.units}x{args.systems}x{args.prefixes}.sqlite3"
        if not args.reuse:
            for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
                path.unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "lachan.settings",
        "DATABASE_URL": url,
        "LACHAN_DATA_DIR": str(OUT / "var"),
        "ALLOWED_HOSTS": "testserver",
        "TWO_FACTOR_REQUIRED_ROLES": "",  # the bench logs in with force_login; no TOTP step
        "LACHAN_MANIFEST_STATIC": "false",
        "AXES_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "TASKS_BACKEND": "immediate",
    })
    sys.path.insert(0, str(ROOT))
    return url


# --------------------------------------------------------------------------------------------------
# Seeding
# --------------------------------------------------------------------------------------------------

def seed(args, out):
    from auditlog.context import disable_auditlog
    from django.contrib.auth.hashers import make_password
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from lachan.accounts.choices import Role
    from lachan.accounts.models import User
    from lachan.inventory.ipam import network_keys
    from lachan.inventory.models import Domain, Host, InformationSystem, IPPrefix, Software, Website
    from lachan.organizations.models import Contact, ExternalContact, Unit, UnitGroup

    started = time.perf_counter()
    n_units, fanout = args.units, args.fanout
    kinds = ["department", "district", "school", "division", "commune", "agency"]
    with disable_auditlog(), transaction.atomic():
        # Units: id 1 is the root; unit i's parent is (i - 2) // fanout + 1, so parents come first and the
        # materialised path is the parent's path + "<id>/", exactly as organizations/services.py writes it.
        paths, depths, units = {}, {}, []
        for i in range(1, n_units + 1):
            parent = None if i == 1 else (i - 2) // fanout + 1
            paths[i] = f"{paths[parent] if parent else '/'}{i}/"
            depths[i] = depths[parent] + 1 if parent else 0
            units.append(Unit(id=i, code=f"B{i:05d}", name=f"Đơn vị thử tải {i}", kind=kinds[depths[i] % len(kinds)],
                              parent_id=parent, path=paths[i], depth=depths[i]))
        Unit.objects.bulk_create(units, batch_size=2000)
        groups = UnitGroup.objects.bulk_create([UnitGroup(name=f"Khối thử tải {g}", order=g) for g in range(1, 8)])
        through = Unit.groups.through
        through.objects.bulk_create([through(unit_id=i, unitgroup_id=groups[i % 7].pk) for i in range(1, n_units + 1)],
                                    batch_size=5000)

        password = make_password("Bench-mat-khau-2025")
        users = [User(username="bench.coord", role=Role.COORDINATOR, unit_id=1, password=password),
                 User(username="bench.admin", role=Role.UNIT_ADMIN, unit_id=2, password=password)]
        users += [User(username=f"canbo{i:05d}", role=Role.UNIT_MEMBER, unit_id=i, password=password,
                       first_name="Cán bộ", last_name=str(i)) for i in range(1, n_units + 1)]
        User.objects.bulk_create(users, batch_size=2000)
        Contact.objects.bulk_create([
            Contact(unit_id=i, full_name=f"Đầu mối {i}-{k}", phones=f"09{i:04d}{k:04d}", roles="security_focal")
            for i in range(1, n_units + 1) for k in range(2)
        ], batch_size=2000)
        ExternalContact.objects.bulk_create([
            ExternalContact(organization=f"Trung tâm đối tác {k}", phones="02436404421", order=k) for k in range(10)
        ])

        systems, prefixes, hosts, software, domains, websites = [], [], [], [], [], []
        approval = datetime.date(2024, 1, 15)
        system_id = host_id = k = 0
        for unit_id in range(1, n_units + 1):
            first_system = system_id + 1
            for s in range(args.systems):
                system_id += 1
                systems.append(InformationSystem(
                    id=system_id, unit_id=unit_id, name=f"Hệ thống {s + 1}", security_level=s % 5 + 1,
                    approval_number=f"{system_id}/QĐ-BENCH", approval_date=approval))
                for _p in range(args.prefixes):
                    if k % 5 == 4:
                        network = ipaddress.IPv6Network((0x20010DB8 << 96 | k << 64, 64))
                    else:
                        network = ipaddress.IPv4Network(((10 << 24) + k * 8, 29))
                    first, last = network_keys(network)
                    prefixes.append(IPPrefix(unit_id=unit_id, system_id=system_id, prefix=str(network),
                                             version=network.version, prefix_length=network.prefixlen,
                                             first_key=first, last_key=last))
                    k += 1
            for h in range(2):
                host_id += 1
                hosts.append(Host(id=host_id, unit_id=unit_id, system_id=first_system, hostname=f"may-chu-{h}",
                                  ip_addresses=f"10.{unit_id // 250}.{unit_id % 250}.{h + 1}", os="Ubuntu 22.04"))
                software += [
                    Software(unit_id=unit_id, host_id=host_id, system_id=first_system, vendor="apache",
                             product="http_server", version="2.4.49",
                             cpe="cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*"),
                    Software(unit_id=unit_id, host_id=host_id, system_id=first_system, vendor="openssl",
                             product="openssl", version="3.0.1", cpe="cpe:2.3:a:openssl:openssl:3.0.1:*:*:*:*:*:*:*"),
                ]
            domains.append(Domain(unit_id=unit_id, name=f"donvi{unit_id}.bench.example"))
            websites.append(Website(unit_id=unit_id, system_id=first_system, url=f"https://donvi{unit_id}.bench.example/",
                                    name=f"Cổng thông tin {unit_id}", monitored=False))
        for model, objs in ((InformationSystem, systems), (IPPrefix, prefixes), (Host, hosts), (Software, software),
                            (Domain, domains), (Website, websites)):
            model.objects.bulk_create(objs, batch_size=5000)
        # explicit ids were given: move the sequences past them (PostgreSQL; a no-op on SQLite)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Unit, InformationSystem, Host]):
                cursor.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    out(f"seeded {n_units:,} units (tree fanout {fanout}, depth {max(depths.values())}), {len(systems):,} systems, "
        f"{len(prefixes):,} prefixes, {len(hosts):,} hosts, {len(software):,} software, {len(users):,} users, "
        f"{2 * n_units:,} contacts in {time.perf_counter() - started:.1f} s")


# --------------------------------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------------------------------

def ui_list_endpoints():
    """[(label, url, model, view class)] for every URL name ending in _list that takes no argument."""
    from django.urls import URLPattern, URLResolver, get_resolver, reverse

    found = []

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
            elif isinstance(entry, URLPattern) and entry.name and entry.name.endswith("_list"):
                if entry.pattern.regex.groups:
                    continue
                view_class = getattr(entry.callback, "view_class", None)
                model = getattr(view_class, "model", None)
                found.append((f"{namespace}{entry.name}", reverse(f"{namespace}{entry.name}"), model, view_class))

    walk(get_resolver().url_patterns, "")
    return sorted(found, key=lambda e: e[0])


def api_list_endpoints():
    """[(label, url, model, viewset)] for every list route the API router registers (whatever exists today)."""
    from django.urls import NoReverseMatch, reverse

    try:
        from lachan.core.api.router import build_router
    except ImportError:
        return []
    found = []
    for prefix, viewset, basename in build_router().registry:
        if not hasattr(viewset, "list"):
            continue
        try:
            url = reverse(f"{basename}-list")
        except NoReverseMatch:
            continue
        queryset = getattr(viewset, "queryset", None)
        found.append((f"api/{prefix}", url, getattr(queryset, "model", None), viewset))
    return sorted(found, key=lambda e: e[0])


# --------------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------------

class RequestFailed(Exception):
    pass


def fetch(client, url, headers):
    response = client.get(url, **headers)
    if response.status_code != 200:
        raise RequestFailed(f"GET {url} → {response.status_code}")
    return response


def measure(client, url, headers, repeat, budget, warm=True):
    """(queries of one request, KB of its response, [ms of each timed request]).

    One warm-up request first (``warm``), so that per-process caches do not count as queries of the
    page. Then up to ``repeat`` timed requests, the first of them under CaptureQueriesContext (its
    overhead is a list append per query); fewer when they add up to more than ``budget`` seconds
    (at least 2), which keeps the bench's runtime bounded when a page is slow."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if warm:
        fetch(client, url, headers)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx:
        response = fetch(client, url, headers)
    times = [(time.perf_counter() - started) * 1000]
    queries = len(ctx.captured_queries)  # now: the next request clears connection.queries
    spent = times[0] / 1000
    while len(times) < repeat and (spent < budget or len(times) < 2):
        started = time.perf_counter()
        fetch(client, url, headers)
        times.append((time.perf_counter() - started) * 1000)
        spent += times[-1] / 1000
    return queries, len(response.content) / 1024, times


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def visible_count(model, user):
    if model is None:
        return None
    manager = model._default_manager
    return manager.restrict(user).count() if hasattr(manager, "restrict") else manager.count()


def pages_for(kind, url, count, deep_page, per_page=50):
    """(page-1 URL, deep URL or None). The deep page is --deep-page, or the last page when there are fewer."""
    sep = "&" if "?" in url else "?"
    last = max(1, math.ceil((count or 0) / per_page))
    deep = min(deep_page, last)
    if kind == "ui":
        return f"{url}{sep}page=1", (f"{url}{sep}page={deep}" if deep > 1 else None), deep
    return (f"{url}{sep}limit={per_page}&offset=0",
            f"{url}{sep}limit={per_page}&offset={(deep - 1) * per_page}" if deep > 1 else None, deep)


def run_lists(endpoints, roles, args, out):
    rows, failures = [], []
    for kind, label, url, model, _view in endpoints:
        for role_name, (user, client, headers) in roles.items():
            count = visible_count(model, user)
            first, deep, deep_no = pages_for(kind, url, count, args.deep_page)
            try:
                q1, kb, t1 = measure(client, first, headers, args.repeat, args.budget)
                qd, _kb, td = measure(client, deep, headers, args.repeat, args.budget, warm=False) if deep else (None, 0, [])
            except RequestFailed as exc:
                failures.append(f"{label} ({role_name}): {exc}")
                continue
            rows.append({"endpoint": label, "role": role_name, "rows": count, "deep": deep_no, "q1": q1, "qd": qd,
                         "kb": kb, "n": len(t1) + len(td),
                         "constant": qd is None or q1 == qd, "med1": statistics.median(t1), "p951": p95(t1),
                         "medd": statistics.median(td) if td else None, "p95d": p95(td) if td else None})
            out(_format_row(rows[-1]))
    return rows, failures


HEADER = (f"{'endpoint':<34} {'role':<11} {'rows':>7} {'q p1':>5} {'deep':>5} {'q deep':>6} {'const':>5} "
          f"{'p1 med ms':>9} {'p1 p95':>7} {'deep med':>8} {'deep p95':>8} {'KB p1':>7} {'n':>3}")


def _format_row(r):
    deep = f"p{r['deep']}" if r["qd"] is not None else "–"
    qd = r["qd"] if r["qd"] is not None else "–"
    medd = f"{r['medd']:.1f}" if r["medd"] is not None else "–"
    p95d = f"{r['p95d']:.1f}" if r["p95d"] is not None else "–"
    rows = f"{r['rows']:,}" if r["rows"] is not None else "?"
    return (f"{r['endpoint']:<34} {r['role']:<11} {rows:>7} {r['q1']:>5} {deep:>5} {qd:>6} "
            f"{'yes' if r['constant'] else 'NO':>5} {r['med1']:>9.1f} {r['p951']:>7.1f} {medd:>8} {p95d:>8} "
            f"{r['kb']:>7.0f} {r['n']:>3}")


def _joins(queryset):
    return bool(queryset.query.select_related) or bool(queryset._prefetch_related_lookups)


def naive_comparison(endpoints, role, args, out):
    """The same lists with the joins removed (select_related(None), prefetch_related(None)): what the
    constant-query design saves. Page sizes 10, 50 and 100 rows."""
    user, client, headers = role
    sizes = (10, 50, 100)
    varying = []
    out(f"{'endpoint':<34} {'design: queries at 10/50/100 rows':>34} {'naive: queries at 10/50/100 rows':>34} "
        f"{'design ms@100':>13} {'naive ms@100':>12}")
    for kind, label, url, model, view in endpoints:
        if model is None or view is None:
            continue
        if kind == "ui":
            probe = view()
            probe.request, probe.kwargs = type("Request", (), {"user": user})(), {}
            design_qs = probe.get_queryset()
        else:
            design_qs = view.queryset
        if not _joins(design_qs):
            out(f"{label:<34} (no select_related/prefetch_related in the design: nothing to compare)")
            continue
        sep = "&" if "?" in url else "?"
        urls = [f"{url}{sep}per_page={n}" if kind == "ui" else f"{url}{sep}limit={n}" for n in sizes]

        def run(urls=urls):
            results = [measure(client, u, headers, 1, 0, warm=(u == urls[0])) for u in urls[:-1]]
            results.append(measure(client, urls[-1], headers, max(3, args.repeat // 3), args.budget, warm=False))
            return [q for q, _kb, _t in results], statistics.median(results[-1][2])

        design, design_ms = run()
        if kind == "ui":
            own = view.__dict__.get("get_queryset")
            inherited = view.get_queryset
            view.get_queryset = lambda self, action=None, _qs=inherited: (
                _qs(self, action).select_related(None).prefetch_related(None))
        else:
            own = view.queryset
            view.queryset = own.select_related(None).prefetch_related(None)
        try:
            naive, naive_ms = run()
        finally:
            if kind == "ui":
                if own is None:
                    del view.get_queryset
                else:
                    view.get_queryset = own
            else:
                view.queryset = own
        out(f"{label:<34} {'/'.join(map(str, design)):>34} {'/'.join(map(str, naive)):>34} {design_ms:>13.1f} "
            f"{naive_ms:>12.1f}")
        if len(set(design)) > 1:
            varying.append(f"{label}: {'/'.join(map(str, design))} queries at {'/'.join(map(str, sizes))} rows")
    return varying


def scope_timing(args, out):
    """Unit.objects.restrict(user) on the deep tree (path prefix) against walking the tree level by level."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lachan.accounts.choices import Role
    from lachan.accounts.models import User
    from lachan.inventory.models import InformationSystem
    from lachan.organizations.models import Unit

    def timed(fn, n):
        times = []
        for _ in range(n):
            started = time.perf_counter()
            result = fn()
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as ctx:
            fn()
        return result, statistics.median(times), len(ctx.captured_queries)

    def walk_down(unit):
        ids, frontier = [unit.pk], [unit.pk]
        while frontier:
            frontier = list(Unit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            ids += frontier
        return ids

    out(f"{'unit (depth)':<16} {'units in scope':>14} {'restrict() ms':>13} {'q':>2} {'tree walk ms':>12} {'q':>3}"
        f" {'systems':>8} {'restrict() ms':>13} {'walk+IN ms':>10}")
    max_depth = Unit.objects.order_by("-depth").values_list("depth", flat=True).first() or 0
    for depth in sorted({0, 1, max(1, max_depth // 2), max(1, max_depth - 1)}):
        unit = Unit.objects.filter(depth=depth).order_by("pk").first()
        user = User(username=f"scope{depth}", role=Role.UNIT_MEMBER if depth else Role.UNIT_ADMIN, unit=unit)
        n = max(5, args.repeat)
        ids, ms_restrict, q_restrict = timed(lambda u=user: list(Unit.objects.restrict(u).values_list("pk", flat=True)), n)
        walked, ms_walk, q_walk = timed(lambda u=unit: walk_down(u), n)
        assert sorted(ids) == sorted(walked), "restrict() and the tree walk disagree"
        systems, ms_sys, _q = timed(lambda u=user: InformationSystem.objects.restrict(u).count(), n)
        _s, ms_sys_walk, _q = timed(lambda u=unit: InformationSystem.objects.filter(unit_id__in=walk_down(u)).count(), n)
        out(f"{unit.code + f' ({depth})':<16} {len(ids):>14,} {ms_restrict:>13.1f} {q_restrict:>2} {ms_walk:>12.1f} "
            f"{q_walk:>3} {systems:>8,} {ms_sys:>13.1f} {ms_sys_walk:>10.1f}")


def _load():
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    url = configure(args)

    def out(line=""):
        print(line, flush=True)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from lachan.accounts.models import User
    from lachan.accounts.services import token_create
    from lachan.organizations.models import Unit

    wall = time.perf_counter()
    out(f"Lá Chắn scale bench — {args.units:,} units × {args.systems} systems × {args.prefixes} prefixes, "
        f"{connection.vendor} ({url.split('@')[-1]}), Django {django.get_version()}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, load average {_load()}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    out(f"migrated in {time.perf_counter() - started:.1f} s")
    existing = Unit.objects.count()
    if existing and not (args.reuse and existing == args.units):
        out(f"the database already holds {existing} units: give an empty scratch database (or --reuse)")
        return 2
    if not existing:
        seed(args, out)

    roles = {}
    for role_name, username in (("coordinator", "bench.coord"), ("unit_admin", "bench.admin")):
        user = User.objects.select_related("unit").get(username=username)
        ui = Client()
        ui.force_login(user)
        api = Client()
        token = token_create(user=user)
        roles[role_name] = {"ui": (user, ui, {}), "api": (user, api, {"HTTP_AUTHORIZATION": f"Token {token.key}"})}
    admin_unit = roles["unit_admin"]["ui"][0].unit
    out(f"unit admin's unit: {admin_unit.code} (depth {admin_unit.depth}, "
        f"{Unit.objects.filter(path__startswith=admin_unit.path).count():,} units in its subtree)")

    endpoints = [("ui", *e) for e in ui_list_endpoints()] + [("api", *e) for e in api_list_endpoints()]
    out(f"discovered {sum(1 for e in endpoints if e[0] == 'ui')} UI list pages and "
        f"{sum(1 for e in endpoints if e[0] == 'api')} API list endpoints; {args.repeat} timed requests each, "
        f"page 1 vs deep page (page {args.deep_page} / offset {(args.deep_page - 1) * 50}, or the last page)")
    out()
    out(HEADER)
    out("-" * len(HEADER))
    rows, failures = [], []
    for kind in ("ui", "api"):
        kind_roles = {name: r[kind] for name, r in roles.items()}
        r, f = run_lists([e for e in endpoints if e[0] == kind], kind_roles, args, out)
        rows += r
        failures += f

    out()
    out("Naive way, same run (coordinator): the same lists with restrict() only — no select_related/prefetch_related")
    by_size = naive_comparison([e for e in endpoints if e[0] == "ui"], roles["coordinator"]["ui"], args, out)
    by_size += naive_comparison([e for e in endpoints if e[0] == "api"], roles["coordinator"]["api"], args, out)

    out()
    out("Unit scope on the deep tree: Unit.objects.restrict(user) (one path-prefix query) vs walking the tree "
        "level by level (the naive adjacency-list way)")
    scope_timing(args, out)

    out()
    varying = [r for r in rows if not r["constant"]]
    for line in failures:
        out(f"FAILED: {line}")
    for r in varying:
        out(f"NOT CONSTANT: {r['endpoint']} ({r['role']}): {r['q1']} queries on page 1, {r['qd']} on page {r['deep']}")
    for line in by_size:
        out(f"NOT CONSTANT with the page size: {line}")
    out(f"{len(rows)} measurements, {len(varying) + len(by_size)} with a varying query count, "
        f"{len(failures)} failed requests; "
        f"total {time.perf_counter() - wall:.0f} s; load average now {_load()} (on {os.cpu_count()} CPUs)")
    if failures:
        return 2
    return 1 if varying or by_size else 0


if __name__ == "__main__":
    sys.exit(main())
