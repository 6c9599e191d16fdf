"""Alert notices and what they start: claimed once, handed to the notification framework (one delivery per
address, retried there), the right recipients, hostile evidence as defanged plain text; the incident of an
attacked site (once per alert), the on-duty page with the unit's escalation policy, its acknowledgement; the
sweeps and the periodic jobs."""

import datetime as dt
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from lachan.incidents.models import Incident
from lachan.incidents.services import incident_transition
from lachan.monitoring import escalation, notify, tasks
from lachan.monitoring.choices import AlertState, EventKind
from lachan.monitoring.models import Alert, Check, SiteEvent, WatchedSite
from lachan.monitoring.services import alert_acknowledge
from lachan.notify import services as notify_services
from lachan.notify.choices import DeliveryStatus
from lachan.notify.models import Delivery
from lachan.oncall import services as oncall
from lachan.oncall.choices import EscalationStatus, StepTarget
from lachan.oncall.models import Escalation, EscalationPolicy, EscalationRule, Rotation, Schedule
from lachan.testing.factories import (
    AlertFactory,
    CheckFactory,
    ContactFactory,
    UnitFactory,
    UserFactory,
    WatchedSiteFactory,
)


@pytest.fixture
def contacts(tree):
    ContactFactory(unit=tree["a"], emails="focal.a@example.vn", roles="security_focal")
    ContactFactory(unit=tree["a"], emails="truc.a@example.vn; focal.a@example.vn; not-an-address", roles="on_duty")
    ContactFactory(unit=tree["b"], emails="focal.b@example.vn", roles="security_focal,on_duty")


def make_alert(unit, kind="gambling_injection", severity="high", **fields):
    now = timezone.now()
    fields = {"state": AlertState.CONFIRMED, "confirmed_at": now, "opened_at": now, "last_seen_at": now} | fields
    return AlertFactory(unit=unit, kind=kind, severity=severity, **fields)


@pytest.fixture
def alert(tree, contacts):
    return make_alert(tree["a"], summary="Hidden gambling content", kind="hidden_links",
                      evidence={"links": ["https://nhacai.example/x?a=1"],
                                "snippet": "<b>nổ hũ</b>\u202e\x07 https://w88.bet"})


@pytest.fixture
def desk(tree, users):
    """Unit A's duty desk: operator_a on duty around the clock; the policy pages them, then the coordinator."""
    schedule = Schedule.objects.create(name="Trực A", unit=tree["a"])
    rotation = Rotation.objects.create(schedule=schedule, name="24h", start_date=dt.date(2025, 1, 1),
                                       shift_start=dt.time(7, 30), shift_end=dt.time(7, 30))
    oncall.rotation_set_participants(rotation, [users["operator_a"]])
    policy = EscalationPolicy.objects.create(name="Cảnh báo website A", unit=tree["a"])
    EscalationRule.objects.create(policy=policy, position=1, target=StepTarget.ON_DUTY, schedule=schedule,
                                  wait_minutes=5)
    EscalationRule.objects.create(policy=policy, position=2, target=StepTarget.USER, user=users["coordinator"],
                                  wait_minutes=10)
    return policy


def sent_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def send(ids, capture):
    with capture(execute=True):
        return notify.send_alert_notices(ids)


# --- the notice ---------------------------------------------------------------------------------------------


def test_opening_notice_is_handed_over_once_to_focal_and_on_duty(alert, django_capture_on_commit_callbacks):
    assert send([alert.pk, alert.pk], django_capture_on_commit_callbacks) == 1
    assert notify.send_notice(alert.pk, notify.OPENING) is False  # claimed already
    deliveries = Delivery.objects.filter(event_key=f"monitoring.alert:{alert.pk}").order_by("pk")
    assert [(d.target, d.status, d.severity) for d in deliveries] == [
        ("focal.a@example.vn", DeliveryStatus.SENT, "high"), ("truc.a@example.vn", DeliveryStatus.SENT, "high")]
    assert sorted(m.to[0] for m in mail.outbox) == ["focal.a@example.vn", "truc.a@example.vn"]
    message = sent_to("truc.a@example.vn")[0]
    assert message.content_subtype == "plain" and not getattr(message, "alternatives", None)
    assert "hxxps://nhacai[.]example/x?a=1" in message.body and "hxxps://w88[.]bet" in message.body
    assert "https://" not in message.body.split("Bằng chứng")[1]
    assert "\u202e" not in message.body and "\x07" not in message.body
    assert "<b>nổ hũ</b>" in message.body  # plain text: shown as written, never rendered
    assert message.subject.startswith("[Lá Chắn]") and "(Đơn vị A)" in message.subject
    event = SiteEvent.objects.get(alert=alert, kind=EventKind.NOTIFIED)
    assert event.data["recipients"] == ["focal.a@example.vn", "truc.a@example.vn"]  # the malformed one left out
    assert event.data["deliveries"] == [d.pk for d in deliveries]
    assert event.data["incident"] is None  # hidden links alone: no incident


def test_recovery_only_after_a_sent_opening(alert, django_capture_on_commit_callbacks):
    alert.state, alert.resolved_at = AlertState.RESOLVED, timezone.now()
    alert.save()
    assert send([alert.pk], django_capture_on_commit_callbacks) == 0  # never announced: no recovery either
    Alert.objects.filter(pk=alert.pk).update(notified_at=timezone.now())
    assert send([alert.pk], django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 2 and all("Đã hết" in m.subject for m in mail.outbox)
    assert Delivery.objects.filter(event_key=f"monitoring.recovery:{alert.pk}").count() == 2
    assert send([alert.pk], django_capture_on_commit_callbacks) == 0


def test_failed_delivery_is_retried_by_the_framework_not_sent_twice(alert, settings,
                                                                     django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "lachan.monitoring.tests.test_notify.BrokenBackend"
    assert send([alert.pk], django_capture_on_commit_callbacks) == 1
    assert mail.outbox == []
    rows = Delivery.objects.filter(event_key=f"monitoring.alert:{alert.pk}")
    assert {(d.status, d.attempts) for d in rows} == {(DeliveryStatus.RETRY, 1)}
    assert "SMTP server away" in rows[0].error
    alert.refresh_from_db()
    assert alert.notified_at is not None and notify.pending_alert_ids() == []  # handed over: not the sweep's
    assert tasks.send_pending_notices.call() == 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notify_services.retry_due(now=timezone.now() + timedelta(minutes=2)) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["focal.a@example.vn", "truc.a@example.vn"]
    assert notify_services.retry_due(now=timezone.now() + timedelta(hours=2)) == 0


def test_a_notice_that_cannot_be_handed_over_is_given_back_for_the_sweep(tree, contacts, settings,
                                                                         django_capture_on_commit_callbacks):
    alert = make_alert(tree["a"], kind="down", severity="urgent")  # a severity the framework refuses
    assert send([alert.pk], django_capture_on_commit_callbacks) == 0
    alert.refresh_from_db()
    assert alert.notified_at is None and not Delivery.objects.exists()
    assert notify.pending_alert_ids() == [alert.pk]
    Alert.objects.filter(pk=alert.pk).update(severity="high")
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_pending_notices.call() == 1
    assert notify.pending_alert_ids() == [] and len(mail.outbox) == 2


def test_unit_without_contacts_is_reached_through_its_parent(tree, django_capture_on_commit_callbacks):
    ContactFactory(unit=tree["root"], emails="so@example.vn", roles="on_duty")
    school = UnitFactory(code="S1", parent=tree["a1"])
    alert = make_alert(school, kind="tls_invalid", severity="critical")
    assert send([alert.pk], django_capture_on_commit_callbacks) == 1
    assert [m.to for m in mail.outbox] == [["so@example.vn"]]
    assert tree["root"].name in mail.outbox[0].body


# --- incident and on-duty page ------------------------------------------------------------------------------


def test_confirmed_defacement_opens_one_incident_and_pages_the_duty_desk(tree, users, contacts, desk,
                                                                         django_capture_on_commit_callbacks):
    alert = make_alert(tree["a"], kind="defacement", severity="critical", summary="Hacked by X")
    assert send([alert.pk], django_capture_on_commit_callbacks) == 1
    incident = Incident.objects.get()
    assert incident.source_ref == f"monitoring.alert:{alert.pk}" and escalation.incident_of(alert) == incident
    assert (incident.unit, incident.incident_type, incident.severity, incident.source) == (
        tree["a"], "defacement", "critical", "monitor")
    website = alert.site.website
    assert website.url in incident.domains_ips and website.url in incident.description
    assert incident.detected_at == alert.opened_at
    assert incident.evidence.get().file_name == "alert-evidence.json"
    page = Escalation.objects.get()
    assert (page.event_key, page.policy, page.status, page.severity) == (
        f"incident:{incident.pk}", desk, EscalationStatus.ACTIVE, "critical")
    assert incident.get_absolute_url() in page.body and incident.title in page.body and "KHẨN" in page.subject
    paged = sent_to(users["operator_a"].email)
    assert len(paged) == 1 and paged[0].subject == page.subject and incident.get_absolute_url() in paged[0].body
    assert len(sent_to("focal.a@example.vn")) == 1 and len(sent_to("truc.a@example.vn")) == 1
    event = SiteEvent.objects.get(alert=alert, kind=EventKind.NOTIFIED)
    assert (event.data["incident"], event.data["escalation"]) == (incident.pk, page.pk)

    # run again (a second worker, the sweep): still one incident, one page
    assert escalation.on_confirmed(alert) == (incident, page)
    assert escalation.open_pending_incidents() == 0
    assert Incident.objects.count() == 1 and Escalation.objects.count() == 1

    # nobody answers: the next step (the coordinator) after five minutes
    later = timezone.now() + timedelta(minutes=6)
    assert oncall.advance_due(now=later) == 1
    assert notify_services.retry_due(now=later) == 1  # the page is due at that time
    assert len(sent_to(users["coordinator"].email)) == 1

    # the alert acknowledged: the incident's paging stops
    with django_capture_on_commit_callbacks(execute=True):
        alert_acknowledge(alert, by=users["operator_a"], note="Đang xử lý")
    page.refresh_from_db()
    assert (page.status, page.acknowledged_by) == (EscalationStatus.ACKNOWLEDGED, users["operator_a"])


def test_first_move_on_the_incident_acknowledges_the_page(tree, users, contacts, desk,
                                                          django_capture_on_commit_callbacks):
    alert = make_alert(tree["a"], kind="malicious_script", severity="high")
    send([alert.pk], django_capture_on_commit_callbacks)
    incident = Incident.objects.get()
    assert incident.incident_type == "malware"
    assert tasks.acknowledge_worked_incidents.call() == 0  # nobody has moved it yet
    incident_transition(incident, by=users["admin_a"], to="triaged", version=incident.version)
    assert tasks.acknowledge_worked_incidents.call() == 1
    page = Escalation.objects.get()
    assert (page.status, page.acknowledged_by) == (EscalationStatus.ACKNOWLEDGED, users["admin_a"])
    assert "triaged" in page.ack_note.lower() or "Đã phân loại" in page.ack_note
    assert tasks.acknowledge_worked_incidents.call() == 0


def test_without_a_policy_only_the_contacts_hear_of_it(tree, contacts, django_capture_on_commit_callbacks):
    alert = make_alert(tree["a"], kind="gambling_injection", severity="high")
    send([alert.pk], django_capture_on_commit_callbacks)
    assert Incident.objects.get().incident_type == "intrusion"
    assert not Escalation.objects.exists()
    assert sorted(m.to[0] for m in mail.outbox) == ["focal.a@example.vn", "truc.a@example.vn"]


def test_the_coordinator_desk_answers_for_a_unit_without_a_policy(tree, users, contacts,
                                                                  django_capture_on_commit_callbacks):
    desk_user = UserFactory(username="truc.so", unit=tree["root"], email="truc.so@example.vn")
    policy = EscalationPolicy.objects.create(name="Trực ban Sở")
    EscalationRule.objects.create(policy=policy, position=1, target=StepTarget.USER, user=desk_user)
    EscalationPolicy.objects.create(name="B", unit=tree["b"])  # another unit's policy never answers for A
    alert = make_alert(tree["a1"], kind="cloaking", severity="high")
    send([alert.pk], django_capture_on_commit_callbacks)
    assert Escalation.objects.get().policy == policy
    assert len(sent_to("truc.so@example.vn")) == 1


def test_auto_incident_off_pages_the_critical_alert_and_the_button_does_not_page_twice(
        tree, users, contacts, desk, settings, django_capture_on_commit_callbacks):
    settings.MONITOR_AUTO_INCIDENT = False
    alert = make_alert(tree["a"], kind="defacement", severity="critical")
    quiet = make_alert(tree["a"], kind="defacement", severity="high", url="https://a.example.vn/other")
    send([alert.pk, quiet.pk], django_capture_on_commit_callbacks)
    assert not Incident.objects.exists()
    assert list(Escalation.objects.values_list("event_key", flat=True)) == [f"monitoring.alert:{alert.pk}"]
    incident = escalation.open_incident(alert, by=users["admin_a"])  # the "create incident" action
    assert escalation.page(alert, incident).event_key == f"monitoring.alert:{alert.pk}"
    assert Escalation.objects.count() == 1 and incident.created_by == users["admin_a"]
    assert escalation.acknowledge_incident(incident, users["admin_a"]) == 1  # the alert's page stops too


def test_sweep_opens_the_incident_a_failed_run_missed(tree, contacts, django_capture_on_commit_callbacks):
    alert = make_alert(tree["a"], kind="defacement", severity="critical", notified_at=timezone.now())
    make_alert(tree["a"], kind="hidden_links", severity="high", notified_at=timezone.now())
    assert escalation.open_pending_incidents() == 1
    assert Incident.objects.get().source_ref == f"monitoring.alert:{alert.pk}"
    assert escalation.open_pending_incidents() == 0


# --- periodic jobs ------------------------------------------------------------------------------------------


def test_periodic_jobs_purge_and_release(tree, settings):
    settings.MONITOR_HISTORY_DAYS = 30
    old = CheckFactory(unit=tree["a"], checked_at=timezone.now() - timedelta(days=31))
    recent = CheckFactory(site=old.site, checked_at=timezone.now() - timedelta(days=29))
    assert tasks.purge_old_checks.call() == 1
    assert list(Check.objects.values_list("pk", flat=True)) == [recent.pk]
    stale = WatchedSiteFactory(unit=tree["a"], claimed_by="dead:host:1:x",
                               claimed_until=timezone.now() - timedelta(minutes=1))
    live = WatchedSiteFactory(unit=tree["a"], claimed_by="live:host:2:y",
                              claimed_until=timezone.now() + timedelta(minutes=5))
    assert tasks.release_stale_claims.call() == 1
    assert WatchedSite.objects.get(pk=stale.pk).claimed_by == ""
    assert WatchedSite.objects.get(pk=live.pk).claimed_by == "live:host:2:y"


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server away")


def test_open_incident_action_is_one_click_and_idempotent(tree, users, contacts, desk, rf):
    from django.contrib.messages.storage.fallback import FallbackStorage

    from lachan.monitoring.views.actions import AlertOpenIncidentView

    alert = make_alert(tree["a"], kind="new_iframe", severity="high")

    def post(user):
        request = rf.post(f"/monitoring/alerts/incident/?alert={alert.pk}")
        request.user, request.session = user, {}
        request._messages = FallbackStorage(request)
        try:
            return AlertOpenIncidentView.as_view()(request)
        except Exception as exc:  # Http404 for a user who may not see the alert
            return exc

    first = post(users["admin_a"])
    incident = Incident.objects.get()
    assert (first.status_code, first.url) == (302, incident.get_absolute_url())
    assert (incident.incident_type, incident.created_by, incident.source_ref) == (
        "malware", users["admin_a"], f"monitoring.alert:{alert.pk}")
    assert Escalation.objects.get().event_key == f"incident:{incident.pk}"  # an opened incident pages
    assert post(users["admin_a"]).url == incident.get_absolute_url() and Incident.objects.count() == 1
    assert type(post(users["member_b"])).__name__ == "Http404"
    assert type(post(users["auditor"])).__name__ == "Http404"


@pytest.mark.django_db
def test_the_demo_duty_desk_pages_for_a_demo_school():
    from lachan.demo import loader
    from lachan.oncall.roster import on_duty
    from lachan.organizations.models import Unit

    loader.load(directives=False)
    policy = escalation.policy_for(Unit.objects.get(code="HP-THPT-NQ"))
    assert policy is not None and policy.unit is None
    assert [r.target for r in policy.rules.order_by("position")] == [StepTarget.ON_DUTY, StepTarget.USER]
    assert {u.username for u in on_duty(None)} <= {"truc.ca", "dieuphoi"} and len(on_duty(None)) == 1
    assert sum(loader.load(directives=False).created.values()) == 0  # loaded once
