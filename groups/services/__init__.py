"""Writes of the groups app. Each public service names its side effects; see the modules for their invariants."""

from .groups import (
    group_close,
    group_create,
    group_mute_all,
    group_transfer_accept,
    group_transfer_offer,
    group_update,
    member_set_role,
)
from .membership import (
    group_join,
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitations_expire_due,
    join_request_decide,
    member_leave,
    member_mute,
    member_remove,
    member_unban,
    read_mark,
    rules_accept,
)
from .messages import SendResult, message_remove, message_send, send_checks

__all__ = [
    "SendResult",
    "group_close",
    "group_create",
    "group_join",
    "group_mute_all",
    "group_transfer_accept",
    "group_transfer_offer",
    "group_update",
    "invitation_accept",
    "invitation_create",
    "invitation_decline",
    "invitations_expire_due",
    "join_request_decide",
    "member_leave",
    "member_mute",
    "member_remove",
    "member_set_role",
    "member_unban",
    "message_remove",
    "message_send",
    "read_mark",
    "rules_accept",
    "send_checks",
]
