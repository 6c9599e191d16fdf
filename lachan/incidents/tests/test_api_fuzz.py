"""API fuzzing of the incident endpoints against their OpenAPI schema (schemathesis): requests generated from
the schema — valid and invalid bodies, odd query strings, unknown ids — are sent to the real Django WSGI
application (same database transaction as the test) with a unit member's token. No response may be a server
error (5xx)."""

from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from lachan.core.api.testing import api_client_for
from lachan.incidents import services

MAX_EXAMPLES = 25  # per operation; the CI budget, not a proof


def incident_operations():
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    schema = schema.include(path_regex=r"^/api/incidents/")
    schema.app = WSGIHandler()
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.django_db
def test_incident_endpoints_never_answer_a_server_error(tree, users, settings):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    user = users["member_a"]
    token = api_client_for(user)._credentials["HTTP_AUTHORIZATION"]
    # Something to find for the generated ids (1, 2 … are likely values).
    incident = services.incident_create(by=user, unit=tree["a"], title="Fuzz", description="x",
                                        detected_at=timezone.now())
    services.comment_add(incident=incident, by=user, body="bình luận")
    operations = incident_operations()
    assert len(operations) >= 15, [op.label for op in operations]
    failures, statuses = [], Counter()
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                             suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call(headers={"Authorization": token})
            statuses[response.status_code] += 1
            case.validate_response(response, checks=[not_a_server_error])

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    # The requests reached the application authenticated: lists answered, generated bad bodies refused (400).
    assert statuses[200] and statuses[400], statuses
