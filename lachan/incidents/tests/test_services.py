from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from lachan.incidents import services, taxonomy
from lachan.incidents.choices import EventKind, IncidentStatus, Source
from lachan.incidents.models import Incident, IncidentIndicator
from lachan.intel.models import Indicator
from lachan.testing.factories import InformationSystemFactory

pytestmark = pytest.mark.django_db


def report(user, unit, **fields):
    values = {"title": "Trang chủ bị thay đổi giao diện", "incident_type": "defacement",
              "description": "Trang chủ hiển thị nội dung lạ", "detected_at": timezone.now() - timedelta(hours=1)}
    return services.incident_create(by=user, unit=unit, **(values | fields))


def test_create_records_reporter_event_and_audit(tree, users):
    incident = report(users["member_a"], tree["a"])
    assert incident.reporter_email == users["member_a"].email
    assert incident.version == 1 and incident.status == IncidentStatus.NEW and incident.source == Source.WEB
    assert [e.kind for e in incident.events.all()] == [EventKind.CREATED]
    entry = LogEntry.objects.get(content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk)
    assert entry.action == LogEntry.Action.CREATE and entry.actor == users["member_a"]


def test_a_unit_user_reports_for_its_subtree_only(tree, users):
    assert report(users["member_a"], tree["a1"]).unit == tree["a1"]
    with pytest.raises(PermissionDenied):
        report(users["member_b"], tree["a"])
    with pytest.raises(PermissionDenied):
        report(users["auditor"], tree["a"])  # auditors read, never write
    assert report(users["operator_a"], tree["a"]).unit == tree["a"]  # the on-duty operator files too


def test_system_of_another_unit_is_refused(tree, users):
    other = InformationSystemFactory(unit=tree["b"], security_level=4)
    with pytest.raises(ValidationError) as error:
        report(users["coordinator"], tree["a"], system=other)
    assert "system" in error.value.message_dict


def test_detection_in_the_future_is_refused(tree, users):
    with pytest.raises(ValidationError) as error:
        report(users["member_a"], tree["a"], detected_at=timezone.now() + timedelta(days=1))
    assert "detected_at" in error.value.message_dict


@pytest.mark.parametrize(("level", "criteria", "serious"), [
    (4, {"crit_disruption": True}, True),
    (5, {"crit_data_leak": True}, True),
    (5, {"crit_wide_impact": True, "crit_loss_of_control": True}, True),
    (3, {"crit_disruption": True, "crit_data_unrecoverable": True}, False),  # level 3: never serious by the criteria
    (5, {}, False),  # level 5 but no criterion
    (None, {"crit_disruption": True}, False),  # level unknown
])
def test_serious_flag_follows_decision_05(tree, users, level, criteria, serious):
    system = InformationSystemFactory(unit=tree["a"], security_level=level)
    assert report(users["member_a"], tree["a"], system=system, **criteria).serious is serious


def test_serious_flag_from_the_declared_level_when_the_system_is_not_in_the_inventory(tree, users):
    incident = report(users["member_a"], tree["a"], system_name="Cổng dịch vụ công", security_level=4,
                      crit_loss_of_control=True)
    assert incident.serious is True


def test_serious_recomputed_on_edit_and_coordinator_override(tree, users):
    system = InformationSystemFactory(unit=tree["a"], security_level=4)
    incident = report(users["member_a"], tree["a"], system=system)
    assert incident.serious is False
    incident = services.incident_update(incident, by=users["member_a"], version=1, changes={"crit_disruption": True})
    assert incident.serious is True and incident.version == 2
    assert incident.events.last().changes["serious"] == [False, True]
    with pytest.raises(PermissionDenied):
        services.serious_override(incident, by=users["admin_a"], value=False, reason="x", version=2)
    with pytest.raises(ValidationError):
        services.serious_override(incident, by=users["coordinator"], value=False, reason="", version=2)
    incident = services.serious_override(incident, by=users["coordinator"], value=False,
                                         reason="Đã khôi phục trong 10 phút, không ảnh hưởng", version=2)
    assert (incident.serious, incident.serious_override, incident.version) == (False, False, 3)
    incident = services.serious_override(incident, by=users["coordinator"], value=None, reason="", version=3)
    assert incident.serious is True and incident.serious_override is None


def test_update_with_a_stale_version_is_a_conflict_and_writes_nothing(tree, users):
    incident = report(users["member_a"], tree["a"])
    services.incident_update(incident, by=users["admin_a"], version=1, changes={"severity": "high"})
    with pytest.raises(services.VersionConflict) as conflict:
        services.incident_update(incident, by=users["member_a"], version=1, changes={"severity": "low",
                                                                                       "title": "Đè lên"})
    assert conflict.value.current_version == 2
    assert conflict.value.changed_by == users["admin_a"]
    assert str(users["admin_a"]) in conflict.value.message
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.severity, stored.title, stored.version) == ("high", incident.title, 2)


def test_update_needs_a_version_and_known_fields(tree, users):
    incident = report(users["member_a"], tree["a"])
    with pytest.raises(ValidationError) as error:
        services.incident_update(incident, by=users["member_a"], version=None, changes={"title": "x"})
    assert "version" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.incident_update(incident, by=users["member_a"], version=1, changes={"status": "closed"})
    assert "status" in error.value.message_dict


def test_update_keeps_field_diffs_on_the_timeline_and_in_the_audit(tree, users):
    incident = report(users["member_a"], tree["a"])
    services.incident_update(incident, by=users["member_a"], version=1,
                             changes={"severity": "critical", "title": incident.title})
    event = incident.events.get(kind=EventKind.UPDATED)
    assert event.changes == {"severity": ["medium", "critical"]} and event.actor == users["member_a"]
    entry = LogEntry.objects.filter(object_id=incident.pk, action=LogEntry.Action.UPDATE,
                                    content_type=ContentType.objects.get_for_model(Incident)).latest("timestamp")
    assert entry.changes_dict["severity"] == ["medium", "critical"] and entry.actor == users["member_a"]


def test_an_edit_without_change_keeps_the_version(tree, users):
    incident = report(users["member_a"], tree["a"])
    same = services.incident_update(incident, by=users["member_a"], version=1, changes={"title": incident.title})
    assert same.version == 1 and not incident.events.filter(kind=EventKind.UPDATED).exists()


def test_lifecycle_walk_with_lessons_learned(tree, users):
    user = users["member_a"]
    incident = report(user, tree["a"])
    for version, status in enumerate(["triaged", "containment", "eradication", "recovery", "resolved"], start=1):
        incident = services.incident_transition(incident, by=user, to=status, version=version)
    assert incident.triaged_at and incident.resolved_at and not incident.closed_at
    with pytest.raises(ValidationError) as error:
        services.incident_transition(incident, by=user, to="closed", version=6)
    assert "lessons_learned" in error.value.message_dict
    incident = services.incident_transition(incident, by=user, to="closed", version=6,
                                            lessons_learned="Cập nhật bản vá CMS hằng tuần; bật WAF.")
    assert incident.status == "closed" and incident.closed_at and incident.version == 7
    transitions = [e.changes["status"] for e in incident.events.filter(kind=EventKind.TRANSITION)]
    assert transitions[0] == ["new", "triaged"] and transitions[-1] == ["resolved", "closed"]


def test_transitions_outside_the_table_are_refused(tree, users):
    incident = report(users["member_a"], tree["a"])
    for target in ("closed", "recovery", "containment", "bogus"):
        with pytest.raises(ValidationError):
            services.incident_transition(incident, by=users["member_a"], to=target, version=1)
    assert Incident.objects.get(pk=incident.pk).status == "new"


def test_reopening_clears_the_resolution(tree, users):
    incident = report(users["member_a"], tree["a"])
    incident = services.incident_transition(incident, by=users["member_a"], to="resolved", version=1)
    incident = services.incident_transition(incident, by=users["member_a"], to="triaged", version=2, note="Tái nhiễm")
    assert incident.resolved_at is None and incident.status == "triaged"


def test_incident_from_alert_opens_one_case_per_open_alert(tree, users):
    system = InformationSystemFactory(unit=tree["a"], security_level=3)
    payload = {"title": "Phát hiện thay đổi giao diện https://a.example.vn/", "unit": tree["a"], "system": system,
               "detected_at": timezone.now() - timedelta(minutes=5), "type": "information-content-security/"
               "unauthorised-information-modification", "description": "Tiêu đề trang đổi thành 'Hacked by X'",
               "evidence": {"old_title": "Cổng thông tin", "new_title": "<script>Hacked by X</script>"},
               "source_ref": "monitoring.alert:42"}
    incident = services.incident_from_alert(payload, by=None)
    assert incident.incident_type == "defacement" and incident.source == Source.MONITOR
    assert incident.system == system and incident.source_ref == "monitoring.alert:42"
    evidence = incident.evidence.get()
    assert evidence.file_type == "text" and evidence.file_name == "alert-evidence.json"
    assert "Hacked by X" in evidence.file.open("rb").read().decode("utf-8")
    assert services.incident_from_alert(payload, by=None).pk == incident.pk
    assert Incident.objects.count() == 1
    unknown = services.incident_from_alert(payload | {"source_ref": "", "type": "weird"}, by=None)
    assert unknown.incident_type == "other"


def test_taxonomy_normalises_keys_enisa_and_names():
    assert taxonomy.normalise("ddos") == "ddos"
    assert taxonomy.normalise("fraud/phishing") == "phishing"
    assert taxonomy.normalise("Tấn công mã hóa dữ liệu (ransomware)") == "ransomware"
    assert taxonomy.normalise("data-leak") == "data_leak"
    assert taxonomy.normalise("nonsense") is None
    assert {t.key for t in taxonomy.TYPES} >= {"malware", "ransomware", "defacement", "ddos", "intrusion",
                                               "data_leak", "phishing", "botnet", "vulnerability", "other"}


def test_indicators_are_normalised_and_shared_with_the_ioc_store(tree, users):
    incident = report(users["member_a"], tree["a"])
    add = lambda kind, value: services.indicator_add(incident=incident, by=users["member_a"], kind=kind,  # noqa: E731
                                                     value=value)
    assert add("domain", "Evil-C2[.]Example.COM.").value == "evil-c2.example.com"
    assert add("url", "hxxp://evil-c2[.]example.com/gate.php").value == "http://evil-c2.example.com/gate.php"
    sha = add("hash", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")
    assert (sha.kind, sha.value) == ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    ip = add("ip", "203.0.113.7")
    assert ip.indicator is None  # the IoC store holds no IP addresses
    assert set(Indicator.objects.values_list("kind", "value")) == {
        ("domain", "evil-c2.example.com"), ("url", "http://evil-c2.example.com/gate.php"),
        ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")}
    for kind, value in (("ip", "999.1.1.1"), ("domain", "not a domain"), ("md5", "abc"), ("email", "x@"),
                        ("url", "javascript:alert(1)")):
        with pytest.raises(ValidationError):
            add(kind, value)
    with pytest.raises(ValidationError):
        add("domain", "evil-c2.example.com")  # already attached
    assert incident.events.filter(kind=EventKind.INDICATOR).count() == 4


def test_indicators_of_a_confidential_incident_stay_on_the_incident(tree, users):
    incident = report(users["member_a"], tree["a"], confidential=True)
    services.indicator_add(incident=incident, by=users["member_a"], kind="domain", value="secret-c2.example.net")
    assert not Indicator.objects.exists()
    assert IncidentIndicator.objects.get().indicator is None


def test_write_but_no_delete_for_unit_users(tree, users):
    incident = report(users["member_a"], tree["a"])
    comment = services.comment_add(incident=incident, by=users["member_a"], body="Đã cô lập máy chủ")
    with pytest.raises(PermissionDenied):
        services.comment_delete(comment, by=users["member_a"])
    with pytest.raises(PermissionDenied):
        services.incident_delete(incident, by=users["operator_a"])
    services.comment_delete(comment, by=users["admin_a"])
    assert incident.events.filter(kind=EventKind.DELETED).exists()
    with pytest.raises(PermissionDenied):
        services.incident_delete(incident, by=users["member_b"])
    pk = incident.pk
    services.incident_delete(incident, by=users["coordinator"])
    assert not Incident.objects.exists()
    assert LogEntry.objects.filter(action=LogEntry.Action.DELETE, object_id=pk,
                                   content_type=ContentType.objects.get_for_model(Incident),
                                   actor=users["coordinator"]).exists()
