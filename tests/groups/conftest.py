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


# Rows the data migrations seed (default tiers and categories, agreements, credit grades). A transactional test's
# flush empties every table, so the tests that run after one would find none; put them back first.
_SEEDS = [
    ("accounts.migrations.0003_seed_agreements_grades", "seed"),
    ("groups.migrations.0003_default_tiers_categories", "forwards"),
]


@pytest.fixture(autouse=True)
def _reseed_after_flush(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    if not (transactional or {"transactional_db", "live_asgi"} & set(request.fixturenames)):
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    for module, function in _SEEDS:
        getattr(importlib.import_module(module), function)(apps, None)
