"""A warning campaign tells each affected unit once (through the notification framework), in Vietnamese, with
that unit's CVEs only; units with nothing open are not told; a unit without a focal point through its parent."""

from datetime import date

import pytest
from django.core import mail
from django.utils import timezone

from lachan.notify.models import Delivery
from lachan.testing.factories import ContactFactory
from lachan.vulns import services
from lachan.vulns.choices import FindingStatus
from lachan.vulns.models import Finding
from lachan.vulns.notify import notify_campaign


def finding(unit, cve, key, status=FindingStatus.OPEN):
    now = timezone.now()
    return Finding.objects.create(unit=unit, cve_id=cve, key=key, status=status, source="nessus", title=cve,
                                  first_seen=now, last_seen=now, severity="critical")


@pytest.mark.django_db
def test_affected_units_are_told_once_with_their_own_cves(tree, users, django_capture_on_commit_callbacks):
    ContactFactory(unit=tree["a"], emails="attt@a.example.vn", roles="security_focal")
    ContactFactory(unit=tree["b"], emails="attt@b.example.vn", roles="security_focal")
    ContactFactory(unit=tree["root"], emails="attt@so.example.vn", roles="security_focal")
    finding(tree["a"], "CVE-2024-21762", "a1")
    finding(tree["a1"], "CVE-2024-23113", "a1-1")  # A1 has no focal point: reached through A
    finding(tree["b"], "CVE-2024-21762", "b1", status=FindingStatus.FIXED)  # nothing open: not told
    with django_capture_on_commit_callbacks(execute=True):
        campaign = services.campaign_create(
            by=users["coordinator"], title="Lỗ hổng trong FortiOS và FortiProxy", number="1234/STTTT-CNTT",
            issuer="Sở Thông tin và Truyền thông", issued_on=date(2026, 11, 20), deadline=date(2026, 12, 5),
            items=[{"cve_id": "CVE-2024-21762", "severity": "critical"}, {"cve_id": "CVE-2024-23113"}])
    messages = {tuple(m.to): m for m in mail.outbox}
    assert set(messages) == {("attt@a.example.vn",)}  # A for itself and, as A1's parent, for A1: one address
    deliveries = Delivery.objects.filter(event_key__startswith=f"vulns.campaign:{campaign.pk}:")
    assert sorted((d.unit.code, d.target, d.status) for d in deliveries) == [
        ("A", "attt@a.example.vn", "sent"), ("A1", "attt@a.example.vn", "sent")]
    bodies = sorted(m.body for m in mail.outbox)
    assert len(bodies) == 2
    for_a = next(b for b in bodies if b.startswith("Kính gửi: Đơn vị A,"))
    for_a1 = next(b for b in bodies if "để chuyển tới" in b)
    assert "CVE-2024-21762" in for_a and "CVE-2024-23113" not in for_a
    assert "CVE-2024-23113" in for_a1 and "CVE-2024-21762" not in for_a1
    assert "trước ngày 05/12/2026" in for_a and "số 1234/STTTT-CNTT, ngày 20/11/2026" in for_a
    assert all(m.subject == "[Cảnh báo lỗ hổng] Lỗ hổng trong FortiOS và FortiProxy" for m in mail.outbox)
    assert {d.severity for d in deliveries} == {"critical"}
    # Again (a refresh, a second job): nobody is told twice.
    with django_capture_on_commit_callbacks(execute=True):
        notify_campaign(campaign)
        services.campaign_refresh(campaign)
    assert len(mail.outbox) == 2
    assert Delivery.objects.filter(event_key__startswith=f"vulns.campaign:{campaign.pk}:").count() == 2
