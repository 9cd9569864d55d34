"""Pluggable SMS backends. A real gateway subclasses BaseSMSBackend and is named in SMS_BACKEND."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from .models import mask_phone

logger = logging.getLogger(__name__)


class SMSDeliveryError(Exception):
    """The gateway refused or failed to take the message; callers may retry."""


@dataclass(frozen=True)
class SMSMessage:
    phone: str
    text: str


class BaseSMSBackend:
    def send(self, message: SMSMessage) -> str:
        """Hand one message to the gateway and return the gateway's message id."""
        raise NotImplementedError


class ConsoleSMSBackend(BaseSMSBackend):
    """Development: the text goes to the log, the number masked as everywhere else."""

    def send(self, message: SMSMessage) -> str:
        logger.info("SMS to %s: %s", mask_phone(message.phone), message.text)
        return f"console-{abs(hash((message.phone, message.text)))}"


class LocmemSMSBackend(BaseSMSBackend):
    """Tests: messages are kept in `outbox` for inspection."""

    outbox: list[SMSMessage] = []

    def send(self, message: SMSMessage) -> str:
        type(self).outbox.append(message)
        return f"locmem-{len(type(self).outbox)}"


class _Metered(BaseSMSBackend):
    """Counts what the configured backend sends and fails (ops' cc_sms_total); otherwise transparent."""

    def __init__(self, backend: BaseSMSBackend):
        self.backend = backend

    def send(self, message: SMSMessage) -> str:
        from ops.metrics import SMS

        try:
            gateway_id = self.backend.send(message)
        except Exception:
            SMS.labels(outcome="failed").inc()
            raise
        SMS.labels(outcome="sent").inc()
        return gateway_id

    def __getattr__(self, name):  # lookup() and whatever else a gateway offers
        return getattr(self.backend, name)


def get_sms_backend() -> BaseSMSBackend:
    return _Metered(import_string(settings.SMS_BACKEND)())


def send_sms(*, phone: str, text: str) -> str:
    return get_sms_backend().send(SMSMessage(phone=phone, text=text))
