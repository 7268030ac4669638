"""Pages of the complaints app (included from groupchat/page_urls.py before the groups app's)."""

from django.urls import path

from . import views

urlpatterns = [
    path("report/", views.report_form, name="report"),
    path("reports/", views.my_reports, name="my-reports"),
    path("reports/statistics/", views.statistics_page, name="complaint-statistics"),
    path("reports/<str:number>/", views.report_detail, name="report-detail"),
]
