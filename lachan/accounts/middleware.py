from functools import cached_property

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import user_has_device


class TwoFactorRequiredMiddleware:
    """A user who has a TOTP device, or whose role requires one, must pass the second factor
    before using any page.

    Only the pages needed to get through the second factor (log in, log out, the two-factor page,
    the language switch, static files, the health check) are open to a user who has not passed it.
    API clients authenticate with tokens (not sessions) and never reach this check; a browser
    session that has not passed the second factor gets a 403 from the API instead of the data.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def exempt_paths(self):
        return (reverse("accounts:login"), reverse("accounts:logout"), reverse("accounts:two_factor"))

    @cached_property
    def exempt_prefixes(self):
        return (settings.STATIC_URL, "/i18n/", reverse("core:healthz"))

    def needs_second_factor(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return False
        if request.path in self.exempt_paths or request.path.startswith(self.exempt_prefixes):
            return False
        return user.effective_role in settings.TWO_FACTOR_REQUIRED_ROLES or user_has_device(user)

    def __call__(self, request):
        if self.needs_second_factor(request):
            if request.path.startswith("/api/") and not request.path.startswith("/api/docs"):
                return JsonResponse({"detail": _("Two-factor verification required.")}, status=403)
            return redirect(f"{reverse('accounts:two_factor')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
