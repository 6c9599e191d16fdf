"""``lachan directive parse`` through call_command."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from lachan.directives.parsing import KEYS

DOCS = Path(__file__).resolve().parent / "documents"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def run(*args):
    out = io.StringIO()
    call_command("directive", *args, stdout=out)
    return out.getvalue()


def test_parse_json():
    data = json.loads(run("parse", str(DOCS / "chi_thi.txt"), "--json"))
    assert tuple(data) == KEYS
    assert (data["number"], data["doc_type"]) == ("08/CT-UBND", "chi_thi")


def test_parse_json_keeps_vietnamese_unescaped():
    assert "Đà Nẵng" in run("parse", str(DOCS / "chi_thi.txt"), "--json")


def test_parse_summary():
    text = run("parse", str(DOCS / "cong_van_one_line.txt"))
    assert "Số / number: 456/SYT-VP" in text
    assert "Nhiệm vụ / tasks: 2" in text
    assert "Người ký / signer: Phan Văn Bình (GIÁM ĐỐC)" in text


def test_bad_file_is_a_command_error(tmp_path):
    bad = tmp_path / "garbage.bin"
    bad.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(CommandError, match="garbage.bin: This is a binary file"):
        run("parse", str(bad))
    with pytest.raises(CommandError, match="Cannot read the file"):
        run("parse", str(tmp_path / "missing.txt"))


SEEDS = Path(__file__).resolve().parents[3].parent / "shared" / "seeds"


@pytest.mark.django_db
def test_import_stores_a_draft_and_links_the_cited_directive(tree):
    from lachan.directives.models import Directive

    first = json.loads(run("import", str(SEEDS / "003_0021695bf5c6d11d.txt"), "--unit", "ROOT", "--json"))
    ministry = Directive.objects.get(pk=first["id"])
    assert (first["tasks"], first["parent"], ministry.status, ministry.unit.code) == (7, None, "draft", "ROOT")
    Directive.objects.filter(pk=ministry.pk).update(number="5644/BTTTT-CATTT", number_blank=False)
    second = json.loads(run("import", str(SEEDS / "004_4f3196f2396613e4.txt"), "--unit", "A", "--json"))
    assert second["parent"] == "5644/BTTTT-CATTT" and second["tasks"] > 0
    assert second["recipients_matched"] + second["recipients_pending"] > 0


@pytest.mark.django_db
def test_import_refuses_what_is_not_a_letter_and_stores_nothing(tree, tmp_path):
    from lachan.directives.models import Directive

    garbage = tmp_path / "rac.txt"
    garbage.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(CommandError):
        run("import", str(garbage), "--unit", "ROOT")
    with pytest.raises(CommandError, match="no unit"):
        run("import", str(SEEDS / "003_0021695bf5c6d11d.txt"), "--unit", "NOPE")
    assert not Directive.objects.exists()
