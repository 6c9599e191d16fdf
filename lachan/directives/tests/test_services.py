"""The workflow end to end on seed 003: import → dispatch to A and B → A answers with evidence → matrix,
re-issue by A to A1 rolls up, live check, scope (UI, API, file download), nothing stored on a bad file."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token

from lachan.accounts.choices import Role
from lachan.directives import services
from lachan.directives.models import Directive, DirectiveTask, Dispatch, TaskAnswer
from lachan.directives.selectors import matrix
from lachan.testing.factories import UserFactory

SEED = Path(__file__).resolve().parents[3] / ".." / "shared" / "seeds" / "003_0021695bf5c6d11d.txt"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def flow(tree, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    coord = users["coordinator"]
    with open(SEED, "rb") as handle:
        directive = services.directive_import(SimpleUploadedFile("003.txt", handle.read()), by=coord,
                                              unit=tree["root"])
    services.directive_dispatch(directive=directive, units=[tree["a"], tree["b"]], by=coord)
    return directive


@pytest.mark.django_db
def test_an_imported_letter_citing_a_known_directive_becomes_its_re_issue(flow, tree, users):
    seeds = SEED.parent
    services.directive_update(flow, by=users["coordinator"], fields={"number": "5644/BTTTT-CATTT", "number_blank": False})
    with open(seeds / "004_4f3196f2396613e4.txt", "rb") as handle:  # Đồng Nai: "… Văn bản số 5644/BTTTT-CATTT …"
        dong_nai = services.directive_import(SimpleUploadedFile("004.txt", handle.read()), by=users["coordinator"],
                                             unit=tree["root"])
    assert dong_nai.parent == flow
    # a unit admin who may not see the cited directive (nothing was sent to A1) gets no link to it
    admin_a1 = UserFactory(username="admin_a1", role=Role.UNIT_ADMIN, unit=tree["a1"])
    with open(seeds / "004_4f3196f2396613e4.txt", "rb") as handle:
        own = services.directive_import(SimpleUploadedFile("004.txt", handle.read()), by=admin_a1, unit=tree["a1"])
    assert own.parent is None


@pytest.mark.django_db
def test_import_of_seed_003_makes_its_seven_tasks(flow):
    tasks = list(flow.tasks.order_by("ordinal"))
    assert [t.section for t in tasks] == ["1.a", "1.b", "1.c", "2.a", "2.b", "2.c", "2.d"]
    assert flow.number == "/BTTTT-CATTT" and flow.number_blank
    assert flow.subject.startswith("Tăng cường công tác bảo đảm an toàn thông tin mạng")
    assert tasks[3].audience.startswith("Các doanh nghiệp cung cấp dịch vụ viễn thông")
    assert flow.parsed["signer"]["name"] == "Phạm Đức Long"
    assert flow.source_file.read().startswith(b"B") or flow.source_file.size > 1000


@pytest.mark.django_db
def test_dispatch_creates_empty_answers_and_mails_once(flow, tree, mailoutbox):
    assert flow.status == "dispatched"
    assert TaskAnswer.objects.filter(task__directive=flow).count() == 14
    assert set(TaskAnswer.objects.values_list("status", flat=True)) == {"not_started"}
    # dispatching again to A changes nothing
    assert services.directive_dispatch(directive=flow, units=[tree["a"]], by=None) == []
    assert Dispatch.objects.filter(directive=flow).count() == 2


@pytest.mark.django_db
def test_answer_with_evidence_shows_in_the_matrix(flow, tree, users):
    member_a = users["member_a"]
    answer = TaskAnswer.objects.get(task__directive=flow, task__ordinal=1, unit=tree["a"])
    services.task_answer(answer=answer, by=member_a, status="done", note="Đã rà soát",
                         evidence=SimpleUploadedFile("bien-ban.pdf", PDF))
    answer.refresh_from_db()
    assert answer.evidence_sha256 == __import__("hashlib").sha256(PDF).hexdigest()
    m = matrix(flow, users["coordinator"])
    cells = {row.unit.code: row.cells[0] for row in m.rows}
    assert cells["A"].status == "done" and cells["A"].has_evidence
    assert cells["B"].status == "not_started"
    # B's member may not answer A's task
    with pytest.raises(ValidationError):
        services.task_answer(answer=answer, by=users["member_b"], status="in_progress")


@pytest.mark.django_db
def test_not_applicable_needs_a_reason_and_fake_evidence_is_refused(flow, tree, users):
    answer = TaskAnswer.objects.get(task__directive=flow, task__ordinal=2, unit=tree["a"])
    with pytest.raises(ValidationError) as exc:
        services.task_answer(answer=answer, by=users["member_a"], status="not_applicable")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.task_answer(answer=answer, by=users["member_a"], status="done",
                             evidence=SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf"))
    assert "evidence" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.task_answer(answer=answer, by=users["member_a"], status="done",
                             evidence=SimpleUploadedFile("x.exe", b"MZ"))
    answer.refresh_from_db()
    assert answer.status == "not_started" and not answer.evidence


@pytest.mark.django_db
def test_a_parent_outside_the_scope_is_named_not_linked(flow, tree, users, client_for):
    child = services.directive_reissue(parent=flow, unit=tree["a"], by=users["admin_a"],
                                       keep_task_ids=[flow.tasks.get(ordinal=1).pk])
    services.directive_dispatch(directive=child, units=[tree["a1"]], by=users["admin_a"])
    member_a1 = UserFactory(username="member_a1", role=Role.UNIT_MEMBER, unit=tree["a1"])
    client = client_for(member_a1)
    assert client.get(flow.get_absolute_url()).status_code == 404  # nothing of the Sở's letter was sent to A1
    page = client.get(child.get_absolute_url()).content.decode()
    assert f'href="{flow.get_absolute_url()}"' not in page
    # A, which received the parent, gets the link
    page = client_for(users["member_a"]).get(child.get_absolute_url()).content.decode()
    assert f'href="{flow.get_absolute_url()}"' in page


@pytest.mark.django_db
def test_reissue_by_a_to_a1_rolls_up(flow, tree, users):
    admin_a = users["admin_a"]
    first = flow.tasks.get(ordinal=1)
    child = services.directive_reissue(parent=flow, unit=tree["a"], by=admin_a, keep_task_ids=[first.pk],
                                       extra_tasks=[{"text": "Báo cáo kết quả về Sở"}])
    assert child.parent == flow and child.unit == tree["a"] and child.tasks.count() == 2
    services.directive_dispatch(directive=child, units=[tree["a1"]], by=admin_a)
    cell = {r.unit.code: r for r in matrix(flow, users["coordinator"]).rows}["A"].cells[0]
    assert cell.rollup == (0, 1) and not cell.done
    child_answer = TaskAnswer.objects.get(task__directive=child, task__source_task=first, unit=tree["a1"])
    services.task_answer(answer=child_answer, by=users["admin_a"], status="done")
    cell = {r.unit.code: r for r in matrix(flow, users["coordinator"]).rows}["A"].cells[0]
    assert cell.rollup == (1, 1) and cell.done and cell.status == "not_started"
    # B cannot re-issue what it passes on for A
    with pytest.raises(ValidationError):
        services.directive_reissue(parent=flow, unit=tree["a"], by=users["member_b"], keep_task_ids=[first.pk])


@pytest.mark.django_db
def test_live_check_follows_an_open_botnet_case(flow, tree, users):
    from lachan.testing.factories import CaseFactory

    task = flow.tasks.get(ordinal=1)
    services.directive_update(flow, by=users["coordinator"], tasks=[{"id": task.pk, "check_key": "no_open_botnet_case"}])
    checks = matrix(flow, users["coordinator"]).checks
    assert checks[(tree["a"].pk, task.pk)][0] is True
    CaseFactory(unit=tree["a1"], ip="192.0.2.5", status="open")
    with translation.override("en"):
        checks = matrix(flow, users["coordinator"]).checks
    assert checks[(tree["a"].pk, task.pk)] == (False, "1 open botnet case(s)")
    assert checks[(tree["b"].pk, task.pk)][0] is True


@pytest.mark.django_db
def test_live_checks_cost_one_query_per_check_whatever_the_number_of_units(flow, tree, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lachan.testing.factories import UnitFactory

    task_1, task_2 = flow.tasks.get(ordinal=1), flow.tasks.get(ordinal=2)
    services.directive_update(flow, by=users["coordinator"], tasks=[
        {"id": task_1.pk, "check_key": "no_open_botnet_case"}, {"id": task_2.pk, "check_key": "has_security_focal"}])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            matrix(flow, users["coordinator"])
        return len(captured)

    few = queries()
    extra = [UnitFactory(parent=tree["root"]) for _ in range(5)]
    services.directive_dispatch(directive=flow, units=extra, by=users["coordinator"])
    assert queries() == few


@pytest.mark.django_db
@pytest.mark.parametrize("content,name", [(b"", "empty.txt"), (b"\x00\x01\x02\xff" * 500, "garbage.pdf"),
                                          (b"hello world, nothing official here", "note.txt"),
                                          (b"x", "letter.exe")])
def test_nothing_stored_on_a_bad_file(tree, users, content, name, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError):
        services.directive_import(io.BytesIO(content), by=users["coordinator"], unit=tree["root"], filename=name)
    assert Directive.objects.count() == 0 and DirectiveTask.objects.count() == 0
    assert not any(tmp_path.rglob("*.*"))


@pytest.mark.django_db
def test_too_large_file_is_refused(tree, users, settings):
    settings.DIRECTIVES_SOURCE_MAX_BYTES = 1000
    with translation.override("en"), pytest.raises(ValidationError, match="too large"):
        services.directive_import(io.BytesIO(b"a" * 2000), by=users["coordinator"], unit=tree["root"],
                                  filename="big.txt")
    assert Directive.objects.count() == 0


@pytest.mark.django_db
def test_scope_ui_api_and_download(flow, tree, users, client):
    answer_a = TaskAnswer.objects.get(task__directive=flow, task__ordinal=1, unit=tree["a"])
    services.task_answer(answer=answer_a, by=users["member_a"], status="done",
                         evidence=SimpleUploadedFile("bien-ban.pdf", PDF))
    member_b = users["member_b"]
    assert set(Directive.objects.restrict(member_b)) == {flow}  # dispatched to B
    assert set(TaskAnswer.objects.restrict(member_b).values_list("unit__code", flat=True)) == {"B"}
    client.force_login(member_b)
    assert client.get(reverse("directives:taskanswer_evidence", args=[answer_a.pk])).status_code == 404
    assert client.get(reverse("directives:taskanswer_detail", args=[answer_a.pk])).status_code == 404
    matrix_page = client.get(reverse("directives:directive_matrix", args=[flow.pk])).content.decode()
    assert "Đơn vị A" not in matrix_page and "Đơn vị B" in matrix_page
    token = Token.objects.create(user=member_b)
    api = client.get(reverse("directives-taskanswer-list"), {"limit": 100}, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert {row["unit"]["id"] for row in api.json()["results"]} == {tree["b"].pk}
    # A and the issuing side download A's evidence
    client.force_login(users["member_a"])
    response = client.get(reverse("directives:taskanswer_evidence", args=[answer_a.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    client.force_login(users["coordinator"])
    assert client.get(reverse("directives:taskanswer_evidence", args=[answer_a.pk])).status_code == 200
    # a unit with nothing dispatched sees nothing
    other = UserFactory(role=Role.UNIT_MEMBER, unit=tree["a1"])
    assert not Directive.objects.restrict(other).exists()


@pytest.mark.django_db
def test_reminders_once_per_answer_and_kind(flow, tree, users, mailoutbox):
    import datetime

    task = flow.tasks.get(ordinal=1)
    services.directive_update(flow, by=users["coordinator"], tasks=[{"id": task.pk, "deadline": datetime.date(2026, 1, 10)}])
    before = services.reminders_due(today=datetime.date(2026, 1, 8))
    assert sorted(k[1] for k in before) == ["before", "before"]
    assert services.reminders_due(today=datetime.date(2026, 1, 9)) == {}
    after = services.reminders_due(today=datetime.date(2026, 1, 11))
    assert sorted(k[1] for k in after) == ["after", "after"]
    assert services.reminders_due(today=datetime.date(2026, 1, 12)) == {}
