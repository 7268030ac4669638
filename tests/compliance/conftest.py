from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission

from groupchat.core.events import record
from tests.factories import ORIGIN, UserFactory

# A fixed "now" on the seal grid (a whole minute), far enough from the real clock that nothing else interferes.
NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


def make_officer(**kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="compliance"))
    return user


@pytest.fixture
def officer(db):
    return make_officer(nickname="合规专员甲")


@pytest.fixture
def second_officer(db):
    return make_officer(nickname="合规专员乙")


@pytest.fixture
def log_at():
    """Write one network-log record at a given time, as a service would."""

    def write(at, *, kind="message.sent", actor_id=1, group_code="1000000001", data=None):
        return record(kind, actor_id=actor_id, origin=ORIGIN, group_code=group_code, at=at,
                      data=data if data is not None else {"body": f"记录 {at.isoformat()}"})

    return write
