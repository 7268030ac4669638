"""Pages for the identity vault, agreements and credit (forms post to the same services as the API)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from groupchat.core.errors import ApplicationError
from groupchat.core.language import pick
from groupchat.core.origin import Origin

from . import selectors, services
from .conf import conf
from .identity import consent_current, consent_purpose
from .models import Agreement, AgreementKind, SubmissionStatus

PUBLIC_KINDS = {"agreement": AgreementKind.SERVICE, "convention": AgreementKind.CONVENTION,
                "rules": AgreementKind.RULES, "privacy": AgreementKind.PRIVACY}


def _lang() -> str:
    return translation.get_language() or "zh-hans"


def _ok(request, zh: str, en: str) -> None:
    messages.success(request, pick(None, zh=zh, en=en))


# The form carries the legal name, the ID number and the phone: error reports (mailed to the admins) star them out.
IDENTITY_POST_FIELDS = ("legal_name", "id_number", "phone", "code", "token")


@sensitive_post_parameters(*IDENTITY_POST_FIELDS)
@sensitive_variables()
@login_required
@require_http_methods(["GET", "POST"])
def identity_page(request):
    user, origin = request.user, Origin.from_request(request)
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "phone_send":
                sent = services.phone_code_send(user=user, phone=request.POST.get("phone", ""), origin=origin)
                request.session["pending_phone"] = sent.phone  # the normalised number the code was sent to
                _ok(request, "验证码已发送。", "A code has been sent.")
            elif action == "phone_verify":
                services.phone_verify(user=user, phone=request.session.get("pending_phone", ""),
                                      code=request.POST.get("code", ""), origin=origin)
                request.session.pop("pending_phone", None)
                _ok(request, "手机号认证成功（L1）。", "Phone verified (L1).")
            elif action == "consent":
                if request.POST.get("agree") != "yes":
                    raise ApplicationError("consent_required")
                services.consent_give(user=user, language=_lang(), origin=origin)
            elif action == "personal":
                services.identity_submit_personal(user=user, legal_name=request.POST.get("legal_name", ""),
                                                  id_number=request.POST.get("id_number", ""),
                                                  consent=consent_current(user), origin=origin)
                _ok(request, "已提交，等待审核。", "Submitted; waiting for review.")
            elif action == "network_id":
                services.identity_submit_network_id(user=user, token=request.POST.get("token", ""), origin=origin)
                _ok(request, "国家网络身份认证成功（L2）。", "National network ID verified (L2).")
            elif action == "organisation":
                services.identity_submit_organisation(user=user, org_name=request.POST.get("org_name", ""),
                                                      uscc=request.POST.get("uscc", ""), origin=origin)
                _ok(request, "已提交，等待审核。", "Submitted; waiting for review.")
            else:
                raise ApplicationError("bad_request")
        except ApplicationError as exc:
            error = exc.detail()
        else:
            return redirect("identity")
    state = selectors.identity_state(user)
    context = {
        "state": state,
        "error": error,
        "pending_phone": request.session.get("pending_phone", ""),
        "consent": consent_current(user),
        "purpose": consent_purpose(_lang()),
        "personal_pending": state.personal is not None and state.personal.status == SubmissionStatus.PENDING,
        "personal_rejected": state.personal is not None and state.personal.status == SubmissionStatus.REJECTED,
        "org_pending": state.organisation is not None and state.organisation.status == SubmissionStatus.PENDING,
        "org_rejected": state.organisation is not None and state.organisation.status == SubmissionStatus.REJECTED,
        "post_level": conf("POST_LEVEL"),
    }
    return render(request, "accounts/identity.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def agreements_page(request):
    """What the user must (re-)accept, with the full texts, and one button to accept."""
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("agreement") if i.isdigit()]
        try:
            services.agreements_accept(user=request.user, agreement_ids=ids or None,
                                       origin=Origin.from_request(request))
        except ApplicationError as exc:
            messages.error(request, exc.detail())
            return redirect("agreements")
        target = request.POST.get("next") or "/"
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = "/"
        return redirect(target)
    missing = selectors.agreements_missing(request.user)
    return render(request, "accounts/agreements.html", {
        "missing": missing, "current": selectors.agreements_current(), "next": request.GET.get("next", "/")})


def public_agreement_page(request, slug: str):
    """Public (no login): the current version of the rules, the convention or the service agreement (G5b)."""
    kind = PUBLIC_KINDS.get(slug)
    if kind is None:
        raise Http404
    versions = list(Agreement.objects.filter(kind=kind, published_at__isnull=False).order_by("-published_at"))
    wanted = request.GET.get("version")
    shown = next((a for a in versions if a.version == wanted), None) if wanted else selectors.agreement_current(kind)
    return render(request, "accounts/public_agreement.html", {
        "agreement": shown, "versions": versions, "kind": kind, "slug": slug,
        "others": [(s, k) for s, k in PUBLIC_KINDS.items() if s != slug]})


@login_required
def credit_page(request):
    perms = selectors.grade_permissions_for(request.user)
    return render(request, "accounts/credit.html", {
        "perms": perms, "history": selectors.credit_history(request.user), "table": selectors.grade_table(),
        "grades": conf("CREDIT_GRADES"), "start": conf("CREDIT_START"),
        "recovery_days": conf("CREDIT_RECOVERY_DAYS")})
