"""The end of a letter: contacts (from the items giving phones / e-mails), signer, "Nơi nhận" list."""

import re

import phonenumbers

from lachan.organizations.phones import normalize_phone

from .common import EMAIL, SIGNER_TITLE_START, is_signer_title, is_upper_line, squash, starts_with_org
from .normalise import MARKER

_PERSON = re.compile(r"(?<![\w])(?:ông|bà|Ông|Bà|đồng chí|Đồng chí|đ/c|Đ/c)\s+(?=(?P<name>[^\n]{1,80}))")
_PHONE_WORDS = re.compile(r"\s*,?\s*(?<![\w])(?:(?:số\s+)?(?:điện thoại|ĐT|Tel|hotline|đường dây nóng)\b.*)$",
                          re.IGNORECASE)
_TITLE_START = SIGNER_TITLE_START
_SIGNED = re.compile(r"^\(?\s*(?:Đã ký|đã ký|Ký|ký tên|Chữ ký số|\[?signature)", re.IGNORECASE)


def phones_in(text):
    """[(normalised, start, end)] for the phone numbers written in ``text`` (region VN)."""
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, "VN"):
        number = normalize_phone(match.raw_string)
        if number and all(number != f[0] for f in found):
            found.append((number, match.start, match.end))
    return found


def is_contact(text):
    return bool(EMAIL.search(text) or phones_in(text))


def _name_after(text):
    words = []
    for word in text.split():
        if word.startswith("("):
            break
        clean = word.strip(",;.)(")
        if not clean or not clean[0].isupper() or any(ch.isdigit() for ch in clean):
            break
        words.append(clean)
        if word != clean:  # punctuation ends the name
            break
    return " ".join(words) if 2 <= len(words) <= 6 else None


def _organization(text):
    depth, cut = 0, len(text)
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and ch in ":,":
            cut = i
            break
    org = _PHONE_WORDS.sub("", text[:cut]).strip()
    rest = text[cut + 1:].strip() if cut < len(text) and text[cut] == ":" else ""
    if not org or not (starts_with_org(org) or re.search(r"\([A-Z/]{2,}\)$", org)):
        return None
    if rest and starts_with_org(rest) and not _PERSON.match(rest):
        sub = re.split(r"\s+(?:điện thoại|ĐT)\b|,|\(", rest, maxsplit=1)[0].strip()
        if sub:
            org = f"{sub} – {org}"
    return org


def contacts(texts):
    """``{"organization", "person", "phones", "emails"}`` for each text that gives a phone or an e-mail;
    one record per person when a text names several, each with the phones written before the name."""
    out = []
    for text in texts:
        text = re.sub(r"\./\.$", ".", text.strip())
        phones = phones_in(text)
        emails = list(dict.fromkeys(e.rstrip(".") for e in EMAIL.findall(text)))
        if not phones and not emails:
            continue
        org = _organization(text)
        persons = [(m.start(), _name_after(m["name"])) for m in _PERSON.finditer(text)]
        persons = [(pos, name) for pos, name in persons if name]
        if len(persons) > 1:
            previous = 0
            for pos, name in persons:
                own = [p for p, start, _ in phones if previous <= start < pos]
                previous = pos
                out.append({"organization": org, "person": name, "phones": own, "emails": emails})
            continue
        out.append({"organization": org, "person": persons[0][1] if persons else None,
                    "phones": [p for p, _, _ in phones], "emails": emails})
    return out


def signer(lines):
    """``{"name", "title"}`` from the signature block: upper-case title lines, then the name."""
    for i, line in enumerate(lines):
        text = line.text.strip()
        if not is_signer_title(text) or text.upper().startswith("NƠI NHẬN"):
            continue
        title, j = [], i
        while j < len(lines) and is_upper_line(lines[j].text.strip(), 2) and len(title) < 5:
            part = squash(_TITLE_START.sub(lambda m: m.group(0).replace(" ", "").rstrip(".") + ". ",
                                           lines[j].text.strip()))
            title.append(part)
            j += 1
        name = None
        for line2 in lines[j:j + 6]:
            cand = line2.text.strip()
            if _SIGNED.match(cand) or not cand:
                continue
            if re.match(r"^(?:Phụ lục|PHỤ LỤC)\b", cand):
                break
            words = cand.split()
            if 2 <= len(words) <= 6 and all(w[0].isupper() for w in words) and not any(c.isdigit() for c in cand) \
                    and ":" not in cand:
                name = " ".join(words)
            break
        return {"name": name, "title": " / ".join(title)}
    return {"name": None, "title": None}


def cc_list(lines, double_spaced):
    """The "Nơi nhận:" items (``Lưu: VT, …`` cut after its first full stop)."""
    from .body import read_list

    for i, line in enumerate(lines):
        m = re.match(r"^Nơi nhận\s*:?\s*", line.text.strip(), re.IGNORECASE)
        if not m:
            continue
        inline = line.text.strip()[m.end():]
        if MARKER.match(inline):
            inline = inline[MARKER.match(inline).end():]
        items, end = read_list(lines, i + 1, double_spaced, inline)
        items = [re.split(r"\.\s", it, maxsplit=1)[0].rstrip(".") if it.startswith("Lưu") else it for it in items]
        return items, (i, end)
    return [], None
