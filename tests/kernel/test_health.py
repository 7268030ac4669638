import pytest


@pytest.mark.django_db
def test_health_reports_database_redis_and_celery(client):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["mode"] == "services"
    assert body["checks"]["database"] == {"ok": True, "vendor": "postgresql"}
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["celery"]["ok"] is True


@pytest.mark.django_db
def test_health_is_degraded_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False


def test_heartbeat_task_records_the_beat(settings):
    from django.core.cache import cache

    from groupchat.core.tasks import HEARTBEAT_KEY, heartbeat

    stamp = heartbeat.delay().get()
    assert cache.get(HEARTBEAT_KEY) == stamp
