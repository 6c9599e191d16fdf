"""Incident types: the ENISA Reference Incident Classification Taxonomy (class/type keys) with the
names the Vietnamese authorities use in their letters and report forms.

A data module rather than a table: the list follows the national vocabulary and changes with it, not
with each deployment. ``official_name`` is what the official (Vietnamese) report form prints whatever the
UI language; ``label`` is the UI label (English source string, translated through gettext).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class IncidentType:
    key: str
    label: str
    official_name: str
    enisa_class: str
    enisa_type: str


TYPES = (
    IncidentType("malware", _("Malware"), "Tấn công bằng mã độc", "malicious-code", "infected-system"),
    IncidentType("ransomware", _("Ransomware (data-encrypting attack)"), "Tấn công mã hóa dữ liệu (ransomware)",
                 "malicious-code", "infected-system"),
    IncidentType("defacement", _("Website defacement"), "Tấn công thay đổi giao diện (deface)",
                 "information-content-security", "unauthorised-information-modification"),
    IncidentType("ddos", _("Denial of service (DDoS)"), "Tấn công từ chối dịch vụ (DDoS)", "availability", "ddos"),
    IncidentType("intrusion", _("Intrusion / takeover"), "Tấn công xâm nhập, chiếm quyền điều khiển", "intrusions",
                 "system-compromise"),
    IncidentType("data_leak", _("Data theft / leak"), "Đánh cắp, lộ lọt dữ liệu", "information-content-security",
                 "data-leak"),
    IncidentType("phishing", _("Phishing / online scam"), "Tấn công lừa đảo (phishing), lừa đảo trực tuyến", "fraud",
                 "phishing"),
    IncidentType("botnet", _("Botnet infection"), "Máy tính bị nhiễm mã độc, tham gia mạng botnet",
                 "malicious-code", "c2-server"),
    IncidentType("vulnerability", _("Exploited vulnerability"), "Khai thác lỗ hổng bảo mật", "intrusion-attempts",
                 "exploit"),
    IncidentType("other", _("Other"), "Sự cố khác", "other", "other"),
)

BY_KEY = {t.key: t for t in TYPES}
DEFAULT = "other"


def choices():
    return [(t.key, t.label) for t in TYPES]


def get(key):
    """The type of ``key``; unknown keys read as "other" (a removed key must not break old incidents)."""
    return BY_KEY.get(key, BY_KEY[DEFAULT])


def normalise(value):
    """A type key from a key, an ENISA ``class/type`` pair or type, or a label/official name (case-insensitive);
    None when nothing matches. Used by the alert/feed entry points, which speak several vocabularies."""
    if not value:
        return None
    text = str(value).strip().lower()
    if text in BY_KEY:
        return text
    for t in TYPES:
        if text in (f"{t.enisa_class}/{t.enisa_type}", t.official_name.lower(), str(t.label).lower()):
            return t.key
    for t in TYPES:
        if text == t.enisa_type:
            return t.key
    return None
