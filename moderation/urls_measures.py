"""API routes of the measures half of moderation, under /api/v1/moderation/."""

from django.urls import path

import groupchat.converters  # noqa: F401  registers <id:...>

from . import apis_measures

urlpatterns = [
    path("measures/", apis_measures.MyMeasuresApi.as_view()),
    path("measures/<id:measure_id>/appeal/", apis_measures.MeasureAppealApi.as_view()),
]
