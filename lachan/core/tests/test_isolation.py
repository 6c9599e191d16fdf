"""The isolation sweep: no route of the project shows, changes, deletes, exports or imports another unit's objects.

The sweep walks EVERY URL pattern (``get_resolver().url_patterns``, recursively) and every API route,
with a user of unit A (a unit member, then a unit administrator), after creating one object of every scoped
model in unit B, each carrying a unique marker in its text fields (and distinctive addresses). It proves:

* list pages, their searches (``?q=``), filters and exports (``?export=csv|xlsx``) and API lists (JSON and
  the browsable HTML) never contain B's marker, addresses or links, and the filter drop-downs and form
  drop-downs offer none of B's objects;
* detail / edit / delete routes with a B primary key are 404 on GET and POST (405 where the view has no POST),
  and B's objects stay unchanged and present;
* API detail GET/PUT/PATCH/DELETE on B's objects are 404 (403 where the role may not write that model at all);
* creating through a form, an import or the API with B's unit/system/host is refused and creates nothing,
  and an A object cannot be moved onto B's objects;
* the positive side: A's own objects are listed and shown to A, and the coordinator sees B's.

Routes are discovered, not listed: each one is classified by its view (generic views expose ``model``,
API viewsets ``queryset.model``). A route the sweep cannot classify makes the test FAIL; either give its
view a ``model`` (generic views) or, for a page that shows no objects, add it to ``NON_OBJECT_ROUTES`` with
the reason (the sweep still checks that B's marker is absent from it).
"""

import csv
import io
from dataclasses import dataclass, field
from types import ModuleType, SimpleNamespace

import pytest
from django import forms
from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.module_loading import import_string
from rest_framework.authtoken.models import Token
from rest_framework.relations import ManyRelatedField, RelatedField

from lachan.accounts.choices import Role
from lachan.core.scope import CHANGE, can
from lachan.core.views import generic
from lachan.organizations.models import Unit
from lachan.testing.factories import FACTORIES, UserFactory, make_for_unit

MARKER_B = "zqxbsecretmark"  # in every text field of every object of unit B
MARKER_A = "zqxaownmark"  # in every text field of every object of unit A
SEARCH_B = MARKER_B[2:-2]  # a search term matching B's marker; a page may echo it, but never the whole marker
SEARCH_A = MARKER_A[2:-2]
PREFIX_A, PREFIX_B = "198.51.100.0/24", "198.51.100.128/25"  # B's prefix lies inside A's: overlap reports
HOST_IP_A, HOST_IP_B = "192.0.2.10", "192.0.2.77"
LEAK_TOKENS = (MARKER_B, PREFIX_B, HOST_IP_B)

# Routes that show no object of any model. Each still gets GET (and GET ?q=) with the A user and must not
# contain any of B's tokens. Keep this list small: a page that lists objects must be a generic view with a
# ``model`` so that the sweep checks it fully.
NON_OBJECT_ROUTES = {
    "core:dashboard": "counts of the user's own scope",
    "core:healthz": "liveness probe",
    "core:auditlog": "coordinators and auditors only (403 for unit users)",
    "core:search": "global search, every model through restrict(); checked with ?q= below",
    "core:autocomplete": "choices of every searchable model through restrict(); checked per model below",
    "accounts:login": "login form",
    "accounts:logout": "logout (POST only)",
    "accounts:two_factor": "TOTP set-up/verification of the user themself",
    "accounts:password_change": "the user's own password",
    "accounts:account": "the user's own account and second-factor status",
    "set_language": "language switch",
    "api-root": "the list of API endpoints",
    "api-schema": "OpenAPI schema (no data)",
    "api-docs": "Swagger UI page (no data)",
}
# Non-object routes visited last (they may change the session or create the user's own TOTP device).
LATE_ROUTES = {"accounts:two_factor", "accounts:logout", "set_language"}

TEXT_SKIP = {"password", "username", "prefix", "ip_addresses", "cpe", "phones", "hotline", "emails", "roles"}




# --------------------------------------------------------------------------------------------- routes


@dataclass
class Route:
    name: str | None
    pattern: str
    callback: object
    params: tuple

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None)

    @property
    def viewset(self):
        """The DRF viewset class when the route comes from the API router (``as_view(actions)``)."""
        if getattr(self.callback, "actions", None) is not None:
            return getattr(self.callback, "cls", None)
        return None


def _params(pattern):
    return tuple(pattern.regex.groupindex)  # named groups, for path() converters and re_path() alike


def iter_routes(patterns=None, prefix="", namespace=None, params=()):
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from iter_routes(entry.url_patterns, prefix + str(entry.pattern), full_ns,
                                   params + _params(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Route(name, prefix + str(entry.pattern), entry.callback, params + _params(entry.pattern))


def classify(route):
    """(kind, model) or None. Kinds: non-object, ui-list/detail/edit/add/delete/import/other, api."""
    if route.name in NON_OBJECT_ROUTES:
        return "non-object", None
    viewset = route.viewset
    if viewset is not None:
        queryset = getattr(viewset, "queryset", None)
        return ("api", queryset.model) if queryset is not None else None
    view_class = route.view_class
    model = getattr(view_class, "model", None) if view_class is not None else None
    if model is None:
        return None
    kinds = [
        (generic.ObjectListView, "ui-list"),
        (generic.ObjectDetailView, "ui-detail"),
        (generic.ObjectEditView, "ui-edit" if "pk" in route.params else "ui-add"),
        (generic.ObjectDeleteView, "ui-delete"),
        (generic.ObjectImportView, "ui-import"),
    ]
    for base, kind in kinds:
        if issubclass(view_class, base):
            return kind, model
    return "ui-other", model


# --------------------------------------------------------------------------------------------- data


def is_global(model):
    return getattr(model, "scope_unit", "unit") is None


def coordinators_only(model):
    """Rows no unit user sees at all (the coordinators' queues): A's own must be hidden from A too."""
    return getattr(model._default_manager.all(), "coordinators_only", False)


def scoped_models():
    return [m for m in apps.get_models() if hasattr(m._default_manager, "restrict")]


def stamped(model, marker):
    """Put ``marker`` into every free-text field of ``model`` (URLs and e-mails get it in their host part)."""
    values = {}
    for f in model._meta.concrete_fields:
        if not f.editable or f.primary_key or f.choices or f.name in TEXT_SKIP:
            continue
        if isinstance(f, models.URLField):
            values[f.name] = f"https://{marker}-{f.name}.example.vn/"
        elif isinstance(f, models.EmailField):
            values[f.name] = f"{marker}@example.vn"
        elif isinstance(f, models.CharField | models.TextField):
            values[f.name] = marker[: f.max_length] if f.max_length else marker
    return values


def _dependency_order(model_list):
    """Models sorted so that each comes after the scoped models it points to (Host after InformationSystem)."""
    ordered, pending = [], list(model_list)
    while pending:
        for model in pending:
            deps = {f.related_model for f in model._meta.concrete_fields if f.is_relation} & set(pending)
            deps.discard(model)
            if not deps:
                ordered.append(model)
                pending.remove(model)
                break
        else:  # a cycle: keep the declared order for the rest
            ordered += pending
            break
    return ordered


def build_objects(unit, marker, extra):
    """One object of every scoped, non-global model, owned by ``unit``, pointing at the unit's own
    system/host, with ``marker`` in every text field."""
    objects = {}
    for model in _dependency_order([m for m in FACTORIES if not is_global(m)]):
        kwargs = stamped(model, marker) | extra.get(model, {})
        for f in model._meta.concrete_fields:
            if f.is_relation and f.null and f.related_model in objects and f.related_model is not Unit:
                kwargs[f.name] = objects[f.related_model]
        objects[model] = make_for_unit(model, unit, **kwargs)
    return objects


@dataclass
class World:
    tree: dict
    users: dict
    a: dict  # model -> A's object (global models: the shared object)
    b: dict  # model -> B's object
    b_values: dict = field(default_factory=dict)  # model -> {field: value} snapshot of B's objects


def make_world(tree, users):
    from lachan.inventory.models import Domain, Host, IPPrefix

    # Unit B itself carries the marker too (its name must not appear in any drop-down of A).
    Unit.objects.filter(pk=tree["b"].pk).update(name=f"{MARKER_B} unit", short_name=MARKER_B)
    tree["b"].refresh_from_db()
    # Values that must pass the forms (imports and edits reuse A's values).
    a = build_objects(tree["a"], MARKER_A, {IPPrefix: {"prefix": PREFIX_A}, Host: {"ip_addresses": HOST_IP_A},
                                            Domain: {"name": f"{MARKER_A}.example.vn"}})
    b = build_objects(tree["b"], MARKER_B, {IPPrefix: {"prefix": PREFIX_B}, Host: {"ip_addresses": HOST_IP_B},
                                            Domain: {"name": f"{MARKER_B}.example.vn"}})
    for model in FACTORIES:
        if is_global(model):
            a[model] = make_for_unit(model, tree["a"])
    # Global objects related to both units (a unit group holding A's and B's units): their pages must list
    # A's related objects only.
    for objects in (a, b):
        for model, obj in list(objects.items()):
            for m2m in model._meta.many_to_many:
                if is_global(m2m.related_model) and m2m.related_model in a:
                    getattr(obj, m2m.name).add(a[m2m.related_model])
    world = World(tree=tree, users=users, a=a, b=b)
    world.b_values = {model: snapshot(obj) for model, obj in b.items()}
    return world


def snapshot(obj):
    obj = type(obj)._default_manager.get(pk=obj.pk)
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.name not in ("updated",)}


def b_objects_of(world, model):
    """B's objects of ``model`` (for units: B and its stamped sub-unit)."""
    found = [world.b[model]] if model in world.b else []
    if model is Unit:
        found.append(world.tree["b"])
    return found


# --------------------------------------------------------------------------------------------- responses


def body_text(response):
    raw = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    content_type = response.get("Content-Type", "")
    if "wordprocessingml" in content_type:  # DOCX reports: every paragraph and table cell
        from docx import Document

        document = Document(io.BytesIO(raw))
        return "\n".join([p.text for p in document.paragraphs]
                         + [c.text for t in document.tables for r in t.rows for c in r.cells])
    if "spreadsheetml" in content_type or raw[:2] == b"PK":
        import openpyxl

        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
        cells = []
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows(values_only=True):
                cells.extend(str(v) for v in row if v is not None)
        return "\n".join(cells)
    return raw.decode("utf-8-sig", errors="replace")


def csv_rows(text):
    return list(csv.reader(io.StringIO(text)))


class Sweep:
    def __init__(self, client, world, user):
        self.client = client
        self.world = world
        self.user = user
        self.problems = []
        self.visited = {}
        self.edit_views = {}
        token = Token.objects.create(user=user)
        self.api_headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}

    # ----- helpers

    def problem(self, route, message):
        self.problems.append(f"[{self.user.username}] {route.name or route.pattern}: {message}")

    def request(self, method, url, route, data=None, api=False, **extra):
        kwargs = dict(self.api_headers) if api else {}
        kwargs.update(extra)
        if api and data is not None and method != "get":
            kwargs["content_type"] = "application/json"
        send = getattr(self.client, method)
        response = send(url, data, **kwargs) if data is not None else send(url, **kwargs)
        if response.status_code >= 500:
            self.problem(route, f"{method.upper()} {url} → {response.status_code}")
        return response

    def assert_no_leak(self, route, response, what):
        text = body_text(response)
        for token in LEAK_TOKENS:
            if token in text:
                self.problem(route, f"{what}: response contains B's {token!r}")
        for model in FACTORIES:
            if is_global(model):
                continue
            for obj in b_objects_of(self.world, model):
                url = obj.get_absolute_url()
                if f'href="{url}"' in text:
                    self.problem(route, f"{what}: response links to B's {model.__name__} ({url})")
        return text

    def assert_choices_in_scope(self, route, form, what):
        """No drop-down of ``form`` offers any of B's objects."""
        if form is None:
            return
        for name, form_field in form.fields.items():
            queryset = getattr(form_field, "queryset", None)
            if queryset is None or is_global(queryset.model):
                continue
            for obj in b_objects_of(self.world, queryset.model):
                if queryset.filter(pk=obj.pk).exists():
                    self.problem(route, f"{what}: drop-down {name!r} offers B's {obj._meta.model_name} {obj.pk}")

    def context(self, response, key):
        try:
            return response.context[key] if response.context is not None else None
        except KeyError:
            return None

    def b_unchanged(self, route, model, what):
        if model not in self.world.b:
            return
        obj = self.world.b[model]
        current = model._default_manager.filter(pk=obj.pk).first()
        if current is None:
            self.problem(route, f"{what}: B's {model.__name__} was deleted")
        elif snapshot(current) != self.world.b_values[model]:
            self.problem(route, f"{what}: B's {model.__name__} was changed")

    def object_filters(self, filterset_class):
        """(name, model) of every object filter of a filterset (``?unit=``, ``?system=`` …)."""
        for name, filter_ in getattr(filterset_class, "base_filters", {}).items():
            queryset = filter_.extra.get("queryset")
            if callable(queryset):
                queryset = queryset(SimpleNamespace(user=self.user))
            model = getattr(queryset, "model", None)
            if model is not None:
                yield name, model

    def can_change(self, model):
        return can(self.user, model, CHANGE)

    def url(self, route, **kwargs):
        return reverse(route.name, kwargs=kwargs)

    def route_kwargs(self, route, pk=None):
        kwargs = {}
        for param in route.params:
            if param == "pk":
                if pk is None:
                    return None
                kwargs["pk"] = pk
            elif param == "format":
                kwargs["format"] = "json"
            else:
                self.problem(route, f"unknown URL parameter {param!r}: teach the isolation sweep how to fill it")
                return None
        return kwargs

    # ----- form data

    def form_data(self, form_class, instance, b_fields=True):
        """POST data for ``form_class`` from ``instance``'s values, with every relation to a scoped model
        pointing at B's object (``b_fields``). Returns (data, names of the fields pointing at B)."""
        form = form_class(instance=instance, user=self.user)
        data, pointed = {}, []
        for name, form_field in form.fields.items():
            value = form.initial.get(name, form_field.initial)
            queryset = getattr(form_field, "queryset", None)
            if b_fields and queryset is not None and not is_global(queryset.model):
                targets = b_objects_of(self.world, queryset.model)
                if targets:
                    many = isinstance(form_field, forms.ModelMultipleChoiceField)
                    value = [targets[0].pk] if many else targets[0].pk
                    pointed.append(name)
            if value is None or value is False:
                continue
            if value is True:
                value = "on"
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            elif isinstance(value, models.Model):
                value = value.pk
            elif isinstance(value, list | tuple):
                value = [v.pk if isinstance(v, models.Model) else v for v in value]
            data[name] = value
        if "password" in form.fields:
            data["password"] = "Mat-khau-rat-dai-2024!"
        return data, pointed

    # ----- UI routes

    def ui_list(self, route, model):
        url = self.url(route, **(self.route_kwargs(route) or {}))
        response = self.request("get", url, route)
        if response.status_code != 200:
            self.problem(route, f"GET {url} → {response.status_code}, expected 200")
            return
        text = self.assert_no_leak(route, response, "list page")
        filterset = self.context(response, "filterset")
        self.assert_choices_in_scope(route, getattr(filterset, "form", None), "list filter")
        if not is_global(model) and f'href="{self.world.a[model].get_absolute_url()}"' not in text:
            self.problem(route, f"list page does not link A's own {model.__name__} (positive control)")
        self.assert_no_leak(route, self.request("get", url, route, {"q": SEARCH_B}), "search ?q=")
        for name, target_model in self.object_filters(getattr(route.view_class, "filterset_class", None)):
            for obj in b_objects_of(self.world, target_model):
                self.assert_no_leak(route, self.request("get", url, route, {name: obj.pk}), f"filter ?{name}=B")
        for fmt in ("csv", "xlsx"):
            for params, what in (({}, "export"), ({"q": SEARCH_B}, "export of a search")):
                response = self.request("get", url, route, {"export": fmt, **params})
                if response.status_code in (302, 404):
                    continue  # no export for this list (404) or an export job (302)
                if response.status_code != 200:
                    self.problem(route, f"{what} {fmt} → {response.status_code}")
                    continue
                text = self.assert_no_leak(route, response, f"{what} {fmt}")
                own = self.world.a.get(model)
                if not params and not is_global(model) and MARKER_A not in text and str(own) not in text:
                    self.problem(route, f"{what} {fmt} does not contain A's own {model.__name__} (positive control)")

    def ui_object_route(self, route, model, kind):
        """detail / edit / delete (and other object pages with a pk): B's pk → 404 on GET and POST."""
        view_class = route.view_class
        has_post = hasattr(view_class, "post")
        if self.route_kwargs(route, 0) is None:
            return
        for obj in b_objects_of(self.world, model) if not is_global(model) else ():
            url = self.url(route, **self.route_kwargs(route, obj.pk))
            response = self.request("get", url, route)
            if response.status_code != 404:
                self.problem(route, f"GET with B's pk → {response.status_code}, expected 404")
            data = {}
            if kind == "ui-edit":
                data, _pointed = self.form_data(view_class.form_class, self.world.a[model])
            response = self.request("post", url, route, data)
            expected = 404 if has_post else 405
            if response.status_code != expected:
                self.problem(route, f"POST with B's pk → {response.status_code}, expected {expected}")
            self.b_unchanged(route, model, f"POST {kind} with B's pk")
        own = self.world.a[model]
        url = self.url(route, **self.route_kwargs(route, own.pk))
        response = self.request("get", url, route)
        if kind == "ui-detail" and coordinators_only(model):
            if response.status_code != 404:
                self.problem(route, f"{model.__name__} is for coordinators: {response.status_code}, expected 404")
            return
        if kind == "ui-detail" and response.status_code != 200:
            self.problem(route, f"A's own {model.__name__} → {response.status_code}, expected 200 (positive control)")
        if response.status_code == 200:
            text = self.assert_no_leak(route, response, f"{kind} page of A's object")
            self.assert_choices_in_scope(route, self.context(response, "form"), f"{kind} form of A's object")
            if kind == "ui-detail" and not is_global(model) and MARKER_A not in text:
                self.problem(route, f"detail of A's own {model.__name__} does not show it (positive control)")
        if kind == "ui-edit" and response.status_code == 200:
            self.ui_post_onto_b(route, model, url, own)

    def ui_post_onto_b(self, route, model, url, own):
        """Editing A's object so that it points at B's objects is refused and changes nothing."""
        data, pointed = self.form_data(route.view_class.form_class, own)
        if not pointed:
            return
        before = snapshot(own)
        response = self.request("post", url, route, data)
        form = self.context(response, "form")
        if response.status_code != 200 or form is None:
            self.problem(route, f"edit of A's object onto B's {pointed} → {response.status_code}, expected the form again")
        else:
            missing = [name for name in pointed if name not in form.errors]
            if missing:
                self.problem(route, f"edit of A's object accepted B's objects in {missing}")
            self.assert_no_leak(route, response, "edit form with errors")
        if snapshot(own) != before:
            self.problem(route, f"A's {model.__name__} was changed to point at B's objects")

    def ui_add(self, route, model):
        url = self.url(route, **(self.route_kwargs(route) or {}))
        response = self.request("get", url, route)
        if response.status_code == 403:
            if self.can_change(model):
                self.problem(route, "add form → 403 for a role that may write this model")
            return
        if response.status_code != 200:
            self.problem(route, f"GET add form → {response.status_code}")
            return
        self.assert_no_leak(route, response, "add form")
        self.assert_choices_in_scope(route, self.context(response, "form"), "add form")
        data, pointed = self.form_data(route.view_class.form_class, self.world.a[model])
        if not pointed:
            return
        before = model._default_manager.count()
        response = self.request("post", url, route, data)
        form = self.context(response, "form")
        if response.status_code != 200 or form is None:
            self.problem(route, f"add with B's {pointed} → {response.status_code}, expected the form with errors")
        else:
            missing = [name for name in pointed if name not in form.errors]
            if missing:
                self.problem(route, f"add form accepted B's objects in {missing}")
            self.assert_no_leak(route, response, "add form with errors")
        if model._default_manager.count() != before:
            self.problem(route, f"add with B's objects created a {model.__name__}")

    def ui_import(self, route, model):
        url = self.url(route, **(self.route_kwargs(route) or {}))
        response = self.request("get", url, route)
        if response.status_code == 403:
            if self.can_change(model):
                self.problem(route, "import form → 403 for a role that may write this model")
            return
        if response.status_code != 200:
            self.problem(route, f"GET import form → {response.status_code}")
            return
        self.assert_no_leak(route, response, "import form")
        importer = getattr(route.view_class, "importer", None)
        b_code = self.world.tree["b"].code
        counts = {m: m._default_manager.count() for m in FACTORIES}
        response = self.request("post", url, route, {"file": self.import_file(model, importer, b_code)})
        self.assert_no_leak(route, response, "import naming unit B")
        changed = [m.__name__ for m, n in counts.items() if m._default_manager.count() != n]
        if changed:
            self.problem(route, f"importing a file that names unit B ({b_code!r}) created or deleted {changed}")
        self.b_unchanged(route, model, "import naming unit B")
        # Naming B's system/host (by the name the importer looks for) from A's own unit links nothing to them.
        upload = self.import_file(model, importer, self.world.tree["a1"].code, b_refs=True)
        if upload is not None:
            links = self.links_to_b(model)
            self.request("post", url, route, {"file": upload})
            if self.links_to_b(model) != links:
                self.problem(route, f"an import naming B's objects linked a {model.__name__} to them")
        # Positive control: the same file naming A's sub-unit imports (else the check above proves nothing).
        a1_code = self.world.tree["a1"].code
        before = model._default_manager.count()
        response = self.request("post", url, route, {"file": self.import_file(model, importer, a1_code)})
        if model._default_manager.count() != before + 1:
            self.problem(route, f"positive control: importing the same file for A's own unit {a1_code!r} did not "
                                f"create one {model.__name__}: adjust Sweep.import_file to this importer's columns "
                                f"({body_text(response)[-800:]!r})")

    def links_to_b(self, model):
        """How many ``model`` objects point at one of B's objects (other than units)."""
        total = 0
        for f in model._meta.concrete_fields:
            if f.many_to_one and f.related_model is not Unit and f.related_model in self.world.b:
                total += model._default_manager.filter(**{f.name: self.world.b[f.related_model]}).count()
        return total

    def import_file(self, model, importer, unit_code, b_refs=False):
        """A one-row CSV for ``model`` made from A's object, every unit column naming ``unit_code``: the
        importer's declared ``columns`` when it has them, else the edit form's fields. Other reference
        columns (system, host …) are left empty, or with ``b_refs`` name B's objects (None: there are none)."""
        own = self.world.a[model]
        cells = {}
        columns = getattr(importer, "columns", None)
        pointed = False
        if columns:
            for column in columns:
                target = self._model_field(model, column.field)
                related = getattr(target, "related_model", None)
                if related is Unit and target.many_to_one:
                    cells[column.name] = unit_code
                elif getattr(column, "ref", False) or related is not None:
                    cells[column.name] = ""
                    if b_refs and related in self.world.b and target.many_to_one:
                        cells[column.name] = str(self.world.b[related])
                        pointed = True
                else:
                    value = column.export_value(own)
                    cells[column.name] = "" if value is None else value
            if b_refs and not pointed:
                return None
        elif b_refs:
            return None
        else:
            form_class = getattr(self.edit_views.get(model), "form_class", None)
            for name in (form_class.base_fields if form_class else ()):
                value = getattr(own, name, "")
                target = self._model_field(model, name)
                if getattr(target, "related_model", None) is Unit and target.many_to_one:
                    value = unit_code
                elif isinstance(value, models.Model):
                    value = str(value)
                cells[name] = "" if value is None or hasattr(value, "all") else value
        # A new object, not A's own one again: every value carrying A's marker gets a new one.
        cells = {k: v.replace(MARKER_A, f"{MARKER_A}imp") if isinstance(v, str) else v for k, v in cells.items()}
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(list(cells))
        writer.writerow([v.isoformat() if hasattr(v, "isoformat") else v for v in cells.values()])
        upload = io.BytesIO(buffer.getvalue().encode("utf-8"))
        upload.name = f"{model._meta.model_name}.csv"
        return upload

    @staticmethod
    def _model_field(model, name):
        try:
            return model._meta.get_field(name)
        except Exception:
            return None

    def ui_other(self, route, model):
        if "pk" in route.params:
            self.ui_object_route(route, model, "ui-other")
            return
        kwargs = self.route_kwargs(route)
        if kwargs is None:
            return
        url = self.url(route, **kwargs)
        for params in ({}, {"q": SEARCH_B}, {"export": "csv"}, {"export": "xlsx"}):
            response = self.request("get", url, route, params)
            if response.status_code == 200:
                self.assert_no_leak(route, response, f"GET {params or ''}")
                self.assert_choices_in_scope(route, getattr(self.context(response, "filterset"), "form", None),
                                             "filter")
                self.assert_choices_in_scope(route, self.context(response, "form"), "form")

    def non_object(self, route):
        kwargs = self.route_kwargs(route)
        if kwargs is None:
            return
        url = self.url(route, **kwargs)
        for params in ({}, {"q": SEARCH_B}):
            response = self.request("get", url, route, params, api=route.name.startswith("api-"))
            self.assert_no_leak(route, response, f"GET {params or ''}")
        if route.name == "core:autocomplete":
            from lachan.core.search import SEARCHABLE, searchable_label

            for model_path, _filterset in SEARCHABLE:
                label = searchable_label(import_string(model_path))
                for term in ("", SEARCH_B, "198.51.100", "192.0.2"):
                    response = self.request("get", url, route, {"model": label, "term": term})
                    self.assert_no_leak(route, response, f"GET model={label} term={term!r}")
                if label == "inventory.informationsystem":
                    response = self.request("get", url, route, {"model": label, "term": SEARCH_A})
                    if MARKER_A not in body_text(response):
                        self.problem(route, "autocomplete does not offer A's own system (positive control)")
        if route.name == "core:search":
            response = self.request("get", url, route, {"q": SEARCH_A})
            if MARKER_A not in body_text(response):
                self.problem(route, "search does not find A's own objects (positive control)")

    # ----- API routes

    def api_route(self, route, model):
        callback = route.callback
        actions = dict(callback.actions)
        detail = callback.initkwargs.get("detail")
        standard = {"list", "create"} if not detail else {"retrieve", "update", "partial_update", "destroy"}
        custom = {method: action for method, action in actions.items() if action not in standard}
        if detail:
            self.api_detail(route, model, actions)
        else:
            if "get" in actions:
                self.api_list(route, model)
            if actions.get("post") == "create":
                self.api_create(route, model)
            for method in custom:
                if method != "get":
                    self.problem(route, f"custom list action {method.upper()} {custom[method]!r}: teach the "
                                        "isolation sweep what it must refuse")

    def api_list(self, route, model):
        url = self.url(route, **(self.route_kwargs(route) or {}))
        response = self.request("get", url, route, {"limit": 1000}, api=True)
        if response.status_code != 200:
            self.problem(route, f"API list → {response.status_code}")
            return
        self.assert_no_leak(route, response, "API list")
        payload = response.json()
        ids = {row.get("id") for row in payload.get("results", payload if isinstance(payload, list) else [])}
        if not is_global(model):
            for obj in b_objects_of(self.world, model):
                if obj.pk in ids:
                    self.problem(route, f"API list contains B's {model.__name__} {obj.pk}")
            if self.world.a[model].pk not in ids:
                self.problem(route, f"API list lacks A's own {model.__name__} (positive control)")
        response = self.request("get", url, route, {"q": SEARCH_B}, api=True)
        self.assert_no_leak(route, response, "API search")
        if response.status_code == 200 and not is_global(model) and response.json().get("count"):
            self.problem(route, f"API search for B's marker found {response.json()['count']} objects")
        for name, target_model in self.object_filters(getattr(route.viewset, "filterset_class", None)):
            for obj in b_objects_of(self.world, target_model):
                response = self.request("get", url, route, {name: obj.pk}, api=True)
                self.assert_no_leak(route, response, f"API filter ?{name}=B")
        if "format" not in route.params:
            self.assert_no_leak(route, self.request("get", url, route, {"format": "api"}, api=True),
                                "browsable API list")
        self.assert_no_leak(route, self.request("options", url, route, api=True), "API OPTIONS")

    def api_payload(self, model, viewset):
        """A's object as the API shows it, with every relation to a scoped model pointing at B's object."""
        own = self.world.a[model]
        meta = model._meta
        response = self.client.get(reverse(f"{meta.app_label}-{meta.model_name}-detail", kwargs={"pk": own.pk}),
                                   **self.api_headers)
        data = response.json() if response.status_code == 200 else {}
        serializer = viewset.serializer_class(context={"request": None, "user": self.user})
        pointed = []
        for name, value in list(data.items()):
            serializer_field = serializer.fields.get(name)
            if serializer_field is None or serializer_field.read_only:
                data.pop(name)
                continue
            if isinstance(value, dict) and "id" in value:
                data[name] = value["id"]
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                data[name] = [v["id"] for v in value]
            relation = serializer_field.child_relation if isinstance(serializer_field, ManyRelatedField) else (
                serializer_field if isinstance(serializer_field, RelatedField) else None)
            if relation is not None and not is_global(relation.queryset.model):
                targets = b_objects_of(self.world, relation.queryset.model)
                if targets:
                    data[name] = [targets[0].pk] if isinstance(serializer_field, ManyRelatedField) else targets[0].pk
                    pointed.append(name)
        if "password" in serializer.fields:
            data["password"] = "Mat-khau-rat-dai-2024!"
        return data, pointed

    def api_create(self, route, model):
        url = self.url(route, **(self.route_kwargs(route) or {}))
        data, pointed = self.api_payload(model, route.viewset)
        if not pointed:
            return
        before = model._default_manager.count()
        response = self.request("post", url, route, data, api=True)
        if response.status_code == 403 and not self.can_change(model):
            pass
        elif response.status_code != 400:
            self.problem(route, f"API create with B's {pointed} → {response.status_code}, expected 400")
        else:
            missing = [name for name in pointed if name not in response.json()]
            if missing:
                self.problem(route, f"API create accepted B's objects in {missing}")
            self.assert_no_leak(route, response, "API create error")
        if model._default_manager.count() != before:
            self.problem(route, f"API create with B's objects created a {model.__name__}")

    def api_detail(self, route, model, actions):
        allowed_for_role = {"get": 404, "head": 404, "options": 404}
        for obj in b_objects_of(self.world, model) if not is_global(model) else ():
            url = self.url(route, **self.route_kwargs(route, obj.pk))
            for method in actions:
                data = {"description": MARKER_A} if method in ("put", "patch") else None
                response = self.request(method, url, route, data, api=True)
                expected = allowed_for_role.get(method, 404 if self.can_change(model) else 403)
                accepted = {expected, 404}
                if response.status_code not in accepted:
                    self.problem(route, f"API {method.upper()} B's {model.__name__} → {response.status_code}, "
                                        f"expected {expected}")
                self.assert_no_leak(route, response, f"API {method.upper()} B's object")
            response = self.request("options", url, route, api=True)
            self.assert_no_leak(route, response, "API OPTIONS on B's object")
            if response.status_code == 200 and "PUT" in response.json().get("actions", {}):
                self.problem(route, "API OPTIONS offers PUT on B's object")
            self.b_unchanged(route, model, "API write on B's object")
        own = self.world.a[model]
        url = self.url(route, **self.route_kwargs(route, own.pk))
        response = self.request("get", url, route, api=True)
        if coordinators_only(model):
            if response.status_code != 404:
                self.problem(route, f"API: {model.__name__} is for coordinators: {response.status_code}, expected 404")
            return
        if response.status_code != 200:
            self.problem(route, f"API GET A's own {model.__name__} → {response.status_code} (positive control)")
            return
        self.assert_no_leak(route, response, "API detail of A's object")
        if "patch" in actions and self.can_change(model) and "format" not in route.params:
            data, pointed = self.api_payload(model, route.viewset)
            if not pointed:
                return
            before = snapshot(own)
            response = self.request("patch", url, route, {k: data[k] for k in pointed}, api=True)
            if response.status_code != 400:
                self.problem(route, f"API PATCH of A's object onto B's {pointed} → {response.status_code}, "
                                    "expected 400")
            if snapshot(own) != before:
                self.problem(route, f"API PATCH moved A's {model.__name__} onto B's objects")


# --------------------------------------------------------------------------------------------- the sweep


def classify_routes(only=None):
    classified, unclassified = [], []
    for route in iter_routes():
        if only is not None and not only(route):
            continue
        kind = classify(route)
        if kind is None:
            unclassified.append(route)
        else:
            classified.append((route, *kind))
    return classified, unclassified


def unclassified_message(route):
    return (
        f"UNCLASSIFIED ROUTE {route.pattern!r} (name {route.name!r}, view {route.callback!r}): the isolation "
        "sweep cannot tell which objects it shows. Give the view a `model` (subclass a generic view in "
        "lachan.core.views.generic) or, if it shows no objects at all, add its name to NON_OBJECT_ROUTES in "
        "lachan/core/tests/test_isolation.py with the reason."
    )


def run_sweep(client, world, user, only=None):
    sweep = Sweep(client, world, user)
    client.force_login(user)
    classified, unclassified = classify_routes(only)
    sweep.edit_views = {model: r.view_class for r, kind, model in classified if kind == "ui-edit"}
    for route, kind, model in classified:
        if model is not None and model not in FACTORIES:
            sweep.problem(route, f"{model.__name__} has no factory: add one to lachan.testing.factories.FACTORIES")
            continue
        if route.name is None:
            sweep.problem(route, "unnamed URL pattern: give it a name so the sweep can reverse it")
            continue
        if kind == "non-object" and route.name in LATE_ROUTES:
            continue
        sweep.visited.setdefault(kind, set()).add(model)
        handler = {
            "non-object": lambda r, m: sweep.non_object(r),
            "ui-list": sweep.ui_list,
            "ui-detail": lambda r, m: sweep.ui_object_route(r, m, "ui-detail"),
            "ui-edit": lambda r, m: sweep.ui_object_route(r, m, "ui-edit"),
            "ui-delete": lambda r, m: sweep.ui_object_route(r, m, "ui-delete"),
            "ui-add": sweep.ui_add,
            "ui-import": sweep.ui_import,
            "ui-other": sweep.ui_other,
            "api": sweep.api_route,
        }[kind]
        handler(route, model)
    for route, kind, _model in classified:
        if kind == "non-object" and route.name in LATE_ROUTES:
            sweep.non_object(route)
    sweep.problems += [unclassified_message(route) for route in unclassified]
    return sweep


@pytest.fixture
def world(tree, users):
    return make_world(tree, users)


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["member_a", "admin_a"])
def test_no_route_reveals_or_touches_another_units_objects(client, world, username):
    user = world.users[username]
    sweep = run_sweep(client, world, user)
    assert not sweep.problems, "\n".join(sweep.problems)
    # The sweep really ran: every kind of route was visited, for every model that has a factory.
    for kind in ("ui-list", "ui-detail", "ui-edit", "ui-add", "ui-delete", "api", "non-object"):
        assert sweep.visited.get(kind), f"no {kind} route was visited"
    reached = set().union(*(models_ for kind, models_ in sweep.visited.items() if kind != "non-object"))
    assert set(FACTORIES) <= reached, f"never reached: {set(FACTORIES) - reached}"


@pytest.mark.django_db
def test_every_scoped_model_has_a_factory():
    missing = [m.__name__ for m in scoped_models() if m not in FACTORIES]
    assert not missing, f"add factories (lachan.testing.factories.FACTORIES) for {missing}"


def test_unclassified_route_fails_the_sweep(settings):
    """A new route whose view does not say which objects it shows makes the sweep fail."""
    from django.http import HttpResponse
    from django.urls import path

    import lachan.urls

    urlconf = ModuleType("leaky_urls")
    urlconf.urlpatterns = [*lachan.urls.urlpatterns, path("leaky/", lambda request: HttpResponse(MARKER_B), name="leaky")]
    settings.ROOT_URLCONF = urlconf
    _classified, unclassified = classify_routes()
    assert [route.pattern for route in unclassified] == ["leaky/"]
    assert "NON_OBJECT_ROUTES" in unclassified_message(unclassified[0])


@pytest.mark.django_db
def test_sweep_catches_a_leaking_list(client, world, monkeypatch):
    """Self-test: a list view that forgets restrict() is reported (the sweep can fail)."""
    from lachan.inventory.models import Host

    original = generic.ObjectViewMixin.get_queryset

    def leaky(self, action=None):
        if self.model is Host:
            return Host.objects.all()
        return original(self, action)

    monkeypatch.setattr(generic.ObjectViewMixin, "get_queryset", leaky)
    sweep = run_sweep(client, world, world.users["member_a"], only=lambda route: "host" in (route.name or ""))
    assert any("host_list" in p and MARKER_B in p for p in sweep.problems), sweep.problems[:5]
    assert any("host_detail" in p and "404" in p for p in sweep.problems)


@pytest.mark.django_db
def test_coordinator_sees_unit_b(client, world):
    """The other side: B's objects exist and are reachable to those who may see them."""
    coordinator = world.users["coordinator"]
    client.force_login(coordinator)
    token = Token.objects.create(user=coordinator)
    for model, obj in world.b.items():
        meta = model._meta
        response = client.get(reverse(f"{meta.app_label}:{meta.model_name}_list"), {"per_page": 500})
        assert f'href="{obj.get_absolute_url()}"' in response.content.decode(), model
        assert client.get(obj.get_absolute_url()).status_code == 200
        api = client.get(reverse(f"{meta.app_label}-{meta.model_name}-list"), {"limit": 1000},
                         HTTP_AUTHORIZATION=f"Token {token.key}")
        assert obj.pk in {row["id"] for row in api.json()["results"]}, model
    member_b = UserFactory(role=Role.UNIT_MEMBER, unit=world.tree["b"])
    client.force_login(member_b)
    assert MARKER_B in client.get(reverse("inventory:host_list")).content.decode()
