"""Reads for groups: look-ups that refuse on denial, history pages by keyset, member lists, the user's group list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from groupchat.core.errors import ApplicationError
from groupchat.core.hooks import run_hooks

from . import errors  # noqa: F401  (registers this app's error codes)
from .codes import is_well_formed
from .models import (
    Ban,
    Group,
    GroupAuditEvent,
    GroupCategory,
    GroupStatus,
    JoinMode,
    JoinRequest,
    Membership,
    Message,
    RequestStatus,
    Role,
)
from .screening import GROUP_NOTICES_HOOK

MANAGER_ROLES = (Role.OWNER, Role.ADMIN)


def group_get(*, code: str) -> Group:
    """The group with this public code, or ``group_not_found`` (a mistyped code fails its check digit first)."""
    code = (code or "").strip()
    if not is_well_formed(code):
        raise ApplicationError("group_not_found")
    try:
        return Group.objects.select_related("owner", "tier").get(code=code)
    except Group.DoesNotExist as exc:
        raise ApplicationError("group_not_found") from exc


def membership_get(*, user: User, group: Group) -> Membership | None:
    return Membership.objects.filter(group=group, user=user).first()


def group_notices(*, group: Group, membership: Membership, language: str) -> list[dict]:
    """The notices apps above groups attach to the chat page for this member (``"group.notices"``, groups/screening.py)."""
    return [notice for notices in run_hooks(GROUP_NOTICES_HOOK, group=group, membership=membership, language=language)
            for notice in notices]


def membership_require(*, user: User, group: Group) -> Membership:
    membership = membership_get(user=user, group=group)
    if membership is None:
        raise ApplicationError("not_member")
    return membership


def group_of_member(*, user: User, code: str) -> Group:
    """The group a member reads (history, resume) in one query; ``group_not_found`` / ``not_member`` otherwise.

    Without the owner and tier that ``group_get`` joins in for info pages: the history endpoint is the hot read."""
    membership = Membership.objects.select_related("group").filter(group__code=(code or "").strip(), user=user).first()
    if membership is None:
        group_get(code=code)  # which refusal: no such group, or not a member of it
        raise ApplicationError("not_member")
    return membership.group


def membership_require_manager(*, user: User, group: Group) -> Membership:
    membership = membership_require(user=user, group=group)
    if membership.role not in MANAGER_ROLES:
        raise ApplicationError("not_group_admin")
    admin_suspension_check(membership)
    return membership


def admin_suspension_check(membership: Membership) -> None:
    """A platform measure (G11b) may have suspended this owner's or admin's powers until a time."""
    until = membership.admin_suspended_until
    if until is not None and until > timezone.now():
        shown = timezone.localtime(until).strftime("%Y-%m-%d %H:%M")
        raise ApplicationError("admin_suspended", params={"until": shown}, extra={"until": until.isoformat()})


def group_codes_for_user(*, user_id: int) -> list[str]:
    return list(Membership.objects.filter(user_id=user_id).values_list("group__code", flat=True))


@dataclass(frozen=True)
class GroupListItem:
    group: Group
    role: str
    unread: int
    last_message: Message | None
    muted_until: datetime | None


def group_list_for_user(*, user: User) -> list[GroupListItem]:
    """The user's groups, most recently active first, with unread counts and the last message (2 queries)."""
    memberships = list(
        Membership.objects.filter(user=user).select_related("group__owner", "group__tier").order_by("-group__last_message_at", "-joined_at")
    )
    last_by_group = {}
    if memberships:
        pairs = Q()
        for m in memberships:
            if m.group.last_seq:
                pairs |= Q(group_id=m.group_id, seq=m.group.last_seq)
        if pairs:
            for message in Message.objects.filter(pairs).select_related("sender"):
                last_by_group[message.group_id] = message
    return [
        GroupListItem(
            group=m.group,
            role=m.role,
            unread=max(0, m.group.last_seq - m.last_read_seq),
            last_message=last_by_group.get(m.group_id),
            muted_until=m.muted_until,
        )
        for m in memberships
    ]


class MessageRow(NamedTuple):
    """A stored message as a history page reads it (what ``message_payload`` needs), without a model instance."""

    id: int
    seq: int
    client_id: str
    kind: str
    body: str
    removed_at: datetime | None
    created_at: datetime
    sender_id: int
    sender_nickname: str
    sender_role: str | None


# One statement per page: the messages, their senders' nicknames and roles. The hot read of the product (history,
# resume after every reconnect); through the ORM, compiling two queries and building a page of model instances took
# most of a page's time, while PostgreSQL answered in a small fraction of it.
_PAGE_SQL = """
SELECT m.id, m.seq, m.client_id, m.kind, m.body, m.removed_at, m.created_at, m.sender_id, u.nickname, ms.role
FROM {message} m JOIN {user} u ON u.id = m.sender_id
LEFT JOIN {membership} ms ON ms.group_id = m.group_id AND ms.user_id = m.sender_id
WHERE m.group_id = %s {condition} ORDER BY m.seq {order} LIMIT %s
"""


def _aware(value) -> datetime | None:
    if isinstance(value, str):  # SQLite (embedded mode) without a declared-type converter
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def message_page(*, group: Group, before: int | None = None, after: int | None = None,
                 limit: int = 50) -> list[MessageRow]:
    """A page of history by keyset on ``seq`` (never OFFSET), oldest first.

    ``before``: the page ending just before that seq (scrolling back). ``after``: the page starting after it (resume).
    """
    limit = max(1, min(limit, 500))
    params: list[object] = [group.pk]
    if after is not None:
        condition, order = "AND m.seq > %s", "ASC"
        params.append(after)
    else:
        condition, order = ("AND m.seq < %s", "DESC") if before is not None else ("", "DESC")
        if before is not None:
            params.append(before)
    sql = _PAGE_SQL.format(message=Message._meta.db_table, user=User._meta.db_table,
                           membership=Membership._meta.db_table, condition=condition, order=order)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        rows = [MessageRow(*row[:5], _aware(row[5]), _aware(row[6]), *row[7:]) for row in cursor.fetchall()]
    return rows if order == "ASC" else rows[::-1]


def member_list(*, group: Group, roles: tuple[str, ...] | None = None) -> list[Membership]:
    """Owner first, then admins, then members, each by joining time; ``roles`` keeps only those roles."""
    order = {Role.OWNER: 0, Role.ADMIN: 1, Role.MEMBER: 2}
    qs = Membership.objects.filter(group=group).select_related("user")
    members = list(qs.filter(role__in=roles) if roles else qs)
    members.sort(key=lambda m: (order[m.role], m.joined_at))
    return members


def join_requests_pending(*, group: Group) -> list[JoinRequest]:
    return list(
        JoinRequest.objects.filter(group=group, status=RequestStatus.PENDING).select_related("user").order_by("created_at")
    )


def bans_list(*, group: Group) -> list[Ban]:
    return list(Ban.objects.filter(group=group).select_related("user", "banned_by").order_by("-created_at"))


def audit_list(*, group: Group, limit: int = 200) -> list[GroupAuditEvent]:
    return list(
        GroupAuditEvent.objects.filter(group=group).select_related("actor", "target").order_by("-created_at")[:limit]
    )


def groups_findable() -> QuerySet[Group]:
    """The one filter for which groups people may find (search by name or code, the "找群" directory).

    Public and not closed. Platform measures narrow it: a blacklisted group or one of 3 credit stars or fewer is never
    found (the QQ stars model, G11a/G11c). A new measure that hides groups from search belongs here, so every finding
    path obeys it."""
    return (Group.objects.filter(is_public=True, credit_stars__gte=4).exclude(status=GroupStatus.CLOSED)
            .exclude(blacklisted_until__gt=timezone.now()))


def group_search(*, query: str, limit: int = 20) -> list[Group]:
    """Findable groups by exact code or by name; one of 4 stars ranks below every group of 5."""
    query = (query or "").strip()
    if not query:
        return []
    qs = groups_findable().select_related("owner", "tier")
    if query.isdigit() and len(query) == 10:
        return list(qs.filter(code=query)[:1])
    return list(qs.filter(name__icontains=query).order_by("-credit_stars", "-member_count")[:limit])


DIRECTORY_PAGE_MAX = 50


class DirectoryPage(NamedTuple):
    groups: list[Group]
    next_cursor: str  # "" on the last page


def _directory(category: str, query: str) -> QuerySet[Group]:
    """Findable groups a newcomer can join from the directory: open for posting, not invitation-only."""
    qs = groups_findable().filter(status=GroupStatus.OPEN).exclude(join_mode=JoinMode.INVITE)
    if category:
        qs = qs.filter(category=category)
    query = (query or "").strip()
    if query:
        qs = qs.filter(code=query) if query.isdigit() and len(query) == 10 else qs.filter(name__icontains=query)
    return qs


def _cursor_after(cursor: str) -> Q | None:
    """Keyset condition for the rows after ``"stars:activity:id"`` in (credit_stars, activity_avg, id) descending
    order; None (the first page) for an empty or malformed cursor."""
    try:
        stars_text, activity_text, pk_text = cursor.split(":")
        stars, activity, pk = int(stars_text), float(activity_text), int(pk_text)
    except ValueError:
        return None
    return (Q(credit_stars__lt=stars) | Q(credit_stars=stars, activity_avg__lt=activity)
            | Q(credit_stars=stars, activity_avg=activity, pk__lt=pk))


def group_directory(*, category: str = "", query: str = "", cursor: str = "", limit: int = 20) -> DirectoryPage:
    """One page of the directory (G8b: found without knowing the code), most active first; 5-star groups before
    4-star ones. Keyset pagination: pass the page's ``next_cursor`` to get the next page (never OFFSET)."""
    limit = max(1, min(limit, DIRECTORY_PAGE_MAX))
    qs = _directory(category, query).select_related("tier")
    after = _cursor_after(cursor) if cursor else None
    if after is not None:
        qs = qs.filter(after)
    rows = list(qs.order_by("-credit_stars", "-activity_avg", "-pk")[: limit + 1])
    groups, more = rows[:limit], len(rows) > limit
    last = groups[-1] if groups else None
    return DirectoryPage(groups, f"{last.credit_stars}:{last.activity_avg!r}:{last.pk}" if more and last else "")


def directory_categories(*, query: str = "") -> list[tuple[GroupCategory, int]]:
    """The active categories that have groups in the directory (for ``query``), with how many, in category order."""
    counts = dict(_directory("", query).values_list("category").annotate(n=Count("pk")).order_by())
    return [(c, counts[c.slug]) for c in GroupCategory.objects.filter(active=True) if counts.get(c.slug)]


def is_muted(membership: Membership) -> bool:
    return membership.muted_until is not None and membership.muted_until > timezone.now()
