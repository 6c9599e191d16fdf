from django import forms
from django.utils.translation import gettext_lazy as _

from lachan.core.scope import VIEW
from lachan.core.validators import same_unit_errors


class ScopedModelForm(forms.ModelForm):
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

    def clean(self):
        cleaned = super().clean()
        related = {name: cleaned.get(name) for name in ("system", "host") if name in self.fields}
        for name, message in same_unit_errors(cleaned.get("unit"), related).items():
            self.add_error(name, message)
        return cleaned


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"))
    dry_run = forms.BooleanField(label=_("Check only, do not import"), required=False)
