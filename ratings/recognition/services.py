"""Writes of a recognition round (榜样评选): open it, candidates from the figures and from nominations, the
public notice (公示) with votes and objections, staff decisions, the winners' stories, the honours (礼遇).

Every step is here; the pages, the admin and the API call these. Refusals are ConflictError (409) or
ScopeError (403) with a translated message, raised before anything is written.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import Role
from accounts.models import District, RoleAssignment, Street, User
from accounts.selectors import scope_for
from activities.certificates import certificate_issue
from activities.enums import CertificateKind
from activities.models import Course, PriorityPass, Term
from community_college.errors import ConflictError, ScopeError
from interests.enums import GroupRole
from interests.models import GroupMembership, InterestGroup
from teachers.models import Teacher

from .. import signals
from ..enums import CandidateKind, CandidateSource, Decision, RoundStatus, StoryStatus
from ..models import Candidate, Nomination, Objection, RecognitionCategory, RecognitionRound, Vote
from . import figures

REASON_MAX = 500
# A winner with priority registration chooses up to this many classes.
PRIORITY_CLASSES_MAX = 3


# --- Who may do what -------------------------------------------------------------------------------------


def may_manage(actor: User, round: RecognitionRound) -> bool:
    """The level that opened the round runs it: the district office for a district round, the street's
    staff for a street round (and superusers)."""
    if not actor.is_authenticated or not actor.is_active:
        return False
    if actor.is_superuser:
        return True
    if round.district_id is not None:
        return RoleAssignment.objects.filter(
            user=actor, role=Role.DISTRICT_OFFICE, district_id=round.district_id
        ).exists()
    return RoleAssignment.objects.filter(
        user=actor, role=Role.STREET_STAFF, street_id=round.street_id
    ).exists()


def _require_manager(actor: User, round: RecognitionRound) -> None:
    if not may_manage(actor, round):
        raise ScopeError(_("Only the staff who opened this round's area may run it."), code="scope")


def lives_in_area(user: User, round: RecognitionRound) -> bool:
    profile = getattr(user, "profile", None) if user.is_authenticated else None
    return profile is not None and figures.Area.of(round).covers(profile.community)


def subject_person(candidate: Candidate) -> User | None:
    """The person who answers for a candidate (approves the story, holds the honours): the teacher's user,
    the group's leader, or the person."""
    if candidate.person_id:
        return candidate.person
    if candidate.teacher_id:
        return candidate.teacher.user
    leader = (
        GroupMembership.objects.filter(group_id=candidate.group_id, role=GroupRole.LEADER)
        .select_related("user")
        .first()
    )
    return leader.user if leader else None


# --- Opening a round ---------------------------------------------------------------------------------------


@transaction.atomic
def round_open(
    *,
    actor: User,
    title: str,
    term: Term,
    categories: list[dict],
    district: District | None = None,
    street: Street | None = None,
    gives_certificate: bool = True,
    gives_badge: bool = True,
    priority_days: int = 0,
    gives_showcase_invitation: bool = False,
) -> RecognitionRound:
    """Open a round for `district` or `street` with its categories ({name, kind, rules, winners}) and honours."""
    round = RecognitionRound(
        title=title.strip(),
        term=term,
        district=district,
        street=street,
        opened_by=actor,
        gives_certificate=gives_certificate,
        gives_badge=gives_badge,
        priority_days=priority_days,
        gives_showcase_invitation=gives_showcase_invitation,
    )
    round.full_clean()
    _require_manager(actor, round)
    if not categories:
        raise ConflictError(_("A round needs at least one category."), code="no_categories")
    round.save()
    for order, spec in enumerate(categories):
        category = RecognitionCategory(round=round, sort_order=order, **spec)
        category.full_clean()
        category.save()
    return round


# --- Candidates: from the figures, from nominations ---------------------------------------------------------


def _subject(kind: str, subject_id: int):
    """(field name, object, community) of the subject a candidate of `kind` names; None when there is none."""
    if kind == CandidateKind.TEACHER:
        teacher = Teacher.objects.select_related("community").filter(pk=subject_id).first()
        return ("teacher", teacher, teacher.community) if teacher else None
    if kind == CandidateKind.GROUP:
        group = (
            InterestGroup.objects.select_related("community").filter(pk=subject_id, is_active=True).first()
        )
        return ("group", group, group.community) if group else None
    person = User.objects.select_related("profile__community").filter(pk=subject_id, is_active=True).first()
    if person is None or getattr(person, "profile", None) is None:
        return None
    if kind == CandidateKind.VOLUNTEER and not person.roles.filter(role=Role.VOLUNTEER).exists():
        return None
    return ("person", person, person.profile.community)


def _candidate_for(
    *, category: RecognitionCategory, field: str, subject, community, source: str
) -> Candidate:
    existing = Candidate.objects.filter(category=category, **{field: subject}).first()
    if existing is not None:
        return existing
    candidate = Candidate(
        category=category, round_id=category.round_id, community=community, source=source, **{field: subject}
    )
    candidate.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            candidate.save()
    except IntegrityError:
        return Candidate.objects.get(category=category, **{field: subject})
    return candidate


def _require_status(round: RecognitionRound, status: str, message: str, code: str) -> None:
    if round.status != status:
        raise ConflictError(message, code=code)


@transaction.atomic
def candidates_from_data(*, category: RecognitionCategory, actor: User, limit: int = 10) -> list[Candidate]:
    """The `limit` subjects of the category's kind with the best figures in the round's area become
    candidates (existing candidates stay)."""
    round = category.round
    _require_manager(actor, round)
    _require_status(
        round,
        RoundStatus.NOMINATING,
        _("Candidates are added only while nominations are open."),
        "round_not_nominating",
    )
    rows = sorted(figures.figures(category.kind, figures.Area.of(round)), key=figures.rank_key)
    field = {CandidateKind.TEACHER: "teacher", CandidateKind.GROUP: "group"}.get(category.kind, "person")
    model = {"teacher": Teacher, "group": InterestGroup, "person": User}[field]
    chosen = rows[:limit]
    objects = model.objects.in_bulk([row.subject.id for row in chosen])
    return [
        _candidate_for(
            category=category,
            field=field,
            subject=objects[row.subject.id],
            community=_community(row.subject.community_id),
            source=CandidateSource.DATA,
        )
        for row in chosen
        if row.subject.community_id is not None
    ]


def _community(pk: int):
    from accounts.models import Community

    return Community.objects.get(pk=pk)


@transaction.atomic
def nomination_create(
    *, category: RecognitionCategory, nominator: User, subject_id: int, reason: str
) -> Nomination:
    """A nomination by staff (in whose scope the nominee is) or by a resident of the round's area, with a
    reason of at most 500 characters. The nominee must be in the round's area."""
    round = category.round
    _require_status(
        round, RoundStatus.NOMINATING, _("Nominations for this round are closed."), "round_not_nominating"
    )
    reason = (reason or "").strip()
    if not reason:
        raise ConflictError(_("Say why you nominate them."), code="reason_required")
    if len(reason) > REASON_MAX:
        raise ConflictError(_("The reason is limited to 500 characters."), code="reason_too_long")
    found = _subject(category.kind, subject_id)
    if found is None:
        raise ConflictError(
            _("There is no %(kind)s with this id.") % {"kind": CandidateKind(category.kind).label},
            code="no_such_nominee",
        )
    field, subject, community = found
    if not figures.Area.of(round).covers(community):
        raise ConflictError(
            _("Only someone of this round's area can be nominated."), code="nominee_outside_area"
        )
    scope = scope_for(nominator)
    by_staff = not scope.is_empty
    if by_staff and not scope.covers(community.pk):
        raise ScopeError(_("Staff nominate only within their own communities."), code="scope")
    if not by_staff and not lives_in_area(nominator, round):
        raise ConflictError(
            _("Only residents of this round's area may nominate."), code="nominator_outside_area"
        )
    candidate = _candidate_for(
        category=category,
        field=field,
        subject=subject,
        community=community,
        source=CandidateSource.NOMINATION,
    )
    nomination = Nomination(candidate=candidate, nominator=nominator, reason=reason, by_staff=by_staff)
    nomination.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            nomination.save()
    except IntegrityError:
        raise ConflictError(
            _("You have already nominated this candidate."), code="already_nominated"
        ) from None
    return nomination


# --- 公示: the public notice, votes and objections ---------------------------------------------------------


@transaction.atomic
def round_start_notice(
    *, round: RecognitionRound, actor: User, days: int | None = None, now: datetime | None = None
) -> RecognitionRound:
    """Close nominations and open the public notice (公示) for `days` (RECOGNITION_NOTICE_DAYS by default)."""
    locked = RecognitionRound.objects.select_for_update().get(pk=round.pk)
    _require_manager(actor, locked)
    _require_status(
        locked, RoundStatus.NOMINATING, _("The public notice has already started."), "round_not_nominating"
    )
    if not Candidate.objects.filter(round=locked).exists():
        raise ConflictError(_("A round needs candidates before its public notice."), code="no_candidates")
    now = now or timezone.now()
    days = settings.RECOGNITION_NOTICE_DAYS if days is None else days
    if days < 1:
        raise ConflictError(_("The public notice lasts at least one day."), code="notice_too_short")
    locked.status = RoundStatus.NOTICE
    locked.notice_starts_at = now
    locked.notice_ends_at = now + timedelta(days=days)
    locked.save(update_fields=["status", "notice_starts_at", "notice_ends_at"])
    return locked


def voting_open(round: RecognitionRound, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        round.status == RoundStatus.NOTICE and round.notice_ends_at is not None and now < round.notice_ends_at
    )


def voting_over(round: RecognitionRound, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return round.status == RoundStatus.CLOSED or (
        round.status == RoundStatus.NOTICE
        and round.notice_ends_at is not None
        and now >= round.notice_ends_at
    )


def vote_cast(*, candidate: Candidate, voter: User, now: datetime | None = None) -> Vote:
    """A resident of the round's area votes for `candidate`: once per category of the round.

    The unique constraint (round, category, voter) counts the vote: two simultaneous votes of one resident
    insert one row, and the other gets the same refusal as a second vote.
    """
    round = candidate.round
    if not voting_open(round, now):
        raise ConflictError(_("Voting is open only during the public notice."), code="voting_closed")
    if not lives_in_area(voter, round):
        raise ConflictError(_("Only residents of this round's area may vote."), code="voter_outside_area")
    vote = Vote(round_id=round.pk, category_id=candidate.category_id, candidate=candidate, voter=voter)
    try:
        with transaction.atomic():
            vote.save()
    except IntegrityError:
        raise ConflictError(_("You have already voted in this category."), code="already_voted") from None
    return vote


@transaction.atomic
def objection_raise(
    *, candidate: Candidate, resident: User, reason: str, now: datetime | None = None
) -> Objection:
    """An objection to a candidate during the public notice, by a resident of the area, with a reason."""
    round = candidate.round
    if not voting_open(round, now):
        raise ConflictError(_("Objections are raised during the public notice."), code="voting_closed")
    if not lives_in_area(resident, round):
        raise ConflictError(_("Only residents of this round's area may object."), code="voter_outside_area")
    reason = (reason or "").strip()
    if not reason:
        raise ConflictError(_("Say what the objection is."), code="reason_required")
    if len(reason) > REASON_MAX:
        raise ConflictError(_("The reason is limited to 500 characters."), code="reason_too_long")
    objection = Objection(candidate=candidate, raised_by=resident, reason=reason)
    objection.full_clean()
    objection.save()
    return objection


@transaction.atomic
def objection_answer(*, objection: Objection, actor: User, answer: str) -> Objection:
    """Staff answer an objection (each must be answered before the round can close)."""
    locked = Objection.objects.select_for_update().select_related("candidate__round").get(pk=objection.pk)
    _require_manager(actor, locked.candidate.round)
    if locked.candidate.round.status == RoundStatus.CLOSED:
        raise ConflictError(_("This round is closed."), code="round_closed")
    answer = (answer or "").strip()
    if not answer:
        raise ConflictError(_("Write the answer to the objection."), code="answer_required")
    locked.answer, locked.answered_by, locked.answered_at = answer, actor, timezone.now()
    locked.full_clean()
    locked.save(update_fields=["answer", "answered_by", "answered_at"])
    return locked


# --- Decisions and the close --------------------------------------------------------------------------------


@transaction.atomic
def candidate_decide(
    *, candidate: Candidate, actor: User, won: bool, reason: str, now: datetime | None = None
) -> Candidate:
    """Staff decide a candidate once voting is over, with the reason recorded; no more winners than places."""
    locked = Candidate.objects.select_for_update().select_related("round", "category").get(pk=candidate.pk)
    round = locked.round
    _require_manager(actor, round)
    if round.status == RoundStatus.CLOSED:
        raise ConflictError(_("This round is closed."), code="round_closed")
    if not voting_over(round, now):
        raise ConflictError(_("Decisions are made after the public notice ends."), code="voting_not_over")
    reason = (reason or "").strip()
    if not reason:
        raise ConflictError(_("Record the reason for the decision."), code="reason_required")
    if won:
        # The category's row serialises decisions in it, so two staff cannot both fill the last place.
        category = RecognitionCategory.objects.select_for_update().get(pk=locked.category_id)
        taken = (
            Candidate.objects.filter(category=category, decision=Decision.WON).exclude(pk=locked.pk).count()
        )
        if taken >= category.winners:
            raise ConflictError(
                _("This category has %(n)d places, all taken.") % {"n": category.winners}, code="places_taken"
            )
    locked.decision = Decision.WON if won else Decision.NOT_CHOSEN
    locked.decision_reason = reason
    locked.decided_by = actor
    locked.decided_at = now or timezone.now()
    locked.full_clean(validate_constraints=False)
    locked.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
    return locked


@transaction.atomic
def round_close(*, round: RecognitionRound, actor: User, now: datetime | None = None) -> RecognitionRound:
    """Close the round after the public notice, once every objection is answered; winners and their
    nominators are told (a signal, ids only), and certificates go out where the round gives them."""
    locked = RecognitionRound.objects.select_for_update().get(pk=round.pk)
    _require_manager(actor, locked)
    _require_status(
        locked, RoundStatus.NOTICE, _("Only a round in its public notice can close."), "round_not_in_notice"
    )
    if not voting_over(locked, now):
        raise ConflictError(_("The public notice has not ended yet."), code="voting_not_over")
    open_objections = Objection.objects.filter(candidate__round=locked, answered_at__isnull=True).count()
    if open_objections:
        raise ConflictError(
            _("%(n)d objections still wait for an answer.") % {"n": open_objections},
            code="objections_unanswered",
        )
    locked.status = RoundStatus.CLOSED
    locked.closed_at = now or timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    if locked.gives_certificate:
        for winner in _winners(locked):
            winner_certificate(candidate=winner)
    signals.recognition_round_closed.send(sender=None, round_id=locked.pk)
    return locked


def _winners(round: RecognitionRound) -> list[Candidate]:
    return list(
        Candidate.objects.filter(round=round, decision=Decision.WON)
        .select_related(
            "round__term",
            "round__street",
            "round__district",
            "category",
            "teacher__user",
            "person",
            "group",
            "community",
        )
        .order_by("id")
    )


def winner_certificate(*, candidate: Candidate):
    """The recognition certificate of a winner (the one certificate service), for the person who answers
    for the candidate; idempotent per round and category. None when nobody answers (a group without a leader)."""
    holder = subject_person(candidate)
    if holder is None:
        return None
    round, category = candidate.round, candidate.category
    return certificate_issue(
        kind=CertificateKind.RECOGNITION,
        holder=holder,
        subject=f"round:{round.pk}:category:{category.pk}",
        title=category.name,
        holder_name=candidate.name,
        college_name=str(round.area),
        course_title=round.title,
        period_start=round.term.starts_on,
        period_end=round.term.ends_on,
        term=round.term,
    )


# --- Stories and honours ------------------------------------------------------------------------------------


def _require_winner(candidate: Candidate) -> None:
    if candidate.decision != Decision.WON:
        raise ConflictError(_("Only a recognised candidate has a story and honours."), code="not_a_winner")


@transaction.atomic
def story_write(*, candidate: Candidate, actor: User, story: str) -> Candidate:
    """Staff write a winner's story; it waits for the person's approval (a rewrite asks again)."""
    locked = Candidate.objects.select_for_update().select_related("round").get(pk=candidate.pk)
    _require_manager(actor, locked.round)
    _require_winner(locked)
    story = (story or "").strip()
    if not story:
        raise ConflictError(_("Write the story."), code="story_required")
    locked.story, locked.story_status, locked.story_answered_at = story, StoryStatus.AWAITING, None
    locked.full_clean(validate_constraints=False)
    locked.save(update_fields=["story", "story_status", "story_answered_at"])
    signals.recognition_story_written.send(sender=None, candidate_id=locked.pk)
    return locked


@transaction.atomic
def story_answer(*, candidate: Candidate, person: User, approve: bool) -> Candidate:
    """The recognised person approves the publication of their story on the wall, or declines it."""
    locked = (
        Candidate.objects.select_for_update(of=("self",))
        .select_related("teacher__user", "person")
        .get(pk=candidate.pk)
    )
    _require_winner(locked)
    holder = subject_person(locked)
    if holder is None or holder.pk != person.pk:
        raise ScopeError(_("Only the recognised person answers for their story."), code="scope")
    if locked.story_status not in (StoryStatus.AWAITING, StoryStatus.APPROVED, StoryStatus.DECLINED):
        raise ConflictError(_("There is no story to approve yet."), code="no_story")
    locked.story_status = StoryStatus.APPROVED if approve else StoryStatus.DECLINED
    locked.story_answered_at = timezone.now()
    locked.save(update_fields=["story_status", "story_answered_at"])
    return locked


@transaction.atomic
def priority_pass_claim(*, candidate: Candidate, holder: User, course: Course) -> PriorityPass:
    """A winner of a round that gives priority registration chooses a class of the round's area: they may
    register for it `priority_days` before everyone (enforced by the registration service)."""
    locked = (
        Candidate.objects.select_for_update(of=("self",))
        .select_related("round", "category", "teacher__user", "person")
        .get(pk=candidate.pk)
    )
    _require_winner(locked)
    round = locked.round
    if round.status != RoundStatus.CLOSED or not round.gives_priority:
        raise ConflictError(_("This round gives no priority registration."), code="no_priority")
    person = subject_person(locked)
    if person is None or person.pk != holder.pk:
        raise ScopeError(_("Only the recognised person chooses their classes."), code="scope")
    if not figures.Area.of(round).covers(course.community):
        raise ConflictError(_("Choose a class of this round's area."), code="course_outside_area")
    if (
        PriorityPass.objects.filter(
            holder=holder, reason__startswith=_pass_reason_prefix(locked) + " "
        ).count()
        >= PRIORITY_CLASSES_MAX
    ):
        raise ConflictError(
            _("You may choose up to %(n)d classes.") % {"n": PRIORITY_CLASSES_MAX}, code="priority_limit"
        )
    existing = PriorityPass.objects.filter(holder=holder, course=course).first()
    if existing is not None:
        return existing
    granted = PriorityPass(
        holder=holder,
        course=course,
        days_early=round.priority_days,
        reason=f"{_pass_reason_prefix(locked)} {round.title} · {locked.category.name}"[:200],
    )
    granted.full_clean(validate_constraints=False)
    granted.save()
    return granted


def _pass_reason_prefix(candidate: Candidate) -> str:
    # The pass lives below ratings (activities) and names its origin in text: "recognition#<candidate id>".
    return f"recognition#{candidate.pk}"
