"""The page "My measures" (/me/measures/, under My credit): the measures on me and my groups, and the appeal form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from groupchat.core.errors import ApplicationError
from groupchat.core.language import pick
from groupchat.core.origin import Origin

from .appeals import APPEAL_DAYS, appeal_file, appeal_open
from .categories import BY_CODE
from .selectors_measures import measure_get_for_user, measure_list_for_user


@login_required
@require_http_methods(["GET", "POST"])
def my_measures_page(request):
    user = request.user
    if request.method == "POST":
        try:
            measure = measure_get_for_user(user=user, measure_id=int(request.POST.get("measure") or 0))
            appeal_file(measure=measure, user=user, text=request.POST.get("text", ""),
                        origin=Origin.from_request(request))
        except (ApplicationError, ValueError) as exc:
            error = exc if isinstance(exc, ApplicationError) else ApplicationError("bad_request")
            messages.error(request, error.detail(user.language))
        else:
            messages.success(request, pick(user.language, zh="申诉已提交，将由其他审核员处理。",
                                           en="Your appeal was filed; another moderator will decide it."))
        return redirect("my-measures")
    rows = [{"measure": m, "reason": BY_CODE[m.reason_code].name(user.language), "appealable": appeal_open(m, user),
             "appeal": getattr(m, "appeal", None) if hasattr(m, "appeal") else None}
            for m in measure_list_for_user(user=user)]
    return render(request, "moderation/measures/mine.html", {"rows": rows, "appeal_days": APPEAL_DAYS})
