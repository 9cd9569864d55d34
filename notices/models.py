"""Notices (the in-site inbox, always written: it is the record) and their SMS and e-mail deliveries.

The exactly-once key of the issue, (purpose, object, resident, channel), is held by the database in two
normalised parts: a Notice is unique per (recipient, purpose, object_key) — that is the inbox channel —
and a Delivery is unique per (notice, channel) for SMS and e-mail. `Delivery.key` spells the whole key.

A Delivery row is also the work item: `status` moves pending → sending → sent, claimed by one atomic
conditional UPDATE (see `services.deliveries_send`); `not_before` holds quiet-hours deferrals and retry
backoff in the database, never in a broker countdown.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import EXTERNAL_CHANNELS, Channel, DeliveryStatus, Purpose


class Notice(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notices",
    )
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices)
    # What the notice is about, e.g. "order:12", "session:40@1767229200", "digest:2026-W11".
    object_key = models.CharField(_("about"), max_length=80)
    # The texts are rendered once, in the recipient's language, when the notice is made.
    language = models.CharField(_("language"), max_length=8)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    sms_text = models.CharField(_("SMS text"), max_length=300, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "purpose", "object_key"], name="notice_once_per_key"
            ),
            models.CheckConstraint(condition=Q(purpose__in=Purpose.values), name="notice_purpose_valid"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created"], name="notice_inbox_idx"),
            # The unread badge is on every page: a small partial index answers it.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notice_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Delivery(models.Model):
    notice = models.ForeignKey(
        Notice, verbose_name=_("notice"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    not_before = models.DateTimeField(
        _("not before"), help_text=_("Quiet hours and retries wait until this time.")
    )
    # When a task was last enqueued for this row: the sweeper leaves recently queued rows alone.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    # The lease: the worker that set claim_token owns the row until claimed_at + NOTICES_LEASE_SECONDS.
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claim_token = models.UUIDField(_("claim token"), null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    provider_id = models.CharField(_("gateway message id"), max_length=200, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "channel"], name="delivery_once_per_channel"),
            models.CheckConstraint(
                condition=Q(channel__in=[c.value for c in EXTERNAL_CHANNELS]),
                name="delivery_channel_external",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="delivery_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SENT) | Q(sent_at__isnull=False),
                name="delivery_sent_is_stamped",
            ),
        ]
        indexes = [
            # The sweeper's and the morning release's question: what is due, or stuck in a dead worker?
            models.Index(
                fields=["status", "not_before"],
                condition=Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
                name="delivery_due_idx",
            ),
            models.Index(
                fields=["failed_at"], condition=Q(status=DeliveryStatus.FAILED), name="delivery_failed_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.notice_id}"

    @property
    def key(self) -> str:
        """(purpose, object, resident, channel): what the gateway may use to recognise a repeat."""
        notice = self.notice
        return f"{notice.purpose}:{notice.object_key}:{notice.recipient_id}:{self.channel}"


class FailedDelivery(Delivery):
    """The staff's list of deliveries that failed after the last retry (an admin of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("failed delivery")
        verbose_name_plural = _("failed deliveries")
