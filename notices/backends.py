"""SMS backends that ship with the notices app, and the message type that carries the delivery key.

`accounts.sms.BaseSMSBackend.send(message) -> gateway id` is the interface a real gateway implements. Notices
hand it a `NoticeSMS`, an `SMSMessage` with one more field, `key`: the delivery's exactly-once key, which a
gateway that supports it uses as its client message id. A backend may also implement
``lookup(key) -> gateway id | None`` — "did you take this message already?" — which the sender asks before
re-sending a delivery whose worker died between handing it over and recording it (see services).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from accounts.models import mask_phone
from accounts.sms import BaseSMSBackend, SMSMessage


@dataclass(frozen=True)
class NoticeSMS(SMSMessage):
    key: str = ""


class FileSMSBackend(BaseSMSBackend):
    """Development and tests: one line per message, ``key<TAB>masked phone<TAB>text``, in NOTICES_SMS_FILE.

    Each line is one ``write`` on a file opened with O_APPEND, so the lines of several worker processes
    never interleave. NOTICES_FILE_SMS_DELAY (seconds) imitates a gateway's round trip.
    """

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path or settings.NOTICES_SMS_FILE)

    def send(self, message: SMSMessage) -> str:
        # Half the latency before the gateway has the message, half on the way back: a worker can die
        # in either half, and only the second leaves a message sent but not recorded.
        delay = float(getattr(settings, "NOTICES_FILE_SMS_DELAY", 0) or 0) / 2
        if delay:
            time.sleep(delay)
        key = getattr(message, "key", "")
        text = message.text.replace("\n", " ").replace("\t", " ")
        line = f"{key}\t{mask_phone(message.phone)}\t{text}\n".encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
        if delay:
            time.sleep(delay)
        return f"file:{key}"

    def lookup(self, key: str) -> str | None:
        if not key or not self.path.exists():
            return None
        prefix = f"{key}\t".encode()
        with self.path.open("rb") as fh:
            for line in fh:
                if line.startswith(prefix):
                    return f"file:{key}"
        return None


class CountingSMSBackend(BaseSMSBackend):
    """Benchmarks: a gateway that takes everything instantly and only counts, per process."""

    sent = 0

    def send(self, message: SMSMessage) -> str:
        type(self).sent += 1
        return f"count:{type(self).sent}"
