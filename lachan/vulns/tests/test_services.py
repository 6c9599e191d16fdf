"""Services of the vulns app: advisory upsert/merge, scan import (attach, refuse, re-import), lifecycle, SLA, campaigns."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from lachan.inventory.models import Host
from lachan.testing.factories import HostFactory, InformationSystemFactory, IPPrefixFactory
from lachan.vulns import services, sla
from lachan.vulns.choices import AnswerStatus, FindingStatus, ImportStatus
from lachan.vulns.models import Advisory, Finding, ScanImport, SlaPolicy
from lachan.vulns.records import Advisory as Rec
from lachan.vulns.records import CvssMetric, KevEntry, ScanFinding

SCANS = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "scans"
NESSUS = SCANS / "tenable" / "nessus_many_vuln.xml"
NESSUS_IP = "12.233.108.201"


def nvd(cve, score=9.8, **kw):
    return Rec(cve_id=cve, source="nvd", description=f"{cve} in nvd", cvss=[CvssMetric("3.1", score, "CVSS:3.1/AV:N")],
               **kw)


# --- advisories --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_upsert_merges_sources_and_skips_unchanged():
    result = services.upsert_advisories([nvd("CVE-2021-44228", 10.0)])
    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    kev = Rec(cve_id="CVE-2021-44228", source="kev", kev=KevEntry(date_added="2021-12-10", due_date="2021-12-24",
                                                                  known_ransomware=True, required_action="Patch"))
    result = services.upsert_advisories([kev])
    assert (result.created, result.updated) == (0, 1)
    advisory = Advisory.objects.get(cve_id="CVE-2021-44228")
    assert advisory.sources == ["nvd", "kev"]
    assert advisory.kev and advisory.kev_known_ransomware and advisory.kev_due_date == date(2021, 12, 24)
    assert advisory.description == "CVE-2021-44228 in nvd"  # NVD's text wins
    assert (advisory.severity, advisory.base_score, advisory.cvss_version) == ("critical", 10.0, "3.1")
    # The same records again: nothing changes.
    again = services.upsert_advisories([nvd("CVE-2021-44228", 10.0), kev])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


@pytest.mark.django_db
def test_primary_cvss_follows_the_preference(settings):
    record = Rec(cve_id="CVE-2024-0001", source="nvd",
                 cvss=[CvssMetric("3.1", 5.0), CvssMetric("4.0", 9.3, severity="critical")])
    services.upsert_advisories([record])
    assert Advisory.objects.get().cvss_version == "4.0"
    settings.VULNS_CVSS_PREFERENCE = "3.1,4.0"
    assert services.merge_parts({"nvd": services.advisory_part(record)})["base_score"] == 5.0


# --- SLA ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sla_defaults_from_the_seeded_policy():
    policy = sla.active_policy()
    assert policy.pk is not None  # the data migration seeded it
    start = date(2025, 1, 1)
    assert sla.due_date(policy, severity="critical", start=start) == date(2025, 1, 8)
    assert sla.due_date(policy, severity="high", start=start) == date(2025, 1, 16)
    assert sla.due_date(policy, severity="medium", start=start) == date(2025, 1, 31)
    assert sla.due_date(policy, severity="low", start=start) == start + timedelta(days=90)
    assert sla.due_date(policy, severity="info", start=start) is None
    # KEV: at most 7 days, or the catalog's due date when earlier and not past.
    assert sla.due_date(policy, severity="low", start=start, kev=True) == date(2025, 1, 8)
    assert sla.due_date(policy, severity="low", start=start, kev=True, kev_due="2025-01-04") == date(2025, 1, 4)
    assert sla.due_date(policy, severity="low", start=start, kev=True, kev_due="2021-12-24") == date(2025, 1, 8)
    # Security level 4–5 halves the time (rounded up).
    assert sla.due_date(policy, severity="high", start=start, security_level=4) == date(2025, 1, 9)
    assert sla.due_date(policy, severity="critical", start=start, security_level=5) == date(2025, 1, 5)
    SlaPolicy.objects.filter(pk=policy.pk).update(high_days=20)
    assert sla.due_date(sla.active_policy(), severity="high", start=start) == date(2025, 1, 21)


# --- scans -------------------------------------------------------------------------------------------------


@pytest.fixture
def scan_host(tree):
    system = InformationSystemFactory(unit=tree["a"], security_level=4)
    return HostFactory(unit=tree["a"], system=system, hostname="preprod", ip_addresses=f"10.9.9.9, {NESSUS_IP}")


@pytest.mark.django_db
def test_scan_import_attaches_to_the_host_and_reimport_is_idempotent(tree, users, scan_host):
    scan = services.scan_import(NESSUS, unit=tree["a"], by=users["admin_a"])
    assert scan.status == ImportStatus.DONE
    assert (scan.hosts, scan.findings, scan.new, scan.unknown_hosts_count) == (1, 7, 7, 0)
    findings = Finding.objects.filter(unit=tree["a"])
    assert findings.count() == 7
    assert set(findings.values_list("host_id", flat=True)) == {scan_host.pk}
    assert set(findings.values_list("source", flat=True)) == {"nessus"}
    # This file's findings are all informational: no deadline under the default policy.
    assert set(findings.values_list("severity", flat=True)) == {"info"}
    assert set(findings.values_list("due_date", flat=True)) == {None}
    assert set(findings.values_list("system_id", flat=True)) == {scan_host.system_id}
    again = services.scan_import(NESSUS, unit=tree["a"], by=users["admin_a"])
    assert (again.new, again.updated_count, again.closed, again.reopened) == (0, 7, 0, 0)
    assert Finding.objects.count() == 7


@pytest.mark.django_db
def test_absent_findings_close_and_come_back(tree, users, scan_host):
    services.scan_import(NESSUS, unit=tree["a"], by=users["admin_a"])
    extra = Finding.objects.first()
    # A finding of the same scanner on the same host that the next scan does not report: closed.
    stale = Finding.objects.create(unit=tree["a"], host=scan_host, source="nessus", rule_id="999999", title="old",
                                   key="k" * 64, first_seen=timezone.now(), last_seen=timezone.now())
    scan = services.scan_import(NESSUS, unit=tree["a"], by=users["admin_a"])
    assert scan.closed == 1
    stale.refresh_from_db()
    assert stale.status == FindingStatus.FIXED and stale.timeline[-1]["to"] == "fixed"
    # A fixed finding the scan reports again is reopened.
    Finding.objects.filter(pk=extra.pk).update(status=FindingStatus.FIXED)
    scan = services.scan_import(NESSUS, unit=tree["a"], by=users["admin_a"])
    assert scan.reopened == 1
    extra.refresh_from_db()
    assert extra.status == FindingStatus.OPEN


@pytest.mark.django_db
def test_scan_with_another_units_host_is_refused(tree, users):
    HostFactory(unit=tree["b"], hostname="b-host", ip_addresses=NESSUS_IP)
    with pytest.raises(ValidationError) as error:
        services.scan_import(NESSUS, unit=tree["a"], by=users["admin_a"])
    assert NESSUS_IP in str(error.value)
    assert Finding.objects.count() == 0
    scan = ScanImport.objects.get()
    assert scan.status == ImportStatus.REFUSED and NESSUS_IP in scan.error


@pytest.mark.django_db
def test_scan_in_another_units_prefix_is_refused(tree, users):
    IPPrefixFactory(unit=tree["b"], prefix="12.233.108.0/24")
    with pytest.raises(ValidationError):
        services.scan_import(NESSUS, unit=tree["a"], by=users["member_a"])
    assert Finding.objects.count() == 0


@pytest.mark.django_db
def test_unknown_host_is_proposed_then_added(tree, users):
    scan = services.scan_import(NESSUS, unit=tree["a"], by=users["admin_a"])
    assert scan.unknown_hosts_count == 1 and scan.unknown_hosts[0]["ip"] == NESSUS_IP
    assert Finding.objects.filter(host=None, address=NESSUS_IP).count() == 7
    host = services.unknown_host_add(scan=scan, address=NESSUS_IP, by=users["admin_a"])
    assert host.unit == tree["a"] and NESSUS_IP in host.ip_addresses
    assert Finding.objects.filter(host=host).count() == 7
    again = services.scan_import(NESSUS, unit=tree["a"], by=users["admin_a"])
    assert again.unknown_hosts_count == 0


@pytest.mark.django_db
def test_a_unit_user_cannot_import_for_another_unit(tree, users):
    with pytest.raises(ValidationError):
        services.scan_import(NESSUS, unit=tree["b"], by=users["admin_a"])


@pytest.mark.django_db
def test_two_hosts_never_merge(tree):
    a = ScanFinding(scanner="nessus", rule_id="1", title="t", severity="high", host_ip="10.0.0.1")
    b = ScanFinding(scanner="nessus", rule_id="1", title="t", severity="high", host_ip="10.0.0.2")
    assert services.scan_key(a, 1) != services.scan_key(b, 1)
    assert services.scan_key(a, 1) != services.scan_key(a, 2)


# --- lifecycle ---------------------------------------------------------------------------------------------


def make_finding(unit, **kw):
    now = timezone.now()
    defaults = {"source": "nessus", "title": "t", "key": str(now.timestamp()), "first_seen": now, "last_seen": now,
                "severity": "high"}
    return Finding.objects.create(unit=unit, **(defaults | kw))


@pytest.mark.django_db
def test_lifecycle_transitions(tree, users):
    finding = make_finding(tree["a"])
    member, admin = users["member_a"], users["admin_a"]
    services.finding_transition(finding, FindingStatus.IN_PROGRESS, by=member)
    services.finding_transition(finding, FindingStatus.FIXED, by=member)
    assert finding.fixed_at is not None
    with pytest.raises(ValidationError):  # verification: unit admin or coordinator
        services.finding_transition(finding, FindingStatus.VERIFIED, by=member)
    services.finding_transition(finding, FindingStatus.VERIFIED, by=admin)
    assert [e["to"] for e in finding.timeline] == ["in_progress", "fixed", "verified"]
    with pytest.raises(ValidationError):  # forbidden: verified → risk accepted
        services.finding_transition(finding, FindingStatus.RISK_ACCEPTED, by=admin, reason="x",
                                    expires_on=date.today() + timedelta(days=30))


@pytest.mark.django_db
def test_risk_acceptance_rules_and_expiry(tree, users):
    finding = make_finding(tree["a"])
    later = timezone.localdate() + timedelta(days=30)
    with pytest.raises(ValidationError):
        services.finding_transition(finding, FindingStatus.RISK_ACCEPTED, by=users["member_a"], reason="r",
                                    expires_on=later)
    with pytest.raises(ValidationError):
        services.finding_transition(finding, FindingStatus.RISK_ACCEPTED, by=users["admin_a"], expires_on=later)
    with pytest.raises(ValidationError):
        services.finding_transition(finding, FindingStatus.RISK_ACCEPTED, by=users["admin_a"], reason="r")
    services.finding_transition(finding, FindingStatus.RISK_ACCEPTED, by=users["admin_a"], reason="legacy",
                                expires_on=later)
    assert finding.risk_approver == users["admin_a"] and finding.risk_expires_on == later
    assert services.expire_risk_acceptances(today=later) == 0
    assert services.expire_risk_acceptances(today=later + timedelta(days=1)) == 1
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


@pytest.mark.django_db
def test_false_positive_needs_a_reason_and_other_units_cannot_touch(tree, users):
    finding = make_finding(tree["a"])
    with pytest.raises(ValidationError):
        services.finding_transition(finding, FindingStatus.FALSE_POSITIVE, by=users["member_a"])
    with pytest.raises(ValidationError):
        services.finding_transition(finding, FindingStatus.IN_PROGRESS, by=users["member_b"])
    services.finding_transition(finding, FindingStatus.FALSE_POSITIVE, by=users["member_a"], reason="WAF blocks it")
    assert finding.status == FindingStatus.FALSE_POSITIVE


@pytest.mark.django_db
def test_mark_overdue(tree):
    today = timezone.localdate()
    late = make_finding(tree["a"], due_date=today - timedelta(days=1), key="late")
    on_time = make_finding(tree["a"], due_date=today + timedelta(days=1), key="ontime")
    done = make_finding(tree["a"], due_date=today - timedelta(days=1), key="done", status=FindingStatus.FIXED)
    assert services.mark_overdue(today=today) == 1
    assert [f.overdue for f in Finding.objects.filter(pk__in=[late.pk, on_time.pk, done.pk]).order_by("key")] == [
        False, True, False]  # done, late, ontime


# --- campaigns ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_campaign_affected_units_answers_and_overdue(tree, users):
    make_finding(tree["a"], cve_id="CVE-2022-30190", key="a1")
    make_finding(tree["b"], cve_id="CVE-2022-30190", key="b1", status=FindingStatus.FIXED)
    make_finding(tree["a1"], cve_id="CVE-2000-0001", key="other")
    campaign = services.campaign_create(by=users["coordinator"], title="Follina", number="12/CATTT",
                                        items=[{"cve_id": "cve-2022-30190"}], deadline=date(2020, 1, 1))
    answers = {a.unit.code: a for a in campaign.answers.select_related("unit")}
    assert set(answers) == {"A", "B"}
    assert answers["A"].open_findings == 1 and answers["B"].open_findings == 0
    with pytest.raises(ValidationError):
        services.campaign_answer(answer=answers["B"], by=users["member_a"], status=AnswerStatus.PATCHED)
    with pytest.raises(ValidationError):
        services.campaign_answer(answer=answers["A"], by=users["member_a"], status=AnswerStatus.NOT_AFFECTED)
    services.campaign_answer(answer=answers["B"], by=users["member_b"], status=AnswerStatus.PATCHED)
    assert [a.unit.code for a in services.campaign_overdue(campaign)] == ["A"]
    with pytest.raises(ValidationError):
        services.campaign_create(by=users["admin_a"], title="x", items=[{"cve_id": "CVE-2022-30190"}])


@pytest.mark.django_db
def test_hosts_stay_untouched_by_refused_scan(tree, users):
    HostFactory(unit=tree["b"], hostname="b-host", ip_addresses=NESSUS_IP)
    before = Host.objects.count()
    with pytest.raises(ValidationError):
        services.scan_import(NESSUS, unit=tree["a"], by=users["admin_a"])
    assert Host.objects.count() == before


@pytest.mark.django_db
def test_a_finding_repeated_in_the_file_counts_once(tree, users, tmp_path):
    item = ('<ReportItem port="443" svc_name="www" protocol="tcp" severity="3" pluginID="42873" '
            'pluginName="SSL Medium Strength Cipher Suites Supported" pluginFamily="General">'
            "<risk_factor>High</risk_factor><plugin_output>x</plugin_output></ReportItem>")
    path = tmp_path / "dup.nessus"
    path.write_text('<?xml version="1.0" ?><NessusClientData_v2><Report name="r"><ReportHost name="10.1.1.1">'
                    '<HostProperties><tag name="host-ip">10.1.1.1</tag></HostProperties>'
                    f"{item}{item}</ReportHost></Report></NessusClientData_v2>")
    HostFactory(unit=tree["a"], hostname="dup", ip_addresses="10.1.1.1")
    scan = services.scan_import(path, unit=tree["a"], by=users["admin_a"])
    assert (scan.findings, scan.new) == (2, 1)
    assert Finding.objects.get().severity == "high"


ADVISORIES = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "advisories"


@pytest.mark.django_db
def test_real_kev_catalog_and_nvd_record_merge_and_reimport_is_a_no_op():
    kev = services.advisories_import(ADVISORIES / "known_exploited_vulnerabilities.json", match=False)
    assert kev.status == ImportStatus.DONE and kev.format == "kev" and kev.created_count > 1000
    nvd_file = ADVISORIES / "nvd" / "CVE-2021-41773.json"
    nvd_import = services.advisories_import(nvd_file, match=False)
    assert (nvd_import.created_count, nvd_import.updated_count) == (0, 1)
    advisory = Advisory.objects.get(cve_id="CVE-2021-41773")
    assert advisory.sources == ["nvd", "kev"] and advisory.kev
    assert (advisory.severity, advisory.base_score) == ("high", 7.5)
    assert advisory.applicability["configurations"]
    assert services.advisories_import(nvd_file, match=False).duplicate
