from django import forms
from django.utils.translation import gettext_lazy as _

from lachan.core.scope import VIEW


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
        unit = cleaned.get("unit")
        for name in ("system", "host"):
            related = cleaned.get(name)
            if related is not None and unit is not None and getattr(related, "unit_id", None) != unit.pk:
                self.add_error(name, _("%(object)s belongs to another unit.") % {"object": related})
        return cleaned


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"))
    dry_run = forms.BooleanField(label=_("Check only, do not import"), required=False)
