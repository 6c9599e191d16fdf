from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from lachan.core.forms import ScopedModelForm

from .choices import Role
from .models import User


class UserForm(ScopedModelForm):
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, required=False,
                               help_text=_("Leave empty to keep the current password."))

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "phone", "unit", "role", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].required = True
        if not self.user.is_coordinator:
            self.fields["role"].choices = [
                c for c in Role.choices if c[0] in (Role.UNIT_ADMIN, Role.UNIT_MEMBER, Role.OPERATOR)
            ]
        if not self.instance.pk:
            self.fields["password"].required = True

    def clean_password(self):
        password = self.cleaned_data.get("password")
        if password:
            validate_password(password, self.instance)
        return password

    def save(self, commit=True):
        user = super().save(commit=False)
        if self.cleaned_data.get("password"):
            user.set_password(self.cleaned_data["password"])
        if commit:
            user.save()
        return user


class TokenForm(forms.Form):
    token = forms.CharField(label=_("Six-digit code"), max_length=8,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}))
