"""Near misses in the portal: stored with a run, applied by staff, agreed to by residents, then proposed.

- `near_misses_store` (called by `match_run` inside its transaction) writes the near misses the pure core
  found on the run's instance (`activities.matching.near_miss`), each with its orders; a new run of a
  scope supersedes the scope's near misses still open (those already asking residents run their course).
- `near_miss_apply` (staff, in scope): the residents whose walk, time or interest would change (the
  ``extra`` orders) are asked, with a deadline of NEAR_MISS_ANSWER_DAYS; a smaller class the teacher
  accepts changes nothing for the residents and is proposed at once.
- `near_miss_answer` (the resident, or staff recording their answer): once the orders that need no change
  and those who agreed reach the size the class opens with, the class is proposed (a `ProposedClass` of
  the near miss's run, with its placements: staff confirm it as any other). For a group, each resident who
  agrees joins it. When too few can still agree, the near miss lapses.
- `near_misses_expire` (beat): past the deadline, unanswered residents lapse and the near miss settles.
- `waiting_orders_notice` (beat): accepted orders waiting longer than WAIT_NOTICE_DAYS get one notice
  with the near-miss options that apply to them.

Notices go out through signals (`activities.signals`), ids only, inside the transaction; `notices`
listens. Nothing here imports notices or dashboards.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.selectors import scope_for
from activities import signals
from activities.matching import problem as spec
from activities.matching.near_miss import NearMissReport
from activities.models import (
    MatchRun,
    NearMiss,
    NearMissMember,
    Order,
    ProposedClass,
    ProposedPlacement,
    UnassignedOrder,
    WaitingNotice,
)
from community_college.errors import ConflictError, InvalidTransition, ScopeError
from interests.enums import OrderStatus
from interests.models import InterestGroup
from interests.services import group_join

from .build import Built
from .enums import (
    Consent,
    MatchRunStatus,
    MemberConsent,
    NearMissRelaxation,
    NearMissStatus,
    ProposedClassStatus,
)


def answer_days() -> int:
    return int(getattr(settings, "NEAR_MISS_ANSWER_DAYS", 3))


def wait_notice_days() -> int:
    return int(getattr(settings, "WAIT_NOTICE_DAYS", 30))


# --- stored with a run --------------------------------------------------------------------------------------


def near_misses_store(*, run: MatchRun, built: Built, report: NearMissReport, still: set[int]) -> int:
    """Write the run's near misses (inside `_persist`'s transaction); returns how many were stored."""
    NearMiss.objects.filter(status=NearMissStatus.OPEN, community_id__in=built.community_ids).update(
        status=NearMissStatus.SUPERSEDED
    )
    group_ids = {n.group for n in report.near_misses if n.group is not None}
    group_community = dict(InterestGroup.objects.filter(pk__in=group_ids).values_list("pk", "community_id"))
    rows: list[NearMiss] = []
    members: list[list[tuple[int, bool]]] = []
    for n in report.near_misses:
        everyone = [*n.orders, *n.extra]
        if not all(o in still for o in everyone):
            continue  # an order closed while the solver ran
        community = (
            built.venue_communities.get(n.venue) if n.venue is not None else group_community.get(n.group)
        )
        if community is None:
            continue
        rows.append(
            NearMiss(
                run=run,
                relaxation=n.relaxation,
                category_id=n.category,
                community_id=community,
                venue_id=n.venue,
                slot_id=built.slot_pks[n.slot] if n.slot is not None else None,
                teacher_id=n.teacher,
                group_id=n.group,
                needed=n.needed,
                min_size=n.min_size,
                radius_km=n.radius_km,
            )
        )
        members.append([(o, False) for o in n.orders] + [(o, True) for o in n.extra])
    NearMiss.objects.bulk_create(rows)
    NearMissMember.objects.bulk_create(
        [
            NearMissMember(near_miss=nm, order_id=o, extra=extra)
            for nm, pairs in zip(rows, members, strict=True)
            for o, extra in pairs
        ]
    )
    return len(rows)


# --- what it says -------------------------------------------------------------------------------------------


def describe(nm: NearMiss, *, base: int | None = None, extra: int | None = None) -> str:
    """ "4 of 5, one more resident within 1.6 km": the gap and what the relaxation asks, for staff."""
    if base is None or extra is None:
        counted = list(nm.members.all())
        base = sum(1 for m in counted if not m.extra)
        extra = sum(1 for m in counted if m.extra)
    names = {"have": base, "need": nm.needed, "n": extra, "km": nm.radius_km or 0, "slot": nm.slot}
    head = _("%(have)d of %(need)d") % names
    if nm.relaxation == NearMissRelaxation.RADIUS:
        tail = ngettext(
            "%(n)d more resident within %(km).1f km",
            "%(n)d more residents within %(km).1f km",
            extra,
        )
    elif nm.relaxation == NearMissRelaxation.SLOT:
        tail = ngettext(
            "%(n)d more resident if the class meets %(slot)s",
            "%(n)d more residents if the class meets %(slot)s",
            extra,
        )
    elif nm.relaxation == NearMissRelaxation.SMALLER:
        names["size"] = nm.min_size
        tail = _("the teacher accepts a class of %(size)d")
    elif nm.relaxation == NearMissRelaxation.PARENT:
        names["interest"] = nm.category.name
        tail = ngettext(
            "%(n)d more resident of a narrower interest joins a %(interest)s class",
            "%(n)d more residents of narrower interests join a %(interest)s class",
            extra,
        )
    else:
        names["group"] = nm.group.name if nm.group_id else ""
        return (
            ngettext(
                "%(n)d resident could join the group %(group)s",
                "%(n)d residents could join the group %(group)s",
                extra,
            )
            % names
        )
    return f"{head}, {tail % names}"


# --- staff apply a near miss --------------------------------------------------------------------------------


def _locked(near_miss: NearMiss) -> NearMiss:
    return (
        NearMiss.objects.select_for_update(of=("self",))
        .select_related("run", "category", "venue", "slot", "teacher", "group", "community")
        .get(pk=near_miss.pk)
    )


def near_miss_in_scope(actor: User | None, nm: NearMiss) -> bool:
    """Whether `actor` may act on the near miss: its community and every member order's community."""
    if actor is None:
        return True
    scope = scope_for(actor)
    communities = {nm.community_id, *nm.members.values_list("order__community_id", flat=True)}
    return scope.can_change and all(scope.can_change_community(c) for c in communities)


@transaction.atomic
def near_miss_apply(*, near_miss: NearMiss, actor: User | None, now: datetime | None = None) -> NearMiss:
    """Apply the relaxation: ask the residents it changes (or propose a smaller class at once)."""
    now = now or timezone.now()
    nm = _locked(near_miss)
    if not near_miss_in_scope(actor, nm):
        raise ScopeError(_("This near miss belongs to another community."), code="scope")
    if nm.status != NearMissStatus.OPEN:
        raise InvalidTransition(
            _("This near miss is “%(status)s”: only an open one can be applied.")
            % {"status": NearMissStatus(nm.status).label},
            code="not_open",
        )
    members = list(nm.members.select_related("order").order_by("order_id"))
    if (
        any(m.order.status != OrderStatus.ACCEPTED for m in members)
        or ProposedPlacement.objects.filter(active=True, order_id__in=[m.order_id for m in members]).exists()
    ):
        raise ConflictError(
            _("Some of these orders have moved on since the run: run the matching again."), code="stale"
        )
    nm.decided_by = actor
    extras = [m for m in members if m.extra]
    if not extras:
        _propose(nm, [m.order for m in members])
        return nm
    NearMissMember.objects.filter(pk__in=[m.pk for m in extras]).update(consent=MemberConsent.PENDING)
    nm.status = NearMissStatus.ASKING
    nm.asked_at = now
    nm.deadline = now + timedelta(days=answer_days())
    nm.full_clean()
    nm.save(update_fields=["status", "asked_at", "deadline", "decided_by"])
    signals.near_miss_asked.send(sender=NearMiss, near_miss_id=nm.pk, order_ids=[m.order_id for m in extras])
    return nm


@transaction.atomic
def near_miss_dismiss(*, near_miss: NearMiss, actor: User | None) -> NearMiss:
    """Staff set a near miss aside; residents already asked are no longer waited for."""
    nm = _locked(near_miss)
    if not near_miss_in_scope(actor, nm):
        raise ScopeError(_("This near miss belongs to another community."), code="scope")
    if nm.status not in (NearMissStatus.OPEN, NearMissStatus.ASKING):
        raise InvalidTransition(_("This near miss is already settled."), code="settled")
    nm.members.filter(consent=MemberConsent.PENDING).update(consent=MemberConsent.LAPSED)
    nm.status = NearMissStatus.DISMISSED
    nm.decided_by = actor
    nm.save(update_fields=["status", "decided_by"])
    return nm


# --- residents answer ---------------------------------------------------------------------------------------


@transaction.atomic
def near_miss_answer(
    *, member: NearMissMember, accept: bool, actor: User, now: datetime | None = None
) -> NearMissMember:
    """The resident agrees (or not) to the change the near miss asks of them; the class may follow."""
    now = now or timezone.now()
    nm = _locked(member.near_miss)
    row = NearMissMember.objects.select_for_update().select_related("order").get(pk=member.pk)
    if actor.pk != row.order.resident_id and not near_miss_in_scope(actor, nm):
        raise ScopeError(_("Only the resident who placed the order can answer."), code="scope")
    if nm.status != NearMissStatus.ASKING or row.consent != MemberConsent.PENDING:
        raise InvalidTransition(_("This question is no longer open."), code="not_asking")
    if now > nm.deadline:
        raise ConflictError(_("The time to answer has passed."), code="too_late")
    row.consent = MemberConsent.ACCEPTED if accept else MemberConsent.DECLINED
    row.answered_at = now
    row.save(update_fields=["consent", "answered_at"])
    if accept and nm.relaxation == NearMissRelaxation.GROUP:
        group_join(group=nm.group, user=row.order.resident)
    _settle(nm)
    member.refresh_from_db()
    return row


def _settle(nm: NearMiss) -> None:
    """Propose the class once enough agree; lapse when too few still can."""
    members = list(nm.members.select_related("order").order_by("order_id"))
    open_orders = [m for m in members if m.order.status == OrderStatus.ACCEPTED]
    pending = [m for m in open_orders if m.consent == MemberConsent.PENDING]
    if nm.relaxation == NearMissRelaxation.GROUP:
        if pending:
            return
        joined = any(m.consent == MemberConsent.ACCEPTED for m in members)
        nm.status = NearMissStatus.JOINED if joined else NearMissStatus.LAPSED
        nm.save(update_fields=["status"])
        return
    ready = [m for m in open_orders if not m.extra or m.consent == MemberConsent.ACCEPTED]
    if len(ready) >= nm.min_size:
        NearMissMember.objects.filter(pk__in=[m.pk for m in pending]).update(consent=MemberConsent.LAPSED)
        _propose(nm, [m.order for m in ready])
    elif len(ready) + len(pending) < nm.min_size:
        NearMissMember.objects.filter(pk__in=[m.pk for m in pending]).update(consent=MemberConsent.LAPSED)
        nm.status = NearMissStatus.LAPSED
        nm.save(update_fields=["status"])


def _propose(nm: NearMiss, orders: list[Order]) -> ProposedClass:
    """The class of the near miss, proposed in its run with the orders that agreed (staff confirm it)."""
    if nm.venue is None or nm.teacher is None or nm.slot is None:  # pragma: no cover - groups never get here
        raise ConflictError(_("A group is joined, not proposed."), code="group")
    venue = nm.venue
    lat_lon = _homes([o.pk for o in orders], fallback=(venue.latitude, venue.longitude))
    walks = {
        o.pk: round(spec.haversine_km(*lat_lon[o.pk], venue.latitude, venue.longitude), 4) for o in orders
    }
    try:
        with transaction.atomic():
            pc = ProposedClass(
                run=nm.run,
                category=nm.category,
                teacher=nm.teacher,
                venue=venue,
                slot=nm.slot,
                term=nm.run.term,
                community=nm.community,
                venue_consent=Consent.PENDING if venue.requires_confirmation else Consent.NOT_REQUIRED,
                size=len(orders),
                min_size=nm.min_size if nm.min_size < nm.needed else None,
                weight=sum(o.weight for o in orders),
                walk_km=round(sum(walks.values()), 4),
                status=ProposedClassStatus.PROPOSED,
            )
            pc.full_clean(exclude=["run", "term"])
            pc.save()
            ProposedPlacement.objects.bulk_create(
                [ProposedPlacement(proposed_class=pc, order=o, walk_km=walks[o.pk]) for o in orders]
            )
    except IntegrityError as exc:
        raise ConflictError(
            _(
                "The teacher, the room or an order was taken by another class meanwhile: run the matching again."
            ),
            code="taken",
        ) from exc
    MatchRun.objects.filter(pk=nm.run_id).exclude(status=MatchRunStatus.OPEN).update(
        status=MatchRunStatus.OPEN
    )
    nm.status = NearMissStatus.PROPOSED
    nm.proposed_class = pc
    nm.save(update_fields=["status", "proposed_class", "decided_by"])
    return pc


def _homes(order_ids: Iterable[int], fallback: tuple[float, float]) -> dict[int, tuple[float, float]]:
    out = {}
    for pk, p_lat, p_lon, c_lat, c_lon in Order.objects.filter(pk__in=list(order_ids)).values_list(
        "pk",
        "resident__profile__latitude",
        "resident__profile__longitude",
        "community__latitude",
        "community__longitude",
    ):
        if p_lat is not None and p_lon is not None:
            out[pk] = (p_lat, p_lon)
        elif c_lat is not None and c_lon is not None:
            out[pk] = (c_lat, c_lon)
        else:
            out[pk] = fallback
    return out


# --- beat ---------------------------------------------------------------------------------------------------


def near_misses_expire(*, now: datetime | None = None) -> int:
    """Settle the near misses whose answers are overdue: the unanswered lapse. Returns how many settled."""
    now = now or timezone.now()
    settled = 0
    for pk in NearMiss.objects.filter(status=NearMissStatus.ASKING, deadline__lt=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            nm = _locked(NearMiss(pk=pk))
            if nm.status != NearMissStatus.ASKING:
                continue
            nm.members.filter(consent=MemberConsent.PENDING).update(consent=MemberConsent.LAPSED)
            try:
                _settle(nm)
            except ConflictError:
                nm.status = NearMissStatus.LAPSED
                nm.save(update_fields=["status"])
            settled += 1
    return settled


def waiting_orders_notice(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Accepted orders waiting longer than WAIT_NOTICE_DAYS, with a reason from a run and no such notice
    yet: mark them and announce them (ids only). Returns the order ids announced."""
    now = now or timezone.now()
    since = now - timedelta(days=wait_notice_days())
    ids = list(
        Order.objects.filter(status=OrderStatus.ACCEPTED, accepted_at__lte=since)
        .filter(pk__in=UnassignedOrder.objects.filter(latest=True).values("order_id"))
        .exclude(pk__in=WaitingNotice.objects.values("order_id"))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return []
    with transaction.atomic():
        WaitingNotice.objects.bulk_create(
            [WaitingNotice(order_id=pk, sent_at=now) for pk in ids], ignore_conflicts=True
        )
        signals.order_waiting_long.send(sender=Order, order_ids=ids)
    return ids
