"""Writes for notices: making notices (inbox rows and their SMS/e-mail deliveries), sending deliveries
exactly once, the periodic scans, the weekly digest, resending failures, marking notices read.

The path of every notice:

1. A purpose-specific service (``notify_order`` …, ``reminders_scan``, ``digest_batch``) reads what it
   needs, renders the texts in each recipient's language, and calls ``notices_create``.
2. ``notices_create`` inserts the Notice rows (the inbox: visible at once) and one Delivery row per channel
   the resident consented to, in one transaction, ignoring rows that exist already — so running any
   service twice makes nothing twice. Deliveries due now are enqueued after commit, in chunks
   (``tasks.deliver``); inside quiet hours they get ``not_before`` = 07:00 and wait in the database.
3. ``deliveries_send`` claims its chunk with conditional UPDATEs (pending and due → sending, with a claim
   token and ``claimed_at``: a lease), then sends each delivery and records it sent at once with an UPDATE
   guarded by the same token. A redelivered or retried task finds the rows no longer pending and sends
   nothing. The chunk stops when half the lease is spent and gives the rest back, so a row is never sent
   by a worker whose lease may have run out.
4. A worker killed mid-chunk leaves its rows "sending". After NOTICES_LEASE_SECONDS the sweeper
   re-enqueues them and the next claim takes them over. Before sending such a row, the channel is asked
   whether the gateway already has the message (``lookup(key)``): if it does, the row is recorded as sent
   without a second message. A gateway that cannot answer gets the message again: in that one window
   (the gateway took it, the worker died before its UPDATE) delivery is at-least-once, and the key goes
   with the message so the gateway can drop the repeat.
5. A failed send goes back to pending with ``not_before`` = now + exponential backoff (≤ 3600 s, the broker's
   visibility timeout), and the task retries with that countdown; after NOTICES_MAX_ATTEMPTS it is FAILED,
   listed in the admin's "failed deliveries", and ``deliveries_resend`` starts it again.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from accounts.models import User
from accounts.selectors import scope_for
from activities.enums import CourseKind as CourseKinds
from activities.enums import RegistrationStatus
from activities.models import Course, Order, Registration, Session
from community_college.errors import ScopeError
from interests.enums import OrderStatus

from . import digest as digest_rules
from . import selectors, texts
from .channels import UNKNOWN, open_channel
from .enums import CourseKind, DeliveryStatus, Purpose, RegistrationKind
from .models import Delivery, Notice
from .rules import backoff_seconds, channels_for_user, quiet_until
from .selectors import Recipient, url_or_empty

logger = logging.getLogger(__name__)

RESIDENT_COMMUNITY_PATH = "notice__recipient__profile__community"


@dataclass(frozen=True)
class Draft:
    recipient: Recipient
    object_key: str
    texts: texts.Texts
    url: str = ""


def recipient_of(user: User) -> Recipient:
    """A Recipient from a User loaded with select_related("profile")."""
    return Recipient(
        id=user.pk, language=user.language or settings.LANGUAGE_CODE, channels=channels_for_user(user)
    )


# --- Making notices --------------------------------------------------------------------------------------


def notices_create(*, purpose: str, drafts: Sequence[Draft], now: datetime | None = None) -> int:
    """Store the inbox notices of `drafts` and their deliveries; enqueue due deliveries after commit.

    Idempotent: an existing (recipient, purpose, object_key) notice, or (notice, channel) delivery, is left
    as it is. Four queries however many drafts (plus the savepoint). Returns the number of drafts.
    """
    if not drafts:
        return 0
    now = now or timezone.now()
    release = quiet_until(now)
    with transaction.atomic():
        Notice.objects.bulk_create(
            [
                Notice(
                    recipient_id=d.recipient.id,
                    purpose=purpose,
                    object_key=d.object_key,
                    language=d.recipient.language,
                    title=d.texts.title[:200],
                    body=d.texts.body,
                    sms_text=d.texts.sms[:300],
                    url=d.url[:300],
                    created=now,
                )
                for d in drafts
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        notice_ids = _notice_ids(purpose, drafts)
        deliveries = [
            Delivery(
                notice_id=notice_ids[(d.object_key, d.recipient.id)],
                channel=channel,
                not_before=release or now,
                queued_at=None if release else now,
                created=now,
            )
            for d in drafts
            if (d.object_key, d.recipient.id) in notice_ids
            for channel in d.recipient.channels
        ]
        if deliveries:
            Delivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=1000)
            if release is None:
                due = list(
                    Delivery.objects.filter(
                        notice_id__in=list(notice_ids.values()),
                        status=DeliveryStatus.PENDING,
                        not_before__lte=now,
                    )
                    .order_by("id")
                    .values_list("id", flat=True)
                )
                transaction.on_commit(lambda: enqueue_deliveries(due))
    return len(drafts)


def _notice_ids(purpose: str, drafts: Sequence[Draft]) -> dict[tuple[str, int], int]:
    rows = Notice.objects.filter(
        purpose=purpose,
        recipient_id__in=list({d.recipient.id for d in drafts}),
        object_key__in=list({d.object_key for d in drafts}),
    ).values_list("object_key", "recipient_id", "id")
    return {(key, recipient_id): pk for key, recipient_id, pk in rows}


def enqueue_deliveries(delivery_ids: Sequence[int]) -> None:
    """Hand due deliveries to the workers in chunks of NOTICES_DELIVER_CHUNK (call after commit)."""
    from .tasks import deliver

    size = settings.NOTICES_DELIVER_CHUNK
    for start in range(0, len(delivery_ids), size):
        try:
            deliver.apply_async(args=[list(delivery_ids[start : start + size])], retry=False)
        except (OSError, KombuOperationalError) as exc:  # the broker is away
            # The Delivery rows are their own outbox: the sweeper enqueues them once the broker is back.
            logger.warning("deliveries left for the sweeper: broker unavailable (%s)", type(exc).__name__)
            return


def _render(language: str, build, **facts) -> texts.Texts:
    with translation.override(language):
        return build(**facts)


# --- Orders ---------------------------------------------------------------------------------------------

_ORDER_PURPOSES = {
    OrderStatus.ACCEPTED: Purpose.ORDER_ACCEPTED,
    OrderStatus.REJECTED: Purpose.ORDER_REJECTED,
    OrderStatus.DISPATCHED: Purpose.ORDER_DISPATCHED,
}
NOTIFIED_ORDER_STATUSES = frozenset(_ORDER_PURPOSES)


def notify_order(*, order_id: int, status: str, now: datetime | None = None) -> int:
    """Tell the resident their order was accepted, rejected (with the reason) or dispatched to a class.

    Sent for the step that happened, even if the order has moved on since (accepted, then dispatched a
    second later: both notices); not sent for a step the order never took.
    """
    purpose = _ORDER_PURPOSES.get(status)
    if purpose is None:
        return 0
    now = now or timezone.now()
    order = (
        Order.objects.select_related(
            "resident__profile",
            "category",
            "community",
            *(f"course__{name}" for name in selectors.COURSE_RELATED),
        )
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        return 0
    happened = {
        Purpose.ORDER_ACCEPTED: order.accepted_at is not None,
        Purpose.ORDER_REJECTED: order.status == OrderStatus.REJECTED,
        Purpose.ORDER_DISPATCHED: order.dispatched_at is not None and order.course_id is not None,
    }[purpose]
    if not happened:
        return 0
    recipient = recipient_of(order.resident)
    interest = selectors.name_of(order.category)
    if purpose == Purpose.ORDER_ACCEPTED:
        rendered = _render(
            recipient.language, texts.order_accepted, interest=interest, community=order.community.name
        )
    elif purpose == Purpose.ORDER_REJECTED:
        rendered = _render(
            recipient.language,
            texts.order_rejected,
            interest=interest,
            community=order.community.name,
            reason=order.reject_reason,
        )
    else:
        facts = selectors.class_facts(
            order.course, selectors.next_session(course_id=order.course_id, now=now)
        )
        rendered = _render(recipient.language, texts.order_dispatched, facts=facts)
    url = url_or_empty("interests:my_orders")
    return notices_create(
        purpose=purpose, drafts=[Draft(recipient, f"order:{order.pk}", rendered, url)], now=now
    )


# --- Registrations and classes ----------------------------------------------------------------------------

_REGISTRATION = {
    RegistrationKind.CONFIRMED: (Purpose.REGISTRATION_CONFIRMED, RegistrationStatus.CONFIRMED),
    RegistrationKind.WAITLISTED: (Purpose.REGISTRATION_WAITLISTED, RegistrationStatus.WAITLISTED),
    RegistrationKind.PROMOTED: (Purpose.REGISTRATION_PROMOTED, RegistrationStatus.CONFIRMED),
    RegistrationKind.CANCELLED: (Purpose.REGISTRATION_CANCELLED, RegistrationStatus.CANCELLED),
}


def notify_registration(*, registration_id: int, kind: str, now: datetime | None = None) -> int:
    """Place confirmed, on the waiting list (with the position), moved up, or cancelled.

    A notice that is no longer true when the task runs (waitlisted, but already moved up) is not sent:
    the later notice says what holds.
    """
    if kind not in _REGISTRATION:
        return 0
    purpose, expected = _REGISTRATION[kind]
    now = now or timezone.now()
    # The registration with its resident, then the class with what a notice says of it: one query with all
    # ten tables cost PostgreSQL more to plan (join orders) than to run, at every registration of a rush.
    registration = Registration.objects.select_related("resident__profile").filter(pk=registration_id).first()
    if registration is None or registration.status != expected:
        return 0
    registration.course = Course.objects.select_related(*selectors.COURSE_RELATED).get(pk=registration.course_id)
    recipient = recipient_of(registration.resident)
    facts = selectors.class_facts(
        registration.course, selectors.next_session(course_id=registration.course_id, now=now)
    )
    if purpose == Purpose.REGISTRATION_WAITLISTED:
        # Imported here: activities.services will import notices.hooks once the lead wires it.
        from activities.services import waitlist_position

        position = waitlist_position(registration=registration)
        rendered = _render(recipient.language, texts.registration_waitlisted, facts=facts, position=position)
    else:
        build = {
            Purpose.REGISTRATION_CONFIRMED: texts.registration_confirmed,
            Purpose.REGISTRATION_PROMOTED: texts.registration_promoted,
            Purpose.REGISTRATION_CANCELLED: texts.registration_cancelled,
        }[purpose]
        rendered = _render(recipient.language, build, facts=facts)
    url = url_or_empty("activities:course_detail", registration.course_id)
    draft = Draft(recipient, f"registration:{registration.pk}", rendered, url)
    return notices_create(purpose=purpose, drafts=[draft], now=now)


# Registrations a course cancellation may itself have cancelled in the same transaction.
CANCELLATION_SLACK = timedelta(minutes=5)


def notify_course(*, course_id: int, kind: str, changed_at: datetime, now: datetime | None = None) -> int:
    """Tell everyone registered (confirmed or waiting) that their class changed or was cancelled.

    Each change is its own notice: the object is "course:<id>@<time of the change>", so a class changed
    twice is announced twice, and the same change announced by a redelivered task once.
    """
    purpose = {CourseKind.CHANGED: Purpose.CLASS_CHANGED, CourseKind.CANCELLED: Purpose.CLASS_CANCELLED}.get(
        kind
    )
    if purpose is None:
        return 0
    now = now or timezone.now()
    found = selectors.course_with_facts(course_id=course_id, now=now)
    if found is None:
        return 0
    course, facts = found
    if course.kind == CourseKinds.SHOWCASE:
        return 0  # a showcase's audience hears of it from notices.showcases, in a showcase's words
    who = Q(status__in=selectors.LIVE)
    if purpose == Purpose.CLASS_CANCELLED:
        who |= Q(status=RegistrationStatus.CANCELLED, status_changed__gte=changed_at - CANCELLATION_SLACK)
    rows = (
        Registration.objects.filter(who, course_id=course_id)
        .order_by()
        .values(*selectors.recipient_fields("resident__"))
        .distinct()
    )
    recipients = {r.id: r for r in (selectors.recipient_from_row(row, "resident__") for row in rows)}
    object_key = f"course:{course_id}@{int(changed_at.timestamp())}"
    build = texts.class_changed if purpose == Purpose.CLASS_CHANGED else texts.class_cancelled
    url = url_or_empty("activities:course_detail", course_id)
    drafts = _drafts_same_text(recipients.values(), object_key, url, lambda: build(facts=facts))
    return notices_create(purpose=purpose, drafts=drafts, now=now)


def _drafts_same_text(
    recipients: Iterable[Recipient], object_key: str, url: str, build, cache=None
) -> list[Draft]:
    """Drafts for notices whose text depends only on the language: rendered once per language."""
    cache = {} if cache is None else cache
    drafts = []
    for recipient in recipients:
        if recipient.language not in cache:
            with translation.override(recipient.language):
                cache[recipient.language] = build()
        drafts.append(Draft(recipient, object_key, cache[recipient.language], url))
    return drafts


# --- Reminders and feedback requests (periodic scans) ---------------------------------------------------

SCAN_CHUNK = 200


def session_object_key(session: Session) -> str:
    # The start time is part of the key: a meeting moved to another day is reminded again.
    return f"session:{session.pk}@{int(session.starts_at.timestamp())}"


def reminders_scan(*, now: datetime | None = None) -> int:
    """Reminders for meetings starting within 24 hours (from 2 h to 24 h ahead) and within 2 hours.

    Run every few minutes; a resident registered less than 2 hours ahead gets only the 2-hour reminder.
    Per chunk of meetings: their registrations, the notices that exist, and the writes.
    """
    now = now or timezone.now()
    made = 0
    windows = [
        (Purpose.REMINDER_24H, now + timedelta(hours=2), now + timedelta(hours=24), texts.reminder_24h),
        (Purpose.REMINDER_2H, now, now + timedelta(hours=2), texts.reminder_2h),
    ]
    for purpose, after, until, build in windows:
        sessions = list(selectors.sessions_between(after=after, until=until))
        for start in range(0, len(sessions), SCAN_CHUNK):
            chunk = sessions[start : start + SCAN_CHUNK]
            by_course = selectors.confirmed_recipients(course_ids={s.course_id for s in chunk})
            keys = [session_object_key(s) for s in chunk]
            existing = selectors.existing_pairs(
                purpose=purpose,
                object_keys=keys,
                recipient_ids=[r.id for rs in by_course.values() for r in rs],
            )
            drafts: list[Draft] = []
            for session, key in zip(chunk, keys, strict=True):
                fresh = [r for r in by_course.get(session.course_id, ()) if (key, r.id) not in existing]
                if not fresh:
                    continue
                facts = selectors.class_facts(session.course, session)
                url = url_or_empty("activities:course_detail", session.course_id)
                drafts += _drafts_same_text(
                    fresh, key, url, lambda facts=facts, build=build: build(facts=facts)
                )
            made += notices_create(purpose=purpose, drafts=drafts, now=now)
    return made


def feedback_scan(*, now: datetime | None = None) -> int:
    """Ask for stars and a word after each meeting a resident attended and has not rated yet.

    Looks back NOTICES_FEEDBACK_WITHIN_HOURS, so attendance recorded the next day still counts.
    """
    now = now or timezone.now()
    after = now - timedelta(hours=settings.NOTICES_FEEDBACK_WITHIN_HOURS)
    rows = selectors.attendances_awaiting_feedback(after=after, until=now)
    made = 0
    for start in range(0, len(rows), SCAN_CHUNK * 20):
        chunk = rows[start : start + SCAN_CHUNK * 20]
        session_ids = {row["session_id"] for row in chunk}
        sessions = {
            s.pk: s
            for s in Session.objects.filter(pk__in=session_ids).select_related(
                *(f"course__{name}" for name in selectors.COURSE_RELATED), "venue", "policy_talk"
            )
        }
        keys = {sid: f"session:{sid}" for sid in session_ids}
        existing = selectors.existing_pairs(
            purpose=Purpose.FEEDBACK_REQUEST,
            object_keys=keys.values(),
            recipient_ids=[r["resident__id"] for r in chunk],
        )
        per_session: dict[int, list[Recipient]] = defaultdict(list)
        for row in chunk:
            recipient = selectors.recipient_from_row(row, "resident__")
            if (keys[row["session_id"]], recipient.id) not in existing:
                per_session[row["session_id"]].append(recipient)
        drafts: list[Draft] = []
        for session_id, recipients in per_session.items():
            session = sessions[session_id]
            facts = selectors.class_facts(session.course, session)
            url = url_or_empty("ratings:session_feedback", session_id) or url_or_empty("ratings:pending")
            drafts += _drafts_same_text(
                recipients,
                keys[session_id],
                url,
                lambda facts=facts, url=url: texts.feedback_request(facts=facts, url=url),
            )
        made += notices_create(purpose=Purpose.FEEDBACK_REQUEST, drafts=drafts, now=now)
    return made


# --- The weekly digest ---------------------------------------------------------------------------------------


def digest_key(now: datetime) -> str:
    year, week, _day = timezone.localtime(now).isocalendar()
    return f"digest:{year}-W{week:02d}"


def digest_fanout(*, now: datetime | None = None) -> int:
    """Split this week's digest into batches of NOTICES_DIGEST_BATCH residents by user-id range and send
    one task per batch, as one Celery group (the workers take the batches side by side; a lost worker costs
    its batch's retry: acks_late). One query; returns the number of batches. Running it twice makes no
    second digest."""
    from celery import group

    from .tasks import digest_batch

    now = now or timezone.now()
    key = digest_key(now)
    since = (now - timedelta(days=7)).isoformat()
    ranges = selectors.digest_user_ranges(size=settings.NOTICES_DIGEST_BATCH)
    if ranges:
        group(digest_batch.s(key, since, first_id, last_id) for first_id, last_id in ranges).apply_async()
    return len(ranges)


def digest_batch(
    *, object_key: str, since: datetime, first_id: int, last_id: int, now: datetime | None = None
) -> int:
    """Write the digests of the residents with user ids in [first_id, last_id].

    A fixed number of queries for the whole batch (two for the candidates, at most seven for the residents,
    one for the digests already written, then `notices_create`); ranking and rendering run in memory,
    one `translation.override` per language.
    """
    now = now or timezone.now()
    index, facts = selectors.digest_candidates(since=since)
    if not len(index):
        return 0
    residents = selectors.digest_residents(first_id=first_id, last_id=last_id, candidate_keys=list(facts))
    existing = selectors.existing_pairs(
        purpose=Purpose.DIGEST, object_keys=[object_key], recipient_ids=[r.recipient.id for r in residents]
    )
    url = url_or_empty("activities:nearby") or url_or_empty("notices:inbox")
    profile_url = url_or_empty("interests:profile")
    by_language: dict[str, list[selectors.DigestResident]] = defaultdict(list)
    for resident in residents:
        if (object_key, resident.recipient.id) not in existing:
            by_language[resident.recipient.language].append(resident)
    drafts: list[Draft] = []
    # 协商议事: one line for the community matters each resident follows (one query for the batch).
    from . import consultation as consultation_notices

    following = consultation_notices.digest_follow_counts(first_id=first_id, last_id=last_id, since=since)
    matters_url = url_or_empty("consultation:list")
    for language, group in by_language.items():
        with translation.override(language):
            for resident in group:
                chosen = digest_rules.choose(
                    index,
                    taste=resident.taste,
                    personalised=resident.personalised,
                    street_id=resident.street_id,
                    radius_km=settings.NOTICES_DIGEST_RADIUS_KM,
                    limit=settings.NOTICES_DIGEST_ITEMS,
                    attended=resident.attended,
                    attended_fields=resident.attended_fields,
                    exclude=frozenset(resident.exclude),
                )
                if not chosen:
                    continue
                lines = [_digest_line(facts[r.candidate.key], r) for r in chosen]
                rendered = texts.digest(
                    lines=lines, personalised=resident.personalised, url=url, profile_url=profile_url
                )
                followed = following.get(resident.recipient.id)
                if followed:
                    extra = consultation_notices.digest_line(open_count=followed[0], moved=followed[1], url=matters_url)
                    rendered = texts.Texts(title=rendered.title, body=rendered.body + "\n\n" + extra, sms=rendered.sms)
                drafts.append(Draft(resident.recipient, object_key, rendered, url))
    return notices_create(purpose=Purpose.DIGEST, drafts=drafts, now=now)


def _digest_line(fact: selectors.CandidateFacts, ranked) -> texts.DigestLine:
    return texts.DigestLine(
        kind=fact.kind,
        title=fact.title,
        interest=fact.interest,
        field=fact.field,
        community=fact.community,
        venue=fact.venue,
        starts_at=fact.starts_at,
        reason=ranked.reason,
        km=ranked.distance_km,
        taken=fact.taken,
        capacity=fact.capacity,
    )


# --- Sending --------------------------------------------------------------------------------------------------


@dataclass
class SendOutcome:
    sent: int = 0
    reconciled: int = 0  # found at the gateway after a crash: recorded, not sent again
    skipped: int = 0
    failed: int = 0
    deferred: int = 0
    retry_ids: list[int] = field(default_factory=list)
    retry_in: int | None = None
    given_back: list[int] = field(default_factory=list)  # claimed, not sent: the lease budget ran out


def deliveries_send(*, delivery_ids: Sequence[int]) -> SendOutcome:
    """Send these deliveries, each at most once (see the module docstring).

    Reads: four primary-key lookups. Claim: two conditional UPDATEs for the whole chunk (due pending rows;
    rows whose lease ran out) and one read of what this call won. Then per delivery the send and one
    recording UPDATE right after it, so a crash leaves at most the message in flight unrecorded.

    The claim is a lease on the whole chunk; the chunk stops sending when half the lease is spent and
    gives the rest back, so a slow gateway never makes a row's lease run out while it is still ours.
    """
    outcome = SendOutcome()
    rows = list(
        Delivery.objects.filter(
            pk__in=list(delivery_ids), status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
        )
        .order_by("id")
        # Four primary-key lookups rather than one join: right after a digest has filled the notice
        # tables, their planner statistics are stale and a join can turn into nested full scans.
        .prefetch_related("notice__recipient__profile")
    )
    if not rows:
        return outcome
    now = timezone.now()
    release = quiet_until(now)
    if release is not None:
        outcome.deferred = Delivery.objects.filter(
            pk__in=[row.pk for row in rows], status=DeliveryStatus.PENDING, not_before__lt=release
        ).update(not_before=release, queued_at=None)
        return outcome
    lease = timedelta(seconds=settings.NOTICES_LEASE_SECONDS)
    token = uuid.uuid4()
    claim = {
        "status": DeliveryStatus.SENDING,
        "claimed_at": now,
        "claim_token": token,
        "attempts": F("attempts") + 1,
    }
    fresh = [row.pk for row in rows if row.status == DeliveryStatus.PENDING]
    stale = [row.pk for row in rows if row.status == DeliveryStatus.SENDING]
    claimed = Delivery.objects.filter(
        pk__in=fresh, status=DeliveryStatus.PENDING, not_before__lte=now
    ).update(**claim)
    # Claimed by a worker whose lease ran out: it died, perhaps after the gateway took the message.
    claimed += Delivery.objects.filter(
        pk__in=stale, status=DeliveryStatus.SENDING, claimed_at__lt=now - lease
    ).update(**claim)
    if not claimed:
        return outcome  # other workers have them, or they are sent, or not due yet
    mine = set(
        Delivery.objects.filter(pk__in=[row.pk for row in rows], claim_token=token).values_list(
            "id", flat=True
        )
    )
    suspects = set(stale) & mine
    ours = [row for row in rows if row.pk in mine]
    budget = lease / 2
    channels: dict[str, object] = {}
    try:
        for position, row in enumerate(ours):
            if timezone.now() - now > budget:
                _give_back(ours[position:], token, suspects, outcome)
                break
            _send_one(row, token, row.pk in suspects, channels, outcome)
    finally:
        for channel in channels.values():
            channel.close()
    return outcome


def _give_back(rows: Sequence[Delivery], token, suspects: set[int], outcome: SendOutcome) -> None:
    """Return claimed rows that this call will not send: as they were, for the next claim."""
    fresh = [row.pk for row in rows if row.pk not in suspects]
    Delivery.objects.filter(pk__in=fresh, claim_token=token).update(
        status=DeliveryStatus.PENDING,
        claim_token=None,
        claimed_at=None,
        attempts=F("attempts") - 1,
        queued_at=None,
    )
    for row in rows:
        if row.pk in suspects:
            # Still unknown whether the gateway has it: keep it "sending" with its old, expired lease, so the
            # next claim asks the gateway first.
            Delivery.objects.filter(pk=row.pk, claim_token=token).update(
                claimed_at=row.claimed_at, claim_token=None, attempts=F("attempts") - 1, queued_at=None
            )
    outcome.given_back = [row.pk for row in rows]


def _send_one(row: Delivery, token, suspect: bool, channels: dict, outcome: SendOutcome) -> None:
    mine = Delivery.objects.filter(pk=row.pk, claim_token=token)
    user = row.notice.recipient
    if row.channel not in channels_for_user(user):
        mine.update(
            status=DeliveryStatus.SKIPPED, claim_token=None, last_error="consent withdrawn or no address"
        )
        outcome.skipped += 1
        return
    channel = channels.get(row.channel)
    if channel is None:
        channel = channels[row.channel] = open_channel(row.channel)
    key = row.key
    if suspect:
        found = channel.lookup(key)
        if found is not UNKNOWN and found is not None:
            _record_sent(mine, str(found), row)
            outcome.reconciled += 1
            return
    try:
        provider_id = channel.send(key=key, user=user, notice=row.notice)
    except Exception as exc:
        if not isinstance(exc, channel.retryable):
            logger.exception("notice delivery %s crashed in its channel", row.pk)
        _record_failure(mine, row, exc, outcome)
        return
    _record_sent(mine, str(provider_id or ""), row)
    outcome.sent += 1


def _record_sent(mine, provider_id: str, row: Delivery) -> None:
    updated = mine.update(
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        provider_id=provider_id[:200],
        claim_token=None,
        last_error="",
    )
    if not updated:
        # Our lease ran out during the send and another worker took the row over: one send outlasted
        # half the lease (NOTICES_LEASE_SECONDS must be well above the gateway's and SMTP's timeouts).
        logger.warning("notice delivery %s: lease lost during the send", row.pk)


def _record_failure(mine, row: Delivery, exc: BaseException, outcome: SendOutcome) -> None:
    now = timezone.now()
    attempts = row.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if attempts >= settings.NOTICES_MAX_ATTEMPTS:
        mine.update(status=DeliveryStatus.FAILED, failed_at=now, claim_token=None, last_error=error)
        outcome.failed += 1
        logger.warning("notice delivery %s failed after %s attempts: %s", row.pk, attempts, error)
        return
    delay = backoff_seconds(attempts)
    mine.update(
        status=DeliveryStatus.PENDING,
        not_before=now + timedelta(seconds=delay),
        queued_at=now,
        claim_token=None,
        last_error=error,
    )
    outcome.retry_ids.append(row.pk)
    outcome.retry_in = delay if outcome.retry_in is None else min(outcome.retry_in, delay)


def deliveries_enqueue_due(*, now: datetime | None = None, grace: timedelta | None = None) -> int:
    """Enqueue the deliveries that are due (deferred by quiet hours, waiting for a retry) or stuck in a
    dead worker (lease expired), leaving alone those enqueued within `grace`. Returns how many."""
    now = now or timezone.now()
    if grace is None:
        grace = timedelta(seconds=settings.NOTICES_SWEEP_GRACE_SECONDS)
    ids = selectors.due_delivery_ids(
        now=now,
        lease=timedelta(seconds=settings.NOTICES_LEASE_SECONDS),
        grace=grace,
        limit=settings.NOTICES_SWEEP_LIMIT,
    )
    for start in range(0, len(ids), 5000):
        Delivery.objects.filter(pk__in=ids[start : start + 5000]).update(queued_at=now)
    enqueue_deliveries(ids)
    return len(ids)


def deliveries_resend(*, delivery_ids: Iterable[int], actor: User) -> int:
    """Start failed deliveries again from the first attempt (the admin's "resend" action).

    Only deliveries to residents of communities the actor may change; quiet hours still apply.
    """
    scope = scope_for(actor)
    if not scope.can_change:
        raise ScopeError(_("You may only read these deliveries."), code="scope")
    now = timezone.now()
    release = quiet_until(now)
    with transaction.atomic():
        candidates = Delivery.objects.filter(pk__in=list(delivery_ids), status=DeliveryStatus.FAILED)
        ids = list(scope.filter(candidates, RESIDENT_COMMUNITY_PATH).values_list("id", flat=True))
        updated = Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING,
            attempts=0,
            not_before=release or now,
            queued_at=None if release else now,
            failed_at=None,
            claim_token=None,
            last_error="",
        )
        if release is None and ids:
            transaction.on_commit(lambda: enqueue_deliveries(ids))
    return updated


# --- The inbox ------------------------------------------------------------------------------------------------


def notice_mark_read(*, notice_id: int, user: User) -> bool:
    """Mark one of the user's notices read; False if it is not theirs or was read already."""
    return bool(
        Notice.objects.filter(pk=notice_id, recipient=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    )


def notices_mark_all_read(*, user: User) -> int:
    return Notice.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
