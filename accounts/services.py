"""Account writes: registration, profile changes, and the login/logout network-log records (G13b).

Invariants: a user's legal identity never enters this app's tables; the nickname is the only name others see.
"""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.hooks import run_hooks
from groupchat.core.origin import Origin

from . import errors  # noqa: F401  (registers this app's error codes)
from .idnumbers import login_name_hmac, login_name_mask, phone_normalise, phone_validate
from .models import User


@transaction.atomic
def user_register(*, username: str, password: str, nickname: str = "", phone: str | None = None,
                  language: str = "zh-hans", accept_agreements: bool = False, origin: Origin) -> User:
    """Create an account. Side effects: network-log record ``account.register``; with ``accept_agreements`` (the
    sign-up form's ticked agreement box) acceptance rows for every current agreement version (G5b)."""
    username = username.strip()
    if User.objects.filter(username=username).exists():
        raise ApplicationError("username_taken")
    if phone:
        phone = phone_validate(phone)
        if User.objects.filter(phone=phone).exists():
            raise ApplicationError("phone_taken")
    nickname = (nickname or username).strip()
    if not 1 <= len(nickname) <= 40:
        raise ApplicationError("invalid_nickname")
    run_hooks("text.screen", text=nickname, field="nickname", user=None)  # screened like content (§2.3, G10)
    candidate = User(username=username, nickname=nickname, phone=phone or None)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ApplicationError("weak_password", params={"reason": " ".join(exc.messages)}) from exc
    user = User.objects.create_user(username, password, nickname=nickname, phone=phone or None,
                                    language=language if language in ("zh-hans", "en") else "zh-hans")
    record("account.register", actor_id=user.pk, origin=origin, data={"username": username})
    if accept_agreements:
        agreements_accept(user=user, origin=origin)
    return user


def user_update_profile(*, user: User, nickname: str | None = None, language: str | None = None,
                        origin: Origin | None = None) -> User:
    """Change the front-stage profile. Side effects: network-log record ``account.profile`` with the origin and, per
    changed field, ``{"from": old, "to": new}`` (a nickname is what others see: G13b keeps who was called what, when).

    Hooks: ``profile.text.check`` (user, fields) lets screening refuse a nickname (REGULATION §2.3)."""
    changes: dict[str, dict[str, str]] = {}
    if nickname is not None:
        nickname = nickname.strip()
        if not 1 <= len(nickname) <= 40:
            raise ApplicationError("invalid_nickname")
        if nickname != user.nickname:
            run_hooks("profile.text.check", user=user, fields={"nickname": nickname})
            run_hooks("text.screen", text=nickname, field="nickname", user=user)  # screened like content (G10)
            changes["nickname"] = {"from": user.nickname, "to": nickname}
            user.nickname = nickname
    if language is not None and language in ("zh-hans", "en") and language != user.language:
        changes["language"] = {"from": user.language, "to": language}
        user.language = language
    if changes:
        with transaction.atomic():
            user.save(update_fields=list(changes))
            record("account.profile", actor_id=user.pk, origin=origin, data={"fields": list(changes), **changes})
    return user


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    record("auth.login", actor_id=user.pk, origin=Origin.from_request(request) if request else None)


def on_user_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record("auth.logout", actor_id=user.pk, origin=Origin.from_request(request) if request else None)


def on_user_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """What was typed as the username may be a phone or an ID number (or a password typed in the wrong box): the log
    keeps a masked form and a keyed hash of its normalised text, never the text itself; and, when it names an
    account (username or phone), that account's id as the target."""
    typed = str(credentials.get("username", ""))[:60]
    target = (User.objects.filter(username=typed).values_list("pk", flat=True).first()
              or User.objects.filter(phone=phone_normalise(typed)).values_list("pk", flat=True).first()) if typed else None
    record("auth.login_failed", actor_id=None, target_id=target,
           origin=Origin.from_request(request) if request else None,
           data={"username": login_name_mask(typed), "username_hmac": login_name_hmac(typed)})


# The identity vault, agreements and credit live in their own modules; these are the entry points other code uses.
from .agreements import agreement_publish, agreements_accept  # noqa: E402
from .credit import (  # noqa: E402
    credit_change,
    credit_penalise,
    credit_recover_sweep,
    grade_permission_update,
    grade_table_ensure,
)
from .deactivation import user_deactivate, user_reactivate  # noqa: E402
from .identity import (  # noqa: E402
    consent_give,
    identity_approve,
    identity_reencrypt,
    identity_reject,
    identity_reveal,
    identity_submit_network_id,
    identity_submit_organisation,
    identity_submit_personal,
    phone_code_send,
    phone_verify,
)
from .minors import guardian_consent_record  # noqa: E402
from .roles import roles_ensure  # noqa: E402

__all__ = [
    "agreement_publish", "agreements_accept", "consent_give", "credit_change",
    "credit_penalise", "credit_recover_sweep", "grade_permission_update", "grade_table_ensure",
    "guardian_consent_record", "identity_approve", "identity_reencrypt", "identity_reject",
    "identity_reveal", "identity_submit_network_id", "identity_submit_organisation", "identity_submit_personal",
    "on_user_logged_in", "on_user_logged_out", "on_user_login_failed", "phone_code_send", "phone_verify",
    "roles_ensure", "user_deactivate", "user_reactivate", "user_register", "user_update_profile",
]
