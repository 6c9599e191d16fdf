import pytest
from django.db import IntegrityError, transaction

from lachan.intel.models import Case, Feed, Notification, Sighting, UnmappedIP
from lachan.testing.factories import (
    CaseFactory,
    FeedImportFactory,
    NotificationFactory,
    SightingFactory,
    UnmappedIPFactory,
)


def test_critical_families_are_a_lower_case_set():
    feed = Feed(name="x", critical_families="LockBit, emotet\n  qakbot \n\n")
    assert feed.critical_family_set == {"lockbit", "emotet", "qakbot"}


@pytest.mark.django_db
def test_one_case_per_unit_ip_family(tree):
    CaseFactory(unit=tree["a"], ip="45.10.1.1", family="mirai")
    CaseFactory(unit=tree["a"], ip="45.10.1.1", family="conficker")
    CaseFactory(unit=tree["b"], ip="45.10.1.1", family="mirai")
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(unit=tree["a"], ip="45.10.1.1", family="mirai")


@pytest.mark.django_db
def test_one_sighting_per_case_and_import_and_one_notification_per_channel(tree):
    sighting = SightingFactory(unit=tree["a"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Sighting.objects.create(case=sighting.case, feed_import=sighting.feed_import, unit=tree["a"], ip=sighting.ip)
    notification = NotificationFactory(unit=tree["a"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(unit=tree["a"], feed_import=notification.feed_import, channel=notification.channel)


@pytest.mark.django_db
def test_the_same_file_once_per_feed():
    first = FeedImportFactory()
    FeedImportFactory(sha256=first.sha256)  # another feed may carry the same file
    with pytest.raises(IntegrityError), transaction.atomic():
        FeedImportFactory(feed=first.feed, sha256=first.sha256)


@pytest.mark.django_db
def test_unmapped_queue_is_for_coordinators_and_auditors(users):
    UnmappedIPFactory()
    assert UnmappedIP.objects.restrict(users["coordinator"]).count() == 1
    assert UnmappedIP.objects.restrict(users["auditor"]).count() == 1
    assert UnmappedIP.objects.restrict(users["auditor"], "change").count() == 0
    for name in ("admin_a", "member_a", "operator_a", "member_b"):
        assert UnmappedIP.objects.restrict(users[name]).count() == 0


@pytest.mark.django_db
def test_cases_are_scoped_to_the_unit_subtree(tree, users):
    CaseFactory(unit=tree["a1"], ip="45.10.5.7")
    CaseFactory(unit=tree["b"], ip="45.20.9.9")
    assert {c.ip for c in Case.objects.restrict(users["member_a"])} == {"45.10.5.7"}
    assert {c.ip for c in Case.objects.restrict(users["member_b"])} == {"45.20.9.9"}
    assert Case.objects.restrict(users["operator_a"], "change").count() == 0
