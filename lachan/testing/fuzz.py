"""API fuzzing against the OpenAPI schema (schemathesis): requests generated from the schema — valid and
invalid bodies, odd query strings, unknown ids — sent to the real Django WSGI application (inside the test's
transaction) with a user's token. Used by the fuzz tests of each app."""

from collections import Counter

import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from lachan.core.api.testing import api_client_for


def operations(path_regex):
    """The schema's operations whose path matches ``path_regex``, bound to the WSGI application."""
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    schema = schema.include(path_regex=path_regex)
    schema.app = WSGIHandler()
    return [result.ok() for result in schema.get_all_operations()]


def fuzz(path_regex, user, *, max_examples=25):
    """Run every matching operation ``max_examples`` times as ``user``. Returns ``(operations, failures,
    statuses)``: the operations run, one message per operation that answered a server error (5xx), and a
    Counter of the status codes seen (so a test can check the requests reached the application)."""
    token = api_client_for(user)._credentials["HTTP_AUTHORIZATION"]
    found = operations(path_regex)
    failures, statuses = [], Counter()
    # As Django's test client does: the end of a request must not close the test's database connection
    # (on PostgreSQL it holds the test's transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        for operation in found:
            try:
                _runner(operation, token, statuses, max_examples)()
            except Exception as exc:  # collect every operation's failure, then report them together
                failures.append(f"{operation.label}: {exc}")
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return found, failures, statuses


def _runner(operation, token, statuses, max_examples):
    @given(case=operation.as_strategy())
    @hypothesis_settings(max_examples=max_examples, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call(headers={"Authorization": token})
        statuses[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error])

    return run
