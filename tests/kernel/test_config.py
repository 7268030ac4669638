"""The two modes and the production guard: settings come only from the environment."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "GROUPCHAT_ENV": "production",
    "SECRET_KEY": "k" * 20 + "-production-secret-for-the-deploy-check-0123456789",
    "GROUPCHAT_FIELD_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "GROUPCHAT_HMAC_KEY": "another-secret-for-the-blind-index",
    "GROUPCHAT_SIGNING_KEY": "cHJvZHVjdGlvbi1zaWduaW5nLWtleS0zMi1ieXRlcyE=",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/groupchat",
    "REDIS_URL": "redis://127.0.0.1:6379/5",
    "ALLOWED_HOSTS": "chat.example.cn",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PROD_ENV and k != "CELERY_TASK_ALWAYS_EAGER"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_production_refuses_to_start_without_secrets():
    env = {k: v for k, v in PROD_ENV.items() if k not in ("SECRET_KEY", "GROUPCHAT_FIELD_KEYS")}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "refuses to start in production" in result.stderr
    assert "SECRET_KEY" in result.stderr and "GROUPCHAT_FIELD_KEYS" in result.stderr


def test_production_refuses_the_dev_secret_key():
    result = _manage("check", env={**PROD_ENV, "SECRET_KEY": "short"})
    assert result.returncode != 0 and "SECRET_KEY must be" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_keeps_connections_on_a_fixed_set_of_http_threads():
    """Stock Django under ASGI runs each HTTP request on a new thread, and a kept connection outlives it (they piled up
    to PostgreSQL's max_connections under a history load). Here requests share a fixed set of threads."""
    code = ("from django.conf import settings; import groupchat.asgi as a; "
            "print(settings.DATABASES['default']['CONN_MAX_AGE'], settings.GROUPCHAT['DB_THREAD_KEEPS_CONNECTION'], "
            "len(a.django_asgi_app.threads.executors))")
    result = _manage("shell", "-c", code, env=PROD_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["60", "True", "8"]


def test_the_server_process_hands_the_gil_over_every_half_millisecond_unless_told_otherwise():
    code = "import sys, groupchat.asgi; print(sys.getswitchinterval())"
    result = _manage("shell", "-c", code, env=PROD_ENV)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout.strip().splitlines()[-1]) == 0.0005
    result = _manage("shell", "-c", code, env={**PROD_ENV, "GROUPCHAT_SWITCH_INTERVAL_MS": "0"})
    assert float(result.stdout.strip().splitlines()[-1]) == 0.005  # Python's default


def test_docker_compose_file_is_valid():
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose (Debian package) is installed by .ci/services.sh"
    result = subprocess.run([compose, "-f", "docker-compose.yml", "config", "-q"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_openapi_schema_is_served(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/groups/{code}/messages/" in response.content
