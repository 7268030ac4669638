"""Account pages: log in, sign up, log out (forms post to the same services the API uses)."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from groupchat.core.errors import ApplicationError
from groupchat.core.origin import Origin

from . import services


@require_http_methods(["GET", "POST"])
def login_page(request):
    error = None
    if request.method == "POST":
        user = authenticate(request, username=request.POST.get("username", ""),
                            password=request.POST.get("password", ""))
        if user is not None:
            login(request, user, backend="accounts.backends.UsernameOrPhoneBackend")
            return redirect(request.GET.get("next") or "/")
        code = "locked_out" if getattr(request, "axes_locked_out", False) else "invalid_credentials"
        error = ApplicationError(code).detail()
    return render(request, "accounts/login.html", {"error": error}, status=401 if error else 200)


@require_http_methods(["GET", "POST"])
def signup_page(request):
    error = None
    if request.method == "POST":
        try:
            user = services.user_register(
                username=request.POST.get("username", ""), password=request.POST.get("password", ""),
                nickname=request.POST.get("nickname", ""), phone=request.POST.get("phone") or None,
                language=request.POST.get("language") or request.LANGUAGE_CODE, origin=Origin.from_request(request),
            )
        except ApplicationError as exc:
            error = exc.detail()
        else:
            login(request, user, backend="accounts.backends.UsernameOrPhoneBackend")
            return redirect("/")
    return render(request, "accounts/signup.html", {"error": error}, status=400 if error else 200)


def logout_page(request):
    if request.method == "POST":
        logout(request)
    return redirect("/login/")
