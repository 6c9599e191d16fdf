#!/usr/bin/env python
"""200 concurrent unit users filing and updating incidents through the API of the real server, on loopback.

    .venv/bin/python bench/incidents_load.py                     # 200 users in 50 units for 300 s, SQLite
    .venv/bin/python bench/incidents_load.py --duration 60       # a smoke run
    .venv/bin/python bench/incidents_load.py --postgres          # a private, throwaway PostgreSQL cluster
    .venv/bin/python bench/incidents_load.py --database-url postgres://…/empty_scratch_db

Issue 6 target: "200 concurrent unit users filing and updating incidents for 5 minutes on loopback: 0 errors,
0 lost updates (concurrent edits are detected, not overwritten); p50/p95 printed".

What it does:

1. A throwaway database: a fresh SQLite file under ``bench/out/`` (WAL, as deployed by default), or with
   ``--postgres`` a private PostgreSQL cluster started here (``initdb``/``pg_ctl`` under a temporary
   directory, as ``scripts/lib.sh`` does for the tests; removed at the end), or ``--database-url`` (empty).
   Migrated, then seeded: a root unit and ``--units`` units under it, ``--users`` users spread over them
   (unit administrators, members, on-duty operators), each with an API token.
2. The real server: ``lachan serve`` (gunicorn, ``--workers`` processes) on a free loopback port, its log in
   ``bench/out/incidents-load-server.log``.
3. ``--users`` virtual users in one asyncio process (aiohttp), each with its own token, for ``--duration``
   seconds, pausing ``--think`` seconds on average between actions. Each action is one of: file an incident
   for its unit (POST), read its unit's list (GET), or edit one of its unit's incidents — mostly one of the
   three its unit filed last, so that colleagues of the same unit edit the same incidents at the same time:
   read it (GET), wait a moment, PATCH it with the version read and a unique token in ``current_status``.
   A 409 is a detected conflict: the user reads the incident again and retries (up to ``--retries`` times).
   Errors: 5xx, timeouts or connection failures, and any other unexpected status.
4. Verification after the run, in the database: for every incident, its version is 1 + the number of
   PATCHes answered 200; every such PATCH returned version v + 1 for the version v it sent, no two of
   them sent the same version; the timeline holds an "updated" event for each one with its token, whose
   previous value is the token of the version before (each write applied to the state it had read), and
   the audit log holds the token too; the incident shows the last token. Anything else is a lost update.

Prints: the set-up (database, workers, users, units), requests, per-endpoint count, p50/p95/p99/max (ms),
errors by kind, conflicts detected (409) and edits given up after the retries, lost updates, throughput.
Exit status 0 when there are no errors and no lost updates, 1 otherwise.
"""

import argparse
import asyncio
import collections
import datetime
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
API = "/api/incidents/incidents/"
PG_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200, help="virtual users (default 200)")
    parser.add_argument("--units", type=int, default=50, help="units the users belong to (default 50)")
    parser.add_argument("--duration", type=float, default=300, help="seconds of load (default 300)")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn worker processes (default: 2 × CPUs + 1)")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a user's actions, seconds")
    parser.add_argument("--create", type=float, default=0.2, help="share of actions that file an incident")
    parser.add_argument("--list", type=float, default=0.1, help="share of actions that read the unit's list")
    parser.add_argument("--retries", type=int, default=5, help="attempts of one edit after conflicts")
    parser.add_argument("--timeout", type=float, default=60, help="client timeout of one request, seconds")
    parser.add_argument("--seed", type=int, default=6)
    database = parser.add_mutually_exclusive_group()
    database.add_argument("--postgres", action="store_true", help="start a private, throwaway PostgreSQL cluster")
    database.add_argument("--database-url", help="an EMPTY scratch database (default: SQLite under bench/out/)")
    return parser.parse_args(argv)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the database -------------------------------------------------------------------------------------------------


class PrivatePostgres:
    """A throwaway PostgreSQL cluster in a temporary directory (``scripts/lib.sh`` ``start_private_postgres``)."""

    def __init__(self):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        if not bins or not (bins[-1] / "initdb").exists():
            sys.exit("PostgreSQL server binaries not found under /usr/lib/postgresql")
        self.bin = bins[-1]
        self.dir = Path(tempfile.mkdtemp(prefix="lachan-bench-pg-"))
        self.port = free_port()
        self.run = []
        if os.getuid() == 0:  # postgres refuses to run as root
            shutil.chown(self.dir, "postgres", "postgres")
            self.run = ["runuser", "-u", "postgres", "--"]

    def start(self):
        data = self.dir / "data"
        subprocess.run([*self.run, str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
        subprocess.run([*self.run, str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "server.log"),
                        "-w", "-t", "60", "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} "
                        f"{PG_OPTIONS}", "start"], check=True, capture_output=True)
        subprocess.run([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                        "lachan"], check=True)
        return f"postgres://postgres@127.0.0.1:{self.port}/lachan"

    def stop(self):
        subprocess.run([*self.run, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w",
                        "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def configure(args, url):
    var = OUT / "incidents-load-var"
    shutil.rmtree(var, ignore_errors=True)
    (var / "static").mkdir(parents=True)
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "lachan.settings", "DATABASE_URL": url, "LACHAN_DATA_DIR": str(var),
        "SECRET_KEY": "bench-" + "x" * 50, "LOG_LEVEL": "WARNING", "AXES_ENABLED": "false",
        "TWO_FACTOR_REQUIRED_ROLES": "", "LACHAN_MANIFEST_STATIC": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend", "TASKS_BACKEND": "db",
    })
    sys.path.insert(0, str(ROOT))


def seed(args):
    """Units under one root, users spread over them (round robin), a token each. Returns [(user id, unit id, key)]."""
    from auditlog.context import disable_auditlog
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from lachan.accounts.choices import Role
    from lachan.accounts.models import User
    from lachan.organizations.models import Unit

    roles = [Role.UNIT_MEMBER, Role.UNIT_ADMIN, Role.OPERATOR, Role.UNIT_MEMBER]
    with disable_auditlog(), transaction.atomic():
        root = Unit.objects.create(code="ROOT", name="Sở Thông tin và Truyền thông", path="", depth=0)
        Unit.objects.filter(pk=root.pk).update(path=f"/{root.pk}/")
        units = []
        for i in range(args.units):
            unit = Unit.objects.create(code=f"U{i + 1:03d}", name=f"Đơn vị {i + 1}", parent=root, depth=1, path="")
            unit.path = f"/{root.pk}/{unit.pk}/"
            Unit.objects.filter(pk=unit.pk).update(path=unit.path)
            units.append(unit)
        users = User.objects.bulk_create([
            User(username=f"load{i:03d}", role=roles[(i // args.units) % len(roles)], unit=units[i % args.units],
                 first_name=f"Người dùng {i}", email=f"load{i:03d}@example.vn", password="!")
            for i in range(args.users)])
        users = list(User.objects.filter(username__startswith="load").order_by("username"))
        Token.objects.bulk_create([Token(user=u, key=Token.generate_key()) for u in users])
    keys = dict(Token.objects.values_list("user_id", "key"))
    return [(u.pk, u.unit_id, keys[u.pk]) for u in users]


# --- the server ---------------------------------------------------------------------------------------------------


def start_server(port, workers, log):
    argv = [str(ROOT / ".venv" / "bin" / "lachan"), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy(),
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server stopped at start (status {process.returncode}); see {log.name}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                if b" 200 " in conn.recv(100):
                    return process
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(process)
    sys.exit("the server did not answer /healthz within 60 s")


def stop_server(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- the load -----------------------------------------------------------------------------------------------------


class Run:
    def __init__(self, args, base):
        self.args = args
        self.base = base
        self.latency = collections.defaultdict(list)  # endpoint → [ms]
        self.errors = collections.Counter()  # "endpoint status/kind" → n
        self.error_samples = []
        self.conflicts = 0
        self.given_up = 0
        self.pools = collections.defaultdict(list)  # unit id → [incident id] in filing order
        self.successes = collections.defaultdict(list)  # incident id → [(sent version, returned version, token)]
        self.created = 0
        self.deadline = 0.0

    async def call(self, session, method, endpoint, url, key, payload=None, expected=(200,)):
        """(status, json or None); records the latency and, for an unexpected answer, the error."""
        headers = {"Authorization": f"Token {key}", "Accept": "application/json"}
        started = time.perf_counter()
        try:
            async with session.request(method, self.base + url, json=payload, headers=headers) as response:
                body = await response.read()
                status = response.status
        except TimeoutError:
            self.error(endpoint, "timeout", url)
            return None, None
        except Exception as exc:  # noqa: BLE001 -- a refused/reset connection or any client failure: an error
            self.error(endpoint, type(exc).__name__, f"{url}: {exc}")
            return None, None
        self.latency[endpoint].append((time.perf_counter() - started) * 1000)
        if status not in expected:
            self.error(endpoint, str(status), f"{url}: {body[:300]!r}")
            return status, None
        return status, json.loads(body) if body else None

    def error(self, endpoint, kind, sample):
        self.errors[f"{endpoint} {kind}"] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{endpoint} {kind}: {sample}")

    async def create(self, session, user, rng, serial):
        uid, unit, key = user
        detected = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=rng.randint(1, 600))
        payload = {"unit": unit, "title": f"Sự cố tải thử {uid}-{serial}", "incident_type": rng.choice(
            ["malware", "ransomware", "defacement", "ddos", "phishing", "other"]),
            "severity": rng.choice(["critical", "high", "medium", "low"]),
            "description": "Phát hiện truy cập bất thường trên máy chủ web", "detected_at": detected.isoformat()}
        status, body = await self.call(session, "POST", "POST incident", API, key, payload, expected=(201,))
        if status == 201:
            self.pools[unit].append(body["id"])
            self.created += 1

    async def edit(self, session, user, rng, serial):
        uid, unit, key = user
        pool = self.pools[unit]
        incident = rng.choice(pool[-3:]) if rng.random() < 0.8 else rng.choice(pool)
        url = f"{API}{incident}/"
        for attempt in range(self.args.retries):
            status, body = await self.call(session, "GET", "GET incident", url, key)
            if body is None:
                return
            version = body["version"]
            await asyncio.sleep(rng.uniform(0, 0.3))  # the user types: colleagues may write meanwhile
            token = f"u{uid}-{serial}-{attempt}"
            status, body = await self.call(session, "PATCH", "PATCH incident", url, key,
                                           {"version": version, "current_status": token}, expected=(200, 409))
            if status == 200:
                self.successes[incident].append((version, body["version"], token))
                return
            if status != 409:
                return
            self.conflicts += 1
        self.given_up += 1

    async def list(self, session, user, rng):
        _uid, unit, key = user
        await self.call(session, "GET", "GET list", f"{API}?unit={unit}&limit=20", key)

    async def user(self, session, user, rng):
        serial = 0
        await asyncio.sleep(rng.uniform(0, 2 * self.args.think))  # not all at the same instant
        while time.monotonic() < self.deadline:
            serial += 1
            draw = rng.random()
            if not self.pools[user[1]] or draw < self.args.create:
                await self.create(session, user, rng, serial)
            elif draw < self.args.create + self.args.list:
                await self.list(session, user, rng)
            else:
                await self.edit(session, user, rng, serial)
            await asyncio.sleep(rng.uniform(0, 2 * self.args.think))

    async def main(self, users):
        import aiohttp

        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        timeout = aiohttp.ClientTimeout(total=self.args.timeout)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            self.deadline = time.monotonic() + self.args.duration
            started = time.monotonic()
            await asyncio.gather(*(self.user(session, user, random.Random(self.args.seed * 1000 + i))
                                   for i, user in enumerate(users)))
            return time.monotonic() - started


# --- verification -------------------------------------------------------------------------------------------------


def verify(run):
    """Lost updates: every PATCH answered 200 must be in the incident's version, timeline and audit trail."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from lachan.incidents.choices import EventKind
    from lachan.incidents.models import Incident, IncidentEvent

    problems = []
    incidents = {i.pk: i for i in Incident.objects.all()}
    events = collections.defaultdict(dict)  # incident → {version: (old, new)}
    for incident_id, version, changes in IncidentEvent.objects.filter(kind=EventKind.UPDATED).values_list(
            "incident_id", "version", "changes"):
        old_new = changes.get("current_status")
        if old_new is not None:
            events[incident_id][version] = tuple(old_new)
    audited = set()
    content_type = ContentType.objects.get_for_model(Incident)
    for changes in LogEntry.objects.filter(content_type=content_type, action=LogEntry.Action.UPDATE).values_list(
            "changes", flat=True):
        data = json.loads(changes) if isinstance(changes, str) else changes
        if data and "current_status" in data:
            audited.add(data["current_status"][1])
    for incident_id, incident in incidents.items():
        done = sorted(run.successes.get(incident_id, []))
        if incident.version != 1 + len(done):
            problems.append(f"#{incident_id}: version {incident.version}, {len(done)} successful PATCHes")
        sent = [s for s, _r, _t in done]
        if len(set(sent)) != len(sent):
            problems.append(f"#{incident_id}: two PATCHes from the same version were both accepted")
        previous = ""
        for sent_version, returned, token in done:
            if returned != sent_version + 1:
                problems.append(f"#{incident_id}: PATCH at version {sent_version} answered version {returned}")
            if events[incident_id].get(returned) != (previous, token):
                problems.append(f"#{incident_id} v{returned}: timeline has {events[incident_id].get(returned)}, "
                                f"expected {(previous, token)}")
            if token not in audited:
                problems.append(f"#{incident_id}: token {token} missing from the audit log")
            previous = token
        if incident.current_status != previous:
            problems.append(f"#{incident_id}: shows {incident.current_status!r}, the last accepted edit was {previous!r}")
    missing = set(run.successes) - set(incidents)
    problems += [f"#{i}: edited but not in the database" for i in sorted(missing)]
    return len(incidents), problems


# --- report -------------------------------------------------------------------------------------------------------


def quantile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def report(run, elapsed, incidents, problems):
    total = sum(len(v) for v in run.latency.values()) + sum(
        n for k, n in run.errors.items() if not k.split()[-1].isdigit())
    print(f"\nrequests: {total:,} in {elapsed:.1f} s → {total / elapsed:,.1f} req/s")
    print(f"{'endpoint':<16} {'n':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    everything = []
    for endpoint in ("POST incident", "GET incident", "PATCH incident", "GET list"):
        values = run.latency.get(endpoint, [])
        everything += values
        print(f"{endpoint:<16} {len(values):>8,} {quantile(values, .5):>8.1f} {quantile(values, .95):>8.1f} "
              f"{quantile(values, .99):>8.1f} {max(values, default=float('nan')):>8.1f}")
    print(f"{'all':<16} {len(everything):>8,} {quantile(everything, .5):>8.1f} {quantile(everything, .95):>8.1f} "
          f"{quantile(everything, .99):>8.1f} {max(everything, default=float('nan')):>8.1f}")
    accepted = sum(len(v) for v in run.successes.values())
    print(f"incidents filed: {run.created:,}; edits accepted (200): {accepted:,}; "
          f"conflicts detected (409, re-read and retried): {run.conflicts:,}; "
          f"edits given up after {run.args.retries} conflicts: {run.given_up:,}")
    errors = sum(run.errors.values())
    print(f"errors: {errors}" + (f" ({dict(run.errors)})" if errors else ""))
    for sample in run.error_samples:
        print(f"  {sample}")
    print(f"lost updates: {len(problems)} (checked {incidents:,} incidents: versions, timeline, audit log)")
    for problem in problems[:10]:
        print(f"  {problem}")
    return errors == 0 and not problems


def main(argv=None):
    args = parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    postgres = None
    if args.postgres:
        postgres = PrivatePostgres()
        url, what = postgres.start(), "PostgreSQL (private throwaway cluster, fsync off)"
    elif args.database_url:
        url, what = args.database_url, "the given database"
    else:
        db = OUT / "incidents-load.sqlite3"
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            path.unlink(missing_ok=True)
        url, what = f"sqlite:///{db}", f"SQLite (WAL) {db.relative_to(ROOT)}"
    process = None
    try:
        configure(args, url)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        users = seed(args)
        connections.close_all()
        workers = args.workers or 2 * (os.cpu_count() or 1) + 1
        port = free_port()
        print(f"database: {what}; server: lachan serve (gunicorn) with {workers} workers on 127.0.0.1:{port}")
        print(f"{len(users)} users in {args.units} units, {args.duration:g} s, think time {args.think:g} s on "
              f"average; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        with open(OUT / "incidents-load-server.log", "w") as log:
            process = start_server(port, workers, log)
            run = Run(args, f"http://127.0.0.1:{port}")
            elapsed = asyncio.run(run.main(users))
            print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            stop_server(process)
        incidents, problems = verify(run)
        ok = report(run, elapsed, incidents, problems)
        return 0 if ok else 1
    finally:
        if process is not None:
            stop_server(process)
        if postgres is not None:
            from django.db import connections

            connections.close_all()
            postgres.stop()


if __name__ == "__main__":
    sys.exit(main())
