"""Reads of the matching service: runs, proposed classes, and why orders stay unplaced.

For the dashboards:

    from activities.dispatch.selectors import unassigned_reason_counts
    rows = unassigned_reason_counts(scope_for(request.user))                  # the current picture
    rows = unassigned_reason_counts(scope, run=run)                           # what one run left out
    rows = unassigned_reason_counts(scope, community_ids=[c.pk], category_ids=[...])

Each row is a `ReasonCount(community_id, category_id, reason, count)`; `reason` is one of the spec's codes
(`UnassignedReason`: no_teacher, no_venue, no_common_slot, below_min_size, capacity). Rows come sorted by
community, category and reason, and only non-zero counts are returned. One query.

"The current picture" counts each order that is still accepted (接单, not yet dispatched) once, with the
reason of the latest run that considered it. An order placed by a later run, dispatched, cancelled or
rejected is no longer counted, and an order no run has considered yet has no reason to count.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Community
from accounts.selectors import Scope
from activities.models import (
    MatchRun,
    NearMiss,
    NearMissMember,
    ProposedClass,
    ProposedPlacement,
    UnassignedOrder,
)
from interests.enums import OrderStatus
from teachers.models import Teacher

from .enums import Consent, MemberConsent, NearMissStatus, ProposedClassStatus


class ReasonCount(NamedTuple):
    """How many orders of a community and interest stay unplaced for one reason."""

    community_id: int
    category_id: int
    reason: str
    count: int


def unassigned_reason_counts(
    scope: Scope,
    *,
    run: MatchRun | int | None = None,
    community_ids: Iterable[int] | None = None,
    category_ids: Iterable[int] | None = None,
) -> list[ReasonCount]:
    """Unplaced orders counted by (community, interest, reason), within `scope`.

    Without `run`: every order that is still accepted, with its latest reason (see the module docstring).
    With `run` (a run or its id): the orders that run left out, whatever became of them since.
    `community_ids` and `category_ids` narrow further.
    """
    rows = UnassignedOrder.objects.all()
    if run is None:
        rows = rows.filter(latest=True, order__status=OrderStatus.ACCEPTED)
    else:
        rows = rows.filter(run_id=getattr(run, "pk", run))
    rows = scope.filter(rows, "community")
    if community_ids is not None:
        rows = rows.filter(community_id__in=list(community_ids))
    if category_ids is not None:
        rows = rows.filter(category_id__in=list(category_ids))
    grouped = (
        rows.values_list("community_id", "category_id", "reason")
        .annotate(count=Count("pk"))
        .order_by("community_id", "category_id", "reason")
    )
    return [ReasonCount(*row) for row in grouped]


def runs_in_scope(scope: Scope) -> QuerySet[MatchRun]:
    """Runs over a node that holds one of the scope's communities (a street's run for its community staff)."""
    runs = MatchRun.objects.select_related("community", "street", "district", "term", "created_by")
    if scope.everything:
        return runs
    if not scope.community_ids:
        return runs.none()
    mine = Community.objects.filter(pk__in=scope.community_ids)
    return runs.filter(
        Q(community_id__in=scope.community_ids)
        | Q(street_id__in=mine.values("street_id"))
        | Q(district_id__in=mine.values("street__district_id"))
    )


def proposed_classes(
    scope: Scope, *, run: MatchRun | int | None = None, status: str | None = None
) -> QuerySet[ProposedClass]:
    """Proposed classes of the scope's communities with everything a review page shows, in two queries."""
    classes = scope.filter(
        ProposedClass.objects.select_related(
            "run", "category", "teacher", "venue", "slot", "term", "community", "course"
        ),
        "community",
    )
    if run is not None:
        classes = classes.filter(run_id=getattr(run, "pk", run))
    if status is not None:
        classes = classes.filter(status=status)
    placements = ProposedPlacement.objects.select_related("order__resident", "order__community").order_by(
        "order_id"
    )
    return classes.prefetch_related(Prefetch("placements", queryset=placements)).order_by("run_id", "pk")


def classes_awaiting_teacher(teacher: Teacher) -> QuerySet[ProposedClass]:
    """The proposed classes a teacher has not answered yet: what a teacher's page would list."""
    return (
        ProposedClass.objects.filter(
            teacher=teacher, status=ProposedClassStatus.PROPOSED, teacher_consent=Consent.PENDING
        )
        .select_related("category", "venue", "slot", "term")
        .order_by("slot__weekday", "slot__start", "pk")
    )


# --- thin demand: what a resident sees of the neighbours who wait with them (counts only, never names) ---


class Gathering(NamedTuple):
    """For one waiting order: other residents waiting for the same interest within the walking circle of its
    home, as the latest run's instance counted them, and how many more would reach the minimum class size."""

    neighbours: int
    missing: int


def gathering_for_orders(order_ids: Iterable[int]) -> dict[int, Gathering]:
    """The gathering count of each still-accepted order a run left unplaced, by order id. One query.

    The count comes from the run's own instance (the same orders the solver saw, within the walking
    circle), so it never reaches beyond the circle nor names anyone.
    """
    rows = UnassignedOrder.objects.filter(
        order_id__in=list(order_ids),
        latest=True,
        neighbours__isnull=False,
        min_size__isnull=False,
        order__status=OrderStatus.ACCEPTED,
    ).values_list("order_id", "neighbours", "min_size")
    return {pk: Gathering(n, max(0, size - n - 1)) for pk, n, size in rows}


def near_miss_questions(*, user) -> dict[int, list]:
    """The near-miss questions waiting for `user`'s answer, by order id. One query."""
    out: dict[int, list] = {}
    for member in (
        NearMissMember.objects.filter(
            order__resident=user, consent=MemberConsent.PENDING, near_miss__status=NearMissStatus.ASKING
        )
        .select_related("near_miss__category", "near_miss__venue", "near_miss__slot", "near_miss__group")
        .order_by("order_id", "near_miss_id")
    ):
        out.setdefault(member.order_id, []).append(member)
    return out


class NearMissRow(NamedTuple):
    """A near miss still open or asking its residents, for the unmet-demand page."""

    id: int
    community_id: int
    category_id: int
    relaxation: str
    status: str
    summary: str


def live_near_misses(
    *, community_ids: Iterable[int] | None = None, category_ids: Iterable[int] | None = None, limit: int = 200
) -> list[NearMissRow]:
    """Near misses staff can still act on (open, or asking residents), newest run first. One query."""
    from .near_miss import describe

    queryset = NearMiss.objects.filter(status__in=[NearMissStatus.OPEN, NearMissStatus.ASKING])
    if community_ids is not None:
        queryset = queryset.filter(community_id__in=sorted(community_ids))
    if category_ids is not None:
        queryset = queryset.filter(category_id__in=sorted(category_ids))
    rows = (
        queryset.select_related("category", "slot", "group")
        .annotate(
            n_base=Count("members", filter=Q(members__extra=False)),
            n_extra=Count("members", filter=Q(members__extra=True)),
        )
        .order_by("-run__created", "id")[:limit]
    )
    return [
        NearMissRow(
            n.pk,
            n.community_id,
            n.category_id,
            n.relaxation,
            n.status,
            describe(n, base=n.n_base, extra=n.n_extra),
        )
        for n in rows
    ]
