from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccountClosure(models.Model):
    """The audit record of a closed account. Deliberately without personal data: the id of the (now
    anonymised) account row, when, and how many records of each kind were erased or anonymised."""

    account_id = models.BigIntegerField(_("account id"), db_index=True)
    closed_at = models.DateTimeField(_("closed at"), default=timezone.now)
    # e.g. {"notices": 12, "orders_anonymised": 3, "api_tokens": 1}
    counts = models.JSONField(_("records erased or anonymised"), default=dict)

    class Meta:
        verbose_name = _("account closure")
        verbose_name_plural = _("account closures")
        ordering = ["-closed_at"]

    def __str__(self) -> str:
        return f"#{self.account_id} @ {self.closed_at:%Y-%m-%d}"
