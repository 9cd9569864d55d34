"""Demo recognition (榜样评选) for `seed_demo`: a closed district round with winners on the 榜样 wall, and an
open street round in its public notice (公示) so the demo resident (张秀英) can vote.

Candidates are chosen by the figures selector (`ratings.recognition.figures`: the same figures the pages
show), so the demo's winners are the district's busiest teachers, groups and learners. Rows are written
directly (like the rest of the seed), in the states the services would leave them: decisions with reasons,
stories approved, nominations with reasons, votes from residents of the area, objections answered.
Its own random generator, so adding it changes nothing else the seed draws.
"""

from __future__ import annotations

import random
from datetime import timedelta

from accounts.enums import Role
from accounts.models import Community, RoleAssignment, User
from activities.models import Term
from ratings.enums import CandidateKind, CandidateSource, Decision, RoundStatus, StoryStatus
from ratings.models import Candidate, Nomination, Objection, RecognitionCategory, RecognitionRound, Vote
from ratings.recognition import figures

CATEGORIES = [
    ("优秀教师", CandidateKind.TEACHER, "本学期授课、出勤与学员评价俱佳的教师。"),
    ("优秀兴趣小组", CandidateKind.GROUP, "活动多、参与广、带动邻里的兴趣小组。"),
    ("学习之星", CandidateKind.RESIDENT, "坚持学习、出勤最多的居民。"),
]
REASONS = ["学员评价高，出勤率稳定", "带动邻里参与，活动丰富", "风雨无阻，坚持学习", "热心公益，乐于助人"]
STORIES = {
    CandidateKind.TEACHER: "{name}扎根社区课堂，把一门手艺教给了几百位邻居。学员说：跟着{name}学，心里踏实。",
    CandidateKind.GROUP: "{name}从几个人的小队起步，如今每周活动不断，还常在社区展演中登台。",
    CandidateKind.RESIDENT: "{name}几乎每节课都到，笔记记满了三本，还带着楼里的老伙伴一起来上课。",
}
FIELD = {
    CandidateKind.TEACHER: "teacher_id",
    CandidateKind.GROUP: "group_id",
    CandidateKind.RESIDENT: "person_id",
}


def _term(seeder) -> Term:
    """The district's term under way (or the latest one begun): the rounds recognise its work."""
    terms = Term.objects.filter(district=seeder.district)
    return terms.filter(starts_on__lte=seeder.today).order_by("-starts_on").first() or terms.order_by("starts_on").first()


def _round(seeder, *, title, term, district=None, street=None, opened_by, status, priority_days, invite):
    now = seeder.now
    notice_start = now - timedelta(days=20) if status == RoundStatus.CLOSED else now - timedelta(days=2)
    return RecognitionRound.objects.create(
        title=title,
        term=term,
        district=district,
        street=street,
        opened_by=opened_by,
        status=status,
        created=notice_start - timedelta(days=14),
        notice_starts_at=notice_start,
        notice_ends_at=notice_start + timedelta(days=7),
        closed_at=notice_start + timedelta(days=9) if status == RoundStatus.CLOSED else None,
        priority_days=priority_days,
        gives_showcase_invitation=invite,
    )


def _candidates(seeder, round, per_category: int) -> list[Candidate]:
    area = figures.Area.of(round)
    made = []
    for order, (name, kind, rules) in enumerate(CATEGORIES):
        category = RecognitionCategory.objects.create(
            round=round, name=name, kind=kind, rules=rules, winners=2, sort_order=order
        )
        rows = sorted(figures.figures(kind, area), key=figures.rank_key)[:per_category]
        made += Candidate.objects.bulk_create(
            [
                Candidate(
                    category=category,
                    round=round,
                    community_id=row.subject.community_id,
                    source=CandidateSource.DATA if i % 2 == 0 else CandidateSource.NOMINATION,
                    **{FIELD[kind]: row.subject.id},
                )
                for i, row in enumerate(rows)
                if row.subject.community_id is not None
            ]
        )
    return made


def _voters(round, limit: int, exclude: set[int]) -> list[int]:
    area = figures.Area.of(round)
    return list(
        User.objects.filter(area.q("profile__community"), is_active=True)
        .exclude(pk__in=exclude)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def _nominations_and_votes(seeder, rng, round, candidates, *, voters: list[int], when) -> None:
    Nomination.objects.bulk_create(
        [
            Nomination(candidate=c, nominator_id=rng.choice(voters), reason=rng.choice(REASONS), created=when)
            for c in candidates
            if c.source == CandidateSource.NOMINATION
        ],
        ignore_conflicts=True,
    )
    by_category: dict[int, list[Candidate]] = {}
    for c in candidates:
        by_category.setdefault(c.category_id, []).append(c)
    votes = []
    for voter in voters:
        for category_id, options in by_category.items():
            if rng.random() < 0.6:
                # Skewed towards the top of the figures, as residents know the busiest teachers and groups.
                pick = options[min(int(rng.expovariate(1.0)), len(options) - 1)]
                votes.append(
                    Vote(round=round, category_id=category_id, candidate=pick, voter_id=voter, created=when)
                )
    Vote.objects.bulk_create(votes, batch_size=5000)


def seed_recognition(seeder) -> None:
    rng = random.Random(f"recognition-{seeder.report.seed}")
    term = _term(seeder)
    if term is None:
        return
    street = Community.objects.select_related("street").get(pk=seeder.demo_community.id).street
    office = (
        RoleAssignment.objects.filter(role=Role.DISTRICT_OFFICE, district=seeder.district)
        .order_by("pk")
        .select_related("user")
        .first()
    )
    street_staff = RoleAssignment.objects.filter(role=Role.STREET_STAFF, street=street).order_by("pk").first()
    demo_resident = User.objects.filter(phone=seeder.accounts[0].phone).values_list("pk", flat=True).first()

    # 1. A closed district round: winners decided with reasons, stories approved, on the wall.
    closed = _round(
        seeder,
        title=f"{term.name}两江新区榜样评选",
        term=term,
        district=seeder.district,
        opened_by=office.user,
        status=RoundStatus.CLOSED,
        priority_days=3,
        invite=True,
    )
    candidates = _candidates(seeder, closed, per_category=6)
    voters = _voters(closed, 400, exclude=set())
    _nominations_and_votes(
        seeder, rng, closed, candidates, voters=voters, when=closed.notice_starts_at + timedelta(days=1)
    )
    decided_at = closed.notice_ends_at + timedelta(hours=20)
    winners, others = [], []
    seen: dict[int, int] = {}
    for c in candidates:
        seen[c.category_id] = seen.get(c.category_id, 0) + 1
        (winners if seen[c.category_id] <= 2 else others).append(c)
    kinds = {cat.pk: cat.kind for cat in closed.categories.all()}
    names = {
        c.pk: c.name
        for c in Candidate.objects.filter(round=closed).select_related("teacher", "group", "person")
    }
    for c in winners:
        c.decision, c.decision_reason = Decision.WON, "公示期满、无异议，票数与各项数据均居前列"
        c.story = STORIES[kinds[c.category_id]].format(name=names[c.pk])
        c.story_status, c.story_answered_at = StoryStatus.APPROVED, decided_at + timedelta(days=1)
    for c in others:
        c.decision, c.decision_reason = Decision.NOT_CHOSEN, "名额有限，本轮未入选"
    for c in candidates:
        c.decided_by, c.decided_at = office.user, decided_at
    Candidate.objects.bulk_update(
        candidates,
        [
            "decision",
            "decision_reason",
            "decided_by",
            "decided_at",
            "story",
            "story_status",
            "story_answered_at",
        ],
    )
    if candidates and voters:
        Objection.objects.create(
            candidate=candidates[0],
            raised_by_id=voters[-1],
            reason="想了解评选依据。",
            created=closed.notice_starts_at + timedelta(days=2),
            answer="依据为本学期授课、出勤与评价数据及居民投票，详见公示。",
            answered_by=office.user,
            answered_at=closed.notice_starts_at + timedelta(days=3),
        )

    # 2. An open street round in its public notice: the demo resident has not voted yet.
    if street_staff is None:
        return
    open_round = _round(
        seeder,
        title=f"{term.name}{street.name}榜样评选",
        term=term,
        street=street,
        opened_by=street_staff.user,
        status=RoundStatus.NOTICE,
        priority_days=0,
        invite=False,
    )
    candidates = _candidates(seeder, open_round, per_category=4)
    voters = _voters(open_round, 150, exclude={demo_resident} if demo_resident else set())
    if voters:
        _nominations_and_votes(
            seeder,
            rng,
            open_round,
            candidates,
            voters=voters,
            when=open_round.notice_starts_at + timedelta(hours=6),
        )
