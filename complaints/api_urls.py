"""``/api/v1/complaints/`` (included from groupchat/api_urls.py)."""

from django.urls import path

from . import apis

urlpatterns = [
    path("", apis.ComplaintListApi.as_view()),
    path("reasons/", apis.ReasonListApi.as_view()),
    path("statistics/", apis.StatisticsApi.as_view()),
    path("<str:number>/", apis.ComplaintDetailApi.as_view()),
]
