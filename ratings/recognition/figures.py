"""The figures shown beside each candidate: computed from the data by providers, never typed in.

A category's kind (teacher, group, volunteer, resident) decides who is eligible in the round's area and
which providers give figures. Each provider answers one figure for many subjects in one query (a GROUP BY
over the round's term and area), so the figures of a whole district round cost a query per provider and
kind, whatever the number of teachers, groups or residents.

Other figures join by adding a provider to `PROVIDERS`: the selectors compose whatever providers there are
for a kind, so a figure that does not exist for a kind is simply not shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.enums import Role
from accounts.models import Community, User
from activities.enums import ShowcaseStatus, VolunteerShiftStatus
from activities.models import Attendance, Session, Showcase, Term, VolunteerShift, held_q
from interests.models import GroupMembership, InterestGroup
from teachers.models import Teacher

from .. import scores
from ..enums import CandidateKind
from ..models import RecognitionRound


@dataclass(frozen=True)
class Area:
    """A round's area and term, as the providers filter on them."""

    term_id: int
    district_id: int | None = None
    street_id: int | None = None

    @classmethod
    def of(cls, round: RecognitionRound) -> Area:
        return cls(term_id=round.term_id, district_id=round.district_id, street_id=round.street_id)

    def q(self, path: str) -> Q:
        """Rows whose community (at `path`) lies in the area."""
        if self.street_id is not None:
            return Q(**{f"{path}__street_id": self.street_id})
        return Q(**{f"{path}__street__district_id": self.district_id})

    def communities(self) -> QuerySet[Community]:
        if self.street_id is not None:
            return Community.objects.filter(street_id=self.street_id)
        return Community.objects.filter(street__district_id=self.district_id)

    def covers(self, community: Community | None) -> bool:
        if community is None:
            return False
        if self.street_id is not None:
            return community.street_id == self.street_id
        return Community.objects.filter(pk=community.pk, street__district_id=self.district_id).exists()


@dataclass(frozen=True)
class Subject:
    """Someone who may be a candidate: a teacher, a group or a person (volunteer or resident)."""

    id: int
    name: str
    community_id: int | None


@dataclass(frozen=True)
class Provider:
    key: str
    label: str
    kinds: frozenset[str]
    compute: Callable[[str, Area, list[int] | None], dict[int, float | int | None]]


@dataclass
class Row:
    """A subject and its figures, in the providers' order."""

    subject: Subject
    figures: dict[str, float | int | None] = field(default_factory=dict)


# --- Eligibility: who may be a candidate of each kind in an area -------------------------------------------


def eligible(kind: str, area: Area, ids: Iterable[int] | None = None) -> list[Subject]:
    """The subjects of `kind` living or working in `area` (restricted to `ids` when given). One query.

    Residents and volunteers are many (250,000 in a district): without `ids` only those with a figure are
    candidates from the data, so the caller passes the ids the providers found.
    """
    if kind == CandidateKind.TEACHER:
        qs = Teacher.objects.filter(area.q("community")).values_list("pk", "name", "community_id")
    elif kind == CandidateKind.GROUP:
        qs = InterestGroup.objects.filter(area.q("community"), is_active=True).values_list(
            "pk", "name", "community_id"
        )
    else:
        qs = User.objects.filter(area.q("profile__community"), is_active=True)
        if kind == CandidateKind.VOLUNTEER:
            qs = qs.filter(roles__role=Role.VOLUNTEER)
        qs = qs.values_list("pk", "name", "profile__community_id")
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return [
        Subject(id=pk, name=name, community_id=community_id) for pk, name, community_id in qs.order_by("pk")
    ]


# --- Providers ----------------------------------------------------------------------------------------------

_SUBJECT_PATH = {CandidateKind.TEACHER: "course__teacher_id", CandidateKind.GROUP: "course__group_id"}


def _held_sessions(kind: str, area: Area, ids: list[int] | None) -> dict[int, int]:
    """Held meetings of the term's classes in the area, per teacher (sessions taught) or group."""
    path = _SUBJECT_PATH[kind]
    qs = Session.objects.filter(held_q(), area.q("course__community"), course__term_id=area.term_id)
    if ids is not None:
        qs = qs.filter(**{f"{path}__in": ids})
    rows = qs.exclude(**{f"{path}__isnull": True}).values(path).order_by().annotate(n=Count("id"))
    return {row[path]: row["n"] for row in rows}


def _attendance(kind: str, area: Area, ids: list[int] | None) -> dict[int, int]:
    """Attendances at held meetings of the term in the area: per teacher or group (residents taught), or per
    resident (meetings attended)."""
    path = {**_SUBJECT_PATH, CandidateKind.RESIDENT: "resident_id", CandidateKind.VOLUNTEER: "resident_id"}[
        kind
    ]
    path = path if path == "resident_id" else f"session__{path}"
    qs = Attendance.objects.filter(
        held_q("session__"),
        area.q("session__course__community"),
        session__course__term_id=area.term_id,
        attended=True,
    )
    if ids is not None:
        qs = qs.filter(**{f"{path}__in": ids})
    rows = qs.values(path).order_by().annotate(n=Count("id"))
    return {row[path]: row["n"] for row in rows if row[path] is not None}


def _teacher_rating(kind: str, area: Area, ids: list[int] | None) -> dict[int, float | None]:
    """The one teacher rating (`ratings.scores.teacher_scores`): the recency-weighted mean, None below the minimum."""
    return {pk: score.weighted_mean for pk, score in scores.teacher_scores(teacher_ids=ids).items()}


def _members(kind: str, area: Area, ids: list[int] | None) -> dict[int, int]:
    qs = GroupMembership.objects.filter(area.q("group__community"))
    if ids is not None:
        qs = qs.filter(group_id__in=ids)
    return {row["group_id"]: row["n"] for row in qs.values("group_id").order_by().annotate(n=Count("id"))}


def _in_term(area: Area, moment: str) -> Q:
    """Whether the local day of `moment` falls in the round's term (subqueries, no extra query): showcases
    (and the hours helped at them) belong to an audience course that has no term, so their date places them."""
    term = Term.objects.filter(pk=area.term_id)
    return Q(
        **{
            f"{moment}__date__gte": Subquery(term.values("starts_on")[:1]),
            f"{moment}__date__lte": Subquery(term.values("ends_on")[:1]),
        }
    )


def _volunteer_hours(kind: str, area: Area, ids: list[int] | None) -> dict[int, float]:
    """Confirmed volunteer hours per person, at sessions of the term's classes in the area and at the area's
    showcases held in the term. Hours awaiting staff do not count."""
    qs = VolunteerShift.objects.filter(
        Q(session__course__term_id=area.term_id)
        | (Q(session__course__term__isnull=True) & _in_term(area, "session__starts_at")),
        area.q("session__course__community"),
        status=VolunteerShiftStatus.CONFIRMED,
    )
    if ids is not None:
        qs = qs.filter(volunteer_id__in=ids)
    rows = qs.values("volunteer_id").order_by().annotate(total=Sum("hours"))
    return {row["volunteer_id"]: float(row["total"]) for row in rows}


_SHOWCASE_PATH = {
    CandidateKind.TEACHER: "course__teacher_id",
    CandidateKind.GROUP: "group_id",
    CandidateKind.VOLUNTEER: "proposed_by_id",
    CandidateKind.RESIDENT: "proposed_by_id",
}


def _showcases(kind: str, area: Area, ids: list[int] | None) -> dict[int, int]:
    """Approved showcases held (over) in the term in the area: per group that showed its work, per teacher
    of the class that did, per person who led (proposed) it. The same showcases as the star rating's
    `showcases_held` indicator."""
    path = _SHOWCASE_PATH[kind]
    qs = Showcase.objects.filter(
        _in_term(area, "starts_at"),
        area.q("community"),
        status=ShowcaseStatus.APPROVED,
        ends_at__lte=timezone.now(),
    )
    if ids is not None:
        qs = qs.filter(**{f"{path}__in": ids})
    rows = qs.exclude(**{f"{path}__isnull": True}).values(path).order_by().annotate(n=Count("id"))
    return {row[path]: row["n"] for row in rows}


TEACHER, GROUP, VOLUNTEER, RESIDENT = (
    CandidateKind.TEACHER.value,
    CandidateKind.GROUP.value,
    CandidateKind.VOLUNTEER.value,
    CandidateKind.RESIDENT.value,
)

# Order matters: a kind's first figure ranks its data candidates (`rank_key`), so volunteers rank by hours.
PROVIDERS: tuple[Provider, ...] = (
    Provider("sessions", _("Sessions held"), frozenset({TEACHER, GROUP}), _held_sessions),
    Provider("volunteer_hours", _("Volunteer hours"), frozenset({VOLUNTEER}), _volunteer_hours),
    Provider("attendance", _("Attendances"), frozenset({TEACHER, GROUP, VOLUNTEER, RESIDENT}), _attendance),
    Provider("rating", _("Rating"), frozenset({TEACHER}), _teacher_rating),
    Provider("members", _("Members"), frozenset({GROUP}), _members),
    Provider("showcases", _("Showcases held"), frozenset({TEACHER, GROUP, VOLUNTEER}), _showcases),
)


def providers_for(kind: str) -> list[Provider]:
    return [p for p in PROVIDERS if kind in p.kinds]


def figures(kind: str, area: Area, ids: Iterable[int] | None = None) -> list[Row]:
    """Every subject of `kind` in `area` (or those of `ids`) with its figures; residents and volunteers only
    when they have a figure (or are named in `ids`). One query per provider, one for the subjects."""
    wanted = None if ids is None else sorted(set(ids))
    if wanted == []:
        return []
    computed = {p.key: p.compute(kind, area, wanted) for p in providers_for(kind)}
    if wanted is None and kind in (VOLUNTEER, RESIDENT):
        wanted = sorted({pk for values in computed.values() for pk, v in values.items() if v})
        if not wanted:
            return []
    rows = [Row(subject=s) for s in eligible(kind, area, wanted)]
    for row in rows:
        row.figures = {key: values.get(row.subject.id, _zero(key)) for key, values in computed.items()}
    return rows


def _zero(key: str):
    return None if key == "rating" else 0


def rank_key(row: Row) -> tuple:
    """Data candidates first by the kind's first figure, then the next ones (None last), then by id."""
    return tuple(-(v if v is not None else -1) for v in row.figures.values()) + (row.subject.id,)
