"""The contract between the message path and content screening (moderation registers the hooks; groups runs them).

Hooks of apps above groups, registered in their ``AppConfig.ready()`` with ``groupchat.core.hooks.register_hook``:

``"message.screen"`` (``SCREEN_HOOK``): ``fn(*, items: list[ScreenItem]) -> list[Verdict]``
    Called ONCE PER BATCH by ``groups.services.messages``, after every gate of groups and accounts, with the messages
    that passed them; it returns one verdict per item, in the same order. Several hooks combine per item: refuse beats
    hold beats flag beats pass (``combine``); they run in registration order, and each sees only the messages no
    earlier hook refused (moderation registers its refusing checks, measures and blacklist, before screening).

    - ``pass`` / ``flag``: the message is stored and acked as usual. For ``flag`` the hook has itself recorded its
      review item, keyed by (sender id, client_id); it needs nothing back.
    - ``refuse``: that send's outcome is ``verdict.error`` (``content_blocked`` with the category, ``blacklisted``, ...).
    - ``hold``: the message is NOT stored in groups' Message table; the hook has stored it in its own table under
      ``held_id``; the send's outcome is ``Held(group_code, client_id, held_id)``. The hook is idempotent on
      (sender, client_id): a retry of a held client_id gets the same ``held_id``. A held message a moderator releases is
      stored then through ``message_send_many(requests=[...], screen=False)`` (every other gate runs, this hook does
      not) and takes the group's next seq.

``"text.screen"`` (``TEXT_SCREEN_HOOK``): ``fn(*, text: str, field: str, user: User | None) -> None``
    Texts other than messages (group name, announcement, rules, join question, nickname, complaint text), called by
    the lower apps on create and edit of those fields; raises ``ApplicationError("content_blocked", ...)`` to refuse.

``"group.notices"`` (``GROUP_NOTICES_HOOK``): ``fn(*, group: Group, membership: Membership, language: str) -> list[dict]``
    What a member must see on the group's chat page while it lasts (a platform warning's rectification deadline, shown
    to the owner and admins). Each notice is ``{"kind", "level", "text", "until"}``, ``text`` in ``language``; the
    group info API returns every hook's notices under ``notices`` and the chat page shows them as banners.

``"send_gate.bump"`` (``SEND_GATE_HOOK``): registered by groups itself, for accounts (below groups) to call inside the
    transaction of a write that changes who may send (account deactivation): ``fn(*, user_ids, group_ids) -> None``;
    it is ``groups.services.messages.send_gate_bump``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from groupchat.core.errors import ApplicationError
from groupchat.core.hooks import hooks_for

if TYPE_CHECKING:
    from accounts.models import User

    from .models import Group, Membership

SCREEN_HOOK = "message.screen"
TEXT_SCREEN_HOOK = "text.screen"
SEND_GATE_HOOK = "send_gate.bump"
GROUP_NOTICES_HOOK = "group.notices"


@dataclass(frozen=True)
class ScreenItem:
    """One message of a batch that passed every gate of groups and accounts."""

    index: int  # its place in the batch
    sender: User
    group: Group
    membership: Membership
    client_id: str
    body: str


@dataclass(frozen=True)
class Verdict:
    action: Literal["pass", "flag", "hold", "refuse"]
    error: ApplicationError | None = None  # refuse: the refusal (content_blocked with the category, blacklisted, ...)
    held_id: int | None = None  # hold: the id of the held record the hook has already stored
    category: str = ""  # the category code (moderation.categories) for block/hold/flag


PASS = Verdict("pass")

_RANK = {"pass": 0, "flag": 1, "hold": 2, "refuse": 3}


def combine(a: Verdict, b: Verdict) -> Verdict:
    """The stronger of two verdicts on one message: refuse beats hold beats flag beats pass (the first on a tie)."""
    return b if _RANK[b.action] > _RANK[a.action] else a


def screen_batch(items: Sequence[ScreenItem]) -> list[Verdict]:
    """Every ``"message.screen"`` hook on the whole batch; one combined verdict per item, in order."""
    verdicts = [PASS] * len(items)
    for fn in hooks_for(SCREEN_HOOK):
        # A later hook sees only what no earlier hook refused: nothing is held, flagged or kept as evidence for a
        # message that is refused anyway (a held one would otherwise be released past the refusal, unscreened).
        live = [i for i, verdict in enumerate(verdicts) if verdict.action != "refuse"]
        if not live:
            break
        answer = fn(items=[items[i] for i in live])
        if len(answer) != len(live):
            raise ValueError(f"{fn!r} returned {len(answer)} verdicts for {len(live)} messages")
        for i, verdict in zip(live, answer, strict=True):
            if verdict.action == "refuse" and verdict.error is None:
                raise ValueError(f"{fn!r}: a refuse verdict carries its ApplicationError")
            if verdict.action == "hold" and verdict.held_id is None:
                raise ValueError(f"{fn!r}: a hold verdict carries the held record's id")
            verdicts[i] = combine(verdicts[i], verdict)
    return verdicts
