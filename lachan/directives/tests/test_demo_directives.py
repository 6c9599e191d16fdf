"""`lachan demo load` imports the five seed letters through the directives services: 03/STTTT-BCVT dispatched
to the appendix units with a mix of answers, re-issued by the Sở GDĐT to its schools (seed 001) and rolled up;
a second load creates and writes nothing."""

import io
import json
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from docx import Document

from lachan.accounts.models import User
from lachan.demo.directives import LETTERS_DIR
from lachan.directives.models import Directive, DirectiveTask, Dispatch, RecipientMatch, TaskAnswer
from lachan.directives.report import directive_report
from lachan.directives.selectors import matrix

MODELS = (Directive, DirectiveTask, Dispatch, TaskAnswer, RecipientMatch)


def run_load():
    out = StringIO()
    call_command("demo", "load", "--json", stdout=out)
    return json.loads(out.getvalue())


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def loaded(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return run_load()


def test_the_five_letters_are_shipped_with_the_demo():
    assert sorted(p.name for p in LETTERS_DIR.glob("*.txt")) == [
        "000-03-STTTT-BCVT-HaiPhong.txt", "001-SGDDT-VP-HaiPhong.txt", "002-UBND-VHTT-TamDiep.txt",
        "003-5644-BTTTT-CATTT.txt", "004-STTTT-CDS-DongNai.txt"]


def test_letters_imported_linked_and_dispatched(loaded):
    assert loaded["directives"]["directive"] == 5 and loaded["directives"]["existing"] == 0
    by_file = {d.source_name: d for d in Directive.objects.select_related("unit", "parent")}
    ministry = Directive.objects.get(number="5644/BTTTT-CATTT")
    assert ministry.unit.code == "BTTTT" and ministry.date.isoformat() == "2024-12-29"
    hai_phong = by_file["000-03-STTTT-BCVT-HaiPhong.txt"]
    assert hai_phong.number == "03/STTTT-BCVT" and hai_phong.unit.code == "HP-UBND"
    assert any(r["number"] == "5644/BTTTT-CATTT" for r in hai_phong.parsed["references"])
    recipients = set(hai_phong.dispatches.values_list("unit__code", flat=True))
    assert {"HP-SGDDT", "HP-STTTT", "HP-SYT", "HP-VPUBND"} <= recipients and len(recipients) >= 50
    # Appendix names outside HP-UBND's subtree wait for a decision instead of being sent.
    assert hai_phong.recipient_matches.filter(decision="pending").exists()
    assert not recipients & {"HP-THANHUY"}

    education = Directive.objects.get(parent=hai_phong)
    assert education.unit.code == "HP-SGDDT" and education.number == "/SGDDT-VP" and education.number_blank
    assert education.tasks.count() == 4 and all(t.source_task.directive_id == hai_phong.pk
                                                for t in education.tasks.all())
    assert education.tasks.get(ordinal=1).text.startswith("Tổ chức các hoạt động tuyên truyền")
    schools = set(education.dispatches.values_list("unit__code", flat=True))
    assert {"HP-THPT-CTP", "HP-THPT-NQ", "HP-THCS-CVA-NQ", "HP-PGD-NGOQUYEN"} <= schools

    tam_diep = by_file["002-UBND-VHTT-TamDiep.txt"]
    assert set(tam_diep.dispatches.values_list("unit__code", flat=True)) >= {"TD-P-BACSON", "TD-X-YENSON"}
    assert by_file["004-STTTT-CDS-DongNai.txt"].status == "draft"


def test_answers_are_a_realistic_mix_and_roll_up(loaded):
    hai_phong = Directive.objects.get(number="03/STTTT-BCVT")
    coordinator = User.objects.get(username="dieuphoi")
    m = matrix(hai_phong, coordinator, with_checks=False)
    cells = [c for row in m.rows for c in row.cells]
    statuses = {c.status for c in cells}
    assert {"done", "in_progress", "not_applicable", "not_started"} <= statuses
    assert any(c.overdue for c in cells) and 0 < m.completion() < 100
    assert TaskAnswer.objects.filter(status="not_applicable").exclude(reason="").exists()
    assert not TaskAnswer.objects.filter(status="not_applicable", reason="").exists()
    education_row = next(r for r in m.rows if r.unit.code == "HP-SGDDT")
    assert education_row.cells[0].rollup and education_row.cells[0].rollup[1] >= 5
    # The consolidated report of 03 has the appendix groups and names laggards.
    document = Document(io.BytesIO(directive_report(hai_phong, coordinator)))
    groups = [row.cells[1].text for row in document.tables[1].rows[1:]]
    assert "Khối các cơ quan quản lý nhà nước trực thuộc Ủy ban nhân dân thành phố" in groups
    assert any(p.text.startswith("- ") and "nhiệm vụ quá hạn" in p.text for p in document.paragraphs)


def test_second_load_creates_and_writes_nothing(loaded):
    before, log_entries = counts(), LogEntry.objects.count()
    again = run_load()
    assert counts() == before and LogEntry.objects.count() == log_entries
    assert again["directives"] == {"directive": 0, "dispatch": 0, "answered": 0, "existing": 5}
