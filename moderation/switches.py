"""Emergency switches (REGULATION G5a): staff with the role stop group creation, joining by link, posting, or hold
every new message for review, for the whole platform or one group category, at once.

Each process keeps the switches that are on in memory (a frozenset of (kind, scope)), reloaded with the rules by
screening/reload.py when a toggle's id moves: every process and socket follows within the poll period, with no query
per message. The toggle service writes the switch's state and its ``SwitchToggle`` record in one transaction and
tells the affected groups' open sockets after commit (a ``notice``); the refusals carry their own clear text.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from groupchat.core.broadcast import broadcast_on_commit, group_channel_group
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.origin import Origin
from groups.models import Group, GroupCategory, GroupStatus
from groups.services.messages import send_gate_bump

from . import errors  # noqa: F401  (registers the codes)
from .models_screening import PLATFORM, EmergencySwitch, SwitchKind, SwitchToggle
from .screening import reload

PERMISSION = "moderation.toggle_emergency_switch"

# The notice users see when a switch goes on or off (their own refusals say the rest).
_NOTICES = {
    (SwitchKind.CREATE, True): ("平台暂时停止创建群组。", "Group creation is paused by the platform."),
    (SwitchKind.LINK_JOIN, True): ("平台暂时停止通过链接加群。", "Joining by link is paused by the platform."),
    (SwitchKind.POST, True): ("平台暂时停止发言，群聊为只读状态。", "Posting is paused by the platform: chats are read-only."),
    (SwitchKind.HOLD_ALL, True): ("平台临时对所有新消息进行审核，消息将在审核后显示。",
                                  "For now every new message is reviewed before it is shown."),
}
_OFF = ("平台已恢复正常：{what}已解除。", "Back to normal: the pause on {what} has ended.")

_on: frozenset[tuple[str, str]] = frozenset()


def load() -> None:
    """The ``switches`` loader of screening/reload.py: swap in the set of switches that are on."""
    global _on
    _on = frozenset(EmergencySwitch.objects.filter(on=True).values_list("kind", "scope"))


reload.register_loader("switches", load)


def is_on(kind: str, category: str = "") -> bool:
    """Whether ``kind`` is on for the whole platform or for ``category`` (from this process's state)."""
    return on_in(switches_on(), kind, category)


def on_in(on: frozenset[tuple[str, str]], kind: str, category: str = "") -> bool:
    """``is_on`` against a snapshot from ``switches_on()`` (the message path reads it once per batch)."""
    return bool(on) and ((kind, PLATFORM) in on or (bool(category) and (kind, category) in on))


def switches_on() -> frozenset[tuple[str, str]]:
    reload.fresh()
    return _on


def _require_role(actor: User) -> None:
    if not (actor.is_active and actor.is_staff and (actor.is_superuser or actor.has_perm(PERMISSION))):
        raise ApplicationError("permission_denied")


@transaction.atomic
def switch_toggle(*, actor: User, kind: str, scope: str = PLATFORM, on: bool, reason: str,
                  origin: Origin | None = None) -> EmergencySwitch:
    """Turn a switch on or off for the platform (``*``) or one group category.

    Only staff with ``moderation.toggle_emergency_switch`` (or superusers). Side effects: the switch's row;
    ``SwitchToggle`` record (who, why); network log ``moderation.switch``; the send gate bumped for the affected
    groups (posting and holding switches); a ``notice`` to the affected groups' sockets after commit; every process
    follows within the poll period, this one at once.
    """
    _require_role(actor)
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= 200:
        raise ApplicationError("switch_reason_required")
    if kind not in SwitchKind.values or (scope != PLATFORM and not GroupCategory.objects.filter(slug=scope).exists()):
        raise ApplicationError("switch_invalid")
    switch, _ = EmergencySwitch.objects.select_for_update().get_or_create(kind=kind, scope=scope)
    if switch.on == on:
        return switch
    switch.on, switch.changed_by, switch.changed_at, switch.reason = on, actor, timezone.now(), reason
    switch.save(update_fields=["on", "changed_by", "changed_at", "reason"])
    SwitchToggle.objects.create(kind=kind, scope=scope, on=on, actor=actor, reason=reason)
    record("moderation.switch", actor_id=actor.pk, origin=origin,
           data={"kind": kind, "scope": scope, "on": on, "reason": reason})
    groups = _affected_groups(scope)
    codes = [code for _, code in groups]
    if kind in (SwitchKind.POST, SwitchKind.HOLD_ALL):
        # The send path's contract for every write that changes who may send. Other processes see the switch at
        # their next poll (within a second), so there the bump bounds nothing tighter than that.
        send_gate_bump(group_ids=[pk for pk, _ in groups])
    zh, en = _NOTICES.get((kind, on)) or (_OFF[0].format(what=SwitchKind(kind).label),
                                          _OFF[1].format(what=SwitchKind(kind).label))
    event = {"type": "user.notice", "level": "warning" if on else "info", "text": f"{zh} / {en}",
             "switch": {"kind": kind, "scope": scope, "on": on}}
    broadcast_on_commit([group_channel_group(code) for code in codes], event)
    transaction.on_commit(reload.invalidate)
    return switch


def _affected_groups(scope: str) -> list[tuple[int, str]]:
    groups = Group.objects.exclude(status=GroupStatus.CLOSED)
    if scope != PLATFORM:
        groups = groups.filter(category=scope)
    return list(groups.values_list("id", "code"))


def switch_states() -> list[dict]:
    """Every switch with its state, by kind and scope: each row ever toggled, and the platform's switches never
    toggled as off (changed_at None)."""
    rows = {(r["kind"], r["scope"]): r for r in EmergencySwitch.objects.values(
        "kind", "scope", "on", "changed_by_id", "changed_by__username", "changed_at", "reason")}
    for kind in SwitchKind.values:
        rows.setdefault((kind, PLATFORM), {"kind": kind, "scope": PLATFORM, "on": False, "changed_by_id": None,
                                           "changed_by__username": None, "changed_at": None, "reason": ""})
    return [row for _key, row in sorted(rows.items())]


# --- checks on the paths (registered as hooks in ready_screening.py; posting: in the message.screen hook) --------------------------------------------------------


def group_create_check(*, category: str = "", **_) -> None:
    if is_on(SwitchKind.CREATE, category):
        raise ApplicationError("creation_stopped")


def group_join_check(*, group: Group, via: str = "", **_) -> None:
    if via == "link" and is_on(SwitchKind.LINK_JOIN, group.category):
        raise ApplicationError("link_join_stopped")
