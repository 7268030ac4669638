"""What screening lends the lower apps (registered in moderation/apps.py): the batch hook on the message path
(``"message.screen"``) and the hook on other texts (``"text.screen"``).

Decisions per message, strongest wins: a rule's action (block > hold > flag); the tier's ``screening_intensity``
(enhanced: a flag is held instead; strict: the same, and every message of a sender with credit grade C or below is
held); the ``hold_all`` emergency switch. Block -> ``content_blocked`` with the category in plain words, the attempt
kept as evidence; hold -> a ``HeldMessage`` (idempotent on sender and client_id); flag -> a ``FlaggedItem`` review
item keyed by (sender, client_id), the message delivered as usual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection, connections
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.selectors import grade_for
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record_many
from groups.models import ScreeningIntensity, TierPolicy
from groups.screening import PASS, ScreenItem, Verdict

from .. import errors  # noqa: F401  (registers the codes)
from ..categories import BY_CODE
from ..models_screening import BlockedAttempt, FlaggedItem, HeldMessage, HeldStatus, SwitchKind, TextField
from ..switches import on_in, switches_on
from . import automaton, reload
from .automaton import NO_MATCH, Match
from .normalise import normalise

# Grades whose every message is held in a group of strict screening intensity.
STRICT_HOLD_GRADES = ("C", "D")

_intensities: dict[int, str] = {}


def _load_tiers() -> None:
    global _intensities
    _intensities = dict(TierPolicy.objects.values_list("id", "screening_intensity"))


reload.register_loader("tiers", _load_tiers)


def blocked_error(category: str) -> ApplicationError:
    """``content_blocked`` naming the category in plain words (both languages; the detail picks one)."""
    cat = BY_CODE.get(category)
    return ApplicationError("content_blocked", params={"category_en": cat.en if cat else category,
                                                       "category_zh": cat.zh if cat else category},
                            extra={"category": category})


def write_evidence(fn: Callable[[], Any]) -> None:
    """Run ``fn`` (an evidence write) so that it commits even when the caller's transaction is rolled back by the
    refusal that follows: inside an atomic block, on a thread of its own (its own connection, autocommit)."""
    # SQLite (the embedded mode) has one writer at a time: a second connection would wait for the caller's
    # transaction, which waits for it. There the evidence shares the caller's fate.
    if not connection.in_atomic_block or connection.vendor == "sqlite":
        fn()
        return

    def run() -> None:
        try:
            fn()
        finally:
            connections.close_all()

    worker = threading.Thread(target=run, name="screening-evidence")
    worker.start()
    worker.join()


def _decide(item: ScreenItem, match: Match, on: frozenset[tuple[str, str]]) -> tuple[str, str, str]:
    """(action, reason, category) for one message before the grade check."""
    action, category = match.action, match.category
    intensity = _intensities.get(item.group.tier_id or 0, ScreeningIntensity.STANDARD)
    if action == "flag" and intensity != ScreeningIntensity.STANDARD:
        return "hold", "intensity", category
    if action in ("pass", "flag") and on_in(on, SwitchKind.HOLD_ALL, item.group.category):
        return "hold", "switch", category
    return action, "rule", category


def message_screen(*, items: list[ScreenItem]) -> list[Verdict]:
    """The ``"message.screen"`` hook: one pass over the batch, one verdict per item (see the module docstring).

    Side effects: ``BlockedAttempt`` rows (committed even if the caller rolls back), ``HeldMessage`` rows and a
    network-log ``message.held`` row each, ``FlaggedItem`` rows. No query when every message passes, except the
    one version poll per process and second (screening/reload.py) and, for groups of strict intensity, one query
    for their senders' credit grades per batch."""
    rules = automaton.current()
    matches = [rules.match(normalise(item.body)) if rules.automaton is not None else NO_MATCH for item in items]
    on = switches_on()  # one snapshot of the switches for the whole batch
    decided = [_decide(item, match, on) for item, match in zip(items, matches, strict=True)]
    stopped = {i for i, item in enumerate(items) if on_in(on, SwitchKind.POST, item.group.category)}
    strict = [i for i, item in enumerate(items)
              if i not in stopped and decided[i][0] in ("pass", "flag")
              and _intensities.get(item.group.tier_id or 0) == ScreeningIntensity.STRICT]
    if strict:
        scores = dict(User.objects.filter(pk__in={items[i].sender.pk for i in strict}).values_list(
            "id", "credit_score"))
        for i in strict:
            if grade_for(scores.get(items[i].sender.pk, 0)) in STRICT_HOLD_GRADES:
                decided[i] = ("hold", "grade", decided[i][2])
    if not stopped and all(action == "pass" for action, _, _ in decided):
        return [PASS] * len(items)

    verdicts: list[Verdict] = [PASS] * len(items)
    for i in stopped:  # the read-only switch (G5a): nothing of these is stored, held or kept
        decided[i] = ("stopped", "switch", "")
        verdicts[i] = Verdict("refuse", error=ApplicationError("posting_stopped"))
    blocked, held, flagged = [], [], []
    for i, (item, match, (action, reason, category)) in enumerate(zip(items, matches, decided, strict=True)):
        if action == "block":
            blocked.append(BlockedAttempt(sender=item.sender, group=item.group, field=TextField.MESSAGE,
                                          client_id=item.client_id, body=item.body, category=category,
                                          rule_ids=match.rule_ids, matched=match.keywords))
            verdicts[i] = Verdict("refuse", error=blocked_error(category), category=category)
        elif action == "hold":
            held.append((i, HeldMessage(sender=item.sender, group=item.group, client_id=item.client_id,
                                        body=item.body, category=category, reason=reason,
                                        rule_ids=match.rule_ids)))
        elif action == "flag":
            flagged.append(FlaggedItem(sender=item.sender, group=item.group, field=TextField.MESSAGE,
                                       client_id=item.client_id, body=item.body, category=category,
                                       rule_ids=match.rule_ids))
            verdicts[i] = Verdict("flag", category=category)
    if blocked:
        write_evidence(lambda: BlockedAttempt.objects.bulk_create(blocked))
    if flagged:
        FlaggedItem.objects.bulk_create(flagged, ignore_conflicts=True)
    if held:
        stored = _hold([h for _, h in held])
        for i, h in held:
            held_id, status = stored[(h.sender.pk, h.client_id)]
            if status == HeldStatus.REMOVED:  # a retry of a message a moderator removed: it stays refused
                verdicts[i] = Verdict("refuse", error=ApplicationError("held_removed"), category=h.category)
            else:
                verdicts[i] = Verdict("hold", held_id=held_id, category=h.category)
    return verdicts


def _hold(rows: list[HeldMessage]) -> dict[tuple[int, str], tuple[int, str]]:
    """Store held messages, a retry keeping its first record; (id, status) of each by (sender id, client_id)."""
    now = timezone.now()
    for row in rows:
        row.created_at = now
    created = HeldMessage.objects.bulk_create(rows, ignore_conflicts=True)
    del created  # ids are not returned for rows that conflicted: read them all back
    pairs = Q()
    for row in rows:
        pairs |= Q(sender_id=row.sender.pk, client_id=row.client_id)
    found = {(s, c): (pk, at, status) for pk, s, c, at, status in HeldMessage.objects.filter(pairs).values_list(
        "id", "sender_id", "client_id", "created_at", "status")}
    fresh = [row for row in rows if found[(row.sender.pk, row.client_id)][1] == now]
    if fresh:
        record_many([{"at": now, "kind": "message.held", "actor_id": row.sender.pk, "group_code": row.group.code,
                      "data": {"held_id": found[(row.sender.pk, row.client_id)][0], "category": row.category,
                               "reason": row.reason, "chars": len(row.body)}} for row in fresh])
    return {key: (pk, status) for key, (pk, _, status) in found.items()}


def text_screen(*, text: str, field: str, user: User | None, group: Any = None) -> None:
    """The ``"text.screen"`` hook: refuse a group name, announcement, rules, join question, nickname or complaint
    text that hits a block or hold rule (a text cannot wait for review: it is refused), keeping the attempt as
    evidence; a flag rule lets it through and queues a review item.

    A complaint's text is the exception: a reporter quotes what they report, so refusing it would silence exactly
    the reports the channel exists for. It is screened all the same, and any hit queues a review item."""
    if not text:
        return
    rules = automaton.current()
    if rules.automaton is None:
        return
    match = rules.match(normalise(text))
    if match.action == "pass":
        return
    field = field if field in TextField.values else TextField.MESSAGE
    sender = user if user is not None and user.pk else None
    if match.action == "flag" or field == TextField.COMPLAINT:
        FlaggedItem.objects.create(sender=sender, group=group if getattr(group, "pk", None) else None, field=field,
                                   body=text, category=match.category, rule_ids=match.rule_ids)
        return
    attempt = BlockedAttempt(sender_id=sender.pk if sender else None,
                             group_id=group.pk if getattr(group, "pk", None) else None, field=field, body=text,
                             category=match.category, rule_ids=match.rule_ids, matched=match.keywords)
    write_evidence(attempt.save)
    raise blocked_error(match.category)
