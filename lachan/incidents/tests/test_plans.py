"""Emergency response plans: documents checked by content, review dates, overdue flags, the live check."""

import datetime
import hashlib
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from lachan.directives.checks import CHECKS, run_check
from lachan.incidents import plans
from lachan.incidents.models import ResponsePlan

from .helpers import docx_bytes, exe_bytes, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


def upload(data, name):
    return SimpleUploadedFile(name, data)


def new_plan(unit, by, *, approved_on=None, months=12, data=None, name="ke-hoach.pdf", **fields):
    plan = ResponsePlan(unit=unit, title=fields.pop("title", "Kế hoạch ứng cứu sự cố 2025"),
                        approved_on=approved_on or timezone.localdate() - datetime.timedelta(days=10),
                        review_months=months, **fields)
    return plans.plan_save(plan, by=by, file=upload(data or pdf_bytes(), name))


def test_add_months_clamps_to_the_end_of_the_month():
    assert plans.add_months(datetime.date(2024, 1, 31), 1) == datetime.date(2024, 2, 29)
    assert plans.add_months(datetime.date(2025, 1, 31), 1) == datetime.date(2025, 2, 28)
    assert plans.add_months(datetime.date(2024, 11, 15), 3) == datetime.date(2025, 2, 15)
    assert plans.add_months(datetime.date(2024, 12, 31), 12) == datetime.date(2025, 12, 31)


def test_a_plan_is_kept_with_its_hash_and_next_review(tree, users):
    plan = new_plan(tree["a"], users["member_a"], approved_on=datetime.date(2025, 1, 31), months=6)
    assert plan.next_review_on == datetime.date(2025, 7, 31)
    assert plan.file_type == "pdf" and plan.content_type == "application/pdf"
    assert plan.sha256 == hashlib.sha256(pdf_bytes()).hexdigest() and plan.size == len(pdf_bytes())
    assert plan.file.open("rb").read() == pdf_bytes() and plan.uploaded_by == users["member_a"]
    assert not plan.file.name.endswith(".pdf")  # stored under a random name
    docx = new_plan(tree["a"], users["admin_a"], data=docx_bytes("Phương án ứng cứu"), name="phuong-an")
    assert docx.file_type == "docx" and docx.file_name == "phuong-an.docx"


def test_documents_other_than_pdf_or_docx_are_refused(tree, users):
    with pytest.raises(ValidationError, match="PDF or DOCX document; this file is png"):
        new_plan(tree["a"], users["member_a"], data=png_bytes(), name="ke-hoach.pdf")
    with pytest.raises(ValidationError, match="Executable files are refused"):
        new_plan(tree["a"], users["member_a"], data=exe_bytes(), name="ke-hoach.pdf")
    with pytest.raises(ValidationError, match="Upload the plan document"):
        plans.plan_save(ResponsePlan(unit=tree["a"], title="x", approved_on=timezone.localdate(), review_months=12),
                        by=users["member_a"])
    with pytest.raises(ValidationError, match="1 to 120 months"):
        new_plan(tree["a"], users["member_a"], months=0)
    with pytest.raises(PermissionDenied):
        new_plan(tree["a"], users["member_b"])
    assert not ResponsePlan.objects.exists()


def test_overdue_reviews_are_flagged_and_filtered(tree, users, client_for):
    today = timezone.localdate()
    old = new_plan(tree["a"], users["member_a"], title="Kế hoạch cũ", approved_on=today - datetime.timedelta(days=800))
    current = new_plan(tree["a"], users["member_a"], title="Kế hoạch mới")
    assert old.review_overdue() and not current.review_overdue()
    assert list(ResponsePlan.objects.filter(plans.overdue_q())) == [old]
    client = client_for(users["member_a"])
    url = reverse("incidents:responseplan_list")
    page = client.get(url).content.decode()
    assert len(re.findall(r'<tr class="[^"]*\btable-danger\b', page)) == 1
    overdue_only = client.get(url, {"overdue": "true"}).content.decode()
    assert old.get_absolute_url() in overdue_only and current.get_absolute_url() not in overdue_only
    detail = client.get(old.get_absolute_url()).content.decode()
    assert "text-bg-danger" in detail
    # a plan no longer in force is not overdue
    old.is_active = False
    plans.plan_save(old, by=users["member_a"])
    assert not ResponsePlan.objects.filter(plans.overdue_q()).exists()


def test_the_live_check_for_directive_tasks(tree, users):
    today = timezone.localdate()
    new_plan(tree["a"], users["member_a"])
    new_plan(tree["b"], users["member_b"], approved_on=today - datetime.timedelta(days=400))
    assert plans.CHECK_KEY in CHECKS
    results = plans.has_current_response_plan([tree["a"], tree["b"], tree["a1"]])
    assert results[tree["a"].pk][0] is True and "next review" in results[tree["a"].pk][1]
    assert results[tree["b"].pk][0] is False and "overdue for review" in results[tree["b"].pk][1]
    assert results[tree["a1"].pk] == (False, "No emergency response plan in force")
    assert run_check(plans.CHECK_KEY, tree["b"])[0] is False
    # a newer plan of B brings it back in order
    new_plan(tree["b"], users["member_b"], title="Kế hoạch cập nhật")
    assert run_check(plans.CHECK_KEY, tree["b"])[0] is True


def test_upload_through_the_form_and_scoped_downloads(tree, users, client_for):
    client = client_for(users["member_a"])
    response = client.post(reverse("incidents:responseplan_add"), {
        "unit": tree["a1"].pk, "title": "Phương án ứng cứu khẩn cấp", "approved_on": "15/03/2025",
        "review_months": 12, "is_active": "on", "document": upload(pdf_bytes(), "phuong-an.pdf")})
    plan = ResponsePlan.objects.get()
    assert response.status_code == 302 and response["Location"] == plan.get_absolute_url()
    assert plan.unit == tree["a1"] and plan.next_review_on == datetime.date(2026, 3, 15)
    download = client.get(reverse("incidents:responseplan_download", args=[plan.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == pdf_bytes()
    # an edit without a new document keeps the file
    response = client.post(reverse("incidents:responseplan_edit", args=[plan.pk]), {
        "title": "Phương án ứng cứu khẩn cấp (sửa)", "approved_on": "15/03/2025", "review_months": 6,
        "is_active": "on"})
    plan.refresh_from_db()
    assert plan.next_review_on == datetime.date(2025, 9, 15) and plan.sha256 == hashlib.sha256(pdf_bytes()).hexdigest()
    outsider = client_for(users["member_b"])
    assert outsider.get(plan.get_absolute_url()).status_code == 404
    assert outsider.get(reverse("incidents:responseplan_download", args=[plan.pk])).status_code == 404
    assert outsider.get(f"/api/incidents/plans/{plan.pk}/").status_code == 404
    refused = outsider.post(reverse("incidents:responseplan_add"), {
        "unit": tree["a"].pk, "title": "x", "approved_on": "15/03/2025", "review_months": 12,
        "document": upload(pdf_bytes(), "x.pdf")})
    assert refused.status_code == 200 and ResponsePlan.objects.count() == 1


def test_only_administrators_delete_a_plan_and_its_document_goes(tree, users, client_for,
                                                                 django_capture_on_commit_callbacks):
    plan = new_plan(tree["a"], users["member_a"])
    storage, name = plan.file.storage, plan.file.name
    assert client_for(users["member_a"]).post(reverse("incidents:responseplan_delete", args=[plan.pk])).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(users["admin_a"]).post(reverse("incidents:responseplan_delete", args=[plan.pk]))
    assert response.status_code == 302 and not ResponsePlan.objects.exists() and not storage.exists(name)
