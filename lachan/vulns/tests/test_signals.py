"""Inventory software saved → its findings follow, through ONE matching job per transaction."""

import pytest
from django.db import transaction
from django_tasks.signals import task_enqueued

from lachan.testing.factories import SoftwareFactory
from lachan.vulns import services
from lachan.vulns.models import Finding
from lachan.vulns.tests.test_cli import httpd_advisory


@pytest.fixture
def enqueued():
    jobs = []

    def record(sender, task_result, **kwargs):
        jobs.append((task_result.task.name, task_result.args))

    task_enqueued.connect(record)
    yield jobs
    task_enqueued.disconnect(record)


@pytest.mark.django_db(transaction=True)
def test_many_saves_in_one_transaction_enqueue_one_job(tree, enqueued):
    services.upsert_advisories([httpd_advisory()])
    enqueued.clear()
    with transaction.atomic():
        items = [SoftwareFactory(unit=tree["a"], vendor="apache", product="http_server", version=version,
                                 cpe=f"cpe:2.3:a:apache:http_server:{version}:*:*:*:*:*:*:*")
                 for version in ("2.4.49", "2.4.48", "2.4.51")]
    match_jobs = [args for name, args in enqueued if name == "match_software_job"]
    assert [list(args) for args in match_jobs] == [[sorted(s.pk for s in items)]]
    # the job ran (immediate backend in tests): the two vulnerable versions have their findings
    assert sorted(Finding.objects.values_list("software__version", flat=True)) == ["2.4.48", "2.4.49"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_save_enqueues_nothing_by_itself(tree, enqueued):
    with pytest.raises(RuntimeError), transaction.atomic():
        SoftwareFactory(unit=tree["a"], vendor="apache", product="http_server", version="2.4.49")
        raise RuntimeError
    assert not [name for name, _args in enqueued if name == "match_software_job"]
