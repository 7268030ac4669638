"""The web UI's pages: each app owns its own page routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.page_urls")),
    path("", include("groups.page_urls")),
]
