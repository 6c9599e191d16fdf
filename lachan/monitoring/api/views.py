from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from lachan.core.api.serializers import django_errors
from lachan.core.api.viewsets import AuditActorMixin
from lachan.core.scope import VIEW
from lachan.monitoring import filtersets
from lachan.monitoring.models import Alert, Check, SiteEvent, Snapshot, WatchedSite
from lachan.monitoring.views.queries import actionable, annotate_board, may_act_at_all

from . import serializers


def _services():
    from lachan.monitoring import services

    return services


class ActPermission(BasePermission):
    """Reads for every authenticated user (rows restricted by the queryset); the POST actions for the roles
    that may act on alerts and sites (the unit's writers and the on-duty operators, as the services say)."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or may_act_at_all(user)


class ScopedReadOnlyViewSet(AuditActorMixin, viewsets.ReadOnlyModelViewSet):
    # Reads restricted to the user's view scope; a POST action reaches only the objects the user may act on
    # (``actionable``: another unit's object is a 404; a role that may not act gets a 403).

    permission_classes = [ActPermission]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.method in SAFE_METHODS:
            return queryset.restrict(self.request.user, VIEW)
        return actionable(self.request.user, queryset)

    def get_serializer_context(self):
        return super().get_serializer_context() | {"user": self.request.user}

    def run(self, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except DjangoValidationError as exc:
            raise django_errors(exc) from None


class WatchedSiteViewSet(ScopedReadOnlyViewSet):
    """Watched websites of the user's units with their current state; POST ``recheck`` queues a full check
    now, POST ``accept-baseline`` makes the current page(s) the baseline."""

    queryset = WatchedSite.objects.all()
    serializer_class = serializers.WatchedSiteSerializer
    filterset_class = filtersets.WatchedSiteFilterSet
    ordering_fields = ("website__url", "status", "verdict", "last_checked_at", "last_latency_ms", "tls_days_left",
                       "open_alert_count")

    def get_queryset(self):
        return annotate_board(super().get_queryset())

    @extend_schema(request=None, responses=serializers.WatchedSiteSerializer)
    @action(detail=True, methods=["get", "post"])
    def recheck(self, request, pk=None, format=None):
        site = self.get_object()
        if request.method == "POST":
            self.run(_services().site_recheck_now, site, by=request.user)
            site = self.get_object()
        return Response(self.get_serializer(site).data)

    @extend_schema(request=serializers.BaselineSerializer, responses=serializers.WatchedSiteSerializer)
    @action(detail=True, methods=["get", "post"], url_path="accept-baseline")
    def accept_baseline(self, request, pk=None, format=None):
        site = self.get_object()
        if request.method == "POST":
            payload = serializers.BaselineSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            self.run(_services().baseline_accept, site, by=request.user,
                     url=payload.validated_data.get("page_url") or None)
            site = self.get_object()
        return Response(self.get_serializer(site).data)


class AlertViewSet(ScopedReadOnlyViewSet):
    """Alerts of the user's sites; POST ``acknowledge`` (optional note) or ``false-positive`` (note required)."""

    queryset = Alert.objects.select_related("site__website", "acknowledged_by")
    serializer_class = serializers.AlertSerializer
    filterset_class = filtersets.AlertFilterSet
    ordering_fields = ("opened_at", "last_seen_at", "severity", "state", "kind")

    @extend_schema(request=serializers.NoteSerializer, responses=serializers.AlertSerializer)
    @action(detail=True, methods=["get", "post"])
    def acknowledge(self, request, pk=None, format=None):
        alert = self.get_object()
        if request.method == "POST":
            payload = serializers.NoteSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            self.run(_services().alert_acknowledge, alert, by=request.user, note=payload.validated_data["note"])
            alert.refresh_from_db()
        return Response(self.get_serializer(alert).data)

    @extend_schema(request=serializers.RequiredNoteSerializer, responses=serializers.AlertSerializer)
    @action(detail=True, methods=["get", "post"], url_path="false-positive")
    def false_positive(self, request, pk=None, format=None):
        alert = self.get_object()
        if request.method == "POST":
            payload = serializers.RequiredNoteSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            self.run(_services().alert_false_positive, alert, by=request.user, note=payload.validated_data["note"])
            alert.refresh_from_db()
        return Response(self.get_serializer(alert).data)


class CheckViewSet(ScopedReadOnlyViewSet):
    """Checks of the user's sites (latest first), with their findings."""

    queryset = Check.objects.select_related("site__website")
    serializer_class = serializers.CheckSerializer
    filterset_class = filtersets.CheckFilterSet
    ordering_fields = ("checked_at", "latency_ms", "verdict")


class SnapshotViewSet(ScopedReadOnlyViewSet):
    """Page snapshots of the user's sites (the baselines among them), with their visible text."""

    queryset = Snapshot.objects.select_related("site__website", "accepted_by").defer("features")
    serializer_class = serializers.SnapshotSerializer
    filterset_class = filtersets.SnapshotFilterSet
    ordering_fields = ("taken_at", "url")


class SiteEventViewSet(ScopedReadOnlyViewSet):
    """The timeline of the user's sites: status changes, alerts and what people did with them."""

    queryset = SiteEvent.objects.select_related("site__website", "alert", "user")
    serializer_class = serializers.SiteEventSerializer
    filterset_class = filtersets.SiteEventFilterSet
    ordering_fields = ("at", "kind")
