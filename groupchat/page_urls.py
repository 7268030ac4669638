"""The web UI's pages: each app owns its own page routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("complaints.page_urls")),  # /report/ (every report link), /reports/ (mine, statistics)
    path("", include("accounts.page_urls")),
    path("", include("groups.page_urls")),
    path("", include("moderation.page_urls_measures")),  # /me/measures/ (my measures and appeals)
]
