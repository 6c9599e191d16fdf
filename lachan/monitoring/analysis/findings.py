"""What the analysis reports: ``Finding`` (kind, severity, summary, evidence).

Summaries are short English sentences. Their templates are marked with ``gettext_noop`` so the catalogue
picks them up, and each finding keeps the template and its parameters: a page shows
``_(finding.template) % finding.params`` in the reader's language, while ``summary`` (the English text) is
what logs and the JSON output carry. Evidence is plain text taken from hostile pages: whoever shows it must
escape it. It is clipped here: a snippet to ``SNIPPET_MAX`` characters, link lists to ``LINKS_MAX`` items,
a diff excerpt to ``DIFF_MAX`` characters.
"""

from dataclasses import dataclass, field

KINDS = frozenset({
    "defacement_suspected", "defacement_confirmed", "title_changed", "defacement_marker",
    "gambling_injection", "hidden_links", "new_outbound_links", "new_external_script", "new_iframe",
    "redirect_injection", "cloaking", "malicious_script",
})
SEVERITIES = ("critical", "high", "medium", "low", "info")  # most severe first
SNIPPET_MAX = 500
LINKS_MAX = 50
DIFF_MAX = 1000
TEXT_ITEM_MAX = 300  # one link or one list item in the evidence


def gettext_noop(message):
    """Marks a summary template for the catalogue (``makemessages`` extracts calls by this name). Django's
    own ``gettext_noop`` reads the settings, and this engine runs without Django configured."""
    return message


def clip(text, limit=SNIPPET_MAX):
    """Text cut to ``limit`` characters (an ellipsis marks the cut); control characters become spaces."""
    text = "".join(c if c.isprintable() or c in "\n\t" else " " for c in str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clean_evidence(evidence):
    out = {}
    for key, value in evidence.items():
        if key == "diff":
            out[key] = clip(value, DIFF_MAX)
        elif isinstance(value, str):
            out[key] = clip(value)
        elif isinstance(value, (list, tuple)):
            out[key] = [_clean_item(item) for item in list(value)[:LINKS_MAX]]
        elif isinstance(value, dict):
            out[key] = _clean_evidence(value)
        else:
            out[key] = value
    return out


def _clean_item(item):
    if isinstance(item, dict):
        return {k: clip(v, TEXT_ITEM_MAX) if isinstance(v, str) else v for k, v in item.items()}
    return clip(item, TEXT_ITEM_MAX) if isinstance(item, str) else item


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str
    summary: str
    evidence: dict = field(default_factory=dict)
    template: str = ""
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Unknown finding kind: {self.kind!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"Unknown severity: {self.severity!r}")
        object.__setattr__(self, "evidence", _clean_evidence(self.evidence))

    @classmethod
    def make(cls, kind, severity, template, params=None, **evidence):
        """A finding whose summary is ``template % params`` (the template marked with gettext_noop)."""
        params = params or {}
        return cls(kind, severity, template % params if params else template, evidence, template, params)

    @property
    def rank(self):
        """0 for critical … 4 for info (sorts the most severe first)."""
        return SEVERITIES.index(self.severity)

    def to_dict(self):
        return {"kind": self.kind, "severity": self.severity, "summary": self.summary,
                "evidence": self.evidence, "template": self.template, "params": self.params}

    @classmethod
    def from_dict(cls, data):
        return cls(data["kind"], data["severity"], data["summary"], data.get("evidence") or {},
                   data.get("template", ""), data.get("params") or {})
