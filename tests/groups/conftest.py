import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The factories hash a password per user; the production hasher costs ~0.2 s each, which these tests do not need.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sent_events(monkeypatch):
    """Every channel-layer broadcast a service makes once its transaction commits, as ``(group names, event)``."""
    from groupchat.core import broadcast

    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(broadcast, "broadcast_now", lambda names, event: sent.append((list(names), event)))
    return sent
