"""Template helpers of the server-rendered UI: form fields with Bootstrap classes, value display
(dates dd/mm/yyyy, times in Asia/Ho_Chi_Minh), security-level badges, unit breadcrumbs.

Everything a user typed is escaped here (``format_html``/``conditional_escape``); nothing from the
database is ever marked safe."""

import datetime

from django import forms, template
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import normalize_newlines
from django.utils.translation import gettext as _

from lachan.core.forms import style_widget
from lachan.core.scope import VIEW

register = template.Library()

# Badge colour per security level (Decree 85/2016: 1 lowest … 5 highest).
_LEVEL_CLASSES = {1: "sl-1", 2: "sl-2", 3: "sl-3", 4: "sl-4", 5: "sl-5"}


@register.simple_tag
def security_badge(level):
    """``<span class="badge">Level 3</span>``; "Not set" when the level is not (yet) approved."""
    from lachan.inventory.choices import SecurityLevel

    try:
        level = int(level)
    except (TypeError, ValueError):
        return format_html('<span class="badge sl-badge sl-none">{}</span>', _("Not set"))
    if level not in _LEVEL_CLASSES:
        return format_html('<span class="badge sl-badge sl-none">{}</span>', level)
    return format_html(
        '<span class="badge sl-badge {}" title="{}">{}</span>',
        _LEVEL_CLASSES[level], _("Security level (Decree 85/2016/NĐ-CP)"), SecurityLevel(level).label,
    )


@register.simple_tag
def yes_no(value, yes=None, no=None):
    if value is None:
        return mark_safe('<span class="text-body-secondary">—</span>')  # noqa: S308 - constant markup
    if value:
        return format_html('<span class="badge text-bg-success">{}</span>', yes or _("Yes"))
    return format_html('<span class="badge text-bg-secondary">{}</span>', no or _("No"))


def _text(value):
    """Escaped text with line breaks kept (like ``linebreaksbr``, but never trusts the input)."""
    value = normalize_newlines(conditional_escape(str(value)))
    return mark_safe(value.replace("\n", "<br>"))  # noqa: S308 - escaped on the line above


@register.filter
def display_date(value):
    """A date as dd/mm/yyyy, a datetime as dd/mm/yyyy HH:MM in the current time zone (Asia/Ho_Chi_Minh)."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return value


@register.simple_tag
def field_value(value, field=None, obj=None):
    """One value of a detail page, typed: links for related objects, badges for booleans and the
    security level, localised dates, mailto/http links, escaped multi-line text otherwise."""
    name = getattr(field, "name", "")
    if name == "security_level" and obj is not None:
        return security_badge(getattr(obj, "security_level", None))
    if value is None or value == "":
        return mark_safe('<span class="text-body-secondary">—</span>')  # noqa: S308 - constant markup
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, models.Model):
        url = getattr(value, "get_absolute_url", None)
        return format_html('<a href="{}">{}</a>', url(), value) if url else conditional_escape(str(value))
    if isinstance(value, datetime.date):
        return display_date(value)
    if isinstance(field, models.URLField) and str(value).lower().startswith(("http://", "https://")):
        return format_html('<a href="{}" rel="noopener noreferrer nofollow" target="_blank">{}</a>', value, value)
    if isinstance(field, models.EmailField):
        return format_html('<a href="mailto:{}">{}</a>', value, value)
    return _text(value)


# --- forms -------------------------------------------------------------------------------------


def _is_checkbox(widget):
    return isinstance(widget, forms.CheckboxInput)


def _is_multi_checkbox(widget):
    return isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect)


@register.simple_tag
def form_field(field, **options):
    """Label, widget, help text and errors of one bound field, Bootstrap-styled and accessible."""
    style_widget(field.field.widget, invalid=bool(field.errors))
    widget = field.field.widget
    context = {
        "field": field,
        "is_checkbox": _is_checkbox(widget),
        "is_multi": _is_multi_checkbox(widget),
        "is_hidden": field.is_hidden,
    } | options
    return render_to_string("core/includes/form_field.html", context)


@register.simple_tag
def filter_field(field):
    """One field of a list page's filter bar: compact; multiple choices become a checkbox dropdown."""
    widget = field.field.widget
    if isinstance(widget, forms.SelectMultiple) and not isinstance(widget, forms.CheckboxSelectMultiple):
        selected = {str(v) for v in (field.value() or [])}
        options = [
            {"value": value, "label": label, "checked": str(value) in selected, "id": f"{field.auto_id}_{index}"}
            for index, (value, label) in enumerate(field.field.choices)
            if value != ""
        ]
        checked = [o["label"] for o in options if o["checked"]]
        return render_to_string(
            "core/includes/filter_multi.html", {"field": field, "options": options, "checked": checked}
        )
    style_widget(widget, small=True)
    _empty_choice_reads_any(field.field)
    if isinstance(widget, forms.NullBooleanSelect):
        widget.choices = [("unknown", _("Any")), ("true", _("Yes")), ("false", _("No"))]
    if field.name == "q":
        widget.input_type = "search"
        widget.attrs.setdefault("placeholder", _("Search…"))
    return render_to_string("core/includes/filter_field.html", {"field": field})


def _empty_choice_reads_any(form_field):
    """A filter's empty choice means "no filter": say "Any" instead of Django's "---------"."""
    if getattr(form_field, "empty_label", None) is not None:
        form_field.empty_label = _("Any")
    choices = getattr(form_field, "choices", None)
    if isinstance(choices, list) and choices and choices[0][0] == "":
        form_field.choices = [("", _("Any")), *choices[1:]]


@register.filter
def has_filters(filterset):
    """Whether any filter of the list (search box included) holds a value."""
    form = getattr(filterset, "form", None)
    if form is None or not form.is_bound:
        return False
    return any(v.strip() not in ("", "unknown") for name in form.fields for v in form.data.getlist(name))


# --- units ------------------------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def unit_ancestors(context, unit):
    """The ancestors of ``unit`` (root first) that the current user may see, from the materialised path."""
    from lachan.organizations.models import Unit

    user = context.get("user") or getattr(context.get("request"), "user", None)
    if unit is None or user is None or not getattr(unit, "path", ""):
        return []
    ids = [int(part) for part in unit.path.strip("/").split("/") if part.isdigit() and int(part) != unit.pk]
    if not ids:
        return []
    return list(Unit.objects.restrict(user, VIEW).filter(pk__in=ids).order_by("depth"))


@register.filter
def percent(part, whole):
    try:
        return round(100 * part / whole) if whole else 0
    except (TypeError, ValueError):
        return 0


# --- related objects on detail pages ------------------------------------------------------------


def _model_url(model_label, suffix, params):
    from django.apps import apps
    from django.urls import NoReverseMatch, reverse
    from django.utils.http import urlencode

    model = apps.get_model(model_label)
    try:
        url = reverse(f"{model._meta.app_label}:{model._meta.model_name}_{suffix}")
    except NoReverseMatch:
        return model, ""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return model, f"{url}?{query}" if query else url


@register.simple_tag(takes_context=True)
def add_url(context, model_label, **params):
    """The "add" page of ``model_label`` prefilled with ``params`` ("" when the user's role may not add)."""
    from lachan.core.scope import CHANGE, can

    model, url = _model_url(model_label, "add", params)
    user = context.get("user")
    return url if user is not None and can(user, model, CHANGE) else ""


@register.simple_tag
def list_url(model_label, **params):
    """The list page of ``model_label`` filtered by ``params``."""
    return _model_url(model_label, "list", params)[1]


@register.simple_tag
def contact_roles(contact):
    """One badge per role of a contact; the security focal point stands out."""
    from django.utils.html import format_html_join

    from lachan.organizations.choices import ContactRole

    labels = dict(ContactRole.choices)
    return format_html_join(
        " ", '<span class="badge {}">{}</span>',
        (("text-bg-primary" if role == ContactRole.SECURITY_FOCAL else "text-bg-light border", labels.get(role, role))
         for role in contact.role_list),
    )


@register.simple_tag
def has_focal_point(contacts):
    """Whether a (scoped) contact queryset holds a security focal point."""
    from lachan.organizations.choices import ContactRole

    return contacts.filter(roles__contains=ContactRole.SECURITY_FOCAL).exists()


_HIDDEN_FIELD_NAMES = frozenset({"password", "is_superuser", "is_staff"})


@register.filter
def shown_fields(rows):
    """Drop from a detail page's (label, value, field) rows what must never be shown: the password hash,
    Django's own superuser/staff flags and permission relations."""
    from django.contrib.auth.models import Group, Permission

    return [
        row for row in rows
        if getattr(row[2], "name", "") not in _HIDDEN_FIELD_NAMES
        and getattr(row[2], "related_model", None) not in (Group, Permission)
    ]
