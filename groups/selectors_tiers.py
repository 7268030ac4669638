"""Reads of the tiered management system (G7a): what is filed (``tier_system_snapshot``), the activity bands, and
the platform's scale per tier. Compliance builds filing versions and the filing package from these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Sum

from accounts.selectors import grade_table

from .models import Group, GroupCategory, GroupStatus, TierPolicy

TIER_FIELDS = ("slug", "name_zh", "name_en", "rank", "max_members", "owner_verification_level", "owner_min_grade",
               "requires_review", "review_exempt_level", "join_modes", "link_join_max_members",
               "approval_from_members", "invitee_accept_above", "info_required_from_members", "screening_intensity")
CATEGORY_FIELDS = ("slug", "name_zh", "name_en", "min_review_rank", "active")


def activity_bands() -> tuple[int, int]:
    """30-day average messages per day: below the first a group is quiet, from the second busy (G7a)."""
    quiet, busy = settings.GROUPCHAT.get("ACTIVITY_BANDS", (10, 200))
    return quiet, busy


def tier_system_snapshot() -> dict[str, Any]:
    """The tiered management system as it is filed: tiers, categories, caps by credit grade, activity bands."""
    return {
        "tiers": [{k: getattr(t, k) for k in TIER_FIELDS} for t in TierPolicy.objects.order_by("rank")],
        "categories": [{k: getattr(c, k) for k in CATEGORY_FIELDS}
                       for c in GroupCategory.objects.order_by("order", "slug")],
        "grade_caps": [g.__dict__ for g in grade_table()],
        "activity_bands": list(activity_bands()),
    }


@dataclass(frozen=True)
class TierScale:
    tier: str  # slug, "" for groups without a tier
    groups: int
    members: int


def tier_scale() -> list[TierScale]:
    """Open (not closed) groups and their members per tier, smallest tier first; every tier, also when empty."""
    rows = {r["tier__slug"] or "": r for r in Group.objects.exclude(status=GroupStatus.CLOSED)
            .values("tier__slug").annotate(groups=Count("pk"), members=Sum("member_count"))}
    slugs = [*TierPolicy.objects.order_by("rank").values_list("slug", flat=True), *([""] if "" in rows else [])]
    return [TierScale(slug, rows.get(slug, {}).get("groups", 0), rows.get(slug, {}).get("members") or 0)
            for slug in slugs]
