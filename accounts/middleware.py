from __future__ import annotations

from django.utils import translation


class UserLanguageMiddleware:
    """Serve a logged-in user in the language they chose (Chinese by default, English on request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class ChineseFirstMiddleware:
    """Pages are in Chinese unless the visitor switched (language cookie) or their profile says English.

    Django's LocaleMiddleware would otherwise follow the browser's Accept-Language, so a browser set to English
    would never see the platform's default. API clients keep Accept-Language for the ``detail`` of errors.
    Goes right before LocaleMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
