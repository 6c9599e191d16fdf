"""Views of the vulns app: scope of lists/exports/details, status actions, uploads, summary, campaigns."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lachan.testing.factories import FindingFactory, HostFactory, WarningCampaignFactory
from lachan.vulns import services
from lachan.vulns.choices import FindingStatus, ImportStatus
from lachan.vulns.models import Finding, ScanImport, WarningCampaign

SCANS = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "scans"
NESSUS = SCANS / "tenable" / "nessus_many_vuln.xml"


@pytest.fixture
def two_findings(tree):
    return (FindingFactory(unit=tree["a"], title="alpha-finding", cve_id="CVE-2021-44228", kev=True),
            FindingFactory(unit=tree["b"], title="bravo-finding", cve_id="CVE-2021-44228"))


@pytest.mark.django_db
def test_findings_list_export_and_detail_are_scoped(client_for, users, two_findings):
    mine, theirs = two_findings
    client = client_for(users["member_a"])
    page = client.get(reverse("vulns:finding_list")).content.decode()
    assert "alpha-finding" in page and "bravo-finding" not in page
    for fmt in ("csv", "xlsx"):
        response = client.get(reverse("vulns:finding_list"), {"export": fmt})
        assert response.status_code == 200
    csv_text = client.get(reverse("vulns:finding_list"), {"export": "csv"}).content.decode("utf-8-sig")
    assert "alpha-finding" in csv_text and "bravo-finding" not in csv_text
    assert client.get(theirs.get_absolute_url()).status_code == 404
    assert client.get(mine.get_absolute_url()).status_code == 200
    search = client.get(reverse("core:search"), {"q": "finding"}).content.decode()
    assert "alpha-finding" in search and "bravo-finding" not in search


@pytest.mark.django_db
def test_coordinator_sees_every_unit_on_the_advisory(client_for, users, two_findings):
    from lachan.testing.factories import AdvisoryFactory

    advisory = AdvisoryFactory(cve_id="CVE-2021-44228", kev=True)
    Finding.objects.update(advisory=advisory)
    page = client_for(users["coordinator"]).get(advisory.get_absolute_url()).content.decode()
    assert "Đơn vị A" in page and "Đơn vị B" in page
    page = client_for(users["member_a"]).get(advisory.get_absolute_url()).content.decode()
    assert "Đơn vị A" in page and "Đơn vị B" not in page


@pytest.mark.django_db
def test_status_change_through_the_page(client_for, users, two_findings):
    mine, theirs = two_findings
    client = client_for(users["member_a"])
    url = reverse("vulns:finding_status", args=[mine.pk])
    assert client.post(url, {"status": "in_progress"}).status_code == 302
    mine.refresh_from_db()
    assert mine.status == FindingStatus.IN_PROGRESS
    client.post(url, {"status": "verified"})  # forbidden from in_progress: unchanged
    mine.refresh_from_db()
    assert mine.status == FindingStatus.IN_PROGRESS
    assert client.post(reverse("vulns:finding_status", args=[theirs.pk]), {"status": "in_progress"}).status_code == 404


@pytest.mark.django_db
def test_scan_upload_runs_as_a_job_and_refuses_other_units(client_for, users, tree):
    HostFactory(unit=tree["a"], hostname="preprod", ip_addresses="12.233.108.201")
    client = client_for(users["member_a"])
    upload = SimpleUploadedFile("scan.nessus", NESSUS.read_bytes())
    with pytest.MonkeyPatch.context():
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(reverse("vulns:scanimport_upload"), {"unit": tree["a"].pk, "file": upload})
    assert response.status_code == 302
    scan = ScanImport.objects.get()
    assert scan.status == ImportStatus.DONE and scan.new == 7
    assert client.get(scan.get_absolute_url()).status_code == 200
    upload = SimpleUploadedFile("scan.nessus", NESSUS.read_bytes())
    response = client.post(reverse("vulns:scanimport_upload"), {"unit": tree["b"].pk, "file": upload})
    assert response.status_code == 200 and ScanImport.objects.count() == 1  # B is not a choice: form error
    member_b = client_for(users["member_b"])
    assert member_b.get(scan.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_summary_and_chart_show_own_scope(client_for, users, two_findings):
    page = client_for(users["member_a"]).get(reverse("vulns:summary")).content.decode()
    assert "Đơn vị A" in page and "Đơn vị B" not in page


@pytest.mark.django_db
def test_campaign_create_and_answer(client_for, users, tree, two_findings):
    coordinator = client_for(users["coordinator"])
    response = coordinator.post(reverse("vulns:warningcampaign_add"),
                                {"title": "Log4Shell", "cve_ids": "CVE-2021-44228, cve-2021-45046"})
    assert response.status_code == 302
    campaign = WarningCampaign.objects.get(title="Log4Shell")
    assert campaign.cve_ids == ["CVE-2021-44228", "CVE-2021-45046"]
    assert sorted(a.unit.code for a in campaign.answers.all()) == ["A", "B"]
    member_a = client_for(users["member_a"])
    page = member_a.get(campaign.get_absolute_url()).content.decode()
    assert "Đơn vị A" in page and "Đơn vị B" not in page
    answer_a = campaign.answers.get(unit=tree["a"])
    answer_b = campaign.answers.get(unit=tree["b"])
    member_a.post(reverse("vulns:campaignanswer_answer", args=[answer_a.pk]), {"status": "patched", "note": "ok"})
    answer_a.refresh_from_db()
    assert answer_a.status == "patched" and answer_a.answered_by == users["member_a"]
    assert member_a.post(reverse("vulns:campaignanswer_answer", args=[answer_b.pk]),
                         {"status": "patched"}).status_code == 404
    assert member_a.get(reverse("vulns:warningcampaign_add")).status_code == 403


@pytest.mark.django_db
def test_campaign_evidence_is_downloaded_within_the_scope_and_audited(client_for, users, tree, two_findings,
                                                                      settings, tmp_path):
    from auditlog.models import LogEntry
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lachan.vulns.models import CampaignAnswer

    settings.MEDIA_ROOT = tmp_path
    client_for(users["coordinator"]).post(reverse("vulns:warningcampaign_add"), {"title": "Log4Shell",
                                                                                   "cve_ids": "CVE-2021-44228"})
    answer_a = CampaignAnswer.objects.get(unit=tree["a"])
    member_a = client_for(users["member_a"])
    proof = SimpleUploadedFile("bien-ban-va-loi.txt", "Đã cập nhật log4j 2.17.1".encode(), content_type="text/plain")
    member_a.post(reverse("vulns:campaignanswer_answer", args=[answer_a.pk]),
                  {"status": "patched", "note": "ok", "evidence": proof})
    url = reverse("vulns:campaignanswer_evidence", args=[answer_a.pk])
    assert url in member_a.get(answer_a.get_absolute_url()).content.decode()
    response = member_a.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).decode() == "Đã cập nhật log4j 2.17.1"
    assert "bien-ban-va-loi.txt" in response["Content-Disposition"]
    assert client_for(users["member_b"]).get(url).status_code == 404
    assert client_for(users["coordinator"]).get(url).status_code == 200
    accesses = LogEntry.objects.get_for_object(answer_a).filter(action=LogEntry.Action.ACCESS)
    assert sorted(e.actor.username for e in accesses) == sorted([users["member_a"].username,
                                                                  users["coordinator"].username])


@pytest.mark.django_db
def test_alias_queue_suggests_and_confirms(client_for, users, tree):
    from lachan.testing.factories import SoftwareFactory
    from lachan.vulns.models import SoftwareAlias
    from lachan.vulns.records import Advisory as Rec
    from lachan.vulns.records import Configuration, CpeMatch, Node

    SoftwareFactory(unit=tree["a"], vendor="Apache Software Foundation", product="Apache HTTP Server", version="2.4.49")
    node = Node(matches=[CpeMatch("cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*")])
    services.upsert_advisories([Rec(cve_id="CVE-2021-41773", source="nvd", configurations=[Configuration(nodes=[node])])])
    client = client_for(users["coordinator"])
    page = client.get(reverse("vulns:alias_queue")).content.decode()
    assert "apache:http_server" in page
    client.post(reverse("vulns:alias_queue"), {"vendor": "Apache Software Foundation", "product": "Apache HTTP Server",
                                               "cpe_vendor": "apache", "cpe_product": "http_server"})
    assert SoftwareAlias.objects.get().cpe_product == "http_server"
    assert client_for(users["member_a"]).get(reverse("vulns:alias_queue")).status_code == 403


@pytest.mark.django_db
def test_sla_policy_edit_is_for_coordinators(client_for, users):
    from lachan.vulns.models import SlaPolicy

    policy = SlaPolicy.objects.get()
    url = reverse("vulns:slapolicy_edit", args=[policy.pk])
    assert client_for(users["admin_a"]).get(url).status_code == 404
    coordinator = client_for(users["coordinator"])
    data = {f: getattr(policy, f) for f in ("name", "critical_days", "high_days", "medium_days", "low_days",
                                             "kev_days", "level_1_factor", "level_2_factor", "level_3_factor",
                                             "level_4_factor", "level_5_factor")}
    data |= {"high_days": 10, "is_active": "on", "kev_use_catalog_due": "on"}
    assert coordinator.post(url, data).status_code == 302
    policy.refresh_from_db()
    assert policy.high_days == 10
    assert WarningCampaignFactory  # factories registered
