"""Where measures in force refuse things (G11b, G11c): the hooks moderation lends to the lower apps' paths.

Registered in ``ModerationConfig.ready()`` (``register``):
- ``message.screen`` (batch): platform-muted or blacklisted senders, blacklisted or disabled (1 star) groups are
  refused (``muted_platform``, ``blacklisted``, ``group_blacklisted``, ``group_disabled``) in ONE query per batch.
- ``group.create.check``: blacklisted users and users whose creation right is revoked.
- ``group.join.check``: blacklisted users; blacklisted groups, groups of 2 stars or fewer (no new members).
- ``group.invite.check``: the inviter, the invitee and the group, as for joining.
- ``group.admin.check``: a user whose admin powers are suspended is not appointed admin meanwhile.
- ``identity.check``: an identity (keyed hash of the ID number) on the blacklist is refused at verification.

Each check reads the database (the truth), never a cache, so a measure binds from its commit on; an entry whose time
is up refuses nothing even before the sweep deletes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from groupchat.core.errors import ApplicationError
from groupchat.core.hooks import register_hook
from groupchat.core.sql import execute_prepared
from groups.models import Group

from . import errors  # noqa: F401
from .models_measures import MeasureKind, Restriction

_SEND_KINDS = (MeasureKind.MUTE_PLATFORM, MeasureKind.BLACKLIST)


def _until_text(until: datetime | None) -> str:
    return "—" if until is None or until.year >= 9999 else timezone.localtime(until).strftime("%Y-%m-%d %H:%M")


def _error(code: str, until: datetime | None) -> ApplicationError:
    shown = _until_text(until)
    return ApplicationError(code, params={"until": shown},
                            extra={"until": until.isoformat() if until and until.year < 9999 else None})


def _active(qs, now: datetime | None = None):
    now = now or timezone.now()
    return qs.filter(Q(until__isnull=True) | Q(until__gt=now))


# The send path's read: one prepared statement per batch (PostgreSQL), text independent of the batch's size.
_SEND_SQL = f"""
SELECT kind, user_id, group_id, until FROM {Restriction._meta.db_table}
WHERE (user_id = ANY($1) OR group_id = ANY($2)) AND kind = ANY($3) AND (until IS NULL OR until > $4)
"""


def restrictions_of(*, user_ids: Iterable[int] = (), group_ids: Iterable[int] = (),
                    kinds: Iterable[str] = _SEND_KINDS) -> list[Restriction]:
    """The restrictions in force on these users or groups, of these kinds (one query)."""
    user_ids, group_ids, kinds = list(user_ids), list(group_ids), [str(k) for k in kinds]
    if not user_ids and not group_ids:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            execute_prepared(cursor, _SEND_SQL, [user_ids, group_ids, kinds, timezone.now()],
                             ("bigint[]", "bigint[]", "text[]", "timestamptz"))
            return [Restriction(kind=kind, user_id=uid, group_id=gid, until=until)
                    for kind, uid, gid, until in cursor.fetchall()]
    return list(_active(Restriction.objects.filter(Q(user_id__in=user_ids) | Q(group_id__in=group_ids),
                                                   kind__in=kinds)).only("kind", "user_id", "group_id", "until"))


def _user_refusal(user_id: int, rows: list[Restriction], *, kinds: Iterable[str]) -> ApplicationError | None:
    """The strongest refusal for the user among ``rows``: blacklist, then the other kinds in the order given."""
    mine = {r.kind: r for r in rows if r.user_id == user_id}
    if MeasureKind.BLACKLIST in mine:
        return _error("blacklisted", mine[MeasureKind.BLACKLIST].until)
    codes = {MeasureKind.MUTE_PLATFORM: "muted_platform", MeasureKind.REVOKE_CREATE: "create_revoked",
             MeasureKind.SUSPEND_ADMIN: "admin_suspended"}
    for kind in kinds:
        if kind in mine and kind in codes:
            return _error(codes[kind], mine[kind].until)
    return None


def _group_refusal(group: Group, rows: list[Restriction], *, joining: bool) -> ApplicationError | None:
    for row in rows:
        if row.group_id == group.pk and row.kind == MeasureKind.BLACKLIST:
            return _error("group_blacklisted", row.until)
    if group.credit_stars <= 1:
        return ApplicationError("group_disabled")
    if joining and group.credit_stars <= 2:
        return ApplicationError("group_restricted", params={"stars": group.credit_stars})
    return None


# --- the hooks ----------------------------------------------------------------------------------------------------
def message_screen(*, items: list, **_) -> list:
    """``message.screen``: refuse the sends of muted/blacklisted senders and in blacklisted/disabled groups (once per
    batch, groups/screening.py)."""
    from groups.screening import PASS, Verdict  # the contract's types (groups app, below moderation)

    if not items:
        return []
    rows = restrictions_of(user_ids={i.sender.pk for i in items}, group_ids={i.group.pk for i in items})
    if not rows and all(i.group.credit_stars > 1 for i in items):
        return [PASS] * len(items)  # the common case: nothing in force on anyone of the batch
    verdicts = []
    for item in items:
        error = (_user_refusal(item.sender.pk, rows, kinds=(MeasureKind.MUTE_PLATFORM,))
                 or _group_refusal(item.group, rows, joining=False))
        verdicts.append(Verdict("refuse", error=error) if error else PASS)
    return verdicts


def group_create_check(*, user: User, **_) -> None:
    rows = restrictions_of(user_ids=[user.pk], kinds=(MeasureKind.BLACKLIST, MeasureKind.REVOKE_CREATE))
    error = _user_refusal(user.pk, rows, kinds=(MeasureKind.REVOKE_CREATE,))
    if error:
        raise error


def group_join_check(*, user: User, group: Group, **_) -> None:
    rows = restrictions_of(user_ids=[user.pk], group_ids=[group.pk], kinds=(MeasureKind.BLACKLIST,))
    error = _user_refusal(user.pk, rows, kinds=()) or _group_refusal(group, rows, joining=True)
    if error:
        raise error


def group_invite_check(*, user: User, group: Group, invitee: User | None = None, **_) -> None:
    """``user`` invites ``invitee`` (None for a shareable link) to ``group``."""
    user_ids = [user.pk] + ([invitee.pk] if invitee is not None else [])
    rows = restrictions_of(user_ids=user_ids, group_ids=[group.pk], kinds=(MeasureKind.BLACKLIST,))
    for uid in user_ids:
        error = _user_refusal(uid, rows, kinds=())
        if error:
            raise error
    error = _group_refusal(group, rows, joining=True)
    if error:
        raise error


def group_admin_check(*, user: User, **_) -> None:
    rows = restrictions_of(user_ids=[user.pk], kinds=(MeasureKind.BLACKLIST, MeasureKind.SUSPEND_ADMIN))
    error = _user_refusal(user.pk, rows, kinds=(MeasureKind.SUSPEND_ADMIN,))
    if error:
        raise error


def identity_check(*, id_hmac: str, **_) -> None:
    if id_hmac and _active(Restriction.objects.filter(identity=id_hmac, kind=MeasureKind.BLACKLIST)).exists():
        raise ApplicationError("identity_blacklisted")


def register() -> None:
    """Called from ``ModerationConfig.ready()``."""
    register_hook("message.screen", message_screen)
    register_hook("group.create.check", group_create_check)
    register_hook("group.join.check", group_join_check)
    register_hook("group.invite.check", group_invite_check)
    register_hook("group.admin.check", group_admin_check)
    register_hook("identity.check", identity_check)
