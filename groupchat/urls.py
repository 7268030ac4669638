from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from groupchat.core.health import healthz

# The admin is titled as the product, in the visitor's language (not "Django 管理").
admin.site.site_header = _("groupchat administration")
admin.site.site_title = _("groupchat admin")
admin.site.index_title = _("Staff work and records")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("groupchat.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("groupchat.page_urls")),
]
