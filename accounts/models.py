"""Accounts: the front-stage profile (free nickname) and what the back stage needs to know about a user.

Nothing here is shown to other users except ``nickname`` (and the role badges groups add). The real identity lives in
the identity vault (a later issue) and never in this table.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra):
        if not username:
            raise ValueError("username is required")
        user = self.model(username=self.model.normalize_username(username), **extra)
        user.nickname = user.nickname or username
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(username, password, **extra)


class VerificationLevel(models.IntegerChoices):
    NONE = 0, "unverified"
    PHONE = 1, "L1 phone"
    PERSONAL = 2, "L2 personal identity"
    ORGANISATION = 3, "L3 organisation"


class User(AbstractBaseUser, PermissionsMixin):
    username = models.CharField(max_length=40, unique=True, validators=[UnicodeUsernameValidator()])
    phone = models.CharField(max_length=20, unique=True, null=True, blank=True)
    nickname = models.CharField(max_length=40)
    language = models.CharField(max_length=10, default="zh-hans", choices=[("zh-hans", "简体中文"), ("en", "English")])
    verification_level = models.PositiveSmallIntegerField(
        choices=VerificationLevel.choices, default=VerificationLevel.NONE
    )
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.username

    def get_full_name(self) -> str:  # Django admin; never the legal name
        return self.nickname

    def get_short_name(self) -> str:
        return self.nickname
