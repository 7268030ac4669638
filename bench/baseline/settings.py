"""Settings of the baseline chat (tables made by ``migrate --run-syncdb``: the app has no migrations)."""

import os

import dj_database_url

SECRET_KEY = "baseline-bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "channels", "bench.baseline"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.baseline.settings"
urlpatterns: list = []
DATABASES = {"default": dj_database_url.parse(os.environ.get("BASELINE_DATABASE_URL", ""), conn_max_age=60,
                                              conn_health_checks=True)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# channels_redis' pub/sub layer, as groupchat's own layer builds on it, so the comparison is of the code.
CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                              "CONFIG": {"hosts": [os.environ.get("BASELINE_REDIS_URL", "redis://127.0.0.1:6379/11")]}}}
USE_TZ = True
