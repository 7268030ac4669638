"""HTTP API of measures for the people they concern: my measures, and an appeal against one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from groupchat.core.openapi import name_input_components
from groupchat.core.origin import Origin

from .appeals import appeal_file, appeal_open
from .categories import BY_CODE
from .models_measures import Appeal, Measure
from .selectors_measures import measure_get_for_user, measure_list_for_user

Free = inline_serializer("MeasureObject", fields={})


def appeal_payload(appeal: Appeal) -> dict:
    return {"id": appeal.pk, "status": appeal.status, "created_at": appeal.created_at.isoformat(),
            "decided_at": appeal.decided_at.isoformat() if appeal.decided_at else None,
            "decision": appeal.decision_text}


def measure_payload(measure: Measure, user, language: str) -> dict:
    category = BY_CODE[measure.reason_code]
    appeal = getattr(measure, "appeal", None) if hasattr(measure, "appeal") else None
    return {
        "id": measure.pk, "kind": measure.kind, "kind_label": measure.get_kind_display(),
        "target": ({"group": measure.target_group.code, "name": measure.target_group.name}
                   if measure.target_group_id else {"user": measure.target_user_id}),
        "reason_code": measure.reason_code, "reason": category.name(language),
        "basis": measure.basis_citation, "basis_text": measure.basis_text,
        "starts_at": measure.starts_at.isoformat(), "ends_at": measure.ends_at.isoformat() if measure.ends_at else None,
        "appealable": appeal_open(measure, user), "appeal": appeal_payload(appeal) if appeal else None,
    }


class MyMeasuresApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Measures on me and on the groups I own, newest first", responses=Free)
    def get(self, request):
        language = request.user.language
        return Response({"measures": [measure_payload(m, request.user, language)
                                      for m in measure_list_for_user(user=request.user)]})


class MeasureAppealApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        text = serializers.CharField(max_length=2000, help_text="why the measure should be lifted (10-2000 chars)")

    @extend_schema(summary="Appeal a measure (once, within 15 days)", request=Input, responses={201: Free})
    def post(self, request, measure_id: int):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        measure = measure_get_for_user(user=request.user, measure_id=measure_id)
        appeal = appeal_file(measure=measure, user=request.user, text=data.validated_data["text"],
                             origin=Origin.from_request(request))
        return Response(appeal_payload(appeal), status=status.HTTP_201_CREATED)


name_input_components(globals())
