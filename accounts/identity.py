"""Identity verification services: L1 phone code, L2 name + ID number or national network ID, L3 organisation.

Invariants:
- Plaintext legal names and ID numbers exist only in memory while a request is handled: the database holds ciphertext
  (``crypto.encrypt``), a masked copy for screens and a keyed blind index; nothing here logs or records them.
- The ID number is collected only after a separate, recorded consent (PIPL Art 29) showing the purpose (Art 30).
- One identity verifies at most ``ACCOUNTS_PER_IDENTITY`` accounts (pending or approved, by blind index).
- Every full reveal goes through ``identity_reveal``, which records the attempt whether or not it is allowed.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from stdnum.cn import ric

from groupchat.core.broadcast import notify_user_on_commit
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.hooks import run_hooks
from groupchat.core.language import pick
from groupchat.core.origin import Origin

from . import crypto, errors  # noqa: F401  (errors registers this app's codes)
from .conf import conf
from .idnumbers import (
    ascii_digits,
    id_number_hmac,
    id_number_mask,
    id_number_validate,
    name_mask,
    phone_mask,
    phone_normalise,
    phone_validate,
    uscc_validate,
)
from .minors import guardian_consent_missing
from .models import (
    IdentityConsent,
    IdentityReveal,
    IdentitySubmission,
    PhoneCode,
    SubmissionKind,
    SubmissionStatus,
    User,
    VerificationLevel,
)
from .providers import identity_checker, network_id_verifier, sms_sender

CONSENT_VERSION = "2026.1"
CONSENT_PURPOSE = {
    "zh-hans": (
        "为履行《网络安全法》和《互联网群组信息服务管理规定》规定的真实身份信息认证义务，我们需要处理你的姓名和身份证号码"
        "（敏感个人信息）。用途：仅用于核验你的真实身份、防止同一身份注册过多账号、执行依法作出的黑名单措施，以及依法配合"
        "主管部门的检查。处理方式：加密存储，界面只显示脱敏信息，工作人员查看完整信息须说明理由并被记录；可能提交给身份核验"
        "服务机构比对。对你的影响：不同意则无法完成二级实名认证，但你仍可使用手机号认证或国家网络身份认证。"
    ),
    "en": (
        "To meet the real-identity verification duty of the Cybersecurity Law and the Provisions on Internet Group "
        "Information Services, we need to process your legal name and resident ID number (sensitive personal "
        "information). Purpose: only to verify your real identity, to stop one identity from holding too many accounts, "
        "to enforce lawful blacklist measures and to cooperate with lawful inspections. How: stored encrypted; screens "
        "show masked values; staff who view the full data must give a reason, and each view is recorded; the data may "
        "be sent to an identity verification provider for checking. Impact: without this consent you cannot complete "
        "L2 verification, but phone verification and the national network ID remain available."
    ),
}


def consent_purpose(language: str) -> str:
    return CONSENT_PURPOSE[pick(language or "", zh="zh-hans", en="en")]


def _notify(user_id: int, text_zh: str, text_en: str, *, level: str = "info", language: str = "zh-hans") -> None:
    notify_user_on_commit(user_id, pick(language, zh=text_zh, en=text_en), level=level)


def _require_level(user: User, level: int) -> None:
    current = User.objects.filter(pk=user.pk).values_list("verification_level", flat=True).first() or 0
    if current < level:
        raise ApplicationError("verification_level_required", params={"level": level})


def _code_hash(user_id: int, phone: str, code: str) -> str:
    return crypto.blind_index(f"{user_id}:{phone}:{code}", purpose="sms")


# --- L1: phone ---------------------------------------------------------------------------------------------------
def phone_code_send(*, user: User, phone: str, origin: Origin | None = None, language: str = "zh-hans") -> PhoneCode:
    """Send a one-time code to ``phone``. Side effects: SMS through the configured sender; network log
    ``identity.phone_code`` (masked number)."""
    phone = phone_validate(phone)
    if User.objects.filter(phone=phone).exclude(pk=user.pk).exists():
        raise ApplicationError("phone_taken")
    now = timezone.now()
    recent = now - timedelta(seconds=conf("PHONE_CODE_RESEND_SECONDS"))
    if PhoneCode.objects.filter(user=user, created_at__gt=recent).exists():
        raise ApplicationError("phone_code_throttled")
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        row = PhoneCode.objects.create(user=user, phone=phone, code_hash=_code_hash(user.pk, phone, code),
                                       created_at=now,
                                       expires_at=now + timedelta(seconds=conf("PHONE_CODE_TTL_SECONDS")))
        record("identity.phone_code", actor_id=user.pk, origin=origin, data={"phone": phone_mask(phone)})
    minutes = conf("PHONE_CODE_TTL_SECONDS") // 60
    sms_sender().send(phone=phone, text=f"【groupchat】验证码 {code}，{minutes}分钟内有效，请勿告诉他人。"
                                        f" Your groupchat code is {code}; valid {minutes} minutes.")
    return row


def phone_verify(*, user: User, phone: str, code: str, origin: Origin | None = None) -> User:
    """Check the code; on success the phone becomes the account's verified number (L1).

    Side effects: network log ``identity.verified`` (level 1). A wrong code counts an attempt; after
    ``PHONE_CODE_MAX_ATTEMPTS`` the code is dead.
    """
    phone = phone_normalise(phone)
    code = ascii_digits(code or "")
    now = timezone.now()
    row = (PhoneCode.objects.filter(user=user, phone=phone, used_at__isnull=True, expires_at__gt=now)
           .order_by("-created_at").first())
    if row is None or row.attempts >= conf("PHONE_CODE_MAX_ATTEMPTS"):
        raise ApplicationError("phone_code_invalid")
    if not hmac.compare_digest(row.code_hash, _code_hash(user.pk, phone, code)):
        # Count the attempt outside any transaction the caller might roll back.
        PhoneCode.objects.filter(pk=row.pk).update(attempts=row.attempts + 1)
        raise ApplicationError("phone_code_invalid")
    try:
        with transaction.atomic():
            if PhoneCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now) != 1:
                raise ApplicationError("phone_code_invalid")
            user = User.objects.select_for_update().get(pk=user.pk)
            user.phone = phone
            user.phone_verified_at = now
            user.verification_level = max(user.verification_level, VerificationLevel.PHONE)
            user.save(update_fields=["phone", "phone_verified_at", "verification_level"])
            record("identity.verified", actor_id=user.pk, origin=origin,
                   data={"level": 1, "method": "phone", "phone": phone_mask(phone)})
    except IntegrityError as exc:
        raise ApplicationError("phone_taken") from exc
    return user


# --- L2 / L3 -----------------------------------------------------------------------------------------------------
def consent_give(*, user: User, language: str = "zh-hans", origin: Origin | None = None) -> IdentityConsent:
    """Record the separate consent to processing the ID number, with the purpose text shown."""
    with transaction.atomic():
        consent = IdentityConsent.objects.create(user=user, purpose_version=CONSENT_VERSION,
                                                 purpose_text=consent_purpose(language),
                                                 ip=origin.ip if origin else None)
        record("identity.consent", actor_id=user.pk, origin=origin, data={"version": CONSENT_VERSION})
    return consent


def consent_current(user: User) -> IdentityConsent | None:
    return (IdentityConsent.objects.filter(user=user, purpose_version=CONSENT_VERSION)
            .order_by("-accepted_at").first())


def _check_identity_free(*, user: User, id_hmac: str) -> None:
    others = (IdentitySubmission.objects.filter(
        id_hmac=id_hmac, status__in=[SubmissionStatus.PENDING, SubmissionStatus.APPROVED])
        .exclude(user=user).values("user").distinct().count())
    if others >= conf("ACCOUNTS_PER_IDENTITY"):
        raise ApplicationError("identity_taken")


def _check_no_pending(user: User, level: int) -> None:
    if IdentitySubmission.objects.filter(user=user, level=level, status=SubmissionStatus.PENDING).exists():
        raise ApplicationError("identity_pending")


@transaction.atomic
def _submission_create(*, user: User, kind: str, level: int, origin: Origin | None, id_hmac: str = "",
                       **fields) -> IdentitySubmission:
    """A new submission of ``user`` at ``level``: one at a time per user (the user row is locked), none while another
    at that level is pending, and (with ``id_hmac``) not an identity already held by too many other accounts.
    Side effects: network log ``identity.submit`` (no plaintext)."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    _check_no_pending(user, level)
    if id_hmac:
        _check_identity_free(user=user, id_hmac=id_hmac)
    submission = IdentitySubmission.objects.create(user=user, kind=kind, level=level, id_hmac=id_hmac, **fields)
    record("identity.submit", actor_id=user.pk, origin=origin, data={"submission": submission.pk, "kind": kind})
    return submission


# Error reports list each frame's variables: these hold the plaintext name and number.
@sensitive_variables("legal_name", "id_number", "name", "number")
def identity_submit_personal(*, user: User, legal_name: str, id_number: str, consent: IdentityConsent | None,
                             origin: Origin | None = None) -> IdentitySubmission:
    """L2 by legal name + ID number. Needs L1 and the separate consent.

    The number is validated (REGULATION §4), encrypted with the name, and handed to the identity checker; a
    manual-review checker leaves it pending. Hooks: ``identity.check`` (user, id_hmac) lets moderation refuse
    blacklisted identities. Side effects: network log ``identity.submit`` (no plaintext).
    """
    _require_level(user, VerificationLevel.PHONE)
    if consent is None or consent.user_id != user.pk or consent.purpose_version != CONSENT_VERSION:
        raise ApplicationError("consent_required")
    name = re.sub(r"\s+", " ", (legal_name or "").strip())
    if not 2 <= len(name) <= 40:
        raise ApplicationError("legal_name_invalid")
    number = id_number_validate(id_number)
    id_hmac = id_number_hmac(number)
    run_hooks("identity.check", user=user, id_hmac=id_hmac)
    submission = _submission_create(
        user=user, kind=SubmissionKind.PERSONAL, level=VerificationLevel.PERSONAL, origin=origin, id_hmac=id_hmac,
        birth_date=ric.get_birth_date(number),
        legal_name_enc=crypto.encrypt(name), legal_name_masked=name_mask(name), id_number_enc=crypto.encrypt(number),
        id_number_masked=id_number_mask(number), consent=consent, provider=type(identity_checker()).__name__)
    result = identity_checker().check_personal(submission_id=submission.pk, legal_name=name, id_number=number)
    return _apply_result(submission, result)


def identity_submit_network_id(*, user: User, token: str, origin: Origin | None = None) -> IdentitySubmission:
    """L2 by the national network ID (网号/网证): only the token and the result are stored, never an ID number."""
    _require_level(user, VerificationLevel.PHONE)
    token = (token or "").strip()[:200]
    result = network_id_verifier().verify(token=token)
    if not result.ok:
        record("identity.network_id_failed", actor_id=user.pk, origin=origin, data={"result": result.detail})
        raise ApplicationError("network_id_invalid")
    id_hmac = crypto.blind_index(result.subject, purpose="ctid")
    run_hooks("identity.check", user=user, id_hmac=id_hmac)
    with transaction.atomic():
        submission = _submission_create(
            user=user, kind=SubmissionKind.NETWORK_ID, level=VerificationLevel.PERSONAL, origin=origin,
            id_hmac=id_hmac, network_id_token=token, network_id_result=result.detail,
            provider=type(network_id_verifier()).__name__)
        return _approve(submission, reviewer=None, origin=origin)


def identity_submit_organisation(*, user: User, org_name: str, uscc: str,
                                 origin: Origin | None = None) -> IdentitySubmission:
    """L3 by unified social credit code (GB 32100 check) and the organisation's registered name."""
    _require_level(user, VerificationLevel.PHONE)
    name = (org_name or "").strip()
    if not 2 <= len(name) <= 100:
        raise ApplicationError("org_name_invalid")
    code = uscc_validate(uscc)
    submission = _submission_create(
        user=user, kind=SubmissionKind.ORGANISATION, level=VerificationLevel.ORGANISATION, origin=origin,
        org_name=name, uscc=code, provider=type(identity_checker()).__name__)
    result = identity_checker().check_organisation(submission_id=submission.pk, org_name=name, uscc=code)
    return _apply_result(submission, result)


def _apply_result(submission: IdentitySubmission, result) -> IdentitySubmission:
    IdentitySubmission.objects.filter(pk=submission.pk).update(provider_ref=result.ref[:120])
    submission.provider_ref = result.ref[:120]
    if result.status == "approved":
        if guardian_consent_missing(user_id=submission.user_id, born=submission.birth_date):
            # Kept pending, not refused: a reviewer approves once the guardian's consent is recorded (PIPL Art 31).
            _notify(submission.user_id, "你未满14周岁：需监护人同意后才能完成实名认证，请联系客服提交监护人同意书。",
                    "You are under 14: your verification completes once your guardian's consent is recorded; "
                    "please send the guardian's consent form to support.", level="warning",
                    language=submission.user.language)
            return submission
        with transaction.atomic():
            return _approve(submission, reviewer=None)
    if result.status == "rejected":
        with transaction.atomic():
            return _reject(submission, reviewer=None, reason=result.reason or "provider")
    return submission


def _lock_pending(submission_id: int) -> IdentitySubmission:
    submission = IdentitySubmission.objects.select_for_update().select_related("user").get(pk=submission_id)
    if submission.status != SubmissionStatus.PENDING:
        raise ApplicationError("submission_not_pending")
    return submission


def _approve(submission: IdentitySubmission, *, reviewer: User | None,
             origin: Origin | None = None) -> IdentitySubmission:
    submission = _lock_pending(submission.pk)
    if submission.id_hmac:
        _check_identity_free(user=submission.user, id_hmac=submission.id_hmac)
    if guardian_consent_missing(user_id=submission.user_id, born=submission.birth_date):
        raise ApplicationError("guardian_consent_required")
    now = timezone.now()
    # Identity changes are re-verified: the new approval replaces the old one of the same level.
    IdentitySubmission.objects.filter(user=submission.user, level=submission.level,
                                      status=SubmissionStatus.APPROVED).update(status=SubmissionStatus.SUPERSEDED)
    submission.status = SubmissionStatus.APPROVED
    submission.decided_at = now
    submission.decided_by = reviewer
    submission.save(update_fields=["status", "decided_at", "decided_by"])
    user = User.objects.select_for_update().get(pk=submission.user_id)
    fields = []
    if user.verification_level < submission.level:
        user.verification_level = submission.level
        fields.append("verification_level")
    if submission.kind == SubmissionKind.PERSONAL and user.birth_date != submission.birth_date:
        user.birth_date = submission.birth_date  # the approved identity's, for the minors' rules
        fields.append("birth_date")
    if fields:
        user.save(update_fields=fields)
    record("identity.verified", actor_id=reviewer.pk if reviewer else None, origin=origin, target_id=user.pk,
           data={"level": submission.level, "method": submission.kind, "submission": submission.pk})
    _notify(user.pk, f"实名认证已通过（L{submission.level}）。", f"Your identity verification (L{submission.level}) was approved.",
            language=user.language)
    return submission


def _reject(submission: IdentitySubmission, *, reviewer: User | None, reason: str,
            origin: Origin | None = None) -> IdentitySubmission:
    submission = _lock_pending(submission.pk)
    submission.status = SubmissionStatus.REJECTED
    submission.decided_at = timezone.now()
    submission.decided_by = reviewer
    submission.reject_reason = reason
    submission.save(update_fields=["status", "decided_at", "decided_by", "reject_reason"])
    record("identity.rejected", actor_id=reviewer.pk if reviewer else None, origin=origin,
           target_id=submission.user_id, data={"submission": submission.pk, "level": submission.level})
    _notify(submission.user_id, f"实名认证未通过：{reason}。请更正后重新提交。",
            f"Your identity verification was rejected: {reason}. Please correct it and submit again.",
            level="warning", language=submission.user.language)
    return submission


def _require_reviewer(reviewer: User) -> None:
    if not reviewer.has_perm("accounts.review_identity"):
        raise ApplicationError("permission_denied")


@transaction.atomic
def identity_approve(*, submission_id: int, reviewer: User, origin: Origin | None = None) -> IdentitySubmission:
    """An identity reviewer approves a pending submission. Side effects: level raised; ``identity.verified``."""
    _require_reviewer(reviewer)
    return _approve(IdentitySubmission(pk=submission_id), reviewer=reviewer, origin=origin)


@transaction.atomic
def identity_reject(*, submission_id: int, reviewer: User, reason: str,
                    origin: Origin | None = None) -> IdentitySubmission:
    """An identity reviewer rejects a pending submission with a reason the user sees (and can correct)."""
    _require_reviewer(reviewer)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("reject_reason_required")
    return _reject(IdentitySubmission(pk=submission_id), reviewer=reviewer, reason=reason[:500], origin=origin)


def _reveal_record(*, actor: User, submission: IdentitySubmission, reason: str, granted: bool,
                   origin: Origin | None) -> None:
    with transaction.atomic():
        IdentityReveal.objects.create(actor=actor, subject_id=submission.user_id, submission=submission,
                                      reason=reason[:1000], granted=granted, ip=origin.ip if origin else None)
        record("identity.reveal", actor_id=actor.pk, origin=origin, target_id=submission.user_id,
               data={"submission": submission.pk, "granted": granted})


def identity_unmask(*, actor: User, submission: IdentitySubmission, reason: str,
                    origin: Origin | None = None) -> dict[str, str]:
    """The unmasked legal name and ID number of ``submission``: the vault's one way out. The caller has established
    the authority (an officer's permission and reason, an approved inspection request); this records it.

    Side effects (one transaction, committed before the plaintext is returned): an ``IdentityReveal`` row (granted)
    and a network-log ``identity.reveal`` record.
    """
    _reveal_record(actor=actor, submission=submission, reason=reason, granted=True, origin=origin)
    return {
        "legal_name": crypto.decrypt(submission.legal_name_enc) if submission.legal_name_enc else "",
        "id_number": crypto.decrypt(submission.id_number_enc) if submission.id_number_enc else "",
    }


def identity_reveal(*, actor: User, submission_id: int, reason: str, origin: Origin | None = None) -> dict[str, str]:
    """Return the unmasked legal name and ID number of a submission.

    Needs permission ``accounts.reveal_identity`` and a typed reason of at least 5 characters. Every attempt, allowed
    or not, is an ``IdentityReveal`` row and a network-log ``identity.reveal`` record (``identity_unmask``), each
    committed on its own so a refusal is recorded too.
    """
    submission = IdentitySubmission.objects.get(pk=submission_id)
    reason = (reason or "").strip()
    allowed = actor.has_perm("accounts.reveal_identity")
    if allowed and len(reason) >= 5:
        return identity_unmask(actor=actor, submission=submission, reason=reason, origin=origin)
    _reveal_record(actor=actor, submission=submission, reason=reason, granted=False, origin=origin)
    raise ApplicationError("permission_denied" if not allowed else "reveal_reason_required")


def identity_reencrypt(*, batch_size: int = 500) -> int:
    """Re-encrypt every vault field not yet under the newest key (after a key was prepended). Returns rows changed."""
    changed = 0
    qs = IdentitySubmission.objects.exclude(legal_name_enc="", id_number_enc="").only(
        "pk", "legal_name_enc", "id_number_enc")
    for submission in qs.iterator(chunk_size=batch_size):
        fields = []
        for name in ("legal_name_enc", "id_number_enc"):
            token = getattr(submission, name)
            if token and not crypto.is_current(token):
                setattr(submission, name, crypto.rotate(token))
                fields.append(name)
        if fields:
            submission.save(update_fields=fields)
            changed += 1
    return changed
