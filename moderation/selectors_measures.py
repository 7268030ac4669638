"""Reads of measures and appeals for the target's own pages and the API."""

from __future__ import annotations

from django.db.models import Q

from accounts.models import User
from groupchat.core.errors import ApplicationError
from groups.models import Membership, Role

from .models_measures import Change, Measure


def measure_list_for_user(*, user: User, limit: int = 100) -> list[Measure]:
    """The measures a user sees: those on them and on the groups they own or administer (owners and admins see a
    warning and its rectification deadline here too, not only in the chat's notice), newest first. Only the target
    (a group's owner) may appeal."""
    managed = Membership.objects.filter(user=user, role__in=(Role.OWNER, Role.ADMIN)).values("group_id")
    return list(Measure.objects.filter(change=Change.ISSUE)
                .filter(Q(target_user=user) | Q(target_group__owner=user) | Q(target_group_id__in=managed))
                .select_related("target_group", "appeal").order_by("-created_at")[:limit])


def measure_get_for_user(*, user: User, measure_id: int) -> Measure:
    measure = (Measure.objects.filter(pk=measure_id, change=Change.ISSUE)
               .filter(Q(target_user=user) | Q(target_group__owner=user))
               .select_related("target_group", "target_user").first())
    if measure is None:
        raise ApplicationError("measure_not_found")
    return measure
