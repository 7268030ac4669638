"""/healthz: database, Redis and Celery state, for load balancers and docker-compose health checks."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

from .tasks import HEARTBEAT_KEY


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200]}


def _redis() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "mode": "embedded (not used)"}
    try:
        import redis

        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1).ping()
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200]}


def _celery() -> dict:
    last_beat = cache.get(HEARTBEAT_KEY)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "eager (in-process)", "last_beat": last_beat}
    from groupchat.celery import app

    try:
        replies = app.control.ping(timeout=0.5) or []
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200], "last_beat": last_beat}
    return {"ok": bool(replies), "workers": len(replies), "last_beat": last_beat}


def healthz(request):
    checks = {"database": _database(), "redis": _redis(), "celery": _celery()}
    ok = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if ok else "degraded", "mode": "embedded" if settings.EMBEDDED_MODE else "services",
            "checks": checks}
    return JsonResponse(body, status=200 if ok else 503)
