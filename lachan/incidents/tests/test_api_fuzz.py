"""API fuzzing of the incident endpoints against their OpenAPI schema (``lachan.testing.fuzz``): no response
may be a server error (5xx)."""

import pytest
from django.utils import timezone

from lachan.incidents import services
from lachan.testing.fuzz import fuzz


@pytest.mark.django_db
def test_incident_endpoints_never_answer_a_server_error(tree, users, settings):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    user = users["member_a"]
    # Something to find for the generated ids (1, 2 … are likely values).
    incident = services.incident_create(by=user, unit=tree["a"], title="Fuzz", description="x",
                                        detected_at=timezone.now())
    services.comment_add(incident=incident, by=user, body="bình luận")
    operations, failures, statuses = fuzz(r"^/api/incidents/", user)
    assert len(operations) >= 15, [op.label for op in operations]
    assert not failures, "\n\n".join(failures)
    # The requests reached the application authenticated: lists answered, generated bad bodies refused (400).
    assert statuses[200] and statuses[400], statuses
