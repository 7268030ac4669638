"""Browser tests: Playwright's Python package driving Debian's chromium against a real uvicorn (``live_asgi``).

The sync API is used from plain (non-async) tests; one browser per module keeps the run short.
"""

from __future__ import annotations

import importlib
import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings

from tests.factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(autouse=True)
def _close_db_connections_after_async_test():
    """Replaces the suite's async version: Playwright's sync API keeps an event loop running in this thread, so
    pytest-asyncio cannot run fixtures here. Same job, done synchronously."""
    from django.db import connections

    yield
    connections.close_all()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The factories hash a password per user and every log-in checks one; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


SEED_MIGRATIONS = ["groups.migrations.0003_default_tiers_categories", "groups.migrations.0007_tier_owner_qualification",
                   "accounts.migrations.0003_seed_agreements_grades"]


@pytest.fixture(autouse=True)
def _reference_data(request):
    """The rows the data migrations seed (tiers, categories, agreements, credit grades): the flush after each
    transactional test wipes them, so browser tests put them back (idempotently) with the migrations' own code."""
    if request.node.get_closest_marker("browser") is None:
        return
    request.getfixturevalue("live_asgi")
    from django.apps import apps

    def seed():
        for name in SEED_MIGRATIONS:
            module = importlib.import_module(name)
            for op in module.Migration.operations:
                if hasattr(op, "code"):  # the RunPython steps; schema steps are already applied
                    op.code(apps, None)

    db_call(seed)


@pytest.fixture(scope="module")
def browser():
    # No skip: .ci/services.sh installs Debian's chromium, and a missing browser must fail CI, not hide the UI tests.
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), f"no chromium at {CHROMIUM} (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    # While Playwright's sync API runs, this thread has a running event loop; Django would then refuse the ORM
    # calls the tests make to set up data (SynchronousOnlyOperation). Django documents this switch for that case.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield b
            b.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _session_for(user) -> str:
    """A logged-in session for ``user``, as django.contrib.auth.login would store it; returns the session key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.backends.UsernameOrPhoneBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


@pytest.fixture
def new_page(browser, live_asgi):
    """new_page(user=None, viewport=None, via_form=False) -> a page in a fresh browser context, logged in as
    ``user`` (with a session cookie, or through the real /login/ form with ``via_form=True``)."""
    contexts = []

    def make(user=None, *, viewport=None, locale="zh-CN", via_form=False):
        ctx = browser.new_context(base_url=live_asgi.url, viewport=viewport or {"width": 1280, "height": 800},
                                  locale=locale, timezone_id="Asia/Shanghai")
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        if user is not None and not via_form:
            ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": db_call(_session_for, user),
                              "url": live_asgi.url}])
        page = ctx.new_page()
        if user is not None and via_form:
            page.goto("/login/")
            page.fill("#id_username", user.username)
            page.fill("#id_password", PASSWORD)
            page.click("#login-form button[type=submit]")
            page.wait_for_url(lambda url: "/login/" not in url)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def db_call(fn, *args, **kwargs):
    """Run ORM code (factories, services) in a plain thread: beside Playwright's running loop, the services'
    after-commit fan-out (async_to_sync) would otherwise refuse to run, and nothing would be pushed live."""
    from django.db import connections

    def call():
        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


def open_chat(page, code: str):
    """Open the chat on a group and wait until the socket is up and the history is shown."""
    page.goto(f"/?g={code}")
    page.wait_for_selector("#conn[data-state=online]", state="attached")
    page.wait_for_selector(f'.group-item.active[data-code="{code}"]', state="attached")
    page.wait_for_function("() => !document.querySelector('#history-state').textContent.includes('…')")
