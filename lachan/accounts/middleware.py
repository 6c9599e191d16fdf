from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device

_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/api/", "/i18n/", "/healthz")


class TwoFactorRequiredMiddleware:
    """A user who has a TOTP device, or whose role requires one, must pass the second factor
    before using any page. The API uses tokens issued by administrators and is exempt."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_EXEMPT_PREFIXES)
            and not user.is_verified()
            and (user.effective_role in settings.TWO_FACTOR_REQUIRED_ROLES or user_has_device(user))
        ):
            return redirect(f"{reverse('accounts:two_factor')}?next={request.get_full_path()}")
        return self.get_response(request)
