"""HTTP API for accounts: register, log in (session or token), log out, my profile."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from groupchat.core.errors import ApplicationError
from groupchat.core.openapi import name_input_components
from groupchat.core.origin import Origin

from . import services
from .models import User

Free = inline_serializer("AccountObject", fields={})


def me_payload(user: User) -> dict:
    return {"id": user.pk, "username": user.username, "nickname": user.nickname, "language": user.language,
            "verification_level": user.verification_level,
            "phone": f"{user.phone[:3]}****{user.phone[-4:]}" if user.phone else None}


class RegisterApi(APIView):
    permission_classes = [AllowAny]

    class Input(serializers.Serializer):
        username = serializers.CharField(max_length=40)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        nickname = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
        phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
        language = serializers.ChoiceField(choices=["zh-hans", "en"], default="zh-hans")
        accept_agreements = serializers.BooleanField(
            default=False, help_text="accept every current agreement version (GET /api/v1/agreements/) at sign-up")

    @extend_schema(summary="Create an account and log in", request=Input, responses={201: Free})
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(origin=Origin.from_request(request), **data.validated_data)
        login(request, user, backend="accounts.backends.UsernameOrPhoneBackend")
        return Response(me_payload(user), status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    permission_classes = [AllowAny]

    class Input(serializers.Serializer):
        username = serializers.CharField(max_length=40, help_text="username or phone number")
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        token = serializers.BooleanField(default=False, help_text="also return an API token (non-browser clients)")

    @extend_schema(summary="Log in with username or phone + password (locked out after repeated failures)",
                   request=Input, responses=Free)
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, username=data.validated_data["username"],
                            password=data.validated_data["password"])
        if user is None:
            if getattr(request, "axes_locked_out", False):
                raise ApplicationError("locked_out")
            raise ApplicationError("invalid_credentials")
        login(request, user, backend="accounts.backends.UsernameOrPhoneBackend")
        body = me_payload(user)
        if data.validated_data["token"]:
            body["token"] = Token.objects.get_or_create(user=user)[0].key
        return Response(body)


class LogoutApi(APIView):
    @extend_schema(summary="Log out", request=None, responses={204: None})
    def post(self, request):
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    class Input(serializers.Serializer):
        nickname = serializers.CharField(max_length=40, required=False)
        language = serializers.ChoiceField(choices=["zh-hans", "en"], required=False)

    @extend_schema(summary="My profile", responses=Free)
    def get(self, request):
        return Response(me_payload(request.user))

    @extend_schema(summary="Change my nickname or language", request=Input, responses=Free)
    def patch(self, request):
        data = self.Input(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, origin=Origin.from_request(request),
                                            **data.validated_data)
        return Response(me_payload(user))


name_input_components(globals())
