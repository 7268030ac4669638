"""HTTP API for groups and messages: one view per operation, input serializer -> one service -> output."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import translation
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from groupchat.core.errors import ApplicationError
from groupchat.core.openapi import name_input_components
from groupchat.core.origin import Origin

from . import selectors, services
from .apis_tiers import pending_review_response
from .history import HISTORY_PARAMETERS, SEQ_MAX, history_body, history_params
from .models import GroupApplication, JoinRequest, Membership
from .payloads import group_payload, member_payload
from .services.messages import Held

Free = inline_serializer("Object", fields={})  # responses documented by example in docs/protocol.md

# Ids are bigint primary keys: bounding them makes a huge number a 400, not a database overflow (500).
ID_MAX = 2**63 - 1
MUTE_MINUTES_MAX = 30 * 24 * 60  # services.member_mute's longest mute (30 days)


def _origin(request) -> Origin:
    return Origin.from_request(request)


def _user(user_id: int) -> User:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise ApplicationError("target_not_member")
    return user


class GroupOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    announcement = serializers.CharField()
    rules = serializers.CharField()
    status = serializers.CharField()
    join_mode = serializers.CharField()
    member_count = serializers.IntegerField()
    last_seq = serializers.IntegerField()


class GroupListApi(APIView):
    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=60)
        category = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
        join_mode = serializers.ChoiceField(choices=["open", "approval", "question", "invite"], default="approval")
        join_question = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        announcement = serializers.CharField(required=False, allow_blank=True, default="")
        rules = serializers.CharField(required=False, allow_blank=True, default="")
        is_public = serializers.BooleanField(default=True)
        tier = serializers.SlugField(required=False, allow_blank=True, default="")
        acknowledge_duties = serializers.BooleanField(default=False)

    @extend_schema(summary="My groups, most recently active first, with unread counts", responses=Free,
                   operation_id="v1_groups_mine")
    def get(self, request):
        items = selectors.group_list_for_user(user=request.user)
        data = []
        for item in items:
            last = None
            if item.last_message is not None:
                m = item.last_message
                last = {"seq": m.seq, "sender": m.sender.nickname, "removed": m.removed_at is not None,
                        "body": "" if m.removed_at else m.body[:120], "created_at": m.created_at.isoformat()}
            data.append({**group_payload(item.group), "role": item.role, "unread": item.unread,
                         "last_message": last,
                         "muted_until": item.muted_until.isoformat() if item.muted_until else None})
        return Response({"results": data})

    @extend_schema(summary="Create a group (the creator acknowledges the owner's duties)", request=Input,
                   responses={201: GroupOut})
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.group_create(owner=request.user, origin=_origin(request), **data.validated_data)
        if isinstance(group, GroupApplication):  # a reviewed tier or category: the platform decides first
            return pending_review_response(group)
        return Response(group_payload(group), status=status.HTTP_201_CREATED)


class GroupSearchApi(APIView):
    @extend_schema(summary="Find public groups by exact code or by name",
                   parameters=[OpenApiParameter("q", str)], responses=Free)
    def get(self, request):
        groups = selectors.group_search(query=request.query_params.get("q", ""))
        return Response({"results": [group_payload(g) for g in groups]})


class GroupDetailApi(APIView):
    permission_classes = [AllowAny]

    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=60, required=False)
        category = serializers.CharField(max_length=40, required=False, allow_blank=True)
        announcement = serializers.CharField(required=False, allow_blank=True)
        rules = serializers.CharField(required=False, allow_blank=True)
        join_mode = serializers.ChoiceField(choices=["open", "approval", "question", "invite"], required=False)
        join_question = serializers.CharField(max_length=200, required=False, allow_blank=True)
        is_public = serializers.BooleanField(required=False)

    @extend_schema(summary="Group info page data (public, G8b)", responses=GroupOut)
    def get(self, request, code: str):
        group = selectors.group_get(code=code)
        data = group_payload(group)
        data["admins"] = [member_payload(m) for m in selectors.member_list(group=group) if m.role != "member"]
        if request.user.is_authenticated:
            membership = selectors.membership_get(user=request.user, group=group)
            data["my_role"] = membership.role if membership else None
            data["rules_accepted"] = bool(membership and membership.rules_accepted_at)
            data["pending_owner_is_me"] = group.pending_owner_id == request.user.pk
            data["notices"] = (selectors.group_notices(group=group, membership=membership,
                                                       language=translation.get_language() or "zh-hans")
                               if membership else [])
        return Response(data)

    @extend_schema(summary="Change name, announcement, rules or join settings (owner/admin)", request=Input,
                   responses=GroupOut)
    def patch(self, request, code: str):
        if not request.user.is_authenticated:
            raise ApplicationError("not_authenticated")
        data = self.Input(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        group = services.group_update(actor=request.user, group=selectors.group_get(code=code),
                                      origin=_origin(request), **data.validated_data)
        return Response(group_payload(group))


class GroupJoinApi(APIView):
    class Input(serializers.Serializer):
        answer = serializers.CharField(max_length=400, required=False, allow_blank=True, default="")

    @extend_schema(summary="Join (open groups) or ask to join (approval groups)", request=Input, responses=Free)
    def post(self, request, code: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.group_join(user=request.user, group=selectors.group_get(code=code),
                                     answer=data.validated_data["answer"], origin=_origin(request))
        if isinstance(result, JoinRequest):
            return Response({"status": "pending", "request": result.pk}, status=status.HTTP_202_ACCEPTED)
        return Response({"status": "joined", "role": result.role}, status=status.HTTP_201_CREATED)


class GroupLeaveApi(APIView):
    @extend_schema(summary="Leave the group", request=None, responses={204: None})
    def post(self, request, code: str):
        services.member_leave(user=request.user, group=selectors.group_get(code=code), origin=_origin(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupRulesAcceptApi(APIView):
    @extend_schema(summary="Accept the group rules (needed before a member's first message)", request=None,
                   responses=Free)
    def post(self, request, code: str):
        membership = services.rules_accept(user=request.user, group=selectors.group_get(code=code))
        return Response({"rules_accepted_at": membership.rules_accepted_at.isoformat()})


class GroupReadApi(APIView):
    class Input(serializers.Serializer):
        seq = serializers.IntegerField(min_value=0, max_value=SEQ_MAX)

    @extend_schema(summary="Mark messages read up to seq", request=Input, responses={204: None})
    def post(self, request, code: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.read_mark(user=request.user, group_code=code, seq=data.validated_data["seq"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberListApi(APIView):
    @extend_schema(summary="Members with their role badges (members only)", responses=Free)
    def get(self, request, code: str):
        group = selectors.group_get(code=code)
        selectors.membership_require(user=request.user, group=group)
        return Response({"results": [member_payload(m) for m in selectors.member_list(group=group)]})


class MessageListApi(APIView):
    class Input(serializers.Serializer):
        client_id = serializers.CharField(max_length=64)
        body = serializers.CharField(trim_whitespace=False, allow_blank=True)

    @extend_schema(
        summary="History by keyset on seq, oldest first within the page",
        parameters=[OpenApiParameter(name, schema) for name, schema in HISTORY_PARAMETERS.items()],
        responses=Free,
    )
    def get(self, request, code: str):
        group = selectors.group_of_member(user=request.user, code=code)
        before, after, limit = history_params(request.query_params)
        return Response(history_body(group=group, before=before, after=after, limit=limit))

    @extend_schema(summary="Send a message (idempotent on client_id)", request=Input, responses=Free)
    def post(self, request, code: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.message_send(sender=request.user, group_code=code, origin=_origin(request),
                                       **data.validated_data)
        if isinstance(result, Held):  # screening keeps it for a moderator (docs/protocol.md, "Held messages")
            return Response({"held": result.as_dict(request.user.language)}, status=status.HTTP_202_ACCEPTED)
        return Response({"message": result.payload, "duplicate": not result.created},
                        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class MessageDeleteApi(APIView):
    class Input(serializers.Serializer):
        reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    @extend_schema(summary="Delete a message (owner/admin) or recall your own", request=Input, responses={204: None})
    def delete(self, request, code: str, message_id: int):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.message_remove(actor=request.user, group=selectors.group_get(code=code), message_id=message_id,
                                reason=data.validated_data["reason"], origin=_origin(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberMuteApi(APIView):
    class Input(serializers.Serializer):
        minutes = serializers.IntegerField(allow_null=True, min_value=1, max_value=MUTE_MINUTES_MAX)

    @extend_schema(summary="Mute a member for some minutes, or unmute with null", request=Input, responses=Free)
    def post(self, request, code: str, user_id: int):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        m = services.member_mute(actor=request.user, group=selectors.group_get(code=code), target=_user(user_id),
                                 minutes=data.validated_data["minutes"], origin=_origin(request))
        return Response({"muted_until": m.muted_until.isoformat() if m.muted_until else None})


class MemberRemoveApi(APIView):
    class Input(serializers.Serializer):
        ban = serializers.BooleanField(default=False)
        reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    @extend_schema(summary="Remove a member, optionally banning them", request=Input, responses={204: None})
    def post(self, request, code: str, user_id: int):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.member_remove(actor=request.user, group=selectors.group_get(code=code), target=_user(user_id),
                               origin=_origin(request), **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberUnbanApi(APIView):
    @extend_schema(summary="Lift a ban", request=None, responses={204: None})
    def delete(self, request, code: str, user_id: int):
        services.member_unban(actor=request.user, group=selectors.group_get(code=code), target=_user(user_id),
                              origin=_origin(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberRoleApi(APIView):
    class Input(serializers.Serializer):
        role = serializers.ChoiceField(choices=["admin", "member"])
        acknowledge_duties = serializers.BooleanField(default=False, help_text="required to appoint an admin (G9a)")

    @extend_schema(summary="Appoint or revoke an admin (owner only)", request=Input, responses=Free)
    def post(self, request, code: str, user_id: int):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        m = services.member_set_role(actor=request.user, group=selectors.group_get(code=code),
                                     target=_user(user_id), role=data.validated_data["role"], origin=_origin(request),
                                     acknowledge_duties=data.validated_data["acknowledge_duties"])
        return Response({"role": m.role})


class GroupTransferApi(APIView):
    class Input(serializers.Serializer):
        user_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)

    @extend_schema(summary="Offer ownership to a member (they must acknowledge the duties)", request=Input,
                   responses=Free)
    def post(self, request, code: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.group_transfer_offer(actor=request.user, group=selectors.group_get(code=code),
                                      new_owner=_user(data.validated_data["user_id"]), origin=_origin(request))
        return Response({"status": "offered"}, status=status.HTTP_202_ACCEPTED)


class GroupTransferAcceptApi(APIView):
    class Input(serializers.Serializer):
        acknowledge_duties = serializers.BooleanField(default=False)

    @extend_schema(summary="Accept an ownership transfer, acknowledging the owner's duties (G9a)", request=Input,
                   responses=Free)
    def post(self, request, code: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.group_transfer_accept(user=request.user, group=selectors.group_get(code=code),
                                               origin=_origin(request), **data.validated_data)
        return Response(group_payload(group))


class GroupMuteAllApi(APIView):
    class Input(serializers.Serializer):
        muted = serializers.BooleanField()

    @extend_schema(summary="Mute or unmute the whole group (owner/admin)", request=Input, responses=Free)
    def post(self, request, code: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.group_mute_all(actor=request.user, group=selectors.group_get(code=code),
                                        muted=data.validated_data["muted"], origin=_origin(request))
        return Response({"all_muted": group.all_muted})


class GroupCloseApi(APIView):
    class Input(serializers.Serializer):
        reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    @extend_schema(summary="Close the group for good (owner)", request=Input, responses=Free)
    def post(self, request, code: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.group_close(actor=request.user, group=selectors.group_get(code=code),
                                     reason=data.validated_data["reason"], origin=_origin(request))
        return Response({"status": group.status})


class JoinRequestListApi(APIView):
    @extend_schema(summary="Pending join requests (owner/admin)", responses=Free)
    def get(self, request, code: str):
        group = selectors.group_get(code=code)
        selectors.membership_require_manager(user=request.user, group=group)
        return Response({"results": [
            {"id": r.pk, "user": {"id": r.user_id, "nickname": r.user.nickname}, "answer": r.answer,
             "created_at": r.created_at.isoformat()}
            for r in selectors.join_requests_pending(group=group)
        ]})


class JoinRequestDecideApi(APIView):
    class Input(serializers.Serializer):
        approve = serializers.BooleanField()

    @extend_schema(summary="Approve or refuse a join request (owner/admin)", request=Input, responses=Free)
    def post(self, request, request_id: int):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        get_object_or_404(JoinRequest, pk=request_id)
        result = services.join_request_decide(actor=request.user, request_id=request_id,
                                              approve=data.validated_data["approve"], origin=_origin(request))
        return Response({"status": result.status})


class InvitationCreateApi(APIView):
    class Input(serializers.Serializer):
        user_id = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                           max_value=ID_MAX)

    @extend_schema(summary="Invite a user, or create an invite link without user_id (owner/admin)", request=Input,
                   responses=Free)
    def post(self, request, code: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        user_id = data.validated_data["user_id"]
        invitation = services.invitation_create(actor=request.user, group=selectors.group_get(code=code),
                                                invitee=_user(user_id) if user_id else None, origin=_origin(request))
        return Response({"token": invitation.token, "link": f"/invite/{invitation.token}/",
                         "expires_at": invitation.expires_at.isoformat()}, status=status.HTTP_201_CREATED)


class InvitationAcceptApi(APIView):
    @extend_schema(summary="Accept an invitation or use an invite link (expired: 410)", request=None, responses=Free)
    def post(self, request, token: str):
        membership: Membership = services.invitation_accept(user=request.user, token=token, origin=_origin(request))
        return Response({"group": membership.group.code, "role": membership.role}, status=status.HTTP_201_CREATED)


class InvitationDeclineApi(APIView):
    @extend_schema(summary="Decline a personal invitation", request=None, responses={204: None})
    def post(self, request, token: str):
        services.invitation_decline(user=request.user, token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupAuditApi(APIView):
    @extend_schema(summary="The group's audit events (owner/admin)", responses=Free)
    def get(self, request, code: str):
        group = selectors.group_get(code=code)
        selectors.membership_require_manager(user=request.user, group=group)
        return Response({"results": [
            {"action": e.action, "actor": e.actor.nickname if e.actor else None,
             "target": e.target.nickname if e.target else None, "data": e.data, "created_at": e.created_at.isoformat()}
            for e in selectors.audit_list(group=group)
        ]})


name_input_components(globals())
