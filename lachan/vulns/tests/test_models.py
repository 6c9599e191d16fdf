"""Models of the vulns app: constraints and the seeded SLA policy."""

import pytest
from django.db import IntegrityError, transaction

from lachan.testing.factories import FindingFactory
from lachan.vulns.models import SlaPolicy


@pytest.mark.django_db
def test_finding_key_is_unique_per_unit_only(tree):
    FindingFactory(unit=tree["a"], key="same")
    FindingFactory(unit=tree["b"], key="same")  # another unit: allowed
    with pytest.raises(IntegrityError), transaction.atomic():
        FindingFactory(unit=tree["a"], key="same")


@pytest.mark.django_db
def test_default_policy_is_seeded_with_the_documented_defaults():
    policy = SlaPolicy.objects.get()
    assert (policy.critical_days, policy.high_days, policy.medium_days, policy.low_days, policy.kev_days) == (
        7, 15, 30, 90, 7)
    assert (policy.level_3_factor, policy.level_4_factor, policy.level_5_factor) == (1.0, 0.5, 0.5)
