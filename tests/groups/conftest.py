import pytest


@pytest.fixture
def sent_events(monkeypatch):
    """Every channel-layer broadcast a service makes once its transaction commits, as ``(group names, event)``."""
    from groupchat.core import broadcast

    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(broadcast, "broadcast_now", lambda names, event: sent.append((list(names), event)))
    return sent
