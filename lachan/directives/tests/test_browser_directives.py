"""The directive workflow in a real headless Chromium (fixtures of lachan/core/tests/test_browser.py): a coordinator
imports seed 003 through the upload page, reviews it and dispatches it to A and B; a unit user of A answers a task
with a PDF evidence file; the coordinator's matrix then shows A's cell done and B's unchanged."""

import io
import re

import pytest
from django.urls import reverse

from lachan.core.tests.test_browser import _async_unsafe_allowed, _log_in, browser, page  # noqa: F401 — fixtures
from lachan.directives.models import Directive, Dispatch, TaskAnswer
from lachan.directives.tests.test_services import SEED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tiny_pdf(text):
    """A small, well-formed one-page PDF (real xref table) whose text layer says ``text`` (ASCII)."""
    stream = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
               b"/Contents 5 0 R >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_tiny_pdf_is_a_real_pdf():
    from pdfminer.high_level import extract_text

    assert extract_text(io.BytesIO(tiny_pdf("Bien ban ra soat"))).strip() == "Bien ban ra soat"


def test_import_dispatch_answer_and_the_matrix_cell_changes(browser, page, live_server, tree, users, settings,  # noqa: F811
                                                            tmp_path):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path
    # The coordinator imports seed 003 through the upload page …
    _log_in(page, "coord")
    page.goto(reverse("directives:directive_import"))
    page.set_input_files("#id_file", str(SEED.resolve()))
    page.select_option("#id_unit", str(tree["root"].pk))
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/directives/\d+/review/$"))
    directive = Directive.objects.get()
    expect(page.locator("#id_subject")).to_have_value(re.compile("^Tăng cường công tác bảo đảm an toàn thông tin"))
    # … goes through the review (the parsed fields are there; saving it: test_review_saves_as_parsed) …
    expect(page.locator("#id_tasks-0-text")).to_have_value(re.compile(r"\S"))
    expect(page.locator("#id_tasks-6-text")).to_have_value(re.compile(r"\S"))
    page.goto(directive.get_absolute_url())
    # … and dispatches it to A and B.
    page.click(f"a[href='{reverse('directives:directive_dispatch', args=[directive.pk])}']")
    page.check(f"input[name=units][value='{tree['a'].pk}']")
    page.check(f"input[name=units][value='{tree['b'].pk}']")
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(rf"/directives/{directive.pk}/matrix/$"))
    cell_a = page.locator(f"#matrix tr[data-unit='{tree['a'].pk}'] td[data-status]").first
    cell_b = page.locator(f"#matrix tr[data-unit='{tree['b'].pk}'] td[data-status]").first
    expect(cell_a).to_have_attribute("data-status", "not_started")
    expect(cell_b).to_have_attribute("data-status", "not_started")

    # A unit user of A opens the task from A's inbox and answers it with an evidence file.
    context = browser.new_context(base_url=live_server.url, locale="vi-VN")
    context.set_default_timeout(10_000)
    unit_page = context.new_page()
    _log_in(unit_page, "member_a")
    dispatch = Dispatch.objects.get(directive=directive, unit=tree["a"])
    answer = TaskAnswer.objects.get(task__directive=directive, task__ordinal=1, unit=tree["a"])
    unit_page.goto(dispatch.get_absolute_url())
    unit_page.click(f"a[href='{reverse('directives:taskanswer_answer', args=[answer.pk])}']")
    unit_page.select_option("#id_status", "done")
    unit_page.fill("#id_note", "Đã rà soát, khắc phục các lỗ hổng; biên bản kèm theo.")
    pdf = tiny_pdf("Bien ban ra soat an toan thong tin")
    unit_page.set_input_files("#id_evidence", files=[{"name": "bien-ban-ra-soat.pdf", "mimeType": "application/pdf",
                                                      "buffer": pdf}])
    unit_page.click("form.card button[type=submit]")
    unit_page.wait_for_url(re.compile(rf"{re.escape(dispatch.get_absolute_url())}$"))
    context.close()
    answer.refresh_from_db()
    assert answer.status == "done" and answer.evidence_name == "bien-ban-ra-soat.pdf"
    assert answer.evidence.read() == pdf

    # The coordinator's matrix: A's cell is done (with the evidence clip), B's is not.
    page.reload()
    expect(cell_a).to_have_attribute("data-status", "done")
    expect(cell_a).to_contain_text("📎")
    expect(cell_b).to_have_attribute("data-status", "not_started")


def test_review_saves_as_parsed(page, tree, users, settings, tmp_path):  # noqa: F811
    from lachan.directives import services

    settings.MEDIA_ROOT = tmp_path
    directive = services.directive_import(SEED, by=users["coordinator"], unit=tree["root"], filename="003.txt")
    _log_in(page, "coord")
    page.goto(reverse("directives:directive_review", args=[directive.pk]))
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(rf"/directives/{directive.pk}/$"), timeout=3000)
