"""Deactivating an account (G6a, G11): one service that refuses every path at once.

``is_active`` false is read by every door: Django's login (ModelBackend), the session (``get_user`` drops an inactive
user), DRF's token authentication, the socket's token and session authentication (groupchat/ws_auth.py), and the send
gates of the message path (``accounts.gates.SendGates``: ``account_inactive``). The service also moves the send gates
of the user's groups (through the ``"send_gate.bump"`` hook groups registers, documented in groups/screening.py), so a
batch checked before the deactivation committed is checked again, and closes the user's open sockets after commit.
"""

from __future__ import annotations

from django.db import transaction

from groupchat.core.broadcast import broadcast_on_commit, user_channel_group
from groupchat.core.events import record
from groupchat.core.hooks import run_hooks
from groupchat.core.origin import Origin

from .models import User

CLOSE_DEACTIVATED = 4403  # the socket close code the client shows as "account deactivated" and does not retry


@transaction.atomic
def user_deactivate(*, user: User, actor: User | None, reason: str, origin: Origin | None = None) -> User:
    """Deactivate ``user``. Idempotent. Side effects: ``is_active`` false; the send gates of the user's groups move
    (``"send_gate.bump"``); network log ``account.deactivated`` (actor, target, reason); after commit a ``user.close``
    event closes every open socket of the user with 4403."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.is_active:
        return locked
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    user.is_active = False
    run_hooks("send_gate.bump", user_ids=[locked.pk], group_ids=[])
    record("account.deactivated", actor_id=actor.pk if actor else None, origin=origin, target_id=locked.pk,
           data={"reason": (reason or "")[:200]})
    broadcast_on_commit([user_channel_group(locked.pk)], {"type": "user.close", "code": CLOSE_DEACTIVATED})
    return locked


@transaction.atomic
def user_reactivate(*, user: User, actor: User | None, reason: str, origin: Origin | None = None) -> User:
    """Reactivate ``user``. Idempotent. Side effects: ``is_active`` true; network log ``account.reactivated``."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_active:
        return locked
    locked.is_active = True
    locked.save(update_fields=["is_active"])
    user.is_active = True
    record("account.reactivated", actor_id=actor.pk if actor else None, origin=origin, target_id=locked.pk,
           data={"reason": (reason or "")[:200]})
    return locked
