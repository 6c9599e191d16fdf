"""Vietnamese phone numbers written the many ways letters write them ("(024) 3640.4421", "086.9100.317")."""

import re

import phonenumbers

_SPLIT = re.compile(r"\s*(?:,|;|/| hoặc | or )\s*")


def normalize_phone(raw, region="VN"):
    """Return the national form without punctuation ("02436404421", "0869100317") or None."""
    digits = re.sub(r"[^\d+]", "", raw or "")
    if len(digits.lstrip("+")) < 8:
        return None
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return re.sub(r"\D", "", national) if number.country_code == 84 else phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.E164
    )


def normalize_phone_list(raw):
    """"0888.133.359, (024) 3640.4421" → "0888133359, 02436404421"; raises ValueError naming the bad part."""
    out = []
    for part in _SPLIT.split(raw or ""):
        if not part.strip():
            continue
        number = normalize_phone(part)
        if number is None:
            raise ValueError(part.strip())
        if number not in out:
            out.append(number)
    return ", ".join(out)
