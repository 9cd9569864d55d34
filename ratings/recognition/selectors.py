"""Reads of recognition rounds: candidates with their figures, the totals once voting is over, the 榜样 wall
and the badges of the recognised."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from ..enums import Decision, RoundStatus, StoryStatus
from ..models import Candidate, Objection, RecognitionRound, Vote
from . import figures
from .services import may_manage, voting_over


def rounds() -> QuerySet[RecognitionRound]:
    """Every round, newest first (rounds are public notices: anyone may read them)."""
    return RecognitionRound.objects.select_related("term", "district", "street").order_by("-created", "-id")


def round_detail(*, pk: int) -> RecognitionRound:
    return rounds().prefetch_related("categories").get(pk=pk)


def candidates(*, round: RecognitionRound) -> QuerySet[Candidate]:
    return (
        Candidate.objects.filter(round=round)
        .select_related("category", "teacher", "group", "person", "community")
        .order_by("category__sort_order", "category_id", "id")
    )


@dataclass
class CandidateLine:
    candidate: Candidate
    figures: dict
    votes: int | None  # None while totals are hidden


def candidate_lines(
    *, round: RecognitionRound, viewer=None, now: datetime | None = None
) -> list[CandidateLine]:
    """The round's candidates with the figures beside each (computed, per category one query per provider)
    and, once totals may be shown (`totals_visible`), their votes."""
    items = list(candidates(round=round))
    area = figures.Area.of(round)
    by_kind: dict[str, set[int]] = defaultdict(set)
    for c in items:
        by_kind[c.category.kind].add(c.subject_id)
    computed = {
        kind: {row.subject.id: row.figures for row in figures.figures(kind, area, ids)}
        for kind, ids in by_kind.items()
    }
    totals = vote_totals(round=round) if totals_visible(round=round, viewer=viewer, now=now) else None
    return [
        CandidateLine(
            candidate=c,
            figures=computed.get(c.category.kind, {}).get(c.subject_id, {}),
            votes=None if totals is None else totals.get(c.pk, 0),
        )
        for c in items
    ]


def totals_visible(*, round: RecognitionRound, viewer=None, now: datetime | None = None) -> bool:
    """No running totals: the public sees them after the close, the round's staff once voting is over."""
    if round.status == RoundStatus.CLOSED:
        return True
    return viewer is not None and voting_over(round, now) and may_manage(viewer, round)


def vote_totals(*, round: RecognitionRound) -> dict[int, int]:
    rows = Vote.objects.filter(round=round).values("candidate_id").order_by().annotate(n=Count("id"))
    return {row["candidate_id"]: row["n"] for row in rows}


def my_votes(*, round: RecognitionRound, user) -> dict[int, int]:
    """Category id → the candidate `user` voted for."""
    if not user.is_authenticated:
        return {}
    return dict(Vote.objects.filter(round=round, voter=user).values_list("category_id", "candidate_id"))


def objections(*, round: RecognitionRound) -> QuerySet[Objection]:
    return (
        Objection.objects.filter(candidate__round=round)
        .select_related("candidate", "raised_by")
        .order_by("created", "id")
    )


def published_q(prefix: str = "") -> Q:
    """A winner on the 榜样 wall: recognised in a closed round, their story approved by them."""
    return Q(
        **{
            f"{prefix}decision": Decision.WON,
            f"{prefix}round__status": RoundStatus.CLOSED,
            f"{prefix}story_status": StoryStatus.APPROVED,
        }
    )


def wall(*, district_id: int | None = None) -> QuerySet[Candidate]:
    """The 榜样 wall: published winners, the latest rounds first."""
    qs = Candidate.objects.filter(published_q())
    if district_id is not None:
        qs = qs.filter(Q(round__district_id=district_id) | Q(round__street__district_id=district_id))
    return qs.select_related("round", "category", "teacher", "group", "person", "community").order_by(
        "-round__closed_at", "category__sort_order", "id"
    )


@dataclass(frozen=True)
class Badge:
    title: str  # the category's name
    round: str


def badges(
    *, teacher_ids=(), group_ids=(), person_ids=(), teacher_user_ids=()
) -> dict[tuple[str, int], list[Badge]]:
    """Badges of the recognised, for profiles, classes and groups: ("teacher"|"group"|"person", id) → badges
    (`teacher_user_ids`: the teachers who sign in as these users, for a profile page). Winners of closed
    rounds that give a badge (whether or not their story is published). One query."""
    wanted = (
        Q(teacher_id__in=list(teacher_ids))
        | Q(group_id__in=list(group_ids))
        | Q(person_id__in=list(person_ids))
        | Q(teacher__user_id__in=list(teacher_user_ids))
    )
    rows = (
        Candidate.objects.filter(
            wanted, decision=Decision.WON, round__status=RoundStatus.CLOSED, round__gives_badge=True
        )
        .order_by("-round__closed_at", "id")
        .values_list("teacher_id", "group_id", "person_id", "category__name", "round__title")
    )
    out: dict[tuple[str, int], list[Badge]] = defaultdict(list)
    for teacher_id, group_id, person_id, name, title in rows:
        key = (
            ("teacher", teacher_id)
            if teacher_id
            else ("group", group_id)
            if group_id
            else ("person", person_id)
        )
        out[key].append(Badge(title=name, round=title))
    return dict(out)


def area_figures(*, round: RecognitionRound) -> dict[int, list[figures.Row]]:
    """Category id → every eligible subject of the round's area with its figures (the candidates the data
    suggests, before staff choose). One query per provider and kind, whatever the area's size."""
    area = figures.Area.of(round)
    by_kind: dict[str, list[figures.Row]] = {}
    out = {}
    for category in round.categories.all():
        if category.kind not in by_kind:
            by_kind[category.kind] = sorted(figures.figures(category.kind, area), key=figures.rank_key)
        out[category.pk] = by_kind[category.kind]
    return out
