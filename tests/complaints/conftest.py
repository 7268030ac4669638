import pytest

from complaints.services import MeasureOrder
from groups import services as group_services
from tests.factories import ORIGIN, UserFactory, add_member, make_group

# Moderation's screening rules, made through its service (the report text is screened by the real automaton).
from tests.moderation.screening_fixtures import _fresh_screening_state, rule  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_statistics():
    """The public figures are cached for a few minutes; each test counts its own reports."""
    from django.core.cache import cache

    from complaints.selectors import STATISTICS_CACHE_KEY

    cache.delete(STATISTICS_CACHE_KEY)


@pytest.fixture
def notices(monkeypatch):
    """Every broadcast handed to the transport after commit, as ``(channel-layer group names, event)``."""
    from groupchat.core import broadcast

    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(broadcast, "_transport", lambda names, event: sent.append((list(names), event)))
    return sent


def notices_for(sent, user) -> list[str]:
    return [event["text"] for names, event in sent if f"user.{user.pk}" in names and event["type"] == "user.notice"]


def say(user, group, body, client_id=None):
    return group_services.message_send(sender=user, group_code=group.code, body=body,
                                       client_id=client_id or f"c-{body}", origin=ORIGIN).message


@pytest.fixture
def chat(db):
    """A group with an owner, a reported member (``offender``) and a reporter, and a few messages."""
    owner = UserFactory(nickname="群主老王")
    offender = UserFactory(nickname="被举报人甲", username="offender")
    reporter = UserFactory(nickname="举报人乙", username="reporter")
    group = make_group(owner, name="举报测试群")
    add_member(group, offender)
    add_member(group, reporter)
    messages = [say(owner, group, "大家好"), say(offender, group, "加我微信领红包，先转账 100 元"),
                say(reporter, group, "这是骗子吧"), say(offender, group, "不转就别想拿到")]
    return {"owner": owner, "offender": offender, "reporter": reporter, "group": group, "messages": messages}


@pytest.fixture
def moderator(db):
    from django.contrib.auth.models import Permission

    user = UserFactory(nickname="审核员", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="complaints"))
    return user



# A violation decision takes a measure: lowering the reported person's credit is the lightest on a user.
CREDIT_DOWN = [MeasureOrder(kind="credit_down", credit_points=5)]
