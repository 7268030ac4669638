"""Helpers of the measures tests: staff users in the moderator roles, sending, issuing with the defaults."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group as Role
from django.utils import timezone

from groupchat.core.errors import ApplicationError
from groups import services
from moderation.measures import measure_issue
from moderation.roles_measures import MODERATOR, SENIOR_MODERATOR
from tests.factories import ORIGIN, UserFactory


def staff(role: str = MODERATOR, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Role.objects.get(name=role))
    return user


def moderator(**kwargs):
    return staff(MODERATOR, **kwargs)


def senior(**kwargs):
    return staff(SENIOR_MODERATOR, **kwargs)


def send(user, group, body="你好", client_id="c1"):
    return services.message_send(sender=user, group_code=group.code, body=body, client_id=client_id, origin=ORIGIN)


def refused(user, group, code: str, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as err:
        send(user, group, **kwargs)
    assert err.value.code == code, err.value
    return err.value


def issue(kind: str, *, operator, days: float | None = 1, reason_code: str = "PLT-SPAM", **kwargs):
    until = timezone.now() + timedelta(days=days) if days is not None else None
    return measure_issue(kind=kind, operator=operator, reason_code=reason_code, until=until,
                         evidence={"note": "test"}, origin=ORIGIN, **kwargs)
