"""API fuzzing of the duty-roster and notification endpoints against their OpenAPI schema
(``lachan.testing.fuzz``): no response may be a server error (5xx), for a unit admin and a coordinator."""

import pytest

from lachan.testing.factories import (
    EscalationFactory,
    EscalationPolicyFactory,
    EscalationRuleFactory,
    HandoverFactory,
    OverrideFactory,
    RotationFactory,
    ScheduleFactory,
)
from lachan.testing.fuzz import fuzz


@pytest.fixture
def roster(tree, users):
    schedule = ScheduleFactory(unit=tree["a"])
    rotation = RotationFactory(schedule=schedule)
    OverrideFactory(unit=tree["a"])
    HandoverFactory(unit=tree["a"])
    policy = EscalationPolicyFactory(unit=tree["a"])
    EscalationRuleFactory(unit=tree["a"])
    EscalationFactory(unit=tree["a"])
    return schedule, rotation, policy


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin_a", "coordinator"])
def test_oncall_and_notify_endpoints_never_answer_a_server_error(roster, users, settings, who):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    operations, failures, statuses = fuzz(r"^/api/(oncall|notify)/", users[who], max_examples=15)
    assert len(operations) >= 15, [op.label for op in operations]
    assert not failures, "\n\n".join(failures)
    assert statuses[200] and (statuses[400] or statuses[404]), statuses
