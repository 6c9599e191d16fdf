"""The units × tasks matrix of one directive dispatched to 2,000 units with 15 tasks.

    .venv/bin/python bench/directive_matrix.py [--units 2000] [--tasks 15] [--repeat 7]

Builds the data in a throw-away SQLite database, then renders the matrix page as the coordinator through
the test client. Prints the number of SQL queries per render (it must not grow with the size) and the
median render time (target: under 300 ms). Figures only, no assertion.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lachan.settings")
_tmp = tempfile.mkdtemp(prefix="lachan-bench-")
os.environ.update({"LACHAN_DATA_DIR": _tmp, "TWO_FACTOR_REQUIRED_ROLES": "", "AXES_ENABLED": "false",
                   "LACHAN_MANIFEST_STATIC": "false", "LOG_LEVEL": "WARNING", "ALLOWED_HOSTS": "testserver"})


import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402


def build(units, tasks):
    from lachan.accounts.choices import Role
    from lachan.accounts.models import User
    from lachan.directives.models import Directive, DirectiveTask, Dispatch, TaskAnswer
    from lachan.organizations.models import Unit

    root = Unit.objects.create(code="ROOT", name="Sở Thông tin và Truyền thông", path="", depth=0)
    root.path = f"/{root.pk}/"
    root.save()
    children = Unit.objects.bulk_create([Unit(code=f"U{i:05d}", name=f"Trường học số {i}", parent=root, depth=1)
                                         for i in range(units)])
    for u in children:
        u.path = f"{root.path}{u.pk}/"
    Unit.objects.bulk_update(children, ["path"], batch_size=1000)
    directive = Directive.objects.create(unit=root, number="1/STTTT-CNTT", subject="Bench", status="dispatched")
    task_rows = DirectiveTask.objects.bulk_create([DirectiveTask(directive=directive, ordinal=n + 1,
                                                                 text=f"Nhiệm vụ {n + 1}") for n in range(tasks)])
    Dispatch.objects.bulk_create([Dispatch(directive=directive, unit=u) for u in children], batch_size=1000)
    rng = random.Random(7)
    statuses = ["not_started", "in_progress", "done", "not_applicable"]
    TaskAnswer.objects.bulk_create([TaskAnswer(task=t, unit=u, status=rng.choice(statuses))
                                    for u in children for t in task_rows], batch_size=2000)
    user = User.objects.create_user("bench", password="x", role=Role.COORDINATOR, unit=root)
    return directive, user


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--tasks", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    directive, user = build(args.units, args.tasks)
    client = Client()
    client.force_login(user)
    url = reverse("directives:directive_matrix", args=[directive.pk])
    for size_label, params in (("full", {}), ("filtered: in progress", {"status": "in_progress"})):
        times, queries = [], None
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(url, params)
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
            queries = len(captured)
        print(f"{size_label}: {args.units} units × {args.tasks} tasks — {queries} queries, "
              f"median {statistics.median(times):.0f} ms, {len(response.content) // 1024} KiB")


if __name__ == "__main__":
    main()
