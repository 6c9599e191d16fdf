import pytest

from lachan.core.scope import CHANGE, VIEW
from lachan.inventory.models import InformationSystem
from lachan.organizations.models import ExternalContact, Unit
from lachan.organizations.services import unit_update
from lachan.testing.factories import ExternalContactFactory, InformationSystemFactory


@pytest.mark.django_db
def test_unit_user_sees_own_unit_and_descendants_only(tree, users):
    visible = set(Unit.objects.restrict(users["member_a"]).values_list("code", flat=True))
    assert visible == {"A", "A1"}
    assert set(Unit.objects.restrict(users["coordinator"]).values_list("code", flat=True)) == {"ROOT", "A", "A1", "B"}
    assert Unit.objects.restrict(users["auditor"]).count() == 4


@pytest.mark.django_db
def test_write_scope_by_role(tree, users):
    InformationSystemFactory(unit=tree["a1"])
    InformationSystemFactory(unit=tree["b"])
    assert InformationSystem.objects.restrict(users["member_a"], CHANGE).count() == 1
    assert InformationSystem.objects.restrict(users["operator_a"], VIEW).count() == 1
    assert InformationSystem.objects.restrict(users["operator_a"], CHANGE).count() == 0
    assert InformationSystem.objects.restrict(users["auditor"], VIEW).count() == 2
    assert InformationSystem.objects.restrict(users["auditor"], CHANGE).count() == 0
    assert InformationSystem.objects.restrict(users["coordinator"], CHANGE).count() == 2
    # units: only admins change them
    assert Unit.objects.restrict(users["member_a"], CHANGE).count() == 0
    assert set(Unit.objects.restrict(users["admin_a"], CHANGE).values_list("code", flat=True)) == {"A", "A1"}


@pytest.mark.django_db
def test_global_directory_read_by_all_written_by_coordinator(tree, users):
    ExternalContactFactory()
    assert ExternalContact.objects.restrict(users["member_b"]).count() == 1
    assert ExternalContact.objects.restrict(users["admin_a"], CHANGE).count() == 0
    assert ExternalContact.objects.restrict(users["coordinator"], CHANGE).count() == 1


@pytest.mark.django_db
def test_moving_a_unit_moves_its_subtree_and_scope(tree, users):
    unit_update(unit=tree["a"], parent=tree["b"])
    tree["a1"].refresh_from_db()
    assert tree["a1"].path.startswith(tree["b"].path)
    assert tree["a1"].depth == 3
    assert set(Unit.objects.restrict(users["member_b"]).values_list("code", flat=True)) == {"B", "A", "A1"}


@pytest.mark.django_db
def test_unit_cannot_move_under_its_descendant(tree):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        unit_update(unit=tree["a"], parent=tree["a1"])


def test_anonymous_sees_nothing(db):
    from django.contrib.auth.models import AnonymousUser

    assert Unit.objects.restrict(AnonymousUser()).count() == 0
