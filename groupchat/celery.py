"""The Celery app. Every periodic job is listed here, in one place, with why it runs when it does."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "groupchat.settings")

app = Celery("groupchat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Liveness of the beat itself: the health endpoint reports the last tick, so a dead beat is visible.
    "kernel-heartbeat": {"task": "groupchat.core.tasks.heartbeat", "schedule": 30.0},
    # Invitations and invite links expire after 7 days (REGULATION §5.9); expire them in bulk once an hour.
    "groups-expire-invitations": {"task": "groups.tasks.invitations_expire", "schedule": crontab(minute=7)},
    # G7a: once a day, after midnight Beijing time when traffic is lowest, snapshot activity and re-tier groups.
    "groups-tiers-sweep": {"task": "groups.tasks.tiers_sweep", "schedule": crontab(hour=3, minute=10)},
    # G7b: credit recovery, +1 per 30 clean days up to the start score; idempotent, so once a day is enough.
    # G12: complaints nearing or past their deadline are raised to the on-duty moderators. Urgent ones are due within
    # the hour, so every 5 minutes; idempotent, and a run after a gap catches up by itself.
    "complaints-sla-sweep": {"task": "complaints.tasks.sla_sweep", "schedule": 300.0},
    "accounts-credit-recover": {"task": "accounts.tasks.credit_recover", "schedule": crontab(hour=3, minute=17)},
    # G13b: seal the network log's settled one-minute slices into the signed hash chain; every minute keeps the
    # unsealed tail short; a quiet stretch becomes one empty seal.
    "compliance-log-seal": {"task": "compliance.tasks.log_seal", "schedule": 60.0},
    # G13b: purge log records past the retention period (never younger than 184 days, never held); daily at a quiet
    # hour, after the seal of the night; it catches up on its own if runs were missed.
    "compliance-retention-sweep": {"task": "compliance.tasks.retention_sweep", "schedule": crontab(hour=4, minute=20)},
    # G13b: empty the text of messages removed longer ago than the retention period (never held ones); idempotent.
    "compliance-removed-content-clear": {"task": "compliance.tasks.removed_content_clear",
                                         "schedule": crontab(hour=4, minute=40)},
    # G13b: verify the whole seal chain once a day, so the dashboard shows a fresh integrity state.
    "compliance-seals-verify": {"task": "compliance.tasks.seals_verify", "schedule": crontab(hour=5, minute=5)},
    # G11: the previous month's regulator report on the 1st at 06:30, when the night's sweeps are done; idempotent.
    "compliance-report-monthly": {"task": "compliance.tasks.regulator_report_monthly",
                                  "schedule": crontab(day_of_month=1, hour=6, minute=30)},
    # G11a-c: measures end on time (suspensions, mutes, admin suspensions, blacklist entries) and overdue
    # rectification deadlines reach the moderators' queue; the send path already refuses by the clock, so 30 s is
    # how late a socket may hear that a measure ended. Idempotent (SKIP LOCKED per row).
    "moderation-measures-sweep": {"task": "moderation.tasks.measures_sweep", "schedule": 30.0},
}
