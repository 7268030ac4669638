"""The report pages: the form every report link opens (``/report/?target=message:42``), the reporter's own list and
ticket pages, and the public handling statistics. Thin: each calls a service or a selector."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods

from groupchat.core.errors import ApplicationError
from groupchat.core.origin import Origin

from . import selectors, services
from .categories import plain_name, reasons
from .charts import statistics_charts
from .feedback import reporter_state, state_text
from .targets import target_resolve


def _target_label(kind: str) -> str:
    return {"message": translation.gettext("a message"), "user": translation.gettext("a user"),
            "group": translation.gettext("a group")}.get(kind, kind)


@require_http_methods(["GET", "POST"])
def report_form(request):
    """Two clicks from any message, member, profile or group page: the link opens this form with the target
    preselected; submitting files the report and shows the ticket number. Visitors are asked to log in first."""
    target = request.GET.get("target", "") or request.POST.get("target", "")
    kind, _, ident = target.partition(":")
    context = {"target": target, "kind": kind, "ident": ident, "kind_label": _target_label(kind),
               "reasons": reasons(), "error": None, "post": request.POST, "candidates": [], "resolved": None}
    if request.user.is_authenticated:
        try:
            resolved = target_resolve(target=target, reporter=request.user)
            if resolved.user is not None and resolved.user.pk == request.user.pk:
                raise ApplicationError("report_self")
            context["resolved"] = resolved
            context["candidates"] = selectors.evidence_candidates(reporter=request.user, target=resolved)
        except ApplicationError as exc:
            context["error"] = exc.detail()
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/login/?next={quote(f'/report/?target={target}', safe='')}")
        try:
            complaint = services.complaint_file(
                reporter=request.user, target=target, category=request.POST.get("category", ""),
                text=request.POST.get("text", ""),
                evidence_message_ids=[int(x) for x in request.POST.getlist("evidence") if x.isdigit()],
                origin=Origin.from_request(request))
        except ApplicationError as exc:
            context["error"] = exc.detail()  # the form is shown again with everything the reporter entered
            return render(request, "complaints/report_form.html", context, status=exc.status)
        return redirect(f"/reports/{complaint.number}/?filed=1")
    return render(request, "complaints/report_form.html", context)


def _row(complaint) -> dict:
    case = complaint.case
    return {"number": complaint.number, "created_at": complaint.created_at, "category": plain_name(complaint.category),
            "target_kind": _target_label(complaint.target_kind), "state": reporter_state(case),
            "state_text": state_text(case), "reason": case.outcome_reason if case.decided_at else "",
            "decided_at": complaint.decided_at, "text": complaint.text, "updated": complaint.updated_for_reporter}


@login_required
@require_GET
def my_reports(request):
    rows = [_row(c) for c in selectors.complaint_list_for_reporter(reporter=request.user, limit=100)]
    services.complaint_list_seen(reporter=request.user)  # shown once: the marks go after this visit
    return render(request, "complaints/mine.html", {"rows": rows})


@login_required
@require_GET
def report_detail(request, number: str):
    try:
        complaint = selectors.complaint_get_for_reporter(reporter=request.user, number=number)
    except ApplicationError as exc:
        raise Http404(exc.detail()) from exc
    return render(request, "complaints/detail.html", {"row": _row(complaint), "filed": "filed" in request.GET,
                                                      "due": complaint.decide_due})


@require_GET
def statistics_page(request):
    """Public (no login): reports received and handled per month and category, handling times, share within SLA."""
    figures = selectors.complaint_statistics_public()
    return render(request, "complaints/statistics.html", {
        "figures": figures, "charts": statistics_charts(figures),
        "by_category": selectors.statistics_by_category(figures),
        "share_pct": None if figures.within_sla_share is None else round(figures.within_sla_share * 100, 1)})
