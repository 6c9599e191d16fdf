from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers


class PrivatePagesMiddleware:
    """Pages for logged-in users are private and vary on ``HX-Request``: htmx partials share their
    URL with the full page and must never be served from a cache in its place (back button)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_vary_headers(response, ("HX-Request",))
            if "Cache-Control" not in response:
                patch_cache_control(response, private=True, no_cache=True)
        return response


class VietnameseFirstLocaleMiddleware(LocaleMiddleware):
    """Vietnamese unless the user chose another language (language cookie set by /i18n/setlang/).
    The browser's Accept-Language is ignored: an English browser in a Vietnamese office still
    gets the Vietnamese interface until someone switches."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
