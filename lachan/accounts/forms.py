from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.utils.translation import gettext_lazy as _

from lachan.core.forms import BootstrapFormMixin, ScopedModelForm

from .models import User
from .validators import assignable_roles


class UserForm(ScopedModelForm):
    password = forms.CharField(label=_("New password"), required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("Leave empty to keep the current password."))

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "phone", "unit", "role", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].required = True
        # A unit administrator cannot give roles that see or change every unit (coordinator, auditor);
        # a role posted outside these choices is refused by the field itself.
        self.fields["role"].choices = assignable_roles(self.user)
        if not self.instance.pk:
            self.fields["password"].required = True
            self.fields["password"].label = _("Password")
            self.fields["password"].help_text = password_validators_help_text_html()

    def clean_password(self):
        password = self.cleaned_data.get("password")
        if password:
            # Compare with what was typed in this form (a password close to the new username is refused too).
            candidate = User(**{name: self.data.get(name, getattr(self.instance, name))
                                for name in ("username", "first_name", "last_name", "email")})
            validate_password(password, candidate)
        return password

    def save(self, commit=True):
        user = super().save(commit=False)
        if self.cleaned_data.get("password"):
            user.set_password(self.cleaned_data["password"])
        if commit:
            user.save()
        return user


class LoginForm(BootstrapFormMixin, auth_forms.AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class PasswordChangeForm(BootstrapFormMixin, auth_forms.PasswordChangeForm):
    pass


class TokenForm(BootstrapFormMixin, forms.Form):
    token = forms.CharField(
        label=_("Six-digit code"), max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True,
                                      "pattern": "[0-9 ]*", "size": 8}),
    )

    def clean_token(self):
        return self.cleaned_data["token"].replace(" ", "").strip()
