"""monitoring.diff: a side-by-side diff of two page texts, escaped and capped."""

from lachan.monitoring import diff
from lachan.monitoring.diff import side_by_side, split_lines

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def test_a_changed_line_is_paired_and_marked_inside():
    old = "Cổng thông tin điện tử\nTin tức sự kiện ngày 12/05\nLiên hệ"
    new = "Cổng thông tin điện tử\nTin tức sự kiện ngày 13/05\nLiên hệ"
    result = side_by_side(old, new)
    kinds = [row.kind for row in result.rows]
    assert kinds == ["equal", "replace", "equal"]
    changed = result.rows[1]
    assert (changed.left_no, changed.right_no) == (2, 2)
    assert changed.left == "Tin tức sự kiện ngày 1<del>2</del>/05"
    assert changed.right == "Tin tức sự kiện ngày 1<ins>3</ins>/05"
    assert (result.added, result.removed) == (1, 1) and result.changed


def test_unrelated_lines_are_marked_whole():
    result = side_by_side("Giới thiệu", "nổ hũ tài xỉu uy tín")
    assert result.rows[0].left == "<del>Giới thiệu</del>"
    assert result.rows[0].right == "<ins>nổ hũ tài xỉu uy tín</ins>"


def test_hostile_text_is_escaped_on_both_sides_and_in_marks():
    result = side_by_side(f"trang chủ {HOSTILE}", f"trang chủ {HOSTILE} hacked by x\n{HOSTILE}")
    html = "".join(row.left + row.right for row in result.rows)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert set(html.replace("<del>", "").replace("</del>", "").replace("<ins>", "").replace("</ins>", "")) \
        .isdisjoint("<>")


def test_same_texts_give_no_rows():
    result = side_by_side("a\nb", "a\nb")
    assert result.rows == [] and not result.changed


def test_long_runs_of_equal_lines_collapse():
    old = "\n".join(f"dòng {n}" for n in range(100))
    new = old.replace("dòng 50", "dòng năm mươi")
    rows = side_by_side(old, new, context=2).rows
    assert [r.kind for r in rows] == ["skip", "equal", "equal", "replace", "equal", "equal", "skip"]
    assert rows[0].skipped == 48 and rows[-1].skipped == 47
    assert rows[1].left_no == 49


def test_a_single_long_line_is_split_into_sentences():
    text = "Câu một. Câu hai! Câu ba? " + "x" * 600
    lines = split_lines(text)
    assert lines[:3] == ["Câu một.", "Câu hai!", "Câu ba?"]
    assert all(len(line) <= diff.MAX_LINE_CHARS for line in lines)
    assert "".join(lines[3:]) == "x" * 600


def test_output_and_input_are_capped():
    old = "\n".join(f"a{n}" for n in range(2000))
    new = "\n".join(f"b{n}" for n in range(2000))
    result = side_by_side(old, new, max_rows=100)
    assert len(result.rows) == 100 and result.truncated
    huge = side_by_side("x " * diff.MAX_INPUT_CHARS, "y")
    assert huge.truncated


def test_inserted_and_deleted_lines():
    result = side_by_side("một\nhai\nba", "một\nba\nbốn")
    assert [(r.kind, r.left_no, r.right_no) for r in result.rows] == [
        ("equal", 1, 1), ("delete", 2, None), ("equal", 3, 2), ("insert", None, 3)]
    assert (result.added, result.removed) == (1, 1)
