"""Minors (PIPL Art 31; REGULATION §5.13; issue 14 item 10).

The birth date is read from the ID number of an L2 submission (``IdentitySubmission.birth_date``) and copied to the
user when it is approved. Under ``GUARDIAN_CONSENT_BELOW`` (14) L2 is granted only after a guardian's consent is
recorded here; under ``ADULT_AGE`` (18) a user may not own a group of more than 100 members (``groups`` asks
``is_minor``). Users verified otherwise (phone, the national network ID, an organisation) have no birth date here.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from groupchat.core.errors import ApplicationError
from groupchat.core.events import record
from groupchat.core.origin import Origin

from . import crypto, errors  # noqa: F401  (errors registers this app's codes)
from .idnumbers import name_mask
from .models import GuardianConsent, GuardianRelationship, User

GUARDIAN_CONSENT_BELOW = 14  # PIPL Art 31: a child's personal information needs the guardian's consent
ADULT_AGE = 18


def age_years(born: datetime.date, *, today: datetime.date | None = None) -> int:
    """Whole years from ``born`` to ``today`` (a 29 February birthday counts on 1 March in other years)."""
    today = today or timezone.localdate()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def is_minor(user: User, *, today: datetime.date | None = None) -> bool:
    """Under 18 by the birth date of the approved L2 identity (fresh from the database); False when unknown."""
    born = User.objects.filter(pk=user.pk).values_list("birth_date", flat=True).first()
    return born is not None and age_years(born, today=today) < ADULT_AGE


def guardian_consent_missing(*, user_id: int, born: datetime.date | None) -> bool:
    """True when a person born on ``born`` is under 14 today and no guardian consent is recorded for the user."""
    if born is None or age_years(born) >= GUARDIAN_CONSENT_BELOW:
        return False
    return not GuardianConsent.objects.filter(user_id=user_id).exists()


@transaction.atomic
def guardian_consent_record(*, user: User, guardian_name: str, relationship: str, evidence: str, recorded_by: User,
                            origin: Origin | None = None) -> GuardianConsent:
    """An identity reviewer records a guardian's consent (how it was obtained in ``evidence``). The guardian's
    name is stored encrypted with a masked copy. Side effects: network log ``identity.guardian_consent`` (no name).
    Refusals: ``permission_denied`` (needs ``accounts.review_identity``), ``guardian_consent_invalid``."""
    if not recorded_by.has_perm("accounts.review_identity"):
        raise ApplicationError("permission_denied")
    name = " ".join((guardian_name or "").split())
    evidence = (evidence or "").strip()
    if relationship not in GuardianRelationship.values or not 2 <= len(name) <= 40 or len(evidence) < 5:
        raise ApplicationError("guardian_consent_invalid")
    consent = GuardianConsent.objects.create(
        user=user, relationship=relationship, guardian_name_enc=crypto.encrypt(name),
        guardian_name_masked=name_mask(name), evidence=evidence[:2000], recorded_by=recorded_by,
        ip=origin.ip if origin else None)
    record("identity.guardian_consent", actor_id=recorded_by.pk, origin=origin, target_id=user.pk,
           data={"consent": consent.pk, "relationship": relationship})
    return consent
