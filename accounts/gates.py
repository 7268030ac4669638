"""The checks accounts lends the send / create / join / admin paths of groups, which calls them directly.

Each check reads fresh state: a socket's ``scope["user"]`` was loaded at connect and may be stale after the user
verifies or accepts elsewhere. The send path reads it for a whole batch in one query (``user_gate_states``); the
grade's rate limit costs one more Redis round trip per batch, and only when it is stricter than the platform's.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings

from groupchat.core import ratelimit
from groupchat.core.errors import ApplicationError

from . import errors  # noqa: F401  (registers the codes these checks raise)
from .agreements import agreement_check
from .conf import conf
from .models import User
from .selectors import grade_permissions_for_score, user_gate_states


def _fresh(user: User) -> tuple[int, int]:
    row = User.objects.filter(pk=user.pk).values_list("verification_level", "credit_score").first()
    if row is None:
        raise ApplicationError("not_authenticated")
    return row


def _require_verified(level: int) -> None:
    if level < conf("POST_LEVEL"):
        raise ApplicationError("realname_required", extra={"url": "/me/identity/"})


class SendGates:
    """The accounts gates of one batch of sends (G6a + G5b + G7b + G11): active, verified, current agreements
    accepted, within the grade's message rate. Read for every sender of the batch in one query, and the batch's
    messages counted against each sender's grade rate in one Redis round trip; ``check`` then answers per message,
    each message taking its turn's rate outcome."""

    def __init__(self, sender_counts: Mapping[int, int], *, count_rate: bool = True) -> None:
        self.states = user_gate_states(sender_counts)
        self.turns = _grade_rate_turns(self.states, sender_counts) if count_rate else {}

    def check(self, user: User) -> None:
        """Raise the ApplicationError refusing ``user``'s next message of the batch, if any."""
        state = self.states.get(user.pk)
        if state is None:
            raise ApplicationError("not_authenticated")
        if not state.is_active:
            raise ApplicationError("account_inactive")
        _require_verified(state.level)
        if state.agreements_missing:
            agreement_check(user)  # builds the refusal with the versions to accept
        turns = self.turns.get(user.pk)
        if turns and not turns.pop(0):
            raise ApplicationError("rate_limited")


def _grade_rate(state) -> str | None:
    """The grade's message rate when it is stricter than (i.e. differs from) the platform's send rate, else None."""
    rate = state.message_rate
    return rate if rate and rate != settings.GROUPCHAT["SEND_RATE"] else None


def _grade_rate_turns(states: dict, sender_counts: dict[int, int]) -> dict[int, list[bool]]:
    hits = [(uid, rate) for uid, count in sender_counts.items() if uid in states
            and (rate := _grade_rate(states[uid])) for _ in range(count)]
    outcomes = ratelimit.hit_many([(rate, ("send-grade", str(uid))) for uid, rate in hits])
    turns: dict[int, list[bool]] = {}
    for (uid, _), ok in zip(hits, outcomes, strict=True):
        turns.setdefault(uid, []).append(ok)
    return turns


def group_create_check(*, user: User, **_) -> None:
    """Creating a group: verified, agreements accepted, and a grade that may create groups at all (grade D may not).
    The per-day and owned caps of the grade are counted by groups (G8a) inside its create transaction."""
    level, score = _fresh(user)
    _require_verified(level)
    agreement_check(user)
    perms = grade_permissions_for_score(score)
    if perms.groups_created_per_day <= 0 or not perms.max_owned_tier:
        raise ApplicationError("credit_insufficient", extra={"grade": perms.grade})


def group_join_check(*, user: User, **_) -> None:
    level, _score = _fresh(user)
    _require_verified(level)
    agreement_check(user)


def group_admin_check(*, user: User, **_) -> None:
    """Only grades whose table row says admin-eligible may be appointed admin (the target's grade counts)."""
    _level, score = _fresh(user)
    perms = grade_permissions_for_score(score)
    if not perms.admin_eligible:
        raise ApplicationError("credit_insufficient", extra={"grade": perms.grade})
