"""A select that scales: for choice lists longer than ``settings.AUTOCOMPLETE_THRESHOLD`` (a coordinator
picking one of 2,000 units, one of 40,000 systems) the page carries only the selected option plus a
search box; htmx fetches matching options from ``core:autocomplete`` (scoped like everything else)."""

from django import forms
from django.conf import settings
from django.urls import reverse

from lachan.core.search import searchable_label


class AutocompleteSelect(forms.Select):
    template_name = "core/widgets/autocomplete_select.html"

    def __init__(self, model_label, attrs=None):
        super().__init__(attrs)
        self.model_label = model_label

    def optgroups(self, name, value, attrs=None):
        selected = [v for v in value if v not in ("", None)]
        field = getattr(self.choices, "field", None)
        empty_label = getattr(field, "empty_label", None) or "---------"
        groups = [(None, [self.create_option(name, "", empty_label, not selected, 0, attrs=attrs)], 0)]
        if selected:
            queryset = self.choices.queryset.filter(pk__in=selected)
            for index, obj in enumerate(queryset, start=1):
                option = self.create_option(name, obj.pk, str(obj), True, index, attrs=attrs)
                groups.append((None, [option], index))
        return groups

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["autocomplete_url"] = f"{reverse('core:autocomplete')}?model={self.model_label}"
        return context


def use_autocomplete(form, threshold=None):
    """Swap the widget of every long single-choice field over a searchable model (one COUNT each)."""
    threshold = settings.AUTOCOMPLETE_THRESHOLD if threshold is None else threshold
    for field in form.fields.values():
        if not isinstance(field, forms.ModelChoiceField) or isinstance(field, forms.ModelMultipleChoiceField):
            continue
        label = searchable_label(field.queryset.model)
        if label is None or field.queryset.count() <= threshold:
            continue
        widget = AutocompleteSelect(label, attrs=dict(field.widget.attrs))
        widget.choices = field.choices
        widget.is_required = field.widget.is_required
        field.widget = widget
