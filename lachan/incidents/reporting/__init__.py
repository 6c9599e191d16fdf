"""Reporting to the national bodies: the form-03 DOCX (``form03``) and the escalation action (``escalation``)."""

from .escalation import incident_escalate, may_escalate, report_preview, reports_for, resolve_recipients

__all__ = ["incident_escalate", "may_escalate", "report_preview", "reports_for", "resolve_recipients"]
