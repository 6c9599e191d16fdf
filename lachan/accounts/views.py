import django_tables2 as tables
import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from lachan.core.scope import CHANGE
from lachan.core.tables import ObjectTable, UnitColumn
from lachan.core.views import generic

from .filtersets import UserFilterSet
from .forms import LoginForm, PasswordChangeForm, TokenForm, UserForm
from .models import User
from .validators import UNIT_ASSIGNABLE_ROLES


def _safe_next(request):
    """The ``next`` target when it stays on this site; the dashboard otherwise (no open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return target


def _two_factor_on(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


class LoginView(auth_views.LoginView):
    """Username + password (throttled by django-axes: AXES_FAILURE_LIMIT failures lock the username
    from that address for AXES_COOLOFF_HOURS). The second factor follows, see TwoFactorRequiredMiddleware."""

    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


@login_required
def account(request):
    """My account: who I am, my unit and role, and the state of my second factor."""
    from django.conf import settings

    user = request.user
    context = {
        "account": user,
        "two_factor_on": _two_factor_on(user),
        "two_factor_required": user.effective_role in settings.TWO_FACTOR_REQUIRED_ROLES,
        "verified": user.is_verified(),
    }
    return render(request, "accounts/account.html", context)


@login_required
def two_factor(request):
    """Set up (first time) or verify the TOTP second factor."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    setup = device is None
    if setup:
        device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first() or TOTPDevice.objects.create(
            user=request.user, name="default", confirmed=False
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, details = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"]):
            if setup:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                messages.success(request, _("Two-factor authentication is on."))
            otp_login(request, device)
            return redirect(_safe_next(request))
        if not allowed:
            form.add_error("token", _("Too many wrong codes. Wait a moment before trying again."))
        else:
            form.add_error("token", _("Wrong or expired code."))
    context = {"form": form, "setup": setup, "next": _safe_next(request)}
    if setup:
        context["qr_data_uri"] = segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)
        context["secret"] = _group(_b32(device.bin_key))
    return render(request, "accounts/two_factor.html", context)


def _b32(key):
    import base64

    return base64.b32encode(key).decode("ascii").rstrip("=")


def _group(secret, size=4):
    return " ".join(secret[i:i + size] for i in range(0, len(secret), size))


class UserTable(ObjectTable):
    username = tables.Column(linkify=True)
    unit = UnitColumn()

    class Meta(ObjectTable.Meta):
        model = User
        fields = ("username", "first_name", "last_name", "email", "unit", "role", "is_active", "last_login")


class UserListView(generic.ObjectListView):
    model = User
    filterset_class = UserFilterSet
    table_class = UserTable

    select_related = ("unit",)


class _ManagedUsersMixin:
    """Changing or deleting an account needs more than the unit scope: a unit administrator reaches only
    accounts whose role they could give (never a coordinator's or an auditor's, even one attached to their
    unit). Out of reach means 404, like any object out of scope; reading stays with the scope rule."""

    def get_queryset(self, action=None):
        queryset = super().get_queryset(action)
        if (action or self.action) == CHANGE and not self.request.user.is_coordinator:
            queryset = queryset.filter(role__in=UNIT_ASSIGNABLE_ROLES, is_superuser=False)
        return queryset


class UserDetailView(_ManagedUsersMixin, generic.ObjectDetailView):
    model = User

    def get_extra_context(self, obj):
        return {"two_factor_on": _two_factor_on(obj)}


class UserEditView(_ManagedUsersMixin, generic.ObjectEditView):
    model = User
    form_class = UserForm


class UserDeleteView(_ManagedUsersMixin, generic.ObjectDeleteView):
    model = User
