from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("find/", views.group_find, name="group-find"),
    path("find/code/", views.group_code_lookup, name="group-code-lookup"),
    path("new/", views.group_create, name="group-create"),
    path("g/<str:code>/", views.group_info, name="group-info"),
    path("g/<str:code>/manage/", views.group_manage, name="group-manage"),
    path("invite/<str:token>/", views.invitation, name="invitation"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="jsi18n"),
]
