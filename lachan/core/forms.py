from django import forms
from django.utils.translation import gettext_lazy as _

from lachan.core.scope import VIEW
from lachan.core.validators import same_unit_errors
from lachan.core.widgets import use_autocomplete


def widget_css_class(widget):
    """The Bootstrap 5 class a widget needs: one rule for every form (model forms, filter bars, auth forms)."""
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple | forms.NullBooleanSelect):
        return "form-select"
    if isinstance(widget, forms.HiddenInput | forms.MultipleHiddenInput):
        return ""
    return "form-control"


def style_widget(widget, *, invalid=False, small=False):
    """Add the Bootstrap class (and ``is-invalid``) to ``widget.attrs`` without dropping classes set elsewhere."""
    css = widget_css_class(widget)
    if not css:
        return widget
    classes = widget.attrs.get("class", "").split()
    wanted = [css]
    if small and css != "form-check-input":
        wanted.append(f"{css}-sm")
    if invalid:
        wanted.append("is-invalid")
    widget.attrs["class"] = " ".join(dict.fromkeys(classes + wanted))
    return widget


def localize_widget(widget):
    """Dates are typed and shown dd/mm/yyyy whatever the browser's language (a native date input would show
    mm/dd/yyyy in an English browser); text areas start at a reasonable height."""
    if isinstance(widget, forms.DateInput) and not isinstance(widget, forms.DateTimeInput):
        widget.input_type = "text"
        widget.format = "%d/%m/%Y"
        widget.attrs.setdefault("placeholder", _("dd/mm/yyyy"))
        widget.attrs.setdefault("inputmode", "numeric")
        widget.attrs.setdefault("autocomplete", "off")
    elif isinstance(widget, forms.Textarea) and str(widget.attrs.get("rows")) == "10":
        widget.attrs["rows"] = 4
    return widget


class BootstrapFormMixin:
    """Gives every widget its Bootstrap class once, centrally; after validation invalid fields also get
    ``is-invalid`` (Django itself adds ``aria-invalid`` and ``aria-describedby``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            style_widget(localize_widget(field.widget))

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                style_widget(self.fields[name].widget, invalid=True)


class ScopedModelForm(BootstrapFormMixin, forms.ModelForm):
    """A ModelForm whose related-object choices only offer what the user may see.

    Every ModelChoiceField over a scoped model is restricted with ``restrict(user)``,
    so a unit user can neither pick nor learn the names of other units' objects."""

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and hasattr(queryset, "restrict"):
                field.queryset = queryset.restrict(user, VIEW)
        use_autocomplete(self)

    def clean(self):
        cleaned = super().clean()
        related = {name: cleaned.get(name) for name in ("system", "host") if name in self.fields}
        for name, message in same_unit_errors(cleaned.get("unit"), related).items():
            self.add_error(name, message)
        return cleaned


class ImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"))
    dry_run = forms.BooleanField(label=_("Check only, do not import"), required=False)
