"""HTTP API for the tier system: what each tier demands and whether I qualify, upgrades, applications."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import grade_permissions_for
from groupchat.core.origin import Origin

from . import selectors
from .models import GroupApplication, GroupCategory, TierChange, TierPolicy
from .services import tiers

Free = inline_serializer("TierObject", fields={})


def application_payload(application: GroupApplication) -> dict:
    return {"id": application.pk, "status": application.status, "tier": application.tier.slug,
            "is_upgrade": application.is_upgrade, "name": application.data.get("name", ""),
            "group": application.group.code if application.group_id else None, "reason": application.reason,
            "created_at": application.created_at.isoformat()}


def pending_review_response(application: GroupApplication) -> Response:
    """202: a reviewed tier or category waits for the platform's decision (create and upgrade alike)."""
    return Response({"status": "pending_review", "application": application_payload(application)},
                    status=status.HTTP_202_ACCEPTED)


class TierListApi(APIView):
    @extend_schema(summary="Tiers and categories, and for each tier whether I qualify and what I lack", responses=Free)
    def get(self, request):
        grade = grade_permissions_for(request.user)
        lang = request.LANGUAGE_CODE
        tier_list = list(TierPolicy.objects.order_by("rank"))
        ranks = {t.slug: t.rank for t in tier_list}
        return Response({
            "grade": grade.grade,
            "tiers": [
                {"slug": t.slug, "name": t.name(lang), "rank": t.rank, "max_members": t.max_members,
                 "owner_verification_level": t.owner_verification_level, "owner_min_grade": t.owner_min_grade,
                 # For me: a large group of an L3 owner opens at once, of an L2 owner after review.
                 "requires_review": tiers.needs_review(tier=t, category=None, owner=request.user),
                 "review_exempt_level": t.review_exempt_level, "join_modes": t.join_modes,
                 "missing": [m.as_dict() for m in tiers.tier_missing(user=request.user, tier=t, grade=grade,
                                                                     ranks=ranks)]}
                for t in tier_list
            ],
            "categories": [
                {"slug": c.slug, "name": c.name(lang), "reviewed_from_rank": c.min_review_rank}
                for c in GroupCategory.objects.filter(active=True)
            ],
        })


class GroupTierApi(APIView):
    class Input(serializers.Serializer):
        tier = serializers.SlugField()

    @extend_schema(summary="Tier history of the group (owner/admin)", responses=Free)
    def get(self, request, code: str):
        group = selectors.group_get(code=code)
        selectors.membership_require_manager(user=request.user, group=group)
        changes = TierChange.objects.filter(group=group).select_related("from_tier", "to_tier").order_by("-created_at")
        return Response({"tier": group.tier.slug if group.tier else None, "activity_avg": group.activity_avg,
                         "activity_band": group.activity_band, "size_band": group.size_band, "changes": [
                             {"from": c.from_tier.slug if c.from_tier else None, "to": c.to_tier.slug,
                              "reason": c.reason, "created_at": c.created_at.isoformat()} for c in changes]})

    @extend_schema(summary="Grow the group into a higher tier (owner; may wait for platform review)", request=Input,
                   responses=Free)
    def post(self, request, code: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        result = tiers.group_tier_request(actor=request.user, group=selectors.group_get(code=code),
                                          tier_slug=data.validated_data["tier"], origin=Origin.from_request(request))
        if isinstance(result, GroupApplication):
            return pending_review_response(result)
        return Response({"status": "changed", "tier": result.to_tier.slug})


class MyApplicationsApi(APIView):
    @extend_schema(summary="My group applications waiting for (or decided by) platform review", responses=Free)
    def get(self, request):
        applications = GroupApplication.objects.filter(applicant=request.user).select_related("tier", "group")
        return Response({"results": [application_payload(a) for a in applications.order_by("-created_at")[:50]]})
