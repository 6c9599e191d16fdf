import django_tables2 as tables
import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from lachan.core.tables import ObjectTable, UnitColumn
from lachan.core.views import generic

from .filtersets import UserFilterSet
from .forms import TokenForm, UserForm
from .models import User


def _safe_next(request):
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "/"
    return target


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
        if device.verify_token(form.cleaned_data["token"].strip()):
            if setup:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                messages.success(request, _("Two-factor authentication is on."))
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("token", _("Wrong or expired code."))
    context = {"form": form, "setup": setup, "next": _safe_next(request)}
    if setup:
        context["qr_svg"] = segno.make(device.config_url).svg_inline(scale=4)
        context["secret"] = device.key
    return render(request, "accounts/two_factor.html", context)


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

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("unit")


class UserDetailView(generic.ObjectDetailView):
    model = User


class UserEditView(generic.ObjectEditView):
    model = User
    form_class = UserForm


class UserDeleteView(generic.ObjectDeleteView):
    model = User
