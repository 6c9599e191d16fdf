"""Warning campaigns reach the affected units: one e-mail per (campaign, unit) through ``lachan.notify``
(delivery log, retries, never twice — the event key names both), in Vietnamese, to the unit's security
focal point (or its nearest ancestor's when the unit declared none). Called when a campaign is created or
refreshed; units already told are not told again."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from lachan.notify import services as notify
from lachan.organizations.selectors import FOCAL_ROLE, recipients_for

from .choices import SEVERITY_RANK

CVES_LISTED = 30


def event_key(campaign, unit):
    return f"vulns.campaign:{campaign.pk}:unit:{unit.pk}"


def _severity(campaign):
    found = [i.get("severity") for i in campaign.items if i.get("severity") in SEVERITY_RANK]
    return min(found, key=SEVERITY_RANK.get) if found else "high"


def notify_campaign(campaign):
    """Send the warning to every affected unit not yet told; returns the number of units reached."""
    from .services import campaign_findings

    answers = campaign.answers.filter(affected=True, open_findings__gt=0).select_related("unit")
    findings = campaign_findings(campaign).values_list("unit_id", "cve_id").distinct()
    cves_by_unit = {}
    for unit_id, cve in findings:
        cves_by_unit.setdefault(unit_id, set()).add(cve)
    site_name = getattr(settings, "SITE_NAME", "Lá Chắn")
    reached = 0
    with translation.override("vi"):
        for answer in answers:
            emails, via = recipients_for(answer.unit, [FOCAL_ROLE])
            if not emails:
                continue
            cves = sorted(cves_by_unit.get(answer.unit_id, ()))
            context = {"campaign": campaign, "answer": answer, "unit": answer.unit, "via": via,
                       "cves": cves[:CVES_LISTED], "more": max(len(cves) - CVES_LISTED, 0), "site_name": site_name}
            subject = f"[Cảnh báo lỗ hổng] {campaign.title}"[:300]
            body = render_to_string("vulns/email/campaign_body.txt", context)
            rows = notify.send(event_key(campaign, answer.unit), addresses=emails, subject=subject, body=body,
                               severity=_severity(campaign), unit=answer.unit)
            reached += bool(rows)
    return reached


def notify_campaign_on_commit(campaign):
    transaction.on_commit(lambda: notify_campaign(campaign))
