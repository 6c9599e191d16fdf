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
