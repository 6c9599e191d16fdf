from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token

from lachan.intel import services
from lachan.intel.choices import CaseStatus
from lachan.intel.models import AsnAssignment, Case, Feed, FeedImport, FeedUpload, Sighting, UnmappedIP
from lachan.intel.tests.test_services import fake, prefixes  # noqa: F401  (fixtures)

LIST = """45.10.1.1,mirai,2026-10-01T10:00:00
45.10.5.7,conficker,2026-10-01T10:00:00
45.20.9.9,qakbot-b-only,2026-10-01T10:00:00
45.20.9.10,<script>alert(1)</script>,2026-10-01T10:00:00
9.9.9.9,mirai,2026-10-01T10:00:00,19281
10.0.0.1,mirai
1.2.!.4,mirai
"""


@pytest.fixture
def imported(tmp_path, users, fake, prefixes):  # noqa: F811
    feed = Feed.objects.create(name="Botnet list", complete_list=True)
    path = tmp_path / "list.csv"
    path.write_text(LIST)
    return services.feed_import(file=path, feed=feed, by=users["coordinator"])


def text(response):
    return response.content.decode()


def test_case_list_is_scoped_and_reinfected_is_prominent(client_for, users, imported, tree):
    Case.objects.filter(ip="45.10.1.1").update(status=CaseStatus.REINFECTED, reinfections=2)
    page = text(client_for(users["member_a"]).get(reverse("intel:case_list")))
    assert "45.10.1.1" in page and "45.10.5.7" in page  # A and its sub-unit A1
    assert "45.20.9.9" not in page and "qakbot-b-only" not in page
    assert "?status=reinfected" in page and "text-bg-danger" in page
    page = text(client_for(users["member_b"]).get(reverse("intel:case_list")))
    assert "45.20.9.9" in page and "45.10.1.1" not in page
    filtered = text(client_for(users["member_a"]).get(reverse("intel:case_list"), {"status": "reinfected"}))
    assert "45.10.1.1" in filtered and "45.10.5.7" not in filtered


def test_case_detail_and_sightings_of_another_unit_are_404(client_for, users, imported):
    b_case = Case.objects.get(ip="45.20.9.9")
    client = client_for(users["member_a"])
    assert client.get(b_case.get_absolute_url()).status_code == 404
    assert client.get(b_case.sightings.get().get_absolute_url()).status_code == 404
    assert client.post(reverse("intel:case_cleaned", args=[b_case.pk]), {"note": "x"}).status_code == 404
    assert Case.objects.get(pk=b_case.pk).status == CaseStatus.OPEN


def test_hostile_text_is_escaped(client_for, users, imported):
    case = Case.objects.get(ip="45.20.9.10")
    client = client_for(users["member_b"])
    for url in (case.get_absolute_url(), case.sightings.get().get_absolute_url(), reverse("intel:case_list")):
        page = text(client.get(url))
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;" in page


def test_report_cleaned_from_the_case_page(client_for, users, imported):
    case = Case.objects.get(ip="45.10.1.1")
    client = client_for(users["member_a"])
    page = text(client.get(case.get_absolute_url()))
    assert reverse("intel:case_cleaned", args=[case.pk]) in page
    response = client.post(reverse("intel:case_cleaned", args=[case.pk]), {"note": ""})
    assert response.status_code == 200 and response.context["form"].errors
    assert Case.objects.get(pk=case.pk).status == CaseStatus.OPEN
    response = client.post(reverse("intel:case_cleaned", args=[case.pk]), {"note": "Đã cài lại hệ điều hành"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLEANED and case.cleaned_by == users["member_a"]
    entry = LogEntry.objects.get_for_object(case).first()
    assert entry.actor == users["member_a"] and "cleaned_note" in entry.changes


def test_operator_may_not_report_cleaned(client_for, users, imported):
    case = Case.objects.get(ip="45.10.1.1")
    assert client_for(users["operator_a"]).post(reverse("intel:case_cleaned", args=[case.pk]),
                                                {"note": "x"}).status_code == 404


def test_import_summary_shows_units_in_scope_only(client_for, users, imported, tree):
    url = imported.get_absolute_url()
    coordinator = text(client_for(users["coordinator"]).get(url))
    assert "1.2.!.4" in coordinator and "10.0.0.1" in coordinator  # bad-row reasons and bogons
    assert tree["b"].name in coordinator or str(tree["b"]) in coordinator
    member_a = text(client_for(users["member_a"]).get(url))
    assert str(tree["a1"]) in member_a and str(tree["b"]) not in member_a
    assert "1.2.!.4" not in member_a and "10.0.0.1" not in member_a and "9.9.9.9" not in member_a


PLAIN_LIST = "# IP botnet tháng 10\n45.10.1.1\n45.10.5.7\n45.20.9.9\n9.9.9.9\n10.0.0.1\n"


def test_upload_is_imported_by_a_background_job_with_a_status_page(client_for, users, prefixes, settings, tmp_path,  # noqa: F811
                                                                   django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    url = reverse("intel:feedimport_upload")
    assert client_for(users["admin_a"]).get(url).status_code == 403
    client = client_for(users["coordinator"])
    assert client.get(url).status_code == 200

    def post(data, name="ds-botnet.txt"):
        upload = SimpleUploadedFile(name, PLAIN_LIST.encode(), content_type="text/plain")
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post(url, {**data, "file": upload})
        upload_row = FeedUpload.objects.latest("pk")
        assert response.status_code == 302 and response.url == upload_row.get_absolute_url()
        page = text(client.get(response.url))  # before the worker ran: queued, the page polls itself
        assert upload_row.status == "queued" and 'hx-trigger="every 2s"' in page
        assert len(callbacks) == 1 and upload_row.file and Path(upload_row.file.path).is_file()
        stored = Path(upload_row.file.path)
        callbacks[0]()  # the job, as the worker runs it (immediate backend in tests)
        upload_row.refresh_from_db()
        assert not stored.exists()  # the stored file is dropped once imported
        return upload_row, text(client.get(upload_row.get_absolute_url()))

    dry, page = post({"new_feed": "Danh sách mới", "dry_run": "on"})
    assert dry.status == "done" and dry.counts["matched"] == 3 and dry.counts["bogon"] == 1
    assert not FeedImport.objects.exists() and "hx-trigger" not in page
    done, page = post({"new_feed": "Danh sách mới"})
    imported = FeedImport.objects.get()
    assert done.result == imported and not done.duplicate and imported.get_absolute_url() in page
    assert imported.feed.name == "Danh sách mới" and imported.file_name == "ds-botnet.txt" and imported.matched == 3
    again, page = post({"feed": imported.feed.pk}, name="renamed.txt")
    assert again.duplicate and again.result == imported and FeedImport.objects.count() == 1
    assert LogEntry.objects.get_for_model(FeedUpload).count() >= 3  # audited
    # the status page is for the coordinators and auditors who see imports, not for unit users
    assert client_for(users["auditor"]).get(done.get_absolute_url()).status_code == 200
    assert client_for(users["member_a"]).get(done.get_absolute_url()).status_code == 404
    assert done.file_name not in text(client_for(users["member_a"]).get(reverse("intel:feedupload_list")))


def test_a_file_that_cannot_be_read_fails_its_upload_and_leaves_nothing(client_for, users, settings, tmp_path,
                                                                        django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(users["coordinator"])
    upload = SimpleUploadedFile("rac.bin", b"\x00\x01\x02binary\xff" * 100, content_type="application/octet-stream")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("intel:feedimport_upload"), {"new_feed": "Rác", "file": upload})
    row = FeedUpload.objects.get()
    assert row.status == "failed" and "Nothing was imported" in row.error or "Không" in row.error
    assert not FeedImport.objects.exists() and not Feed.objects.filter(name="Rác").exists()
    assert row.error in text(client.get(response.url))
    # the job claimed once: running it again changes nothing
    assert services.feed_upload_run(row.pk) is None


def test_unmapped_queue_and_assign_to_unit(client_for, users, imported, tree):
    url = reverse("intel:unmapped_queue")
    assert client_for(users["member_a"]).get(url).status_code == 403
    assert client_for(users["auditor"]).get(url).status_code == 200
    client = client_for(users["coordinator"])
    page = text(client.get(url))
    assert "9.9.9.9" in page and "AS19281" in page
    response = client.post(url, {"asn": 19281, "unit": tree["b"].pk})
    assert response.status_code == 302
    assert AsnAssignment.objects.get(asn=19281).unit == tree["b"]
    assert UnmappedIP.objects.get(ip="9.9.9.9").resolved
    assert "9.9.9.9" not in text(client.get(url))
    assert client_for(users["auditor"]).post(url, {"asn": 1, "unit": tree["a"].pk}).status_code == 403


def test_trends_are_scoped(client_for, users, imported, tree):
    page = text(client_for(users["member_a"]).get(reverse("intel:trends")))
    assert "mirai" in page and "conficker" in page
    assert "qakbot-b-only" not in page and str(tree["b"]) not in page
    page = text(client_for(users["coordinator"]).get(reverse("intel:trends")))
    assert "qakbot-b-only" in page


def test_case_export_is_scoped_and_neutralised(client_for, users, imported):
    Case.objects.filter(ip="45.10.1.1").update(family="=cmd|' /C calc'!A0")
    response = client_for(users["member_a"]).get(reverse("intel:case_list"), {"export": "csv"})
    body = response.content.decode("utf-8-sig")
    assert "45.10.1.1" in body and "45.20.9.9" not in body
    assert "'=cmd" in body and ",=cmd" not in body


def test_api_cases_scoped_and_cleaned_action(client, users, imported):
    token = Token.objects.create(user=users["member_a"])
    headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    listing = client.get("/api/intel/cases/", **headers).json()
    assert {row["ip"] for row in listing["results"]} == {"45.10.1.1", "45.10.5.7"}
    case = Case.objects.get(ip="45.10.1.1")
    url = f"/api/intel/cases/{case.pk}/cleaned/"
    assert client.post(url, {}, content_type="application/json", **headers).status_code == 400
    response = client.post(url, {"note": "Đã xử lý"}, content_type="application/json", **headers)
    assert response.status_code == 200 and response.json()["status"] == "cleaned"
    b_case = Case.objects.get(ip="45.20.9.9")
    assert client.post(f"/api/intel/cases/{b_case.pk}/cleaned/", {"note": "x"}, content_type="application/json",
                       **headers).status_code == 404


def test_api_import_per_unit_counts_are_scoped(client, users, imported, tree):
    token = Token.objects.create(user=users["member_b"])
    data = client.get(f"/api/intel/imports/{imported.pk}/", HTTP_AUTHORIZATION=f"Token {token.key}").json()
    assert set(data["per_unit"]) == {str(tree["b"].pk)}
    assert data["bad_report"] is None and data["bogon_report"] is None and data["unmapped_asns"] is None
    token = Token.objects.create(user=users["coordinator"])
    data = client.get(f"/api/intel/imports/{imported.pk}/", HTTP_AUTHORIZATION=f"Token {token.key}").json()
    assert set(data["per_unit"]) == {str(tree["a"].pk), str(tree["a1"].pk), str(tree["b"].pk)}
    assert data["bad_report"]["total"] == 1 and data["unmapped_asns"] == [[19281, 1, 1]]
    token = Token.objects.create(user=users["member_a"])
    assert client.get("/api/intel/unmapped/", HTTP_AUTHORIZATION=f"Token {token.key}").json()["count"] == 0
    assert Sighting.objects.count() == 4


def test_reinfected_cases_come_first(client_for, users, imported):
    Case.objects.filter(ip="45.10.5.7").update(status=CaseStatus.REINFECTED, reinfections=1)
    page = text(client_for(users["member_a"]).get(reverse("intel:case_list")))
    assert page.index("45.10.5.7") < page.index("45.10.1.1")


def test_trend_of_one_unit_subtree(client_for, users, imported, tree):
    client = client_for(users["member_a"])
    page = text(client.get(reverse("intel:trends"), {"unit": tree["a1"].pk}))
    assert "conficker" in page and "mirai" not in page
    assert client.get(reverse("intel:trends"), {"unit": tree["b"].pk}).status_code == 404
    assert client.get(reverse("intel:trends"), {"unit": "x"}).status_code == 404
