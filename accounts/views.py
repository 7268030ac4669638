"""Account pages: log in, sign up, log out (forms post to the same services the API uses)."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from groupchat.core.errors import ApplicationError
from groupchat.core.origin import Origin

from . import selectors, services


def _safe_next(request) -> str:
    """Where to go after logging in: the ``next`` parameter if it stays on this site, else the chat."""
    target = request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return "/"


@require_http_methods(["GET", "POST"])
def login_page(request):
    error = None
    if request.method == "POST":
        user = authenticate(request, username=request.POST.get("username", ""),
                            password=request.POST.get("password", ""))
        if user is not None:
            login(request, user, backend="accounts.backends.UsernameOrPhoneBackend")
            return redirect(_safe_next(request))
        code = "locked_out" if getattr(request, "axes_locked_out", False) else "invalid_credentials"
        error = ApplicationError(code).detail()
    elif request.user.is_authenticated:
        return redirect(_safe_next(request))
    return render(request, "accounts/login.html", {"error": error, "username": request.POST.get("username", ""),
                                                   "next": request.GET.get("next", "")},
                  status=401 if error else 200)


@require_http_methods(["GET", "POST"])
def signup_page(request):
    """Sign up: the current agreements (service, convention, privacy policy, rules) are shown with an unticked box
    that must be ticked; the account and its acceptances (with the request's origin) are written together (G5b)."""
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("accept_agreements") != "yes":
                raise ApplicationError("signup_agreements_required")
            user = services.user_register(
                username=request.POST.get("username", ""), password=request.POST.get("password", ""),
                nickname=request.POST.get("nickname", ""), phone=request.POST.get("phone") or None,
                language=request.POST.get("language") or request.LANGUAGE_CODE, accept_agreements=True,
                origin=Origin.from_request(request),
            )
        except ApplicationError as exc:
            error = exc.detail()
        else:
            login(request, user, backend="accounts.backends.UsernameOrPhoneBackend")
            return redirect(_safe_next(request))
    # What was typed comes back (all but the password, which a page never echoes), the box as it was left.
    form = {k: request.POST.get(k, "") for k in ("username", "nickname", "phone")}
    form["accept_agreements"] = request.POST.get("accept_agreements") == "yes"
    return render(request, "accounts/signup.html",
                  {"error": error, "form": form, "agreements": selectors.agreements_current()},
                  status=400 if error else 200)


def logout_page(request):
    if request.method == "POST":
        logout(request)
    return redirect("/login/")
