"""One error type for every refusal, and the one place that turns it into a response or a socket frame.

Services raise ``ApplicationError(code)``; the DRF handler and the WebSocket consumer both render it with the same
stable ``code`` and a ``detail`` in the user's language (Simplified Chinese or English).
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions as drf_exceptions
from rest_framework import status as http
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler

from .language import pick

# code -> (HTTP status, English, 简体中文). Texts may hold {placeholders} filled from ApplicationError.params.
_CATALOGUE: dict[str, tuple[int, str, str]] = {
    "bad_request": (400, "The request is not valid.", "请求无效。"),
    "bad_frame": (400, "The frame is not valid: {reason}", "消息帧格式错误：{reason}"),
    "not_authenticated": (401, "Please log in first.", "请先登录。"),
    "permission_denied": (403, "You may not do this.", "你无权执行此操作。"),
    "not_found": (404, "Not found.", "未找到。"),
    "group_not_found": (404, "No group has this code.", "没有该群号的群组。"),
    "rate_limited": (429, "You are sending too fast. Try again in a moment.", "发送过于频繁，请稍后再试。"),
    "unavailable": (503, "The service is briefly unavailable; this was not stored. Try again in {retry_after} s.",
                    "服务暂时不可用，本次未保存，请{retry_after}秒后重试。"),
    "server_error": (500, "Something went wrong on our side; nothing you sent was lost.", "服务器出错，你发送的内容未丢失。"),
}


def register_error_codes(codes: dict[str, tuple[int, str, str]]) -> None:
    """Add an app's refusal codes to the shared vocabulary (called at import time of the app's errors module)."""
    for code, entry in codes.items():
        existing = _CATALOGUE.get(code)
        if existing is not None and existing != entry:
            raise ValueError(f"error code {code!r} registered twice with different texts")
        _CATALOGUE[code] = entry


def error_catalogue() -> dict[str, tuple[int, str, str]]:
    return dict(_CATALOGUE)


class ApplicationError(Exception):
    """A refusal with a stable snake_case code. ``params`` fill the message; ``extra`` is passed to the client."""

    def __init__(self, code: str, *, params: dict[str, Any] | None = None, extra: dict[str, Any] | None = None,
                 status: int | None = None) -> None:
        if code not in _CATALOGUE:
            raise KeyError(f"unknown error code {code!r}: register it with register_error_codes()")
        super().__init__(code)
        self.code = code
        self.params = params or {}
        self.extra = extra or {}
        self.status = status or _CATALOGUE[code][0]

    def detail(self, language: str | None = None) -> str:
        _, en, zh = _CATALOGUE[self.code]
        text = pick(language or None, zh=zh, en=en)
        try:
            return text.format(**self.params)
        except (KeyError, IndexError):
            return text

    def as_dict(self, language: str | None = None) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail(language), **self.extra}

    def __str__(self) -> str:
        return f"{self.code}: {self.detail('en')}"


# Seconds a client waits before retrying an ``unavailable`` send (the web client retries by itself, same client_id).
RETRY_AFTER_SECONDS = 2


def unavailable(retry_after: int = RETRY_AFTER_SECONDS) -> ApplicationError:
    """The retryable refusal while a system the request needs (the database) is unreachable: nothing was stored, the
    same request (same client_id) may be sent again after ``retry_after`` seconds."""
    return ApplicationError("unavailable", params={"retry_after": retry_after}, extra={"retry_after": retry_after})


_DRF_CODES = {
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.AuthenticationFailed: "not_authenticated",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.Throttled: "rate_limited",
}


def drf_exception_handler(exc: Exception, context: dict) -> Response | None:
    """The single mapping from exceptions to JSON errors ``{code, detail, ...}`` for the HTTP API."""
    # Token clients are authenticated by DRF after the middleware ran, so take their language from the user here.
    request = context.get("request")
    user = getattr(request, "user", None)
    language = getattr(user, "language", None) if user is not None and user.is_authenticated else None
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(language), status=exc.status)
    if isinstance(exc, drf_exceptions.ValidationError):
        err = ApplicationError("bad_request")
        return Response({**err.as_dict(language), "fields": exc.detail}, status=http.HTTP_400_BAD_REQUEST)
    for exc_type, code in _DRF_CODES.items():
        if isinstance(exc, exc_type):
            err = ApplicationError(code)
            response = drf_default_handler(exc, context)
            status = response.status_code if response is not None else err.status
            return Response(err.as_dict(language), status=status)
    response = drf_default_handler(exc, context)
    if response is not None:
        response.data = {"code": "bad_request", "detail": str(getattr(exc, "detail", exc))}
    return response
