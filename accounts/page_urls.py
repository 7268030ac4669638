from django.urls import path

import groupchat.converters  # noqa: F401  registers <id:...>

from . import views, views_identity, views_profile

urlpatterns = [
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout_page, name="logout"),
    path("signup/", views.signup_page, name="signup"),
    path("me/", views_profile.my_profile_page, name="my-profile"),
    path("u/<id:user_id>/", views_profile.public_profile_page, name="public-profile"),
    path("me/identity/", views_identity.identity_page, name="identity"),
    path("me/credit/", views_identity.credit_page, name="credit"),
    path("agreements/", views_identity.agreements_page, name="agreements"),
    path("rules/", views_identity.public_agreement_page, {"slug": "rules"}, name="public-rules"),
    path("convention/", views_identity.public_agreement_page, {"slug": "convention"}, name="public-convention"),
    path("agreement/", views_identity.public_agreement_page, {"slug": "agreement"}, name="public-agreement"),
    path("privacy/", views_identity.public_agreement_page, {"slug": "privacy"}, name="public-privacy"),
]
