"""Agreements (G5b): versioned service agreement, platform convention and management rules; acceptance records.

Invariant: a user whose latest acceptance of some kind predates that kind's latest *material* published version may
not post, create or join (``agreement_required``) until accepting it; non-material versions need no acceptance.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.origin import Origin

from .models import Agreement, AgreementAcceptance, User
from .selectors import agreements_current, agreements_missing


@transaction.atomic
def agreements_accept(*, user: User, agreement_ids: list[int] | None = None,
                      origin: Origin | None = None) -> list[AgreementAcceptance]:
    """Accept the given published versions (default: every current version). Idempotent per version.

    Side effects: ``AgreementAcceptance`` rows (user, version, time, IP); network log ``agreement.accept``.
    """
    if agreement_ids is None:
        agreements = agreements_current()
    else:
        agreements = list(Agreement.objects.filter(pk__in=agreement_ids, published_at__lte=timezone.now()))
        if len(agreements) != len(set(agreement_ids)):
            raise ApplicationError("agreement_not_found")
    done = set(AgreementAcceptance.objects.filter(user=user, agreement__in=agreements)
               .values_list("agreement_id", flat=True))
    rows = [AgreementAcceptance(user=user, agreement=a, ip=origin.ip if origin else None)
            for a in agreements if a.pk not in done]
    AgreementAcceptance.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        record("agreement.accept", actor_id=user.pk, origin=origin,
               data={"versions": [f"{r.agreement.kind}:{r.agreement.version}" for r in rows]})
    return rows


@transaction.atomic
def agreement_publish(*, agreement: Agreement, actor: User | None = None, at=None) -> Agreement:
    """Publish a draft version now (or at ``at``). A material version gates posting until users accept it."""
    agreement.published_at = at or timezone.now()
    agreement.save(update_fields=["published_at"])
    record("agreement.publish", actor_id=actor.pk if actor else None,
           data={"kind": agreement.kind, "version": agreement.version, "material": agreement.material})
    return agreement


def agreement_check(user: User) -> None:
    missing = agreements_missing(user)
    if missing:
        raise ApplicationError("agreement_required", extra={
            "url": "/agreements/", "missing": [{"id": a.pk, "kind": a.kind, "version": a.version} for a in missing]})
