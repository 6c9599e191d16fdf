
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from lachan.core import tabular
from lachan.core.exports import CONTENT_TYPES, export_filename
from lachan.core.scope import CHANGE, VIEW, can
from lachan.core.views import generic
from lachan.organizations.models import Unit

from . import filtersets, forms, report, selectors, services, tables
from .checks import CHECKS, run_check
from .choices import MatchDecision
from .matrix_render import matrix_html, matrix_sheet
from .models import Directive, Dispatch, RecipientMatch, TaskAnswer


class ReadOnlyMixin:
    """Pages with their own actions (no generic edit/delete routes)."""

    def base_context(self):
        return super().base_context() | {"can_change": False}


class ObjectPage(LoginRequiredMixin, View):
    """A page about one object (``model`` tells the isolation sweep which); 404 outside the user's scope."""

    model = Directive
    action = VIEW

    def get_object(self, pk, action=None):
        return get_object_or_404(self.model.objects.restrict(self.request.user, action or self.action), pk=pk)


# --- directives ----------------------------------------------------------------------------------------------


class DirectiveListView(ReadOnlyMixin, generic.ObjectListView):
    model = Directive
    filterset_class = filtersets.DirectiveFilterSet
    table_class = tables.DirectiveTable
    select_related = ("unit",)

    def base_context(self):
        return super().base_context() | {"can_import": can(self.request.user, Directive, CHANGE)}


class DirectiveDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    model = Directive
    select_related = ("unit", "parent", "created_by")

    def get_extra_context(self, obj):
        user = self.request.user
        manages = Directive.objects.restrict(user, CHANGE).filter(pk=obj.pk).exists()
        received = Dispatch.objects.restrict(user, CHANGE).filter(directive=obj).select_related("unit")
        return {
            "tasks": obj.tasks.select_related("target_group"),
            "manages": manages,
            "received": received,
            "children": Directive.objects.restrict(user, VIEW).filter(parent=obj).select_related("unit"),
            "parent_visible": obj.parent_id and Directive.objects.restrict(user, VIEW).filter(pk=obj.parent_id).exists(),
            "dispatch_count": obj.dispatches.count() if manages else None,
            "checks": CHECKS,
        }


class DirectiveImportView(LoginRequiredMixin, View):
    """Upload a letter → parsed → the review screen. Nothing is stored when the file is not a document."""

    model = Directive

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can(request.user, Directive, CHANGE):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, "directives/directive_import.html",
                      {"form": forms.DirectiveImportForm(user=request.user)})

    def post(self, request):
        form = forms.DirectiveImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                directive = services.directive_import(form.cleaned_data["file"], by=request.user,
                                                      unit=form.cleaned_data["unit"])
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                messages.success(request, _("The letter was read: %(count)d tasks. Check the fields below.")
                                 % {"count": directive.tasks.count()})
                return redirect("directives:directive_review", directive.pk)
        return render(request, "directives/directive_import.html", {"form": form})


def _task_initial(task):
    return {"id": task.pk, "text": task.text, "deadline": task.deadline, "target": task.target,
            "target_group": task.target_group_id, "target_kind": task.target_kind, "check_key": task.check_key}


class DirectiveReviewView(ObjectPage):
    """Correct the parsed fields and the tasks (deadline, target, live check)."""

    action = CHANGE

    def render_page(self, directive, form, formset):
        return render(self.request, "directives/directive_review.html",
                      {"object": directive, "form": form, "formset": formset})

    def get(self, request, pk):
        directive = self.get_object(pk)
        form = forms.DirectiveReviewForm(initial={n: getattr(directive, n) for n in services.EDITABLE_FIELDS})
        formset = forms.TaskFormSet(initial=[_task_initial(t) for t in directive.tasks.all()], prefix="tasks")
        return self.render_page(directive, form, formset)

    def post(self, request, pk):
        directive = self.get_object(pk)
        form = forms.DirectiveReviewForm(request.POST)
        formset = forms.TaskFormSet(request.POST, prefix="tasks")
        if form.is_valid() and formset.is_valid():
            rows, drop = [], []
            for data in formset.cleaned_data:
                if not data or (not data.get("id") and not data.get("text")):
                    continue
                if data.get("DELETE"):
                    if data.get("id"):
                        drop.append(data["id"])
                    continue
                rows.append({k: v for k, v in data.items() if k != "DELETE"} | {"target_kind": data.get("target_kind") or ""})
            try:
                services.directive_update(directive, by=request.user, fields=form.cleaned_data, tasks=rows,
                                          delete_task_ids=drop)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Saved %(object)s.") % {"object": directive})
                return redirect(directive.get_absolute_url())
        return self.render_page(directive, form, formset)


class DirectiveRecipientsView(ObjectPage):
    """Recipient names of the letter → units; the names not matched automatically wait for a decision."""

    action = CHANGE

    def get(self, request, pk):
        directive = self.get_object(pk)
        matches = services.recipients_resolve(directive, by=request.user)
        units = services.candidate_units(directive) & Unit.objects.restrict(request.user, VIEW)
        return render(request, "directives/directive_recipients.html",
                      {"object": directive, "matches": matches, "units": units.order_by("path")[:2000],
                       "decisions": MatchDecision.choices})

    def post(self, request, pk):
        directive = self.get_object(pk)
        errors = []
        for match in RecipientMatch.objects.filter(directive=directive):
            decision = request.POST.get(f"decision_{match.pk}")
            if not decision or decision == MatchDecision.PENDING:
                continue
            unit = None
            if request.POST.get(f"unit_{match.pk}"):
                unit = Unit.objects.restrict(request.user, VIEW).filter(pk=request.POST[f"unit_{match.pk}"]).first()
            try:
                services.recipient_decide(match, by=request.user, decision=decision, unit=unit)
            except ValidationError as exc:
                errors.extend(exc.messages)
        for error in errors:
            messages.error(request, error)
        if not errors:
            messages.success(request, _("Decisions saved."))
        return redirect("directives:directive_recipients", directive.pk)


class DirectiveDispatchView(ObjectPage):
    action = CHANGE

    def get(self, request, pk):
        directive = self.get_object(pk)
        initial = {"units": list(services.resolved_units(directive).values_list("pk", flat=True))}
        form = forms.DispatchForm(initial=initial, user=request.user, directive=directive)
        return render(request, "directives/directive_dispatch.html", {"object": directive, "form": form})

    def post(self, request, pk):
        directive = self.get_object(pk)
        form = forms.DispatchForm(request.POST, user=request.user, directive=directive)
        if form.is_valid():
            try:
                sent = services.directive_dispatch(directive=directive, units=form.cleaned_data["units"],
                                                   by=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Dispatched to %(count)d units.") % {"count": len(sent)})
                return redirect("directives:directive_matrix", directive.pk)
        return render(request, "directives/directive_dispatch.html", {"object": directive, "form": form})


class DirectiveMatrixView(ObjectPage):
    """Units × tasks: one row per recipient unit, one column per task (``?export=xlsx``)."""

    def get(self, request, pk):
        directive = self.get_object(pk)
        form = forms.MatrixFilterForm(request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        matrix = selectors.matrix(directive, request.user, group=filters.get("group"), status=filters.get("status"),
                                  overdue=filters.get("overdue") or False)
        if request.GET.get("export") == "xlsx":
            content = tabular.write_xlsx([matrix_sheet(matrix)])
            response = HttpResponse(content, content_type=CONTENT_TYPES["xlsx"])
            stem = f"ma-tran-{directive.pk}"
            response["Content-Disposition"] = f'attachment; filename="{export_filename(stem, "xlsx")}"'
            return response
        if request.GET.get("export"):
            raise Http404
        return render(request, "directives/directive_matrix.html",
                      {"object": directive, "matrix": matrix, "form": form, "table": matrix_html(matrix)})


class DirectiveReportView(ObjectPage):
    """The consolidated report (DOCX, Decree 30 layout) of what the user's matrix shows: same scope as the matrix."""

    def get(self, request, pk):
        directive = self.get_object(pk)
        content = report.directive_report(directive, request.user)
        response = HttpResponse(content, content_type=report.DOCX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{export_filename(f"bao-cao-{directive.pk}", "docx")}"'
        return response


class DirectiveReissueView(ObjectPage):
    """A recipient passes the directive on to its own sub-units (keeping, dropping or adding tasks)."""

    def received(self, directive):
        dispatch = (Dispatch.objects.restrict(self.request.user, CHANGE).filter(directive=directive)
                    .select_related("unit").order_by("unit__depth").first())
        if dispatch is None or not Unit.objects.restrict(self.request.user, CHANGE).filter(pk=dispatch.unit_id).exists():
            raise Http404
        return dispatch

    def get(self, request, pk):
        directive = self.get_object(pk)
        dispatch = self.received(directive)
        form = forms.ReissueForm(directive=directive, initial={"keep": [str(t.pk) for t in directive.tasks.all()]})
        return render(request, "directives/directive_reissue.html",
                      {"object": directive, "form": form, "unit": dispatch.unit})

    def post(self, request, pk):
        directive = self.get_object(pk)
        dispatch = self.received(directive)
        form = forms.ReissueForm(request.POST, directive=directive)
        if form.is_valid():
            extra = [{"text": line} for line in form.cleaned_data["extra"].splitlines() if line.strip()]
            try:
                child = services.directive_reissue(parent=directive, unit=dispatch.unit, by=request.user,
                                                   keep_task_ids=[int(k) for k in form.cleaned_data["keep"]],
                                                   extra_tasks=extra)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Draft re-issue created: set deadlines, then dispatch it."))
                return redirect("directives:directive_review", child.pk)
        return render(request, "directives/directive_reissue.html",
                      {"object": directive, "form": form, "unit": dispatch.unit})


# --- dispatches (the unit's inbox) -----------------------------------------------------------------------------


class DispatchListView(ReadOnlyMixin, generic.ObjectListView):
    model = Dispatch
    filterset_class = filtersets.DispatchFilterSet
    table_class = tables.DispatchTable
    select_related = ("unit", "directive")


class DispatchDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    model = Dispatch
    select_related = ("unit", "directive__unit", "acknowledged_by")

    def get_extra_context(self, obj):
        user = self.request.user
        answers = (TaskAnswer.objects.restrict(user, VIEW).filter(task__directive=obj.directive, unit=obj.unit)
                   .select_related("task").order_by("task__ordinal"))
        writable = set(TaskAnswer.objects.restrict(user, CHANGE).filter(pk__in=[a.pk for a in answers])
                       .values_list("pk", flat=True))
        rows = [(a, a.pk in writable, run_check(a.task.check_key, obj.unit)) for a in answers]
        return {"answers": rows, "may_acknowledge": Dispatch.objects.restrict(user, CHANGE).filter(pk=obj.pk).exists(),
                "directive_visible": True}


class DispatchAcknowledgeView(ObjectPage):
    model = Dispatch
    action = CHANGE

    def get(self, request, pk):
        return redirect(self.get_object(pk).get_absolute_url())

    def post(self, request, pk):
        dispatch = self.get_object(pk)
        services.dispatch_acknowledge(dispatch=dispatch, by=request.user)
        messages.success(request, _("Receipt acknowledged."))
        return redirect(dispatch.get_absolute_url())


# --- answers ---------------------------------------------------------------------------------------------------


class TaskAnswerListView(ReadOnlyMixin, generic.ObjectListView):
    model = TaskAnswer
    filterset_class = filtersets.TaskAnswerFilterSet
    table_class = tables.TaskAnswerTable
    select_related = ("unit", "task")


class TaskAnswerDetailView(ReadOnlyMixin, generic.ObjectDetailView):
    model = TaskAnswer
    select_related = ("unit", "task__directive", "answered_by")

    def get_extra_context(self, obj):
        return {"may_answer": TaskAnswer.objects.restrict(self.request.user, CHANGE).filter(pk=obj.pk).exists(),
                "check": run_check(obj.task.check_key, obj.unit),
                "check_label": CHECKS.get(obj.task.check_key, ("",))[0]}


class TaskAnswerEditView(ObjectPage):
    """The unit answers one task: status, note, reason, evidence file."""

    model = TaskAnswer
    action = CHANGE

    def render_page(self, answer, form):
        return render(self.request, "directives/taskanswer_form.html",
                      {"object": answer, "form": form, "check": run_check(answer.task.check_key, answer.unit),
                       "check_label": CHECKS.get(answer.task.check_key, ("",))[0]})

    def get(self, request, pk):
        answer = self.get_object(pk)
        form = forms.AnswerForm(initial={"status": answer.status, "note": answer.note, "reason": answer.reason})
        return self.render_page(answer, form)

    def post(self, request, pk):
        answer = self.get_object(pk)
        form = forms.AnswerForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.task_answer(answer=answer, by=request.user, status=data["status"], note=data["note"],
                                     reason=data["reason"], evidence=data["evidence"])
            except ValidationError as exc:
                generic._attach_errors(form, exc)
            else:
                messages.success(request, _("Answer saved."))
                dispatch = Dispatch.objects.filter(directive=answer.task.directive, unit=answer.unit).first()
                return redirect(dispatch.get_absolute_url() if dispatch else answer.get_absolute_url())
        return self.render_page(answer, form)


class TaskAnswerEvidenceView(generic.ObjectFileView):
    """Download an answer's evidence file: the answering unit, its ancestors and the issuing side (audited)."""

    model = TaskAnswer
    file_field = "evidence"

    def file_name(self, obj):
        return obj.evidence_name or "evidence"
