from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")  # 点单
    ACCEPTED = "accepted", _("Accepted")  # 接单
    DISPATCHED = "dispatched", _("Dispatched")  # 派单
    COMPLETED = "completed", _("Completed")  # 返单
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


# The order loop 点单 → 接单 → 派单 → 返单, with the two ways out. One place for the rule.
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.SUBMITTED: frozenset({OrderStatus.ACCEPTED, OrderStatus.REJECTED, OrderStatus.CANCELLED}),
    OrderStatus.ACCEPTED: frozenset({OrderStatus.DISPATCHED, OrderStatus.REJECTED, OrderStatus.CANCELLED}),
    OrderStatus.DISPATCHED: frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELLED}),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.REJECTED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
OPEN_ORDER_STATUSES = (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.DISPATCHED)


class OrderChannel(models.TextChoices):
    WEB = "web", _("Portal")
    APP = "app", _("Phone app")
    PHONE = "phone", _("By telephone")
    DESK = "desk", _("At the desk")


class GroupRole(models.TextChoices):
    MEMBER = "member", _("Member")
    LEADER = "leader", _("Leader")
