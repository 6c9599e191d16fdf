import hashlib
import io

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from lachan.incidents import services, sniffing
from lachan.incidents.choices import EventKind
from lachan.incidents.models import IncidentEvidence

from .helpers import docx_bytes, exe_bytes, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(tree, users):
    return services.incident_create(by=users["member_a"], unit=tree["a"], title="Lộ lọt dữ liệu", incident_type="data_leak",
                                    description="Dữ liệu bị rao bán", detected_at=timezone.now())


def upload(incident, user, data, name):
    return services.evidence_add(incident=incident, by=user, file=SimpleUploadedFile(name, data))


@pytest.mark.parametrize(("maker", "name", "kind"), [
    (pdf_bytes, "bien-ban.pdf", "pdf"),
    (png_bytes, "anh-chup.png", "png"),
    (docx_bytes, "bao-cao.docx", "docx"),
    (lambda: b"2025-01-02 10:00:01 GET /admin.php 200\n", "access.log", "text"),
])
def test_real_files_are_kept_with_their_sha256(incident, users, maker, name, kind):
    data = maker()
    evidence = upload(incident, users["member_a"], data, name)
    assert (evidence.file_type, evidence.file_name, evidence.size) == (kind, name, len(data))
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert name.split(".")[0] not in evidence.file.name  # stored under a random name
    assert evidence.file.name.startswith("private/incidents/evidence/")
    assert evidence.file.open("rb").read() == data
    assert incident.events.get(kind=EventKind.EVIDENCE).changes["sha256"] == evidence.sha256


def test_an_executable_renamed_pdf_is_refused(incident, users):
    with pytest.raises(ValidationError) as error:
        upload(incident, users["member_a"], exe_bytes(), "bien-ban.pdf")
    assert "Executable" in str(error.value)
    assert not IncidentEvidence.objects.exists()


def test_the_type_comes_from_the_content_not_the_name(incident, users):
    evidence = upload(incident, users["member_a"], png_bytes(), "bao-cao.pdf")
    assert evidence.file_type == "png" and evidence.file_name == "bao-cao.pdf.png"
    assert evidence.content_type == "image/png"


def test_unknown_binary_and_oversized_files_are_refused(incident, users, settings):
    with pytest.raises(ValidationError):
        upload(incident, users["member_a"], b"\x00\x01\x02\x03binary\x00" * 50, "dump.bin")
    settings.INCIDENTS_EVIDENCE_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as error:
        upload(incident, users["member_a"], png_bytes(40, 40) + b"\x00" * 2000, "big.png")
    assert "too large" in str(error.value)
    assert not IncidentEvidence.objects.exists()


def test_sniffing_table():
    assert sniffing.sniff(b"\x1f\x8b\x08\x00rest").key == "gzip"
    assert sniffing.sniff(b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00").key == "pcap"
    assert sniffing.sniff("Nhật ký hệ thống\n".encode("utf-16")).key == "text"
    for bad in (b"\x7fELF\x02\x01\x01", b"", b"PK\x03\x04broken zip"):
        with pytest.raises(sniffing.RefusedType):
            sniffing.sniff(bad)
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mau-ma-doc.exe.txt", "x")
    assert sniffing.sniff(buffer.getvalue()).key == "zip"


def test_download_is_scoped_and_audited(incident, users, client_for):
    data = pdf_bytes()
    evidence = upload(incident, users["member_a"], data, "bien-ban.pdf")
    url = reverse("incidents:incidentevidence_download", args=[evidence.pk])
    response = client_for(users["member_b"]).get(url)
    assert response.status_code == 404
    response = client_for(users["member_a"]).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert 'filename="bien-ban.pdf"' in response["Content-Disposition"]
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_id=evidence.pk,
                                   actor=users["member_a"]).count() == 1


def test_upload_through_the_page(incident, users, client_for, en_client_for):
    client = en_client_for(users["member_a"])
    url = reverse("incidents:incident_evidence_upload", args=[incident.pk])
    response = client.post(url, {"file": SimpleUploadedFile("a.pdf", exe_bytes()), "description": "x"}, follow=True)
    assert "Executable" in response.content.decode() and not IncidentEvidence.objects.exists()
    client.post(url, {"file": SimpleUploadedFile("anh.png", png_bytes()), "description": "Ảnh chụp màn hình"})
    assert IncidentEvidence.objects.get().description == "Ảnh chụp màn hình"
    assert client_for(users["member_b"]).post(url, {"file": SimpleUploadedFile("anh.png", png_bytes())}).status_code == 404
