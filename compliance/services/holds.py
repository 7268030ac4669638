"""Legal holds (G13b): an authority's order keeps records past the retention period until it is released."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.origin import Origin

from ..models import LegalHold
from .permissions import require_perm


@transaction.atomic
def legal_hold_create(*, actor: User, authority: str, document_number: str, reason: str, user_id: int | None = None,
                      group_code: str = "", starts_at: datetime | None = None, ends_at: datetime | None = None,
                      origin: Origin | None = None) -> LegalHold:
    """Place a legal hold. Needs ``compliance.add_legalhold``, the authority, document number and reason, and at
    least one of user, group or time range.

    Side effects: network-log record ``compliance.hold.create``. From the next retention sweep on, records the hold
    covers are moved to the hold table instead of being purged.
    """
    require_perm(actor, "compliance.add_legalhold")
    authority, document_number, reason = authority.strip(), document_number.strip(), reason.strip()
    group_code = (group_code or "").strip()
    if not (authority and document_number and reason):
        raise ApplicationError("hold_authority_required")
    if user_id is None and not group_code and starts_at is None and ends_at is None:
        raise ApplicationError("hold_scope_required")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ApplicationError("bad_time_range")
    hold = LegalHold.objects.create(authority=authority[:200], document_number=document_number[:100], reason=reason,
                                    user_id=user_id, group_code=group_code, starts_at=starts_at, ends_at=ends_at,
                                    created_by=actor)
    record("compliance.hold.create", actor_id=actor.pk, origin=origin, group_code=group_code, target_id=user_id,
           data={"hold": hold.pk, "authority": hold.authority, "document_number": hold.document_number,
                 "starts_at": starts_at.isoformat() if starts_at else None,
                 "ends_at": ends_at.isoformat() if ends_at else None})
    return hold


@transaction.atomic
def legal_hold_release(*, actor: User, hold_id: int, reason: str, origin: Origin | None = None) -> LegalHold:
    """Release a hold. Needs ``compliance.change_legalhold`` and a reason.

    Side effects: network-log record ``compliance.hold.release``. Held copies no other active hold covers are purged
    by the next retention sweep once they are past the retention period.
    """
    require_perm(actor, "compliance.change_legalhold")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("hold_authority_required")
    hold = LegalHold.objects.select_for_update().get(pk=hold_id)
    if hold.released_at is not None:
        raise ApplicationError("hold_not_active")
    hold.released_at, hold.released_by, hold.release_reason = timezone.now(), actor, reason
    hold.save(update_fields=["released_at", "released_by", "release_reason"])
    record("compliance.hold.release", actor_id=actor.pk, origin=origin, group_code=hold.group_code,
           target_id=hold.user_id, data={"hold": hold.pk, "reason": reason})
    return hold
