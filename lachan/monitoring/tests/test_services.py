"""The state machine and the operator actions, fed with real ``CheckResult`` values (the engine's input)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from lachan.monitoring import selectors
from lachan.monitoring.checking import CheckFinding, CheckResult
from lachan.monitoring.choices import AlertState, EventKind, SiteStatus
from lachan.monitoring.models import Alert, SiteEvent
from lachan.monitoring.services import (
    alert_acknowledge,
    alert_false_positive,
    alert_incident_payload,
    baseline_accept,
    finding_signature,
    next_check_time,
    record_result,
    site_recheck_now,
)
from lachan.testing.factories import SnapshotFactory, WatchedSiteFactory

URL = "https://truong-a.edu.vn/"
T0 = timezone.now().replace(microsecond=0)


def result(verdict="ok", findings=(), deep=False, latency=120, dns=None, **kw):
    return CheckResult(url=URL, final_url=URL, http_status=200 if verdict != "down" else 503, latency_ms=latency,
                       tls_days_left=90, verdict=verdict, findings=list(findings), deep=deep, dns=dns or {},
                       pages={} if verdict == "down" else {URL: None}, **kw)


def finding(kind="gambling_injection", severity="high", url=URL, **evidence):
    evidence = evidence or {"links": ["https://nhacai-x.bet/"], "snippet": "nhà cái uy tín"}
    return CheckFinding(kind, severity, f"{kind} found", evidence, url)


@pytest.fixture
def site(tree):
    return WatchedSiteFactory(unit=tree["a"], website__url=URL)


def test_signature_ignores_dates_counters_and_numbers():
    a = finding_signature("defacement", URL, {"diff": "Thứ Hai, ngày 15/01/2024 hacked by X", "similarity": 0.31})
    b = finding_signature("defacement", URL, {"diff": "Thứ Ba, ngày 16/01/2024 hacked by X", "similarity": 0.29})
    c = finding_signature("defacement", URL, {"diff": "Thứ Ba, ngày 16/01/2024 owned by Y", "similarity": 0.29})
    assert a == b != c
    assert finding_signature("hidden_links", URL, {"links": ["b", "a"]}) == \
        finding_signature("hidden_links", URL, {"links": ["a", "b"]})


def test_down_needs_the_confirmations(site, settings):
    settings.MONITOR_DOWN_CONFIRMATIONS = 2
    down = result("down", error_kind="connect", error_message="refused")
    out = record_result(site, down, now=T0)
    assert site.status == SiteStatus.PENDING and out.recheck and not Alert.objects.exists()
    out = record_result(site, down, now=T0 + timedelta(minutes=1))
    alert = Alert.objects.get()
    assert site.status == SiteStatus.DOWN and alert.state == AlertState.CONFIRMED and out.notify == [alert.pk]
    assert "connect: refused" in alert.summary
    record_result(site, result(latency=9000), now=T0 + timedelta(minutes=2))  # slow but answering
    alert.refresh_from_db()
    assert site.status == SiteStatus.DEGRADED and alert.state == AlertState.RESOLVED


def test_suspected_confirmed_resolved_and_deep_only_coverage(site):
    cloak = finding("cloaking", "high")
    out = record_result(site, result("compromised", [cloak], deep=True), now=T0)
    alert = Alert.objects.get()
    assert alert.state == AlertState.SUSPECTED and out.recheck and out.notify == []
    # the re-check is asked deep, since only a deep check sees cloaking
    site.refresh_from_db()
    assert site.deep_next
    record_result(site, result(), now=T0 + timedelta(minutes=1))  # a fast check cannot judge cloaking
    alert.refresh_from_db()
    assert alert.state == AlertState.SUSPECTED
    out = record_result(site, result("compromised", [cloak], deep=True), now=T0 + timedelta(minutes=2))
    alert.refresh_from_db()
    assert alert.state == AlertState.CONFIRMED and out.notify == [alert.pk]
    record_result(site, result(deep=True), now=T0 + timedelta(minutes=3))
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED
    kinds = set(SiteEvent.objects.filter(alert=alert).values_list("kind", flat=True))
    assert kinds == {EventKind.ALERT_OPENED, EventKind.ALERT_CONFIRMED, EventKind.ALERT_RESOLVED}


def test_critical_is_confirmed_at_first_sight_and_info_opens_nothing(site):
    out = record_result(site, result("compromised", [finding("defacement", "critical"),
                                                     finding("cloaking", "info", signal="probe_failed")]), now=T0)
    alert = Alert.objects.get()
    assert (alert.kind, alert.state) == ("defacement", AlertState.CONFIRMED) and out.notify == [alert.pk]


def test_low_alerts_are_never_mailed(site):
    low = finding("new_outbound_links", "low")
    record_result(site, result(findings=[low]), now=T0)
    out = record_result(site, result(findings=[low]), now=T0 + timedelta(minutes=1))
    assert Alert.objects.get().state == AlertState.CONFIRMED and out.notify == []


def test_dns_change_keeps_the_old_answers_until_confirmed(site):
    site.dns_answers = {"NS": ["ns1.old.vn."]}
    site.save()
    change = finding("dns_changed", "high", url=URL, before=["ns1.old.vn."], after=["ns1.evil.example."])
    new = {"NS": ["ns1.evil.example."]}
    record_result(site, result(findings=[change], dns=new), now=T0)
    assert site.dns_answers == {"NS": ["ns1.old.vn."]}
    record_result(site, result(findings=[change], dns=new), now=T0 + timedelta(minutes=1))
    assert site.dns_answers == new and Alert.objects.get().state == AlertState.CONFIRMED
    out = record_result(site, result(dns=new), now=T0 + timedelta(minutes=2))
    assert Alert.objects.get().state == AlertState.RESOLVED and out.notify == []  # resolved quietly


def test_actions_check_state_and_permission(site, users):
    record_result(site, result("compromised", [finding()]), now=T0)
    alert = Alert.objects.get()
    with pytest.raises(ValidationError):
        alert_acknowledge(alert, by=users["member_b"])  # another unit
    with pytest.raises(ValidationError):
        alert_acknowledge(alert, by=users["auditor"])  # reads, never acts
    alert = alert_acknowledge(alert, by=users["operator_a"], note="Đang xử lý")
    assert alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_by == users["operator_a"]
    with pytest.raises(ValidationError):
        alert_acknowledge(alert, by=users["admin_a"])  # already acknowledged
    with pytest.raises(ValidationError):
        alert_false_positive(alert, by=users["admin_a"], note="  ")
    alert_false_positive(alert, by=users["admin_a"], note="Liên kết của đối tác")
    with pytest.raises(ValidationError):
        alert_false_positive(alert, by=users["admin_a"], note="again")
    # the same evidence is suppressed; other evidence is not
    record_result(site, result("compromised", [finding()]), now=T0 + timedelta(minutes=5))
    assert Alert.objects.count() == 1
    record_result(site, result("compromised", [finding(links=["https://other-casino.example/"])]),
                  now=T0 + timedelta(minutes=6))
    assert Alert.objects.count() == 2


def test_outage_is_not_a_false_positive(site, users, settings):
    settings.MONITOR_DOWN_CONFIRMATIONS = 1
    record_result(site, result("down", error_kind="timeout", error_message="30 s"), now=T0)
    with translation.override("en"), pytest.raises(ValidationError, match="acknowledge"):
        alert_false_positive(Alert.objects.get(), by=users["admin_a"], note="no")


def test_baseline_accept_and_recheck_now(site, users):
    with pytest.raises(ValidationError):
        baseline_accept(site, by=users["admin_a"])  # nothing kept yet
    old = SnapshotFactory(site=site, url=URL, is_baseline=True, taken_at=T0 - timedelta(days=1))
    new = SnapshotFactory(site=site, url=URL, taken_at=T0)
    record_result(site, result("compromised", [finding("defacement", "high")]), now=T0)
    baseline_accept(site, by=users["admin_a"], url=URL)
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.is_baseline and not old.is_baseline and new.accepted_by == users["admin_a"]
    assert Alert.objects.get().state == AlertState.RESOLVED
    with pytest.raises(ValidationError):
        site_recheck_now(site, by=users["member_b"])
    site_recheck_now(site, by=users["member_a"])
    site.refresh_from_db()
    assert site.deep_next and site.next_check_at <= timezone.now()


def test_incident_payload(site):
    record_result(site, result("compromised", [finding("defacement", "critical")]), now=T0)
    payload = alert_incident_payload(Alert.objects.get())
    assert payload["type"] == "defacement" and payload["unit"] == site.website.unit
    assert payload["detected_at"] == T0 and payload["evidence"]["details"]["snippet"] == "nhà cái uy tín"
    assert set(payload) >= {"title", "unit", "system", "detected_at", "type", "description", "evidence"}
    assert (payload["severity"], payload["source"]) == ("critical", "monitor")
    assert payload["source_ref"] == f"monitoring.alert:{Alert.objects.get().pk}"


def test_incident_types_are_keys_of_the_taxonomy():
    from lachan.incidents import taxonomy
    from lachan.monitoring.services import INCIDENT_TYPES

    assert set(INCIDENT_TYPES.values()) <= set(taxonomy.BY_KEY)


def test_jitter_is_fixed_per_site_and_bounded(site, settings):
    settings.MONITOR_JITTER = 0.1
    site.interval_seconds = 300
    first, second = next_check_time(site, T0), next_check_time(site, T0)
    assert first == second and T0 + timedelta(seconds=270) <= first <= T0 + timedelta(seconds=330)
    assert next_check_time(site, T0, recheck=True) == T0 + timedelta(seconds=settings.MONITOR_RECHECK_SECONDS)


def test_selectors_are_scoped(site, users, tree):
    WatchedSiteFactory(unit=tree["b"])
    record_result(site, result("compromised", [finding("defacement", "critical")]), now=T0)
    assert selectors.status_counts(users["coordinator"])["total"] == 2
    counts = selectors.status_counts(users["member_a"])
    assert (counts["total"], counts["up"], counts["compromised"], counts["open_alerts"]) == (1, 1, 1, 1)
    assert selectors.status_counts(users["member_b"])["open_alerts"] == 0
    assert list(selectors.counts_by_unit(users["member_a"])) == [tree["a"].pk]
    assert list(selectors.open_alerts(users["member_b"])) == []
