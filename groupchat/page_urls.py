"""The web UI's pages (server-rendered templates; the chat itself is static/js/chat.js)."""

from django.urls import path

from accounts import views as accounts
from groups import views as groups

urlpatterns = [
    path("", groups.home, name="home"),
    path("login/", accounts.login_page, name="login"),
    path("logout/", accounts.logout_page, name="logout"),
    path("signup/", accounts.signup_page, name="signup"),
]
