from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .idnumbers import phone_normalise


class UsernameOrPhoneBackend(ModelBackend):
    """Log in with a username or a phone number and a password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        user = (User.objects.filter(username=username).first()
                or User.objects.filter(phone=phone_normalise(username)).first())
        if user is None:
            User().set_password(password)  # same work as a real check: do not reveal which names exist by timing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
