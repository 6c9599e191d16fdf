"""The consolidated DOCX report on the seed-003 flow of test_services: read back with python-docx."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document

from lachan.directives import services
from lachan.directives.models import TaskAnswer
from lachan.directives.report import directive_report
from lachan.directives.tests.test_services import PDF, flow  # noqa: F401 — the fixture
from lachan.testing.factories import UnitGroupFactory

TODAY = datetime.date(2025, 1, 15)
PAST = datetime.date(2025, 1, 10)


@pytest.fixture
def answered(flow, tree, users):  # noqa: F811
    """A in "Khối sở, ngành" answers 3 of 7 (done, not applicable, done); B in "Khối quận, huyện" answers
    nothing; tasks 1 and 2 were due on 10/01/2025, so B has two overdue tasks."""
    UnitGroupFactory(name="Khối sở, ngành", order=1).units.add(tree["a"])
    UnitGroupFactory(name="Khối quận, huyện", order=2).units.add(tree["b"])
    coord, member_a = users["coordinator"], users["member_a"]
    tasks = {t.ordinal: t for t in flow.tasks.all()}
    services.directive_update(flow, by=coord, tasks=[{"id": tasks[1].pk, "deadline": PAST},
                                                      {"id": tasks[2].pk, "deadline": PAST}])

    def answer(ordinal, **kwargs):
        services.task_answer(answer=TaskAnswer.objects.get(task=tasks[ordinal], unit=tree["a"]), by=member_a, **kwargs)

    answer(1, status="done", note="Đã rà soát", evidence=SimpleUploadedFile("bien-ban.pdf", PDF))
    answer(2, status="not_applicable", reason="Đơn vị không có hệ thống cấp độ 3")
    answer(3, status="done")
    return flow


def _texts(document):
    """Every paragraph text of the body and of the table cells, in order."""
    out = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                out.extend(p.text for p in cell.paragraphs)
    return out


def _rows(table):
    return [[cell.text for cell in row.cells] for row in table.rows]


@pytest.mark.django_db
def test_report_of_the_seed_003_flow(answered, users):
    document = Document(io.BytesIO(directive_report(answered, users["coordinator"], today=TODAY)))
    texts = _texts(document)
    heading = _rows(document.tables[0])
    assert heading[0][0] == "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"
    assert heading[0][1] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    assert heading[1] == ["Số: …/BC-ROOT", "Hà Nội, ngày 15 tháng 01 năm 2025"]
    body = [p.text for p in document.paragraphs if p.text]
    assert body[0] == "BÁO CÁO"
    assert body[1] == "Kết quả triển khai Công văn số …/BTTTT-CATTT"
    assert body[2].startswith("V/v tăng cường công tác bảo đảm an toàn thông tin mạng")
    assert any("Thực hiện Công văn số …/BTTTT-CATTT của Bộ Thông tin và Truyền thông" in t for t in body)
    assert any("Đã hoàn thành 3/14 lượt, đạt 21%; 2 lượt nhiệm vụ quá hạn" in t for t in body)

    groups = _rows(document.tables[1])
    assert groups == [["STT", "Khối đơn vị", "Số đơn vị", "Hoàn thành (%)", "Nhiệm vụ quá hạn"],
                      ["1", "Khối sở, ngành", "1", "43%", "0"],
                      ["2", "Khối quận, huyện", "1", "0%", "2"]]
    per_task = _rows(document.tables[2])
    assert len(per_task) == 8
    assert per_task[1][0] == "1" and per_task[1][1].endswith("Hạn: 10/01/2025")
    assert per_task[1][2:] == ["1/2", "50%", "1"]
    assert per_task[2][2:] == ["1/2", "50%", "1"]  # not applicable counts as closed
    assert per_task[4][2:] == ["0/2", "0%", "0"]
    assert "- Đơn vị B: 2 nhiệm vụ quá hạn." in body
    assert not any(t.startswith("- Đơn vị A:") for t in body)
    signature = _rows(document.tables[3])[0]
    assert signature[0].startswith("Nơi nhận:\n- Bộ Thông tin và Truyền thông (để b/c);")
    assert signature[1].startswith("THỦ TRƯỞNG ĐƠN VỊ")
    assert "IV. VIỆC TRIỂN KHAI TIẾP ĐẾN CÁC ĐƠN VỊ CẤP DƯỚI" not in texts  # no re-issue yet

    runs = [r for p in document.paragraphs for r in p.runs if r.text]
    runs += [r for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs
             if r.text]
    assert runs and {r.font.name for r in runs} == {"Times New Roman"}
    assert {r.font.size.pt for r in runs} <= {11, 12, 13, 14}
    section = document.sections[0]
    sizes = [section.page_width, section.page_height, section.top_margin, section.bottom_margin,
             section.left_margin, section.right_margin]
    assert [round(s.cm, 2) for s in sizes] == [21, 29.7, 2, 2, 3, 2]  # A4; stored in twips


@pytest.mark.django_db
def test_report_rolls_up_a_reissue(answered, tree, users):
    admin_a = users["admin_a"]
    first = answered.tasks.get(ordinal=4)
    child = services.directive_reissue(parent=answered, unit=tree["a"], by=admin_a, keep_task_ids=[first.pk])
    services.directive_dispatch(directive=child, units=[tree["a1"]], by=admin_a)
    services.task_answer(answer=TaskAnswer.objects.get(task__directive=child, unit=tree["a1"]), by=admin_a,
                         status="done")
    body = [p.text for p in Document(io.BytesIO(directive_report(answered, users["coordinator"], today=TODAY))).paragraphs]
    assert "IV. VIỆC TRIỂN KHAI TIẾP ĐẾN CÁC ĐƠN VỊ CẤP DƯỚI" in body
    assert ("- Đơn vị A ban hành văn bản (chưa ghi số) triển khai đến các đơn vị trực thuộc: "
            "hoàn thành 1/1 lượt nhiệm vụ (100%).") in body


@pytest.mark.django_db
def test_report_view_download_and_scope(answered, tree, users, client):
    url = reverse("directives:directive_report", args=[answered.pk])
    client.force_login(users["coordinator"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="bao-cao-') and disposition.endswith('.docx"')
    assert disposition.isascii()
    assert Document(io.BytesIO(response.content)).paragraphs
    matrix_page = client.get(reverse("directives:directive_matrix", args=[answered.pk])).content.decode()
    assert url in matrix_page

    # B received the directive: like its matrix, its report shows B only.
    client.force_login(users["member_b"])
    texts = _texts(Document(io.BytesIO(client.get(url).content)))
    assert "Đơn vị B" in " ".join(texts) and "Đơn vị A" not in " ".join(texts)
    # A's re-issue to A1 is not B's to see: 404, as for the matrix.
    child = services.directive_reissue(parent=answered, unit=tree["a"], by=users["admin_a"],
                                       keep_task_ids=[answered.tasks.first().pk])
    services.directive_dispatch(directive=child, units=[tree["a1"]], by=users["admin_a"])
    assert client.get(reverse("directives:directive_matrix", args=[child.pk])).status_code == 404
    assert client.get(reverse("directives:directive_report", args=[child.pk])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
