"""Pages of the chat UI: server-rendered shells; the live parts talk to /api/v1/ and the one socket at /ws/."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_GET

from groupchat.core.errors import ApplicationError

from . import selectors
from .models import GroupCategory, Invitation


def _category_name(slug: str) -> str:
    category = GroupCategory.objects.filter(slug=slug).first() if slug else None
    return category.name(translation.get_language() or "zh-hans") if category else slug


def _group_or_404(code: str):
    try:
        return selectors.group_get(code=code)
    except ApplicationError as exc:
        raise Http404(exc.detail()) from exc


@require_GET
def home(request):
    """The chat: group list, message pane, composer, member list (all filled live by static/js/chat.js).
    Visitors who are not logged in get the public landing page."""
    if not request.user.is_authenticated:
        return render(request, "groups/landing.html", {})
    return render(request, "groups/chat.html", {"open_code": request.GET.get("g", "")})


@require_GET
def group_code_lookup(request):
    """The landing page's look-up: straight to the group's public info page (404 there for an unknown code)."""
    code = "".join(ch for ch in request.GET.get("code", "") if ch.isdigit())
    return redirect(f"/g/{code}/") if code else redirect("/")


@require_GET
def group_info(request, code: str):
    """The public group info page (G8b): works without logging in."""
    group = _group_or_404(code)
    managers = selectors.member_list(group=group, roles=selectors.MANAGER_ROLES)
    membership = None
    if request.user.is_authenticated:
        membership = selectors.membership_get(user=request.user, group=group)
    language = translation.get_language() or "zh-hans"
    return render(request, "groups/info.html", {
        "group": group, "managers": managers, "membership": membership,
        "category_name": _category_name(group.category),
        "tier_name": group.tier.name(language) if group.tier_id else "",
        "pending_owner_is_me": request.user.is_authenticated and group.pending_owner_id == request.user.pk,
    })


@login_required
@require_GET
def group_manage(request, code: str):
    group = _group_or_404(code)
    membership = selectors.membership_get(user=request.user, group=group)
    return render(request, "groups/manage.html", {"group": group, "membership": membership})


@login_required
@require_GET
def group_find(request):
    """找群: the directory of public groups open to join, by category and activity, searchable within (G8b)."""
    q = request.GET.get("q", "").strip()[:60]
    category = request.GET.get("category", "").strip()[:30]
    page = selectors.group_directory(category=category, query=q, cursor=request.GET.get("after", "")[:80])
    language = translation.get_language() or "zh-hans"
    categories = selectors.directory_categories(query=q)
    names = {c.slug: c.name(language) for c, _ in categories}
    # A group of a category no longer listed (inactive): its name too, in one query for the page, not one per row.
    unlisted = {g.category for g in page.groups if g.category} - names.keys()
    if unlisted:
        names.update((c.slug, c.name(language)) for c in GroupCategory.objects.filter(slug__in=unlisted))
    return render(request, "groups/find.html", {
        "q": q, "category": category, "next_cursor": page.next_cursor, "after": request.GET.get("after", ""),
        "categories": [{"slug": c.slug, "name": names[c.slug], "count": n} for c, n in categories],
        "groups": [{"group": g, "category_name": names.get(g.category, g.category)}
                   for g in page.groups],
    })


@login_required
@require_GET
def group_create(request):
    return render(request, "groups/create.html", {})


@login_required
@require_GET
def invitation(request, token: str):
    invite = Invitation.objects.select_related("group", "inviter").filter(token=token).first()
    return render(request, "groups/invite.html", {"invite": invite, "token": token})
