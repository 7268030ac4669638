"""HTTP API for identity verification, agreements and credit. Thin: validate input, call one service, shape output.

No endpoint returns a legal name or an ID number, only masked values (G6a); reveals happen in the admin only.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from groupchat.core.openapi import name_input_components
from groupchat.core.origin import Origin

from . import selectors, services
from .identity import CONSENT_VERSION, consent_current, consent_purpose
from .models import Agreement, CreditEvent, IdentitySubmission

Free = inline_serializer("AccountsIdentityObject", fields={})

# Ids are bigint primary keys: bounding them makes a huge number a 400, not a database overflow (500).
ID_MAX = 2**63 - 1


def _lang() -> str:
    return translation.get_language() or "zh-hans"


def submission_payload(s: IdentitySubmission | None) -> dict | None:
    if s is None:
        return None
    return {"id": s.pk, "kind": s.kind, "level": s.level, "status": s.status, "legal_name": s.legal_name_masked,
            "id_number": s.id_number_masked, "org_name": s.org_name, "uscc": s.uscc,
            "submitted_at": s.submitted_at.isoformat(), "decided_at": s.decided_at.isoformat() if s.decided_at else None,
            "reject_reason": s.reject_reason}


def identity_payload(user) -> dict:
    state = selectors.identity_state(user)
    return {"level": state.level, "phone": state.phone_masked or None, "phone_verified": state.phone_verified,
            "personal": submission_payload(state.personal), "organisation": submission_payload(state.organisation),
            "consent_given": consent_current(user) is not None}


def agreement_payload(a: Agreement, *, body: bool = True) -> dict:
    data = {"id": a.pk, "kind": a.kind, "version": a.version, "title": a.title(_lang()), "material": a.material,
            "published_at": a.published_at.isoformat() if a.published_at else None}
    if body:
        data["body"] = a.body(_lang())
    return data


def credit_event_payload(e: CreditEvent) -> dict:
    return {"at": e.created_at.isoformat(), "delta": e.delta, "score": e.score_after, "grade_before": e.grade_before,
            "grade_after": e.grade_after, "source": e.source, "reason_code": e.reason_code, "reason": e.reason}


class IdentityApi(APIView):
    @extend_schema(summary="My verification state (masked)", responses=Free)
    def get(self, request):
        return Response(identity_payload(request.user))


class PhoneCodeSendApi(APIView):
    class Input(serializers.Serializer):
        phone = serializers.CharField(max_length=20)

    @extend_schema(summary="Send a one-time code to a mainland mobile number (L1)", request=Input,
                   responses={202: None})
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.phone_code_send(user=request.user, phone=data.validated_data["phone"],
                                 origin=Origin.from_request(request))
        return Response(status=status.HTTP_202_ACCEPTED)


class PhoneVerifyApi(APIView):
    class Input(serializers.Serializer):
        phone = serializers.CharField(max_length=20)
        code = serializers.CharField(max_length=10)

    @extend_schema(summary="Confirm the code: the phone becomes verified (L1)", request=Input, responses=Free)
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.phone_verify(user=request.user, origin=Origin.from_request(request), **data.validated_data)
        return Response(identity_payload(request.user))


class ConsentApi(APIView):
    @extend_schema(summary="The purpose of processing the ID number (shown before consent)", responses=Free)
    def get(self, request):
        consent = consent_current(request.user)
        return Response({"version": CONSENT_VERSION, "purpose": consent_purpose(_lang()),
                         "given_at": consent.accepted_at.isoformat() if consent else None})

    @extend_schema(summary="Give separate consent to processing the ID number (PIPL Art 29)", request=None,
                   responses={201: Free})
    def post(self, request):
        consent = services.consent_give(user=request.user, language=_lang(), origin=Origin.from_request(request))
        return Response({"id": consent.pk, "version": consent.purpose_version,
                         "given_at": consent.accepted_at.isoformat()}, status=status.HTTP_201_CREATED)


# Error reports mailed to the admins star these out (the Django request's POST and the view's variables).
@method_decorator(sensitive_post_parameters("legal_name", "id_number"), name="dispatch")
class PersonalSubmitApi(APIView):
    class Input(serializers.Serializer):
        legal_name = serializers.CharField(max_length=40)
        id_number = serializers.CharField(max_length=30)

    @extend_schema(summary="Submit legal name + ID number for L2 (needs L1 and consent first)", request=Input,
                   responses={201: Free})
    @method_decorator(sensitive_variables())
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        submission = services.identity_submit_personal(user=request.user, consent=consent_current(request.user),
                                                       origin=Origin.from_request(request), **data.validated_data)
        return Response(submission_payload(submission), status=status.HTTP_201_CREATED)


class NetworkIdSubmitApi(APIView):
    class Input(serializers.Serializer):
        token = serializers.CharField(max_length=200)

    @extend_schema(summary="Verify L2 with the national network ID (only the token and result are kept)",
                   request=Input, responses={201: Free})
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        submission = services.identity_submit_network_id(user=request.user, token=data.validated_data["token"],
                                                         origin=Origin.from_request(request))
        return Response(submission_payload(submission), status=status.HTTP_201_CREATED)


class OrganisationSubmitApi(APIView):
    class Input(serializers.Serializer):
        org_name = serializers.CharField(max_length=100)
        uscc = serializers.CharField(max_length=30)

    @extend_schema(summary="Submit an organisation for L3 (unified social credit code)", request=Input,
                   responses={201: Free})
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        submission = services.identity_submit_organisation(user=request.user, origin=Origin.from_request(request),
                                                           **data.validated_data)
        return Response(submission_payload(submission), status=status.HTTP_201_CREATED)


class AgreementListApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(summary="The current version of each agreement (public)", responses=Free)
    def get(self, request):
        return Response({"results": [agreement_payload(a) for a in selectors.agreements_current()]})


class MyAgreementsApi(APIView):
    @extend_schema(summary="Agreement versions I must still accept before posting", responses=Free)
    def get(self, request):
        return Response({"missing": [agreement_payload(a) for a in selectors.agreements_missing(request.user)]})


class AgreementAcceptApi(APIView):
    class Input(serializers.Serializer):
        agreements = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
                                           required=False, max_length=50,
                                           help_text="version ids; omit to accept every current version")

    @extend_schema(summary="Accept agreement versions (records user, version, time, IP)", request=Input,
                   responses=Free)
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.agreements_accept(user=request.user, agreement_ids=data.validated_data.get("agreements"),
                                   origin=Origin.from_request(request))
        return Response({"missing": [agreement_payload(a, body=False)
                                     for a in selectors.agreements_missing(request.user)]})


class CreditApi(APIView):
    @extend_schema(summary="My credit: grade, score, what the grade allows, history with reasons", responses=Free)
    def get(self, request):
        perms = selectors.grade_permissions_for(request.user)
        return Response({
            "grade": perms.grade, "score": perms.score,
            "allows": {k: getattr(perms, k) for k in selectors.GRADE_PERMISSION_FIELDS},
            "history": [credit_event_payload(e) for e in selectors.credit_history(request.user)],
        })


name_input_components(globals())
