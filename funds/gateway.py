"""The place of a payment gateway, for a deployer who wants residents to pay online.

The portal takes no money itself: residents pledge, pay offline (cash, bank transfer, a payment terminal)
and staff confirm receipt (`services.pledge_receive`). A deployment that wants online payment writes a
subclass of `PaymentGateway` for its provider and names it in FUNDS_PAYMENT_GATEWAY:

    FUNDS_PAYMENT_GATEWAY=mydeploy.payments.UnionPayGateway

- `checkout(pledge)` asks the provider for a payment of the pledge's amount and returns where to send the
  resident (`Checkout.url`) and the provider's reference, which the portal keeps on the pledge.
- `confirmed(reference)` is asked when the provider calls back (or by a periodic check): it must return
  True only when the provider says the money has been captured. The portal then calls
  `services.pledge_settle(pledge=…, reference=…)`, which posts the income exactly like a staff confirmation,
  recorded as received by the system user of FUNDS_GATEWAY_USER (a staff account of the deployment).
- Never trust the callback's body alone: `confirmed` should ask the provider with its own credentials.

`OfflineOnly` (the default) has no online payment; `FakeGateway` is the in-memory gateway the tests use.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Checkout:
    reference: str
    url: str


class GatewayUnavailable(Exception):
    """No online payment is configured: the resident pays offline."""


class PaymentGateway:
    name = "base"

    def checkout(self, pledge) -> Checkout:  # pragma: no cover - the interface
        raise NotImplementedError

    def confirmed(self, reference: str) -> bool:  # pragma: no cover - the interface
        raise NotImplementedError


class OfflineOnly(PaymentGateway):
    name = "offline"

    def checkout(self, pledge) -> Checkout:
        raise GatewayUnavailable

    def confirmed(self, reference: str) -> bool:
        return False


class FakeGateway(PaymentGateway):
    """Remembers checkouts in memory; `pay(reference)` plays the provider capturing the money."""

    name = "fake"
    captured: set[str] = set()

    def checkout(self, pledge) -> Checkout:
        reference = f"fake-{pledge.pk}-{uuid.uuid4().hex[:8]}"
        return Checkout(reference=reference, url=f"https://pay.invalid/{reference}")

    def pay(self, reference: str) -> None:
        self.captured.add(reference)

    def confirmed(self, reference: str) -> bool:
        return reference in self.captured


def get_gateway() -> PaymentGateway:
    return import_string(settings.FUNDS_PAYMENT_GATEWAY)()
