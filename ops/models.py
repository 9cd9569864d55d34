"""The transactional outbox and the heartbeat that readiness reads.

An OutboxMessage is a Celery task that must not be lost: it is written in the same transaction as the
change that calls for it, so it exists exactly when the change does. A relay publishes it to the broker
and deletes it (see ops/outbox.py). Publishing may happen more than once (the fast path and the sweeper
can race after a crash), so every task sent through the outbox must be idempotent.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    task_name = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    # Message headers to send along, e.g. the request id that caused it.
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    # Backoff after a failed publish lives here, not in memory: any relay honours it.
    available_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]
        indexes = [models.Index(fields=["available_at", "id"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.task_name} #{self.pk}"


class Heartbeat(models.Model):
    """The last time a named periodic job ran; readiness compares it with its expected interval."""

    name = models.CharField(_("name"), max_length=50, primary_key=True)
    beat_at = models.DateTimeField(_("last run"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
