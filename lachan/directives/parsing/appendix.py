"""An appendix listing the recipient units, grouped: ``[{"group", "units": [...]}]``."""

import re

from .common import fold, is_upper_line, squash

APPENDIX_START = re.compile(r"^(?:PHỤ LỤC|Phụ lục|PHU LUC)\b")
_ROW = re.compile(r"^(?P<n>\d{1,4})\s*(?:[.)]\s*|\t\s*|\s+(?=\S))(?P<name>\S.*)$")
_GROUP_MARK = re.compile(r"^(?:[IVX]{1,5}|[A-Z])[.)]\s+(?P<name>\S.*)$")
_ABOUT_UNITS = ("don vi", "co quan", "noi nhan", "kinh gui", "to chuc")


def appendix_units(lines):
    """Units listed after a "Phụ lục" heading whose title speaks of units / recipients; [] otherwise."""
    start = next((i for i, line in enumerate(lines) if APPENDIX_START.match(line.text.strip())), None)
    if start is None:
        return []
    head = fold(" ".join(line.text for line in lines[start:start + 6]))
    if not any(word in head for word in _ABOUT_UNITS):
        return []
    groups, in_table = [], False
    block = lines[start + 1:]
    for k, line in enumerate(block):
        text = line.text.strip().strip("|").strip()
        if APPENDIX_START.match(text) and in_table:
            break
        if re.match(r"^(?:STT|TT|Số TT)\b", text, re.IGNORECASE):
            in_table = True
            continue
        row = _ROW.match(text)
        if row and not re.fullmatch(r"\d{4}", row["n"]):
            name = squash(row["name"].replace("\t", " "))
            if not groups:
                groups.append({"group": None, "units": []})
            groups[-1]["units"].append(name.rstrip(" ;,"))
            in_table = True
            continue
        mark = _GROUP_MARK.match(text)
        next_is_row = k + 1 < len(block) and _ROW.match(block[k + 1].text.strip().strip("|").strip())
        if in_table and (line.bold or mark or is_upper_line(text)) or (not in_table and next_is_row and
                                                                          (line.bold or mark)):
            groups.append({"group": squash((mark["name"] if mark else text).replace("\t", " ")), "units": []})
            in_table = True
    return [g for g in groups if g["units"]]
