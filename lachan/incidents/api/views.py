from auditlog.signals import accessed
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from lachan.accounts.choices import ADMIN_ROLES
from lachan.core.api.serializers import django_errors
from lachan.core.api.viewsets import AuditActorMixin, ScopedModelViewSet
from lachan.core.scope import CHANGE, VIEW, user_role
from lachan.incidents import filtersets, listing, playbooks, reporting, services
from lachan.incidents.choices import Source
from lachan.incidents.deadlines import overdue_q
from lachan.incidents.models import (
    Incident,
    IncidentComment,
    IncidentEvidence,
    IncidentReport,
    ReportingRule,
    ResponsePlan,
)
from lachan.organizations.models import ExternalContact

from . import serializers


class IncidentConflictSerializer(drf_serializers.Serializer):
    detail = drf_serializers.CharField()
    current_version = drf_serializers.IntegerField()
    changed_by = drf_serializers.CharField(allow_null=True)
    changed_at = drf_serializers.DateTimeField(allow_null=True)


def conflict_response(exc):
    return Response({"detail": exc.message, "current_version": exc.current_version,
                     "changed_by": str(exc.changed_by) if exc.changed_by else None,
                     "changed_at": exc.changed_at.isoformat() if exc.changed_at else None}, status=409)


def call(function, *args, **kwargs):
    """A service call with its validation errors as API errors (400); ``VersionConflict`` is answered 409 by
    ``ConflictMixin``, PermissionDenied 403 by DRF."""
    try:
        return function(*args, **kwargs)
    except DjangoValidationError as exc:
        raise django_errors(exc) from None


class ConflictMixin:
    # A stale version: 409 with the current version and who changed the incident when (typed values, not the
    # strings an APIException would make of them).

    def handle_exception(self, exc):
        if isinstance(exc, services.VersionConflict):
            return conflict_response(exc)
        return super().handle_exception(exc)


CONFLICT = {409: OpenApiResponse(IncidentConflictSerializer, description="The incident changed since the version sent")}


class NoDeleteMixin:
    # Write-but-no-delete: unit users may not delete (403); coordinators and unit administrators may (audited).

    def perform_destroy(self, instance):
        if user_role(self.request.user) not in ADMIN_ROLES:
            raise PermissionDenied("Only coordinators and unit administrators may delete.")
        call(self.delete_service, instance, by=self.request.user)


class IncidentViewSet(ConflictMixin, NoDeleteMixin, ScopedModelViewSet):
    """Incidents of the user's units. Updates carry ``version`` (the one read); a stale version is answered 409."""

    queryset = Incident.objects.select_related("unit", "system__unit", "system__operator_unit").prefetch_related(
        "deadlines__rule")
    serializer_class = serializers.IncidentSerializer
    filterset_class = filtersets.IncidentFilterSet
    ordering_fields = ("detected_at", "created", "severity", "status")
    delete_service = staticmethod(services.incident_delete)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        unit = data.pop("unit")
        serializer.instance = call(services.incident_create, by=self.request.user, unit=unit, source=Source.API, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        data.pop("unit", None)
        serializer.instance = call(services.incident_update, serializer.instance, by=self.request.user,
                                   version=version, changes=data)

    @extend_schema(responses={200: serializers.IncidentSerializer, **CONFLICT})
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @extend_schema(responses={200: serializers.IncidentSerializer, **CONFLICT})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    def fresh(self, incident):
        return self.get_serializer(self.get_queryset().model.objects.select_related("unit", "system").prefetch_related(
            "deadlines__rule").get(pk=incident.pk)).data

    @extend_schema(methods=["GET"], request=None, responses=serializers.IncidentTransitionsSerializer)
    @extend_schema(methods=["POST"], request=serializers.IncidentTransitionSerializer,
                   responses={200: serializers.IncidentSerializer, **CONFLICT})
    @action(detail=True, methods=["get", "post"])
    def transitions(self, request, pk=None, *args, **kwargs):
        # GET: the statuses the incident may move to; POST {to, version, note, lessons_learned}: move it.
        incident = self.get_object()
        if request.method == "GET":
            return Response(serializers.IncidentTransitionsSerializer.of(incident))
        payload = serializers.IncidentTransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        stored = call(services.incident_transition, incident, by=request.user, to=data["to"], version=data["version"],
                      note=data["note"], lessons_learned=data["lessons_learned"])
        return Response(self.fresh(stored))

    @extend_schema(responses=serializers.IncidentEventSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def events(self, request, pk=None, *args, **kwargs):
        # The incident's timeline, oldest first.
        incident = self.get_object()
        return Response(serializers.IncidentEventSerializer(incident.events.select_related("actor"), many=True).data)

    @extend_schema(methods=["GET"], request=None, responses=serializers.IncidentIndicatorSerializer(many=True))
    @extend_schema(methods=["POST"], request=serializers.IncidentIndicatorSerializer,
                   responses={201: serializers.IncidentIndicatorSerializer})
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def indicators(self, request, pk=None, *args, **kwargs):
        # Indicators of compromise attached to the incident; POST {kind, value, note} attaches one.
        incident = self.get_object()
        if request.method == "GET":
            return Response(serializers.IncidentIndicatorSerializer(incident.indicators.all(), many=True).data)
        payload = serializers.IncidentIndicatorSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        indicator = call(services.indicator_add, incident=incident, by=request.user, kind=data["kind"],
                         value=data["value"], note=data.get("note", ""))
        return Response(serializers.IncidentIndicatorSerializer(indicator).data, status=201)

    @extend_schema(methods=["GET"], request=None, responses=serializers.IncidentSeriousStateSerializer)
    @extend_schema(methods=["POST"], request=serializers.IncidentSeriousOverrideSerializer,
                   responses={200: serializers.IncidentSeriousStateSerializer, **CONFLICT})
    @action(detail=True, methods=["get", "post"])
    def serious(self, request, pk=None, *args, **kwargs):
        # The serious flag (Decision 05/2017 criteria); POST {value: true|false|null, reason, version}: a
        # coordinator's override (null gives the flag back to the criteria).
        incident = self.get_object()
        if request.method == "GET":
            return Response(serializers.IncidentSeriousStateSerializer.of(incident))
        payload = serializers.IncidentSeriousOverrideSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        stored = call(services.serious_override, incident, by=request.user, value=data["value"],
                      reason=data["reason"], version=data["version"])
        return Response(serializers.IncidentSeriousStateSerializer.of(stored))

    @extend_schema(methods=["GET"], request=None, responses=serializers.IncidentDeadlineSerializer(many=True))
    @extend_schema(methods=["POST"], request=serializers.IncidentReportedSerializer,
                   responses={200: serializers.IncidentDeadlineSerializer})
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def deadlines(self, request, pk=None, *args, **kwargs):
        # The reporting clocks; POST {rule, note} records the report of that rule as sent (stops its clock).
        incident = self.get_object()
        if request.method == "GET":
            return Response(serializers.IncidentDeadlineSerializer(incident.deadlines.select_related("rule"), many=True).data)
        payload = serializers.IncidentReportedSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        deadline = call(services.deadline_mark_done, incident, by=request.user, rule=payload.validated_data["rule"],
                        note=payload.validated_data["note"])
        return Response(serializers.IncidentDeadlineSerializer(deadline).data)

    @extend_schema(methods=["GET"], request=None, responses=serializers.IncidentEscalationOptionsSerializer)
    @extend_schema(methods=["POST"], request=serializers.IncidentEscalateSerializer,
                   responses={201: serializers.IncidentReportSerializer, **CONFLICT})
    @action(detail=True, methods=["get", "post"])
    def escalate(self, request, pk=None, *args, **kwargs):
        # GET: whether the user may escalate, the directory contacts with an e-mail, the evidence files and the
        # size limit. POST: send the initial report (form 03 DOCX + "[TBSC]" e-mail) to directory contacts and/or
        # addresses, with evidence files attached; stops the reporting clocks it answers. Coordinators, the
        # unit's administrators and the operator on duty only (403 otherwise).
        incident = self.get_object()
        if request.method == "GET":
            return Response(serializers.IncidentEscalationOptionsSerializer.of(incident, request.user))
        payload = serializers.IncidentEscalateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        contacts = {c.pk: c for c in ExternalContact.objects.restrict(request.user, VIEW).filter(pk__in=data["contacts"])}
        missing = [pk for pk in data["contacts"] if pk not in contacts]
        if missing:
            raise drf_serializers.ValidationError({"contacts": [f"Unknown contact {pk}." for pk in missing]})
        report = call(reporting.incident_escalate, incident, by=request.user,
                      recipients=[*(contacts[pk] for pk in dict.fromkeys(data["contacts"])), *data["emails"]],
                      note=data["note"], attachments=data["evidence"], version=data["version"])
        return Response(serializers.IncidentReportSerializer(report, context={"request": request}).data, status=201)

    @extend_schema(responses=serializers.IncidentReportSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def reports(self, request, pk=None, *args, **kwargs):
        # The reports sent to the national bodies for this incident, newest first.
        incident = self.get_object()
        return Response(serializers.IncidentReportSerializer(reporting.reports_for(incident), many=True,
                                                             context={"request": request}).data)

    @extend_schema(methods=["GET"], request=None, responses=serializers.IncidentPlaybookSerializer(many=True))
    @extend_schema(methods=["POST"], request=serializers.IncidentPlaybookActionSerializer,
                   responses={200: serializers.IncidentPlaybookSerializer(many=True)})
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def playbooks(self, request, pk=None, *args, **kwargs):
        # The attached playbooks with their steps and progress; POST {key} attaches one, POST {step, done, note}
        # ticks (or unticks) a step.
        incident = self.get_object()
        if request.method == "POST":
            payload = serializers.IncidentPlaybookActionSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            data = payload.validated_data
            if data.get("step"):
                call(playbooks.step_tick, incident, by=request.user, step_id=data["step"], done=data["done"],
                     note=data["note"])
            elif data.get("key"):
                call(playbooks.playbook_attach, incident, by=request.user, key=data["key"])
            else:
                raise drf_serializers.ValidationError({"key": ["Give a playbook key or a step."]})
        return Response(serializers.IncidentPlaybookSerializer(playbooks.attached(incident), many=True).data)

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.annotate(is_overdue=overdue_q()) if self.action == "list" else queryset


class AppendOnlyViewSet(AuditActorMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.DestroyModelMixin, viewsets.GenericViewSet):
    # Comments and evidence are written once: no update route at all; reads in the view scope, writes in the
    # change scope (an object outside them is a 404).

    def get_queryset(self):
        action = VIEW if self.request.method in ("GET", "HEAD", "OPTIONS") else CHANGE
        return super().get_queryset().restrict(self.request.user, action)

    def get_serializer_context(self):
        return super().get_serializer_context() | {"user": self.request.user}


class IncidentCommentViewSet(NoDeleteMixin, AppendOnlyViewSet):
    """Comments on the incidents of the user's units (write-but-no-delete for unit users)."""

    queryset = IncidentComment.objects.select_related("incident", "author")
    serializer_class = serializers.IncidentCommentSerializer
    filterset_class = filtersets.IncidentCommentFilterSet
    ordering_fields = ("created",)
    delete_service = staticmethod(services.comment_delete)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = call(services.comment_add, incident=data["incident"], by=self.request.user,
                                   body=data["body"])


class IncidentEvidenceViewSet(NoDeleteMixin, AppendOnlyViewSet):
    """Evidence files of the user's units' incidents: upload (multipart), list, download (scoped, logged)."""

    queryset = IncidentEvidence.objects.select_related("incident", "uploaded_by")
    serializer_class = serializers.IncidentEvidenceSerializer
    filterset_class = filtersets.IncidentEvidenceFilterSet
    ordering_fields = ("created", "size")
    parser_classes = (MultiPartParser, FormParser, JSONParser)
    delete_service = staticmethod(services.evidence_delete)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = call(services.evidence_add, incident=data["incident"], by=self.request.user,
                                   file=data["file"], description=data.get("description", ""))

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], filterset_class=None)
    def download(self, request, pk=None, *args, **kwargs):
        # The file itself, as it was uploaded (the download is recorded in the audit trail).
        evidence = self.get_object()
        accessed.send(IncidentEvidence, instance=evidence)
        return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.file_name or "evidence",
                            content_type=evidence.content_type or "application/octet-stream")


class ReportingRuleViewSet(ScopedModelViewSet):
    """The reporting duties (deadlines per incident and periodic reports); coordinators edit them."""

    queryset = ReportingRule.objects.all()
    serializer_class = serializers.ReportingRuleSerializer
    filterset_class = filtersets.ReportingRuleFilterSet
    ordering_fields = ("order", "key")
    http_method_names = ["get", "post", "put", "patch", "head", "options"]  # rules are deactivated, not deleted

    def _save(self, serializer):
        from lachan.incidents.tasks import resync_deadlines  # not at import time (see views)

        super()._save(serializer)
        transaction.on_commit(resync_deadlines.enqueue)


class ScopedReadOnlyViewSet(AuditActorMixin, viewsets.ReadOnlyModelViewSet):
    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, VIEW)

    def get_serializer_context(self):
        return super().get_serializer_context() | {"user": self.request.user}


def file_response(obj, name, content_type):
    accessed.send(type(obj), instance=obj)
    return FileResponse(obj.file.open("rb"), as_attachment=True, filename=name, content_type=content_type)


class IncidentReportViewSet(ScopedReadOnlyViewSet):
    """Reports sent to the national bodies (read-only: they are written by the ``escalate`` action)."""

    queryset = IncidentReport.objects.select_related("incident", "sent_by")
    serializer_class = serializers.IncidentReportSerializer
    filterset_class = listing.IncidentReportFilterSet
    ordering_fields = ("sent_at",)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], filterset_class=None)
    def download(self, request, pk=None, *args, **kwargs):
        # The DOCX exactly as it was sent (its SHA-256 is the report's ``sha256``); recorded in the audit trail.
        report = self.get_object()
        return file_response(report, report.file_name or "bao-cao.docx", reporting.form03.CONTENT_TYPE)


class ResponsePlanViewSet(ScopedReadOnlyViewSet):
    """Emergency response plans of the user's units (uploaded and edited in the web interface)."""

    queryset = ResponsePlan.objects.select_related("unit")
    serializer_class = serializers.ResponsePlanSerializer
    filterset_class = listing.ResponsePlanFilterSet
    ordering_fields = ("next_review_on", "approved_on")

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], filterset_class=None)
    def download(self, request, pk=None, *args, **kwargs):
        plan = self.get_object()
        return file_response(plan, plan.file_name or "ke-hoach", plan.content_type or "application/octet-stream")
