"""Scheduled advisory feeds: fetched from a real HTTP server on loopback through the outbound guard, imported
like an upload (same content twice: nothing changes); loopback refused without the allowlist; a broken or
missing feed leaves a failed import naming the reason; the job does nothing when no feed is configured."""

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import translation

from lachan.testing.factories import SoftwareFactory
from lachan.vulns.choices import ImportStatus
from lachan.vulns.feed_fetch import fetch_all
from lachan.vulns.models import Advisory, AdvisoryImport, Finding
from lachan.vulns.tasks import fetch_advisory_feeds

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "advisories"
LOOPBACK = ["127.0.0.0/8"]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def feed_server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving tmp_path: the KEV catalog and an NVD record from the shared data."""
    (tmp_path / "kev.json").write_bytes((DATA / "known_exploited_vulnerabilities.json").read_bytes())
    (tmp_path / "nvd.json").write_bytes((DATA / "nvd" / "CVE-2021-41773.json").read_bytes())
    (tmp_path / "broken.json").write_text('{"vulnerabilities": [', encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.django_db
def test_feeds_are_fetched_imported_and_matched(feed_server, tree):
    SoftwareFactory(unit=tree["a"], vendor="apache", product="http_server", version="2.4.49")
    kev_total = len(json.loads((DATA / "known_exploited_vulnerabilities.json").read_text())["vulnerabilities"])
    outcome = fetch_all([f"{feed_server}/kev.json", f"{feed_server}/nvd.json"], allowlist=LOOPBACK)
    assert outcome == {f"{feed_server}/kev.json": ImportStatus.DONE, f"{feed_server}/nvd.json": ImportStatus.DONE}
    assert Advisory.objects.filter(kev=True).count() == kev_total
    imports = AdvisoryImport.objects.order_by("started")
    assert [i.file_name for i in imports] == [f"{feed_server}/kev.json", f"{feed_server}/nvd.json"]
    assert [(f.unit.code, f.cve_id, f.kev) for f in Finding.objects.all()] == [("A", "CVE-2021-41773", True)]
    again = fetch_all([f"{feed_server}/kev.json"], allowlist=LOOPBACK)
    assert again == {f"{feed_server}/kev.json": "duplicate"}
    assert AdvisoryImport.objects.count() == 2


@pytest.mark.django_db
def test_loopback_is_refused_without_the_allowlist(feed_server, settings):
    settings.OUTBOUND_ALLOWLIST = []
    outcome = fetch_all([f"{feed_server}/kev.json"])
    assert outcome == {f"{feed_server}/kev.json": ImportStatus.FAILED}
    record = AdvisoryImport.objects.get()
    assert record.error.startswith("The feed could not be fetched (blocked):")
    assert "loopback" in record.error
    assert not Advisory.objects.exists()


@pytest.mark.django_db
def test_missing_and_broken_feeds_fail_alone(feed_server):
    outcome = fetch_all([f"{feed_server}/missing.json", f"{feed_server}/broken.json", f"{feed_server}/nvd.json"],
                        allowlist=LOOPBACK)
    assert outcome == {f"{feed_server}/missing.json": ImportStatus.FAILED,
                       f"{feed_server}/broken.json": ImportStatus.FAILED,
                       f"{feed_server}/nvd.json": ImportStatus.DONE}
    missing = AdvisoryImport.objects.get(file_name=f"{feed_server}/missing.json")
    assert missing.error == "The feed could not be fetched (http): the server answered HTTP 404"
    broken = AdvisoryImport.objects.get(file_name=f"{feed_server}/broken.json")
    assert broken.status == ImportStatus.FAILED and broken.error == "Broken JSON: parse error: premature EOF"
    assert list(Advisory.objects.values_list("cve_id", flat=True)) == ["CVE-2021-41773"]


@pytest.mark.django_db
def test_the_job_does_nothing_without_feeds(settings):
    settings.VULNS_ADVISORY_FEEDS = []
    assert fetch_advisory_feeds.call() == {}
    assert not AdvisoryImport.objects.exists()
