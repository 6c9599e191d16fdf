from contextlib import ExitStack

from auditlog.context import set_actor
from auditlog.middleware import AuditlogMiddleware
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from rest_framework import status, viewsets
from rest_framework.exceptions import APIException, ValidationError

from lachan.core.scope import CHANGE, VIEW


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class AuditActorMixin:
    # Attributes the writes of an API request to its user in the audit log (a comment, not a docstring:
    # view docstrings end up in the OpenAPI schema).
    # ``AuditlogMiddleware`` reads ``request.user`` before DRF authenticates the request, so with token
    # authentication it sees an anonymous user and the log entries would have no actor. DRF authenticates
    # in ``initial()``; from there until the view returns, the authenticated user is the actor.

    def dispatch(self, request, *args, **kwargs):
        with ExitStack() as stack:
            self._audit_stack = stack
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.user is not None and request.user.is_authenticated:
            http_request = request._request
            self._audit_stack.enter_context(
                set_actor(
                    request.user,
                    remote_addr=AuditlogMiddleware._get_remote_addr(http_request),
                    remote_port=AuditlogMiddleware._get_remote_port(http_request),
                )
            )


class ScopedModelViewSet(AuditActorMixin, viewsets.ModelViewSet):
    # CRUD over ``queryset`` restricted to the requesting user's scope: reads use the view scope,
    # writes the change scope, so an out-of-scope object is a 404 either way.

    def get_queryset(self):
        action = VIEW if self.request.method in ("GET", "HEAD", "OPTIONS") else CHANGE
        return super().get_queryset().restrict(self.request.user, action)

    def get_serializer_context(self):
        return super().get_serializer_context() | {"user": self.request.user}

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer)

    def _save(self, serializer):
        # The serializers check uniqueness first; a concurrent write may still hit the constraint.
        try:
            with transaction.atomic():
                serializer.save()
        except IntegrityError:
            raise ValidationError({"non_field_errors": [_("An object with these values already exists.")]}) from None

    def perform_destroy(self, instance):
        try:
            with transaction.atomic():
                instance.delete()
        except ProtectedError as exc:
            # Name the kinds of objects in the way, not the objects (they may lie outside the user's scope).
            blocking = ", ".join(sorted({str(o._meta.verbose_name_plural) for o in exc.protected_objects}))
            raise Conflict(
                _("Cannot delete %(object)s: still used by %(blocking)s.") % {"object": instance, "blocking": blocking}
            ) from None
