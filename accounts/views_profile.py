"""Profiles: the public one (front stage: nickname only) and my own (nickname and language)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from groupchat.core.errors import ApplicationError
from groupchat.core.origin import Origin

from . import services
from .models import User


def public_profile_page(request, user_id: int):
    """What anyone may see of a user: the nickname they chose and since when they are here. Never the real name,
    the ID number or the phone (G6a: 后台实名、前台自愿)."""
    user = get_object_or_404(User, pk=user_id, is_active=True)
    return render(request, "accounts/profile_public.html", {"profile": user})


@login_required
@require_http_methods(["GET", "POST"])
def my_profile_page(request):
    error = None
    if request.method == "POST":
        try:
            services.user_update_profile(user=request.user, nickname=request.POST.get("nickname", ""),
                                         language=request.POST.get("language") or None,
                                         origin=Origin.from_request(request))
        except ApplicationError as exc:
            error = exc.detail()
        else:
            return redirect("my-profile")
    return render(request, "accounts/profile_mine.html", {"error": error}, status=400 if error else 200)
