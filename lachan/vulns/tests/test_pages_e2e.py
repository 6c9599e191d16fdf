"""End to end through the pages: a coordinator uploads a real NVD record and a national warning list (XLSX and
DOCX) and the affected units see findings and answers; bad files leave nothing behind; units may not upload."""

import datetime
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document

from lachan.testing.factories import HostFactory, SoftwareFactory
from lachan.vulns.models import Advisory, AdvisoryImport, CampaignAnswer, Finding, WarningCampaign

NVD = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "advisories" / "nvd"
HEADER = ["STT", "Mã lỗ hổng", "Hãng", "Sản phẩm bị ảnh hưởng", "Phiên bản bị ảnh hưởng", "Mức độ nghiêm trọng",
          "Hạn xử lý"]


@pytest.fixture
def apache(tree):
    """Apache httpd 2.4.49 (CVE-2021-41773) on a host of unit A; 2.4.50 on a host of unit B."""
    host_a = HostFactory(unit=tree["a"], hostname="web-a", ip_addresses="10.1.0.5")
    host_b = HostFactory(unit=tree["b"], hostname="web-b", ip_addresses="10.2.0.5")
    return (SoftwareFactory(unit=tree["a"], host=host_a, vendor="apache", product="http_server", version="2.4.49"),
            SoftwareFactory(unit=tree["b"], host=host_b, vendor="apache", product="http_server", version="2.4.50"))


def upload(path, name=None):
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="application/json")


@pytest.mark.django_db
def test_advisory_upload_matches_the_inventory_and_units_see_their_own(client_for, users, tree, apache):
    coordinator = client_for(users["coordinator"])
    response = coordinator.post(reverse("vulns:advisoryimport_upload"), {"file": upload(NVD / "CVE-2021-41773.json")})
    assert response.status_code == 302
    record = AdvisoryImport.objects.get()
    assert response["Location"] == record.get_absolute_url()
    advisory = Advisory.objects.get(cve_id="CVE-2021-41773")
    assert advisory.kev  # NVD carries CISA's cisaExploitAdd for this CVE
    findings = Finding.objects.filter(cve_id="CVE-2021-41773")
    assert [(f.unit.code, f.host.hostname, f.kev) for f in findings] == [("A", "web-a", True)]  # 2.4.50 is not
    # The unit sees its finding; the other unit sees none, through the page and the export.
    member_a, member_b = client_for(users["member_a"]), client_for(users["member_b"])
    assert "CVE-2021-41773" in member_a.get(reverse("vulns:finding_list")).content.decode()
    assert "CVE-2021-41773" not in member_b.get(reverse("vulns:finding_list")).content.decode()
    assert "CVE-2021-41773" not in member_b.get(reverse("vulns:finding_list") + "?export=csv").content.decode()
    # The same file again changes nothing.
    coordinator = client_for(users["coordinator"])  # one test client: logging in again switches the user
    again = coordinator.post(reverse("vulns:advisoryimport_upload"), {"file": upload(NVD / "CVE-2021-41773.json")},
                             follow=True)
    assert again.status_code == 200
    assert Finding.objects.filter(cve_id="CVE-2021-41773").count() == 1


@pytest.mark.django_db
def test_advisory_upload_of_a_broken_file_imports_nothing(client_for, users, tree, apache):
    coordinator = client_for(users["coordinator"])
    broken = SimpleUploadedFile("nvd.json", b'{"vulnerabilities": [{"cve": {"id": "CVE-2021-41773", ', "application/json")
    response = coordinator.post(reverse("vulns:advisoryimport_upload"), {"file": broken})
    assert response.status_code == 200
    assert "Không đọc được tệp: JSON bị lỗi ở dòng 1, cột 55" in response.content.decode()
    assert not Advisory.objects.exists() and not Finding.objects.exists()


@pytest.mark.django_db
def test_units_may_not_upload_advisories_or_open_campaigns(client_for, users):
    for name in ("admin_a", "member_a", "operator_a"):
        client = client_for(users[name])
        assert client.get(reverse("vulns:advisoryimport_upload")).status_code == 403
        assert client.post(reverse("vulns:warningcampaign_add"), {"title": "x", "cve_ids": "CVE-2021-41773"}
                           ).status_code == 403
    assert not WarningCampaign.objects.exists()


def national_xlsx(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["CẢNH BÁO LỖ HỔNG BẢO MẬT THÁNG 11/2026"])
    sheet.append(HEADER)
    sheet.append([1, "CVE-2021-41773", "Apache", "HTTP Server", "2.4.49", "Nghiêm trọng",
                  datetime.datetime(2026, 12, 5)])
    sheet.append([2, "CVE-2022-30190", "Microsoft", "Windows MSDT", "nhiều phiên bản", "Cao", None])
    path = tmp_path / "canh-bao-thang-11.xlsx"
    workbook.save(path)
    return path


@pytest.mark.django_db
def test_national_list_upload_opens_a_campaign_answered_by_the_affected_units(client_for, users, tree, apache,
                                                                              tmp_path):
    coordinator = client_for(users["coordinator"])
    coordinator.post(reverse("vulns:advisoryimport_upload"), {"file": upload(NVD / "CVE-2021-41773.json")})
    path = national_xlsx(tmp_path)
    response = coordinator.post(reverse("vulns:warningcampaign_add"), {
        "file": SimpleUploadedFile(path.name, path.read_bytes(),
                                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert response.status_code == 302
    campaign = WarningCampaign.objects.get()
    assert campaign.cve_ids == ["CVE-2021-41773", "CVE-2022-30190"]
    assert campaign.title == "CẢNH BÁO LỖ HỔNG BẢO MẬT THÁNG 11/2026"
    answers = {a.unit.code: a for a in CampaignAnswer.objects.filter(campaign=campaign).select_related("unit")}
    assert set(answers) == {"A"} and answers["A"].open_findings == 1
    member_a = client_for(users["member_a"])
    page = member_a.get(campaign.get_absolute_url()).content.decode()
    assert "Đơn vị A" in page and "Đơn vị B" not in page
    response = member_a.post(reverse("vulns:campaignanswer_answer", args=[answers["A"].pk]),
                             {"status": "acknowledged", "note": "Đang nâng cấp lên 2.4.62"})
    assert response.status_code == 302
    answers["A"].refresh_from_db()
    assert answers["A"].status == "acknowledged" and answers["A"].answered_by == users["member_a"]
    assert client_for(users["member_b"]).get(campaign.get_absolute_url()).status_code in (200, 404)
    assert "Đơn vị A" not in client_for(users["member_b"]).get(campaign.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_national_letter_as_docx_and_a_bad_list_name_the_row(client_for, users, tree, tmp_path):
    document = Document()
    document.add_paragraph("SỞ THÔNG TIN VÀ TRUYỀN THÔNG")
    document.add_paragraph("Số: 1234/STTTT-CNTT")
    document.add_paragraph("V/v cảnh báo lỗ hổng bảo mật trong FortiOS và FortiProxy")
    table = document.add_table(rows=1, cols=len(HEADER))
    for cell, text in zip(table.rows[0].cells, HEADER, strict=True):
        cell.text = text
    for row in (["1", "CVE-2024-21762", "Fortinet", "FortiOS", "7.0.0 đến 7.0.13", "Nghiêm trọng", "15/12/2026"],):
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    path = tmp_path / "cong-van.docx"
    document.save(path)
    coordinator = client_for(users["coordinator"])
    response = coordinator.post(reverse("vulns:warningcampaign_add"), {
        "file": SimpleUploadedFile(path.name, path.read_bytes(),
                                   "application/vnd.openxmlformats-officedocument.wordprocessingml.document")})
    assert response.status_code == 302
    campaign = WarningCampaign.objects.get()
    assert campaign.cve_ids == ["CVE-2024-21762"] and campaign.deadline == datetime.date(2026, 12, 15)

    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(HEADER) + "\n1,CVE-24-1,Fortinet,FortiOS,7.0,Cao,01/12/2026\n", encoding="utf-8")
    response = coordinator.post(reverse("vulns:warningcampaign_add"),
                                {"file": SimpleUploadedFile("bad.csv", bad.read_bytes(), "text/csv")})
    assert response.status_code == 200
    body = response.content.decode()
    assert "dòng 2, cột &#x27;Mã lỗ hổng&#x27;: &#x27;CVE-24-1&#x27; không phải mã CVE" in body
    assert WarningCampaign.objects.count() == 1
