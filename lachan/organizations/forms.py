from django import forms
from django.utils.translation import gettext_lazy as _

from lachan.core.forms import ScopedModelForm

from .choices import ContactRole
from .models import Contact, ExternalContact, Unit, UnitGroup
from .validators import clean_email_list, clean_phone_list, unit_parent_required


class UnitForm(ScopedModelForm):
    class Meta:
        model = Unit
        fields = ["code", "name", "short_name", "kind", "parent", "groups", "address", "email", "phone", "website",
                  "description", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A unit admin places units only inside its own subtree.
        self.fields["parent"].required = unit_parent_required(self.user)
        if self.instance.pk:
            parent = self.fields["parent"].queryset.exclude(path__startswith=self.instance.path)
            if self.instance.parent_id:
                # A unit admin's own unit sits under a parent outside their scope: it stays a valid
                # (unchanged) choice, so the admin can edit their unit without moving it.
                parent = parent | Unit.objects.filter(pk=self.instance.parent_id)
            self.fields["parent"].queryset = parent


class UnitGroupForm(ScopedModelForm):
    class Meta:
        model = UnitGroup
        fields = ["name", "description", "order"]


def _clean_phones(form, name):
    return clean_phone_list(form.cleaned_data.get(name, ""))


def _clean_emails(form, name):
    return clean_email_list(form.cleaned_data.get(name, ""))


class ContactForm(ScopedModelForm):
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=ContactRole.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Contact
        fields = ["unit", "full_name", "position", "phones", "emails", "roles", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["roles"] = self.instance.role_list

    def clean_phones(self):
        return _clean_phones(self, "phones")

    def clean_emails(self):
        return _clean_emails(self, "emails")

    def clean_roles(self):
        return ",".join(self.cleaned_data["roles"])


class ExternalContactForm(ScopedModelForm):
    class Meta:
        model = ExternalContact
        fields = ["organization", "short_name", "category", "parent_organization", "person", "purpose", "phones",
                  "hotline", "emails", "website", "address", "source", "notes", "is_active", "order"]

    def clean_phones(self):
        return _clean_phones(self, "phones")

    def clean_hotline(self):
        return _clean_phones(self, "hotline")

    def clean_emails(self):
        return _clean_emails(self, "emails")
