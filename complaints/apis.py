"""HTTP API of the complaints app under ``/api/v1/complaints/``: file a report, list and read one's own, the report
reasons, and the public statistics. One view per operation: input serializer -> one service/selector -> output."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from groupchat.core.openapi import name_input_components
from groupchat.core.origin import Origin

from . import selectors, services
from .categories import plain_name, reasons
from .feedback import reporter_state, state_text

ID_MAX = 2**63 - 1


class ComplaintOut(serializers.Serializer):
    number = serializers.CharField()
    created_at = serializers.DateTimeField()
    target_kind = serializers.CharField()
    category = serializers.CharField()
    category_name = serializers.CharField()
    text = serializers.CharField()
    state = serializers.ChoiceField(choices=["received", "handling", "handled"])
    state_text = serializers.CharField()
    outcome = serializers.CharField(allow_blank=True)
    outcome_reason = serializers.CharField(allow_blank=True)
    decide_due = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    updated = serializers.BooleanField(help_text="the state changed since the reporter last opened My reports")


def complaint_payload(complaint) -> dict:
    """A ticket as its reporter sees it: the state in plain words; nothing about other reporters."""
    case = complaint.case
    decided = case.decided_at is not None
    return {"number": complaint.number, "created_at": complaint.created_at, "target_kind": complaint.target_kind,
            "category": complaint.category, "category_name": plain_name(complaint.category),
            "text": complaint.text, "state": reporter_state(case), "state_text": state_text(case),
            "outcome": case.outcome if decided else "", "outcome_reason": case.outcome_reason if decided else "",
            "decide_due": complaint.decide_due, "decided_at": complaint.decided_at,
            "updated": complaint.updated_for_reporter}


class ComplaintListApi(APIView):
    """GET: my reports, newest first (``before=<id>`` keyset is not exposed; the 100 latest). POST: file one."""

    class Input(serializers.Serializer):
        target = serializers.CharField(max_length=40, help_text='"message:<id>", "user:<id>" or "group:<code>"')
        category = serializers.CharField(max_length=16)
        text = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
        evidence = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
                                         required=False, default=list, max_length=100)

    @extend_schema(responses=ComplaintOut(many=True))
    def get(self, request):
        rows = selectors.complaint_list_for_reporter(reporter=request.user, limit=100)
        return Response(ComplaintOut([complaint_payload(c) for c in rows], many=True).data)

    @extend_schema(request=Input, responses={201: ComplaintOut})
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        complaint = services.complaint_file(
            reporter=request.user, target=data.validated_data["target"], category=data.validated_data["category"],
            text=data.validated_data["text"], evidence_message_ids=data.validated_data["evidence"],
            origin=Origin.from_request(request))
        return Response(ComplaintOut(complaint_payload(complaint)).data, status=status.HTTP_201_CREATED)


class ComplaintDetailApi(APIView):
    @extend_schema(responses=ComplaintOut)
    def get(self, request, number: str):
        complaint = selectors.complaint_get_for_reporter(reporter=request.user, number=number)
        return Response(ComplaintOut(complaint_payload(complaint)).data)


class ReasonOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    legal = serializers.CharField()
    report_type = serializers.CharField()
    urgent = serializers.BooleanField()


class ReasonListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ReasonOut(many=True))
    def get(self, request):
        return Response(ReasonOut([asdict(r) for r in reasons()], many=True).data)


class StatisticsRowOut(serializers.Serializer):
    month = serializers.DateField()
    category = serializers.CharField()
    received = serializers.IntegerField()
    handled = serializers.IntegerField()


class StatisticsOut(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    received = serializers.IntegerField()
    handled = serializers.IntegerField()
    median_hours = serializers.FloatField(allow_null=True)
    p90_hours = serializers.FloatField(allow_null=True)
    within_sla_share = serializers.FloatField(allow_null=True)
    rows = StatisticsRowOut(many=True)


class StatisticsApi(APIView):
    """Public: the last 12 months' complaint-handling figures (the statistics page's numbers)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=StatisticsOut)
    def get(self, request):
        figures = selectors.complaint_statistics_public()
        return Response(StatisticsOut(asdict(figures)).data)


name_input_components(globals())
