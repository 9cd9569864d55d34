"""Notices of 兴趣展示 (showcases): when an approved showcase is moved or cancelled, the residents registered as
its audience (seated or waiting) and the members of the group that shows its work hear of it.

Activities announces through `activities.signals.showcase_changed` (ids only, inside the service's
transaction); the listener writes the task into the outbox, published after commit, so a refused move
announces nothing. Proposals and decisions on proposals concern staff and the proposer, not the audience,
and are not told here.

The showcase's audience is a course, and moving or cancelling it also announces `course_changed` for that
course; `services.notify_course` leaves showcase courses to this module, so no one hears of it twice.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.enums import RegistrationStatus, ShowcaseStatus
from activities.models import Registration, Showcase
from interests.models import GroupMembership
from ops import outbox

from . import selectors
from .enums import Purpose
from .selectors import url_or_empty
from .services import CANCELLATION_SLACK, Draft, _drafts_same_text, notices_create
from .texts import Texts, _sms

TOLD = ("moved", "cancelled")


def on_showcase_changed(sender, showcase_id: int, kind: str, **kwargs) -> None:
    if str(kind) not in TOLD:
        return
    # The moment names the change: a showcase moved twice is told twice, one redelivered task once.
    outbox.enqueue("notices.tasks.notify_showcase", showcase_id, str(kind), timezone.now().isoformat())


def connect() -> None:
    """Called from NoticesConfig.ready()."""
    from activities import signals

    signals.showcase_changed.connect(on_showcase_changed, dispatch_uid="notices.showcases.changed")


def _when(showcase: Showcase) -> str:
    start, end = timezone.localtime(showcase.starts_at), timezone.localtime(showcase.ends_at)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


def moved_texts(*, title: str, when: str, place: str) -> Texts:
    names = {"title": title, "when": when, "place": place}
    return Texts(
        title=_("Showcase moved: %(title)s") % names,
        body=_("The showcase %(title)s has moved. It now takes place %(when)s at %(place)s.") % names,
        sms=_sms(_("The showcase %(title)s has moved: now %(when)s, %(place)s.") % names),
    )


def cancelled_texts(*, title: str, reason: str) -> Texts:
    names = {"title": title, "reason": reason}
    body = _("We are sorry: the showcase %(title)s has been cancelled.") % names
    if reason:
        body += "\n" + _("Reason: %(reason)s") % names
    return Texts(
        title=_("Showcase cancelled: %(title)s") % names,
        body=body,
        sms=_sms(_("Sorry: the showcase %(title)s has been cancelled.") % names),
    )


def notify_showcase(*, showcase_id: int, kind: str, changed_at: datetime) -> int:
    """Tell the audience (registered, seated or waiting) and the showing group's members — or, for a class's
    showcase, its registered residents — that an approved showcase moved or was cancelled. One notice per
    person per change, whichever way they are concerned."""
    showcase = Showcase.objects.select_related("venue").filter(pk=showcase_id).first()
    if showcase is None:
        return 0
    if kind == "moved" and showcase.status != ShowcaseStatus.APPROVED:
        return 0  # a proposal moved before approval has no audience yet
    if kind == "cancelled" and showcase.status != ShowcaseStatus.CANCELLED:
        return 0  # a rejected proposal was never public
    audience = Q(status__in=selectors.LIVE)
    if kind == "cancelled":
        # Cancelling the showcase cancelled its audience's places a moment before this task ran.
        audience |= Q(
            status=RegistrationStatus.CANCELLED, status_changed__gte=changed_at - CANCELLATION_SLACK
        )
    fields = selectors.recipient_fields("resident__")
    rows = list(Registration.objects.filter(audience, course_id=showcase.audience_id).values(*fields))
    if showcase.group_id is not None:
        rows += GroupMembership.objects.filter(group_id=showcase.group_id).values(
            *selectors.recipient_fields("user__")
        )
    else:
        rows += Registration.objects.filter(course_id=showcase.course_id, status__in=selectors.LIVE).values(
            *fields
        )
    recipients = {}
    for row in rows:
        prefix = "resident__" if "resident__id" in row else "user__"
        recipient = selectors.recipient_from_row(row, prefix)
        recipients[recipient.id] = recipient
    object_key = f"showcase:{showcase.pk}@{int(changed_at.timestamp())}"
    url = url_or_empty("activities:showcase_detail", showcase.pk)
    if kind == "moved":
        purpose = Purpose.CLASS_CHANGED

        def build():
            return moved_texts(title=showcase.title, when=_when(showcase), place=showcase.venue.name)
    else:
        purpose = Purpose.CLASS_CANCELLED

        def build():
            return cancelled_texts(title=showcase.title, reason=showcase.decision_note)

    drafts: list[Draft] = _drafts_same_text(
        sorted(recipients.values(), key=lambda r: r.id), object_key, url, build
    )
    return notices_create(purpose=purpose, drafts=drafts)
