"""Notices in the reader's language, whatever language they were written in (issue 19).

A notice's words are rendered once, in the recipient's language, when it is made (the SMS and e-mail
copies must be). A resident who then switches the portal to English still found the earlier notices in
Chinese. Here the inbox re-tells a notice written in another language from what it is about, with the
same text builders (notices.texts), as the facts stood when it was written:

- an order accepted or rejected: the interest, the community and the reason, from the order;
- an order dispatched, a place confirmed, moved up from the waiting list or cancelled: the class, with the
  meeting that was next when the notice was made.

Other notices (digests, reminders, class changes, a waiting-list position that has moved since) keep the
words they were written in: their facts belong to that moment and are not kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import translation

from activities.models import Order, Registration

from . import selectors, texts
from .enums import Purpose
from .models import Notice

_ORDER = {Purpose.ORDER_ACCEPTED, Purpose.ORDER_REJECTED, Purpose.ORDER_DISPATCHED}
_REGISTRATION = {
    Purpose.REGISTRATION_CONFIRMED: texts.registration_confirmed,
    Purpose.REGISTRATION_PROMOTED: texts.registration_promoted,
    Purpose.REGISTRATION_CANCELLED: texts.registration_cancelled,
}


def _same_language(a: str, b: str) -> bool:
    return (a or "").split("-")[0].lower() == (b or "").split("-")[0].lower()


def _id(notice: Notice, prefix: str) -> int | None:
    key = notice.object_key.removeprefix(prefix)
    return int(key) if key != notice.object_key and key.isdigit() else None


def retell(notices: Sequence[Notice], *, language: str) -> None:
    """Replace, in memory, the title and body of the notices written in another language than `language`.

    Costs nothing when every notice is in the reader's language; otherwise one query for the orders, one
    for the registrations, and one per class notice for the meeting that was next.
    """
    stale = [n for n in notices if not _same_language(n.language, language)]
    if not stale:
        return
    order_ids = {i for n in stale if n.purpose in _ORDER and (i := _id(n, "order:")) is not None}
    registration_ids = {
        i for n in stale if n.purpose in _REGISTRATION and (i := _id(n, "registration:")) is not None
    }
    related = [f"course__{name}" for name in selectors.COURSE_RELATED]
    orders = (
        Order.objects.select_related("category", "community", *related).in_bulk(order_ids) if order_ids else {}
    )
    registrations = (
        Registration.objects.select_related(*related).in_bulk(registration_ids) if registration_ids else {}
    )
    with translation.override(language):
        for notice in stale:
            told = None
            if notice.purpose in _ORDER and (order := orders.get(_id(notice, "order:"))) is not None:
                told = _order_texts(notice, order)
            elif notice.purpose in _REGISTRATION and (
                registration := registrations.get(_id(notice, "registration:"))
            ) is not None:
                facts = selectors.class_facts(
                    registration.course, selectors.next_session(course_id=registration.course_id, now=notice.created)
                )
                told = _REGISTRATION[notice.purpose](facts=facts)
            if told is not None:
                notice.title, notice.body = told.title, told.body


def _order_texts(notice: Notice, order: Order) -> texts.Texts | None:
    interest = selectors.name_of(order.category)
    if notice.purpose == Purpose.ORDER_ACCEPTED:
        return texts.order_accepted(interest=interest, community=order.community.name)
    if notice.purpose == Purpose.ORDER_REJECTED:
        return texts.order_rejected(interest=interest, community=order.community.name, reason=order.reject_reason)
    if order.course_id is None:
        return None
    facts = selectors.class_facts(order.course, selectors.next_session(course_id=order.course_id, now=notice.created))
    return texts.order_dispatched(facts=facts)
