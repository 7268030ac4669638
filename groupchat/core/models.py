"""The network log (REGULATION G13b): an append-only record of who did what, when, and from where.

Rows are written by services through ``groupchat.core.events.record`` in the same transaction as the change they
describe, so a change and its log row commit or fail together. Rows are never updated or deleted by the application;
compliance seals them into a hash chain and purges only past the retention floor.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class LogEntry(models.Model):
    id = models.BigAutoField(_("ID"), primary_key=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    kind = models.CharField(_("event"), max_length=40, db_index=True)  # e.g. "auth.login", "group.join", "message.sent"
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)  # not a FK: outlives the account
    group_code = models.CharField(_("group code"), max_length=10, blank=True, db_index=True)
    target_id = models.BigIntegerField(_("target id"), null=True, blank=True)  # the user or object acted upon, when there is one
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    port = models.PositiveIntegerField(_("port"), null=True, blank=True)  # the client's source port
    # The destination: this server's address and port the connection arrived at (G13b, the 2018 assessment rules).
    server_ip = models.GenericIPAddressField(_("server IP address"), null=True, blank=True)
    server_port = models.PositiveIntegerField(_("server port"), null=True, blank=True)
    user_agent = models.CharField(_("device (user agent)"), max_length=400, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("network log entry")
        verbose_name_plural = _("network log")
        indexes = [models.Index(fields=["kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind} actor={self.actor_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("network log entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("network log entries are purged only by the retention sweep")
