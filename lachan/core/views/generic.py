"""NetBox-style generic views. Every queryset goes through ``restrict(user, action)``;
a view never reaches an object outside the user's scope (404, not 403, so nothing leaks)."""

from pathlib import Path

from auditlog.signals import accessed
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import select_template
from django.utils.translation import gettext as _
from django.views import View
from django_tables2 import RequestConfig

from lachan.core.forms import ImportForm
from lachan.core.scope import CHANGE, VIEW, can


def _meta(model):
    return model._meta


class ObjectViewMixin(LoginRequiredMixin):
    model = None
    action = VIEW

    select_related = ()  # foreign keys the pages show, joined in the same query

    def get_queryset(self, action=None):
        queryset = self.model.objects.restrict(self.request.user, action or self.action)
        return queryset.select_related(*self.select_related) if self.select_related else queryset

    def template_for(self, suffix):
        meta = _meta(self.model)
        return select_template([f"{meta.app_label}/{meta.model_name}_{suffix}.html", f"core/object_{suffix}.html"])

    def base_context(self):
        meta = _meta(self.model)
        return {
            "model_meta": meta,
            "verbose_name": meta.verbose_name,
            "verbose_name_plural": meta.verbose_name_plural,
            "url_prefix": f"{meta.app_label}:{meta.model_name}",
            "can_change": can(self.request.user, self.model, CHANGE),
            "can_import": can(self.request.user, self.model, CHANGE) and self.importer is not None,
        }

    importer = None


class ObjectListView(ObjectViewMixin, View):
    filterset_class = None
    table_class = None
    exporter = None  # callable(queryset, fmt) -> HttpResponse

    def get_filterset(self):
        return self.filterset_class(self.request.GET or None, queryset=self.get_queryset(), request=self.request)

    def get(self, request):
        filterset = self.get_filterset()
        queryset = filterset.qs if filterset.is_bound else self.get_queryset()
        export = request.GET.get("export")
        if export:
            if export not in ("csv", "xlsx") or self.exporter is None:
                raise Http404
            return self.exporter(queryset, export)
        table = self.table_class(queryset, request=request)
        RequestConfig(request, paginate={"per_page": _per_page(request)}).configure(table)
        context = self.base_context() | {"table": table, "filterset": filterset, "can_export": self.exporter is not None}
        template = "core/object_list_table.html" if request.htmx and request.htmx.target == "object-table" else None
        return render(request, template or self.template_for("list").template.name, context)


def _per_page(request):
    try:
        return max(10, min(int(request.GET.get("per_page", 50)), 500))
    except ValueError:
        return 50


class ObjectDetailView(ObjectViewMixin, View):
    def get_extra_context(self, obj):
        return {}

    def get(self, request, pk):
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        fields = _display_fields(obj, request.user)
        context = self.base_context() | {"object": obj, "fields": fields} | self.get_extra_context(obj)
        context["can_change"] = context["can_change"] and self.get_queryset(CHANGE).filter(pk=obj.pk).exists()
        return render(request, self.template_for("detail").template.name, context)


def _display_fields(obj, user):
    """Editable fields of ``obj`` for the detail page, minus the model's ``detail_hidden_fields``
    (secrets and internals such as a user's password hash). A related object outside the user's scope
    (a re-issued directive's parent sent to others…) is shown by name only, never as a link to a 404."""
    hidden = {"id", *getattr(obj, "detail_hidden_fields", ())}
    rows = []
    for field in obj._meta.fields:
        if not field.editable or field.name in hidden:
            continue
        getter = getattr(obj, f"get_{field.name}_display", None)
        value = getter() if getter else getattr(obj, field.name)
        if isinstance(value, models.Model) and not _visible(value, user):
            value = str(value)
        rows.append((field.verbose_name, value, field))
    for field in obj._meta.many_to_many:
        if field.name in hidden:
            continue
        rows.append((field.verbose_name, ", ".join(str(o) for o in getattr(obj, field.name).all()), field))
    return rows


def _visible(related, user):
    restrict = getattr(type(related).objects, "restrict", None)
    return restrict is None or restrict(user, VIEW).filter(pk=related.pk).exists()


class ObjectFileView(ObjectViewMixin, View):
    """Download the file held in ``file_field`` of one object the user may see (404 outside the scope or
    when there is no file). Every download is an "access" entry of the audit trail (who, when, which)."""

    file_field = None

    def file_name(self, obj):
        return Path(getattr(obj, self.file_field).name).name

    def get(self, request, pk):
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        stored = getattr(obj, self.file_field)
        if not stored:
            raise Http404
        accessed.send(obj.__class__, instance=obj)
        return FileResponse(stored.open("rb"), as_attachment=True, filename=self.file_name(obj) or "file")


class ObjectEditView(ObjectViewMixin, View):
    """Create (pk is None) or update. ``save_form(form)`` may be overridden to call a service."""

    form_class = None
    action = CHANGE

    def save_form(self, form):
        return form.save()

    def get_object(self, pk):
        if pk is None:
            if not can(self.request.user, self.model, CHANGE):
                raise PermissionDenied
            return self.model()
        return get_object_or_404(self.get_queryset(CHANGE), pk=pk)

    def initial(self):
        initial = {}
        if "unit" in self.form_class.base_fields and getattr(self.request.user, "unit_id", None):
            initial["unit"] = self.request.user.unit_id
        for key, value in self.request.GET.items():
            if key in self.form_class.base_fields:
                initial[key] = value
        return initial

    def render_form(self, form, obj):
        context = self.base_context() | {"form": form, "object": obj}
        return render(self.request, self.template_for("edit").template.name, context)

    def get(self, request, pk=None):
        obj = self.get_object(pk)
        form = self.form_class(instance=obj, user=request.user, initial=self.initial() if pk is None else None)
        return self.render_form(form, obj)

    def post(self, request, pk=None):
        obj = self.get_object(pk)
        form = self.form_class(request.POST, request.FILES, instance=obj, user=request.user)
        if form.is_valid():
            try:
                with transaction.atomic():
                    obj = self.save_form(form)
            except ValidationError as exc:
                _attach_errors(form, exc)
            else:
                messages.success(request, _("Saved %(object)s.") % {"object": obj})
                return redirect(obj.get_absolute_url())
        return self.render_form(form, obj)


def _attach_errors(form, exc):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class ObjectDeleteView(ObjectViewMixin, View):
    action = CHANGE

    def get(self, request, pk):
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        return render(request, "core/object_delete.html", self.base_context() | {"object": obj})

    def post(self, request, pk):
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        meta = _meta(self.model)
        try:
            with transaction.atomic():
                obj.delete()
        except ProtectedError as exc:
            blocking = ", ".join(sorted({str(o) for o in list(exc.protected_objects)[:5]}))
            messages.error(request, _("Cannot delete %(object)s: still used by %(blocking)s.") % {"object": obj, "blocking": blocking})
            return redirect(obj.get_absolute_url())
        messages.success(request, _("Deleted %(object)s.") % {"object": obj})
        return redirect(f"{meta.app_label}:{meta.model_name}_list")


class ObjectImportView(ObjectViewMixin, View):
    """Upload CSV/XLSX → row-level validation report; all rows are written or none."""

    action = CHANGE

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can(request.user, self.model, CHANGE):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, "core/object_import.html", self.base_context() | {"form": ImportForm(), "importer": self.importer})

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        result = None
        if form.is_valid():
            upload = form.cleaned_data["file"]
            result = self.importer(user=request.user).run_upload(upload, dry_run=form.cleaned_data["dry_run"])
            if result.ok and not result.dry_run:
                messages.success(request, result.summary())
        context = self.base_context() | {"form": form, "result": result, "importer": self.importer}
        return render(request, "core/object_import.html", context)
