"""Settings of the baseline chat (its own project: own database, own Redis db)."""

from __future__ import annotations

import os

import dj_database_url

SECRET_KEY = "baseline-bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "channels",
    "bench.baseline.chat",
]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.baseline.urls"
ASGI_APPLICATION = "bench.baseline.asgi.application"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("BASELINE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gc_bench_baseline"),
        conn_max_age=60, conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Same layer and the same capacity/expiry as groupchat, so the comparison is of the code, not the layer settings.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": os.environ.get("CHANNEL_LAYER_BACKEND", "channels_redis.core.RedisChannelLayer"),
        "CONFIG": {"hosts": [os.environ.get("BASELINE_REDIS_URL", "redis://127.0.0.1:6379/11")], "capacity": 1500,
                   "expiry": 30},
    }
}
USE_TZ = True
TIME_ZONE = "UTC"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
