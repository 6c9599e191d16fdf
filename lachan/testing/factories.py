"""factory_boy factories for every model, keyed by model in FACTORIES so that generic tests
(the isolation sweep) can build an object of any scoped model for a given unit."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from lachan.accounts.choices import Role
from lachan.accounts.models import User
from lachan.intel.models import (
    AsnAssignment,
    Case,
    Feed,
    FeedImport,
    FeedUpload,
    Indicator,
    Notification,
    Sighting,
    UnmappedIP,
)
from lachan.inventory.models import Domain, Host, InformationSystem, IPPrefix, Software, Website
from lachan.organizations.models import Contact, ExternalContact, Unit, UnitGroup
from lachan.organizations.services import unit_create


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"Đơn vị thử nghiệm {n}")
    kind = "agency"
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return unit_create(**kwargs)


class UnitGroupFactory(DjangoModelFactory):
    class Meta:
        model = UnitGroup

    name = factory.Sequence(lambda n: f"Khối thử nghiệm {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.vn")
    role = Role.UNIT_MEMBER
    unit = factory.SubFactory(UnitFactory)
    password = factory.PostGenerationMethodCall("set_password", "Mat-khau-thu-nghiem-1")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    unit = factory.SubFactory(UnitFactory)
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn Liên Hệ {n}")
    phones = "0912345678"
    roles = "security_focal"


class ExternalContactFactory(DjangoModelFactory):
    class Meta:
        model = ExternalContact

    organization = factory.Sequence(lambda n: f"Trung tâm đối tác {n}")
    phones = "02436404421"


class InformationSystemFactory(DjangoModelFactory):
    class Meta:
        model = InformationSystem

    unit = factory.SubFactory(UnitFactory)
    name = factory.Sequence(lambda n: f"Hệ thống thông tin {n}")
    security_level = 2


class HostFactory(DjangoModelFactory):
    class Meta:
        model = Host

    unit = factory.SubFactory(UnitFactory)
    hostname = factory.Sequence(lambda n: f"host-{n}.example.vn")
    ip_addresses = factory.Sequence(lambda n: f"10.{n // 250 % 250}.{n % 250}.10")


class IPPrefixFactory(DjangoModelFactory):
    class Meta:
        model = IPPrefix

    unit = factory.SubFactory(UnitFactory)
    prefix = factory.Sequence(lambda n: f"10.{n // 250 % 250}.{n % 250}.0/24")


class DomainFactory(DjangoModelFactory):
    class Meta:
        model = Domain

    unit = factory.SubFactory(UnitFactory)
    name = factory.Sequence(lambda n: f"donvi{n}.example.vn")


class WebsiteFactory(DjangoModelFactory):
    class Meta:
        model = Website

    unit = factory.SubFactory(UnitFactory)
    url = factory.Sequence(lambda n: f"https://web{n}.example.vn/")
    name = factory.Sequence(lambda n: f"Cổng thông tin {n}")


class SoftwareFactory(DjangoModelFactory):
    class Meta:
        model = Software

    unit = factory.SubFactory(UnitFactory)
    vendor = "apache"
    product = factory.Sequence(lambda n: f"http_server_{n}")
    version = "2.4.49"


# --- intel (issue 4) ---------------------------------------------------------------------------------


class FeedFactory(DjangoModelFactory):
    class Meta:
        model = Feed

    name = factory.Sequence(lambda n: f"Danh sách botnet {n}")


class FeedImportFactory(DjangoModelFactory):
    class Meta:
        model = FeedImport

    feed = factory.SubFactory(FeedFactory)
    file_name = factory.Sequence(lambda n: f"botnet-{n}.csv")
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    started = factory.LazyFunction(timezone.now)
    finished = factory.LazyFunction(timezone.now)


class FeedUploadFactory(DjangoModelFactory):
    class Meta:
        model = FeedUpload

    feed = factory.SubFactory(FeedFactory)
    file_name = factory.Sequence(lambda n: f"upload-{n}.csv")
    status = "done"


class CaseFactory(DjangoModelFactory):
    class Meta:
        model = Case

    unit = factory.SubFactory(UnitFactory)
    ip = factory.Sequence(lambda n: f"203.0.{113 + n // 250 % 10}.{n % 250 + 1}")
    family = "mirai"
    first_seen = factory.LazyFunction(timezone.now)
    last_seen = factory.LazyFunction(timezone.now)


class SightingFactory(DjangoModelFactory):
    class Meta:
        model = Sighting

    unit = factory.SubFactory(UnitFactory)
    case = factory.SubFactory(CaseFactory, unit=factory.SelfAttribute("..unit"))
    feed_import = factory.SubFactory(FeedImportFactory)
    ip = factory.SelfAttribute("case.ip")
    family = "mirai"
    seen = factory.LazyFunction(timezone.now)


class UnmappedIPFactory(DjangoModelFactory):
    class Meta:
        model = UnmappedIP

    feed_import = factory.SubFactory(FeedImportFactory)
    ip = factory.Sequence(lambda n: f"100.{64 + n // 250 % 60}.{n % 250}.9")
    asn = 64500


class AsnAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = AsnAssignment

    unit = factory.SubFactory(UnitFactory)
    asn = factory.Sequence(lambda n: 4200000000 + n)


class IndicatorFactory(DjangoModelFactory):
    class Meta:
        model = Indicator

    kind = "domain"
    value = factory.Sequence(lambda n: f"c2-{n}.example.net")
    first_seen = factory.LazyFunction(timezone.now)
    last_seen = factory.LazyFunction(timezone.now)


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    unit = factory.SubFactory(UnitFactory)
    feed_import = factory.SubFactory(FeedImportFactory)
    channel = "digest"


FACTORIES = {
    Unit: UnitFactory,
    UnitGroup: UnitGroupFactory,
    User: UserFactory,
    Contact: ContactFactory,
    ExternalContact: ExternalContactFactory,
    InformationSystem: InformationSystemFactory,
    Host: HostFactory,
    IPPrefix: IPPrefixFactory,
    Domain: DomainFactory,
    Website: WebsiteFactory,
    Software: SoftwareFactory,
    Feed: FeedFactory,
    FeedImport: FeedImportFactory,
    FeedUpload: FeedUploadFactory,
    Case: CaseFactory,
    Sighting: SightingFactory,
    UnmappedIP: UnmappedIPFactory,
    AsnAssignment: AsnAssignmentFactory,
    Indicator: IndicatorFactory,
    Notification: NotificationFactory,
}


def make_for_unit(model, unit, **kwargs):
    """Build one object of ``model`` owned by ``unit`` (the unit itself gets a child)."""
    factory_class = FACTORIES[model]
    if model is Unit:
        return factory_class(parent=unit, **kwargs)
    if getattr(model, "scope_unit", "unit") is None:
        return factory_class(**kwargs)
    return factory_class(unit=unit, **kwargs)


# --- vulns (issue 7) ---------------------------------------------------------------------------------

from lachan.vulns.models import (  # noqa: E402
    Advisory,
    AdvisoryImport,
    CampaignAnswer,
    Finding,
    ScanImport,
    SlaPolicy,
    SoftwareAlias,
    WarningCampaign,
)


class AdvisoryFactory(DjangoModelFactory):
    class Meta:
        model = Advisory

    cve_id = factory.Sequence(lambda n: f"CVE-2099-{n + 10000}")
    description = "Lỗ hổng thử nghiệm"
    severity = "high"
    base_score = 8.1
    cvss_version = "3.1"


class AdvisoryImportFactory(DjangoModelFactory):
    class Meta:
        model = AdvisoryImport

    file_name = factory.Sequence(lambda n: f"nvdcve-{n}.json")
    sha256 = factory.Sequence(lambda n: f"{n + 1:064x}")
    started = factory.LazyFunction(timezone.now)


class SoftwareAliasFactory(DjangoModelFactory):
    class Meta:
        model = SoftwareAlias

    vendor = factory.Sequence(lambda n: f"vendor {n}")
    product = "http server"
    cpe_vendor = "apache"
    cpe_product = "http_server"


class SlaPolicyFactory(DjangoModelFactory):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"Chính sách {n}")
    is_active = False


class ScanImportFactory(DjangoModelFactory):
    class Meta:
        model = ScanImport

    unit = factory.SubFactory(UnitFactory)
    file_name = factory.Sequence(lambda n: f"scan-{n}.nessus")
    sha256 = factory.Sequence(lambda n: f"{n + 7:064x}")
    status = "done"


class FindingFactory(DjangoModelFactory):
    class Meta:
        model = Finding

    unit = factory.SubFactory(UnitFactory)
    source = "nessus"
    title = factory.Sequence(lambda n: f"Lỗ hổng {n}")
    severity = "high"
    key = factory.Sequence(lambda n: f"{n + 3:064x}")
    first_seen = factory.LazyFunction(timezone.now)
    last_seen = factory.LazyFunction(timezone.now)


class WarningCampaignFactory(DjangoModelFactory):
    class Meta:
        model = WarningCampaign

    title = factory.Sequence(lambda n: f"Cảnh báo lỗ hổng {n}")
    number = factory.Sequence(lambda n: f"{n}/CATTT")
    cve_ids = ["CVE-2022-30190"]
    items = [{"cve_id": "CVE-2022-30190"}]


class CampaignAnswerFactory(DjangoModelFactory):
    class Meta:
        model = CampaignAnswer

    campaign = factory.SubFactory(WarningCampaignFactory)
    unit = factory.SubFactory(UnitFactory)
    affected = True


FACTORIES.update({
    Advisory: AdvisoryFactory,
    AdvisoryImport: AdvisoryImportFactory,
    SoftwareAlias: SoftwareAliasFactory,
    SlaPolicy: SlaPolicyFactory,
    ScanImport: ScanImportFactory,
    Finding: FindingFactory,
    WarningCampaign: WarningCampaignFactory,
    CampaignAnswer: CampaignAnswerFactory,
})


# --- directives (issue 3) ------------------------------------------------------------------------------

from lachan.directives.models import Directive, DirectiveTask, Dispatch, TaskAnswer  # noqa: E402


class DirectiveFactory(DjangoModelFactory):
    class Meta:
        model = Directive

    unit = factory.SubFactory(UnitFactory)
    number = factory.Sequence(lambda n: f"{n + 1}/STTTT-CNTT")
    subject = factory.Sequence(lambda n: f"Tăng cường bảo đảm an toàn thông tin {n}")


class DirectiveTaskFactory(DjangoModelFactory):
    class Meta:
        model = DirectiveTask

    directive = factory.SubFactory(DirectiveFactory)
    ordinal = factory.Sequence(lambda n: n + 1)
    text = "Rà soát, cập nhật bản vá lỗ hổng"


class DispatchFactory(DjangoModelFactory):
    class Meta:
        model = Dispatch

    directive = factory.SubFactory(DirectiveFactory)
    unit = factory.SubFactory(UnitFactory)


class TaskAnswerFactory(DjangoModelFactory):
    class Meta:
        model = TaskAnswer

    task = factory.SubFactory(DirectiveTaskFactory)
    unit = factory.SubFactory(UnitFactory)


FACTORIES.update({
    Directive: DirectiveFactory,
    Dispatch: DispatchFactory,
    TaskAnswer: TaskAnswerFactory,
})


# --- monitoring (issue 5) ------------------------------------------------------------------------------

from django.utils import timezone  # noqa: E402

from lachan.monitoring.models import Alert, Check, SiteEvent, Snapshot, WatchedSite  # noqa: E402


class WatchedSiteFactory(DjangoModelFactory):
    class Meta:
        model = WatchedSite

    class Params:
        unit = factory.SubFactory(UnitFactory)

    website = factory.SubFactory(WebsiteFactory, unit=factory.SelfAttribute("..unit"))


class _SiteChild(DjangoModelFactory):
    class Params:
        unit = factory.SubFactory(UnitFactory)

    site = factory.SubFactory(WatchedSiteFactory, unit=factory.SelfAttribute("..unit"))


class CheckFactory(_SiteChild):
    class Meta:
        model = Check

    checked_at = factory.LazyFunction(timezone.now)
    url = factory.LazyAttribute(lambda o: o.site.website.url)
    http_status = 200
    latency_ms = 120
    verdict = "ok"


class SnapshotFactory(_SiteChild):
    class Meta:
        model = Snapshot

    url = factory.LazyAttribute(lambda o: o.site.website.url)
    taken_at = factory.LazyFunction(timezone.now)
    content_hash = factory.Sequence(lambda n: f"{n:064x}")
    title = "Trang chủ"
    text = "Cổng thông tin điện tử"


class AlertFactory(_SiteChild):
    class Meta:
        model = Alert

    kind = "defacement"
    severity = "high"
    url = factory.LazyAttribute(lambda o: o.site.website.url)
    summary = "Page defaced"
    opened_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.LazyFunction(timezone.now)


class SiteEventFactory(_SiteChild):
    class Meta:
        model = SiteEvent

    at = factory.LazyFunction(timezone.now)
    kind = "status_changed"
    message = "up → down"


FACTORIES.update({
    WatchedSite: WatchedSiteFactory,
    Check: CheckFactory,
    Snapshot: SnapshotFactory,
    Alert: AlertFactory,
    SiteEvent: SiteEventFactory,
})


# --- incidents (issue 6) -------------------------------------------------------------------------------

from django.core.files.base import ContentFile  # noqa: E402

from lachan.incidents.models import Incident, IncidentComment, IncidentEvidence, ReportingRule  # noqa: E402


class IncidentFactory(DjangoModelFactory):
    class Meta:
        model = Incident

    unit = factory.SubFactory(UnitFactory)
    title = factory.Sequence(lambda n: f"Sự cố thử nghiệm {n}")
    incident_type = "defacement"
    description = "Trang chủ bị thay đổi giao diện"
    detected_at = factory.LazyFunction(timezone.now)
    reporter_name = "Nguyễn Văn Báo"


class _IncidentChild(DjangoModelFactory):
    class Params:
        unit = factory.SubFactory(UnitFactory)

    incident = factory.SubFactory(IncidentFactory, unit=factory.SelfAttribute("..unit"))


class IncidentCommentFactory(_IncidentChild):
    class Meta:
        model = IncidentComment

    body = "Đã cô lập máy chủ web"


class IncidentEvidenceFactory(_IncidentChild):
    class Meta:
        model = IncidentEvidence

    file = factory.LazyFunction(lambda: ContentFile(b"%PDF-1.4\n%evidence\n", name="evidence.pdf"))
    file_name = "bien-ban.pdf"
    file_type = "pdf"
    content_type = "application/pdf"
    sha256 = factory.Sequence(lambda n: f"{n + 11:064x}")
    size = 19


class ReportingRuleFactory(DjangoModelFactory):
    class Meta:
        model = ReportingRule

    key = factory.Sequence(lambda n: f"rule-{n}")
    name = factory.Sequence(lambda n: f"Quy định báo cáo {n}")
    kind = "incident"
    applies_to = "all"
    hours = 120
    is_active = False  # a test rule does not add clocks to every incident


FACTORIES.update({
    Incident: IncidentFactory,
    IncidentComment: IncidentCommentFactory,
    IncidentEvidence: IncidentEvidenceFactory,
    ReportingRule: ReportingRuleFactory,
})


# --- notifications and the duty roster (issue 6, part 2) ---------------------------------------------

import datetime as _dt  # noqa: E402

from lachan.notify.models import Delivery, NotificationPreference  # noqa: E402
from lachan.oncall.models import (  # noqa: E402
    Escalation,
    EscalationPolicy,
    EscalationRule,
    Handover,
    Override,
    Rotation,
    Schedule,
)


def _unit_or_new(o):
    return o.unit if o.unit is not None else UnitFactory()


class NotificationPreferenceFactory(DjangoModelFactory):
    class Meta:
        model = NotificationPreference

    class Params:
        unit = None

    user = factory.LazyAttribute(lambda o: UserFactory(unit=_unit_or_new(o)))
    channel = "email"
    target = factory.Sequence(lambda n: f"nhan-tin-{n}@example.vn")


class DeliveryFactory(DjangoModelFactory):
    class Meta:
        model = Delivery

    unit = factory.SubFactory(UnitFactory)
    event_key = factory.Sequence(lambda n: f"test.event:{n}")
    channel = "email"
    target = factory.Sequence(lambda n: f"nguoi-nhan-{n}@example.vn")
    subject = factory.Sequence(lambda n: f"Thông báo thử nghiệm {n}")
    body = "Nội dung thông báo"


class ScheduleFactory(DjangoModelFactory):
    class Meta:
        model = Schedule

    unit = factory.SubFactory(UnitFactory)
    name = factory.Sequence(lambda n: f"Lịch trực {n}")


class RotationFactory(DjangoModelFactory):
    class Meta:
        model = Rotation

    class Params:
        unit = None

    schedule = factory.LazyAttribute(lambda o: ScheduleFactory(unit=_unit_or_new(o)))
    name = factory.Sequence(lambda n: f"Ca trực {n}")
    start_date = _dt.date(2026, 1, 1)


class OverrideFactory(DjangoModelFactory):
    class Meta:
        model = Override

    class Params:
        unit = None

    schedule = factory.LazyAttribute(lambda o: ScheduleFactory(unit=_unit_or_new(o)))
    user = factory.LazyAttribute(lambda o: UserFactory(unit=o.schedule.unit))
    starts = factory.LazyFunction(timezone.now)
    ends = factory.LazyAttribute(lambda o: o.starts + _dt.timedelta(hours=12))
    reason = "Đổi ca"


class HandoverFactory(DjangoModelFactory):
    class Meta:
        model = Handover

    class Params:
        unit = None

    schedule = factory.LazyAttribute(lambda o: ScheduleFactory(unit=_unit_or_new(o)))
    text = "Bàn giao ca: không có sự cố tồn đọng"


class EscalationPolicyFactory(DjangoModelFactory):
    class Meta:
        model = EscalationPolicy

    unit = factory.SubFactory(UnitFactory)
    name = factory.Sequence(lambda n: f"Chính sách leo thang {n}")


class EscalationRuleFactory(DjangoModelFactory):
    class Meta:
        model = EscalationRule

    class Params:
        unit = None

    policy = factory.LazyAttribute(lambda o: EscalationPolicyFactory(unit=_unit_or_new(o)))
    target = "user"
    user = factory.LazyAttribute(lambda o: UserFactory(unit=o.policy.unit))
    wait_minutes = 5


class EscalationFactory(DjangoModelFactory):
    class Meta:
        model = Escalation

    unit = factory.SubFactory(UnitFactory)
    policy = factory.LazyAttribute(lambda o: EscalationPolicyFactory(unit=o.unit))
    event_key = factory.Sequence(lambda n: f"test.page:{n}")
    subject = factory.Sequence(lambda n: f"Cảnh báo {n}")


FACTORIES.update({
    NotificationPreference: NotificationPreferenceFactory,
    Delivery: DeliveryFactory,
    Schedule: ScheduleFactory,
    Rotation: RotationFactory,
    Override: OverrideFactory,
    Handover: HandoverFactory,
    EscalationPolicy: EscalationPolicyFactory,
    EscalationRule: EscalationRuleFactory,
    Escalation: EscalationFactory,
})


# --- incidents: reports to the national bodies, emergency response plans (issue 6, part 3) -------------------

from lachan.incidents.models import IncidentReport, ResponsePlan  # noqa: E402


def _docx_bytes():
    import io

    from docx import Document

    buffer = io.BytesIO()
    document = Document()
    document.add_paragraph("Báo cáo ban đầu sự cố an toàn thông tin mạng")
    document.save(buffer)
    return buffer.getvalue()


class IncidentReportFactory(_IncidentChild):
    class Meta:
        model = IncidentReport

    subject = factory.Sequence(lambda n: f"[TBSC] Đơn vị thử nghiệm — Sự cố {n} — 02/01/2025")
    body = "Báo cáo ban đầu sự cố"
    recipients = factory.LazyFunction(lambda: [{"name": "VNCERT/CC", "email": "ir@example.vn", "contact": None,
                                                "category": "national_cert"}])
    file = factory.LazyFunction(lambda: ContentFile(_docx_bytes(), name="bao-cao.docx"))
    file_name = "bao-cao-ban-dau-su-co.docx"
    sha256 = factory.Sequence(lambda n: f"{n + 101:064x}")
    size = 1000


class ResponsePlanFactory(DjangoModelFactory):
    class Meta:
        model = ResponsePlan

    unit = factory.SubFactory(UnitFactory)
    title = factory.Sequence(lambda n: f"Kế hoạch ứng cứu khẩn cấp {n}")
    file = factory.LazyFunction(lambda: ContentFile(b"%PDF-1.4\n%plan\n", name="ke-hoach.pdf"))
    file_name = "ke-hoach.pdf"
    file_type = "pdf"
    content_type = "application/pdf"
    sha256 = factory.Sequence(lambda n: f"{n + 201:064x}")
    size = 15
    approved_on = factory.LazyFunction(lambda: timezone.localdate() - _dt.timedelta(days=30))
    review_months = 12
    next_review_on = factory.LazyAttribute(lambda o: o.approved_on + _dt.timedelta(days=365))


FACTORIES.update({
    IncidentReport: IncidentReportFactory,
    ResponsePlan: ResponsePlanFactory,
})
