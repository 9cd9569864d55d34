"""Channels: how one Delivery leaves the portal. Each wraps a pluggable backend.

- SMS: the backend named in SMS_BACKEND (`accounts.sms`), given a `NoticeSMS` that carries the key.
- E-mail: Django's EMAIL_BACKEND, one connection per batch, with a Message-ID derived from the key so a
  mail system can recognise a repeat.

`retryable` lists the exceptions that mean "the gateway did not take it, try again later".
`lookup(key)` answers whether the gateway already has the message: a gateway id, None (it does not), or
UNKNOWN (this backend cannot tell).
"""

from __future__ import annotations

import contextlib
import hashlib
import smtplib

from django.core.mail import EmailMessage, get_connection

from accounts.sms import SMSDeliveryError, get_sms_backend

from .backends import NoticeSMS
from .enums import Channel
from .texts import absolute

UNKNOWN = object()


class SMSChannel:
    retryable: tuple[type[BaseException], ...] = (SMSDeliveryError,)

    def __init__(self):
        self.backend = get_sms_backend()

    def send(self, *, key: str, user, notice) -> str:
        return self.backend.send(NoticeSMS(phone=user.phone, text=notice.sms_text or notice.title, key=key))

    def lookup(self, key: str):
        lookup = getattr(self.backend, "lookup", None)
        return UNKNOWN if lookup is None else lookup(key)

    def close(self) -> None:
        pass


class EmailChannel:
    # OSError covers refused connections and timeouts before SMTP says anything.
    retryable: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)

    def __init__(self):
        self.connection = None

    def send(self, *, key: str, user, notice) -> str:
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
        message_id = f"<{hashlib.sha1(key.encode()).hexdigest()}@notices.community-college>"
        body = notice.body if not notice.url else f"{notice.body}\n\n{absolute(notice.url)}"
        message = EmailMessage(
            subject=notice.title,
            body=body,
            to=[user.email],
            headers={"Message-ID": message_id, "X-Notice-Key": key},
            connection=self.connection,
        )
        try:
            message.send()
        except self.retryable:
            # A broken SMTP session fails every later message too: start a new one for the next.
            self.close()
            raise
        return message_id

    def lookup(self, key: str):
        return UNKNOWN

    def close(self) -> None:
        if self.connection is not None:
            # Closing a dead SMTP session must not hide the error that killed it.
            with contextlib.suppress(Exception):
                self.connection.close()
            self.connection = None


def open_channel(channel: str):
    return {Channel.SMS: SMSChannel, Channel.EMAIL: EmailChannel}[channel]()
