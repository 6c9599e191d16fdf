"""The incident lifecycle: new → triaged → containment → eradication → recovery → resolved → closed.

``TRANSITIONS`` is the one table of allowed moves (forward steps, a few skips, and reopening). Closing needs
the lessons learned; the services enforce that."""

from .choices import IncidentStatus as S

TRANSITIONS = {
    S.NEW: (S.TRIAGED, S.RESOLVED),
    S.TRIAGED: (S.CONTAINMENT, S.ERADICATION, S.RECOVERY, S.RESOLVED),
    S.CONTAINMENT: (S.ERADICATION, S.RECOVERY, S.RESOLVED),
    S.ERADICATION: (S.RECOVERY, S.RESOLVED, S.CONTAINMENT),
    S.RECOVERY: (S.RESOLVED, S.CONTAINMENT),
    S.RESOLVED: (S.CLOSED, S.TRIAGED),
    S.CLOSED: (S.TRIAGED,),  # reopened
}

OPEN_STATUSES = (S.NEW, S.TRIAGED, S.CONTAINMENT, S.ERADICATION, S.RECOVERY)
# The timestamp each status sets the first time it is reached (statistics: time to triage/resolve/close).
STAMPS = {S.TRIAGED: "triaged_at", S.RESOLVED: "resolved_at", S.CLOSED: "closed_at"}


def allowed(from_status, to_status):
    return to_status in TRANSITIONS.get(from_status, ())


def next_statuses(status):
    return TRANSITIONS.get(status, ())
