"""The body: recipients ("Kính gửi"), paragraphs, the tree of items, tasks with their audience, references."""

import re

from .common import (
    DATE_NUMERIC,
    DATE_WORDS,
    NUMBER,
    ORG_START,
    SYMBOL,
    find_date,
    is_signer_title,
    is_upper_line,
    squash,
    starts_with_org,
    strip_item_end,
)
from .normalise import MARKER, is_closing, new_paragraph

_VN_LETTERS = "abcdđeghiklmnopqrstuvxy"
_RANK = {"article": 0, "roman": 0, "heading": 0, "number": 1, "letter": 4, "dash": 5, "plus": 6}


def read_list(lines, start, double_spaced, inline=""):
    """Items of a "Kính gửi:" / "Nơi nhận:" list starting at ``lines[start]``: (items, next index)."""
    items = [inline] if inline.strip() else []
    i = start
    while i < len(lines):
        line = lines[i]
        text = line.text.strip()
        m = MARKER.match(text)
        if m and (m["dash"] or m["plus"]):
            items.append(text[m.end():])
        elif items and not new_paragraph(items[-1], line, double_spaced):
            items[-1] = f"{items[-1]} {text}"
        elif not items and not is_upper_line(text) and not text.startswith(("Căn cứ", "Thực hiện", "Theo")):
            items.append(text)
        else:
            break
        i += 1
    return [s for s in (strip_item_end(x) for x in items) if s], i


def paragraphs(lines, double_spaced):
    """Lines → [(text, bold, marker match or None)] with broken lines re-joined."""
    out = []
    for line in lines:
        text = line.text.strip()
        if out and not new_paragraph(out[-1][0], line, double_spaced):
            out[-1][0] = f"{out[-1][0]} {text}"
            out[-1][1] = out[-1][1] and line.bold
            continue
        out.append([text, line.bold, None])
    return [(squash(t), b, MARKER.match(squash(t))) for t, b, _ in out]


def split_closing(paras):
    """(body paragraphs, closing paragraphs). A body ends at "Trân trọng", "Trên đây…" or the paragraph
    ending with "./." (kept in the body when it is a list item: the end mark sits on the last item)."""
    for i, (text, _bold, marker) in enumerate(paras):
        if is_closing(text) or is_signer_title(text) and not marker:
            if marker and text.rstrip().endswith("./."):
                return paras[: i + 1], paras[i + 1:]
            if not marker and not text.startswith(("Trân trọng", "Trên đây")) and is_closing(text) \
                    and i + 1 < len(paras) and paras[i + 1][2]:
                continue  # "./." inside running text followed by more items: not the end
            return paras[:i], paras[i:]
    return paras, []


def _kind(marker):
    return next(k for k in ("article", "roman", "multi", "number", "letter", "dash", "plus") if marker[k])


def _label(marker, kind, siblings):
    raw = marker.group(0).strip()
    if kind == "article":
        label = re.sub(r"\D", "", raw)
    elif kind == "multi":
        label = raw.rstrip(".").split(".")[-1]
    elif kind in ("roman", "number", "letter"):
        label = raw.rstrip(".)")
    else:
        label = str(sum(1 for s in siblings if s["kind"] == kind) + 1)
    used = {s["label"] for s in siblings}
    if kind == "letter" and label in used and label in _VN_LETTERS:
        nxt = _VN_LETTERS[_VN_LETTERS.index(label) + 1:][:1]
        if nxt and nxt not in used:
            return nxt
    base, n = label, 2
    while label in used:
        label, n = f"{base}{n}", n + 1
    return label


def build_tree(paras):
    """Item paragraphs → nested nodes ``{"id", "marker", "text", "children"}``; text before the first item
    is returned apart (the introduction)."""
    root = {"children": [], "id": "", "rank": -1, "kind": "root", "label": ""}
    stack = [root]
    intro = []
    for text, bold, marker in paras:
        kind = _kind(marker) if marker else None
        if marker is None and bold and len(text) < 200 and not text.endswith((".", ";")):
            kind = "heading"
        if kind is None:
            if len(stack) == 1 or stack[-1]["kind"] in ("dash", "plus"):  # prose after a list: not part of it
                intro.append(text)
            else:
                stack[-1]["text"] = f"{stack[-1]['text']}\n{text}"
            continue
        rank = _RANK.get(kind, 0)
        if kind == "multi":
            rank = 1 + marker.group(0).rstrip(".").count(".")
        while len(stack) > 1 and stack[-1]["rank"] >= rank:
            stack.pop()
        parent = stack[-1]
        body = text[marker.end():].strip() if marker else text
        node = {"id": "", "marker": marker.group(0).strip() if marker else "", "text": body, "children": [],
                "rank": rank, "kind": kind}
        node["label"] = _label(marker, kind, parent["children"]) if marker else str(len(parent["children"]) + 1)
        node["id"] = f"{parent['id']}.{node['label']}" if parent["id"] else node["label"]
        parent["children"].append(node)
        stack.append(node)
    return _public(root["children"]), intro


def _public(nodes):
    return [{"id": n["id"], "marker": n["marker"], "text": n["text"].strip(), "children": _public(n["children"])}
            for n in nodes]


def walk(nodes, ancestors=()):
    for node in nodes:
        yield node, ancestors
        yield from walk(node["children"], (*ancestors, node))


_AUDIENCE_LEAD = re.compile(r"^(?:Đối với|Giao|Yêu cầu|Đề nghị)\s+", re.IGNORECASE)
_AUDIENCE_TAIL = re.compile(
    r"\s*(?:thực hiện|có trách nhiệm|cần|triển khai|chịu trách nhiệm)?\s*(?:các nội dung|một số nội dung)?"
    r"\s*(?:sau|như sau)?\s*:\s*$")
_PEOPLE = ("Các ", "Hiệu trưởng", "Thủ trưởng", "Giám đốc", "Chủ tịch", "Người đứng đầu", "Doanh nghiệp",
           "Đơn vị", "Toàn thể", "Lãnh đạo")


def audience_of(text):
    """The addressee a heading names ("2. Các doanh nghiệp …, internet:") or None."""
    first = text.split("\n", 1)[0].strip()
    if not first.endswith(":") or len(first) > 300:
        return None
    name = _AUDIENCE_LEAD.sub("", first)
    name = _AUDIENCE_TAIL.sub("", name).strip(" :")
    if not name or not (name.startswith(_PEOPLE) or starts_with_org(name) or
                        name[:1].islower() and name.startswith(("các ", "cơ quan", "đơn vị", "doanh nghiệp"))):
        return None
    return name[0].upper() + name[1:]


def tasks_of(sections, is_contact):
    tasks = []
    for node, ancestors in walk(sections):
        if node["children"] or not node["text"] or is_contact(node["text"]):
            continue
        audience = next((a for a in (audience_of(x["text"]) for x in reversed(ancestors)) if a), None)
        tasks.append({"id": node["id"], "text": node["text"], "audience": audience})
    return tasks


# --- references ------------------------------------------------------------------------------------------

_KINDS = ("Thông tư liên tịch", "Nghị quyết", "Nghị định", "Thông tư", "Quyết định", "Chỉ thị", "Kế hoạch",
          "Công văn", "Văn bản", "Thông báo", "Báo cáo", "Tờ trình", "Hướng dẫn", "Công điện", "Luật",
          "Pháp lệnh", "Kết luận", "Chương trình", "Đề án", "Quy chế", "Quy định")
_DATE = rf"(?:{DATE_WORDS.pattern}|{DATE_NUMERIC.pattern.replace('?P<d>', '?:').replace('?P<m>', '?:').replace('?P<y>', '?:')})"
_REFERENCE = re.compile(
    r"(?<![\w])(?P<kind>(?i:" + "|".join(re.escape(k) for k in _KINDS) + r"))\s+(?:(?i:số)\s*)?"
    rf"(?P<number>\d{{1,6}}\s*{SYMBOL}|{SYMBOL})"
    r"(?:\s*,?\s*(?P<date>(?i:ngày)\s*[^,;:()]{0,40}?\d{4}))?"
)
_ISSUER_AFTER = re.compile(r"\s*,?\s*(?:của|do)\s+(?P<issuer>[^,;:()]+?(?:\s*\([^)]*\))?)"
                           r"(?=\s+(?:về|V/v|ban hành|quy định|hướng dẫn|đã|đề nghị|yêu cầu)\b|[,;:.)]|\s*$)")
_ISSUER_BEFORE = re.compile(r"của\s+(?P<issuer>[^,;:()]+?)\s+(?:tại|theo)\s*$")


def references(texts, own_number):
    """Every numbered document cited in ``texts``: ``{"number", "kind", "date", "issuer"}``."""
    out, seen = [], set()
    own_symbol = own_number[own_number.index("/"):] if own_number and "/" in own_number else None
    for text in texts:
        for m in _REFERENCE.finditer(text):
            number = re.sub(r"\s+", "", m["number"]).rstrip(".-")
            if number.startswith("/") or number == own_number or (own_symbol and number.endswith(own_symbol)
                                                                   and own_number.startswith("/")):
                continue
            if number in seen:
                continue
            seen.add(number)
            date = find_date(m["date"])[0] if m["date"] else None
            after = _ISSUER_AFTER.match(text, m.end())
            issuer = squash(after["issuer"]) if after else None
            if issuer and not (starts_with_org(issuer) or ORG_START.match(issuer)):
                issuer = None
            if issuer is None:
                before = _ISSUER_BEFORE.search(text[max(0, m.start() - 200): m.start()])
                issuer = squash(before["issuer"]) if before else None
            kind = m["kind"][0].upper() + m["kind"][1:].lower()
            out.append({"number": number, "kind": kind, "date": date, "issuer": issuer})
    return out


def subject_of_reference(texts):
    """The "về việc …" clause following each cited document, in order."""
    out = []
    for text in texts:
        for m in _REFERENCE.finditer(text):
            v = re.compile(r"\s+về việc\s+(?P<s>[^;]+?)(?:\.\s|\.$|;|$)").search(text, m.end(), m.end() + 400)
            if v:
                out.append(squash(v["s"]))
    return out


__all__ = ["NUMBER", "audience_of", "build_tree", "paragraphs", "read_list", "references", "split_closing",
           "tasks_of", "walk"]
