"""The two-way choice of policy talks (双选) in the five minutes before class (课前5分钟).

A department's liaison proposes a talk on an upcoming session; a community's staff invite a department to a
session of their community. The other side accepts or declines (with a reason). A session may collect several
offers, but only one talk is accepted for it: the database refuses a second one
(`policy_talk_one_accepted_per_session`), and the services say so first, under a lock on the session.

Writes: `policy_talk_propose`, `policy_talk_invite`, `policy_talk_accept`, `policy_talk_decline`.
Reads: `upcoming_sessions_for_talks`, `talks_visible_to`, `liaison_department_ids`, `talk_side_of`.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import Role
from accounts.models import Department, RoleAssignment, User
from accounts.selectors import scope_for
from community_college.errors import ConflictError, InvalidTransition, ScopeError

from .enums import ACCEPTED_TALK_STATUSES, PolicyTalkSide, PolicyTalkStatus, SessionStatus
from .models import PolicyTalk, Session

# --- reads ----------------------------------------------------------------------------------------------------


def liaison_department_ids(user: User) -> frozenset[int]:
    """The departments `user` speaks for as a liaison (cached on the user object for the request)."""
    cached = getattr(user, "_cc_liaison_departments", None)
    if cached is not None:
        return cached
    ids: frozenset[int] = frozenset()
    if user.is_authenticated and user.is_active:
        ids = frozenset(
            RoleAssignment.objects.filter(user=user, role=Role.DEPARTMENT_LIAISON).values_list(
                "department_id", flat=True
            )
        )
    user._cc_liaison_departments = ids
    return ids


def upcoming_sessions_for_talks(*, now=None) -> QuerySet[Session]:
    """Scheduled sessions still to come, with what a liaison needs to choose one, in one query.

    `has_accepted_talk` tells whether the session's five minutes are already taken.
    """
    now = now or timezone.now()
    accepted = PolicyTalk.objects.filter(session=OuterRef("pk"), status__in=ACCEPTED_TALK_STATUSES)
    return (
        Session.objects.filter(status=SessionStatus.SCHEDULED, starts_at__gt=now)
        .select_related("course__category", "course__community__street", "venue")
        .annotate(has_accepted_talk=Exists(accepted))
        .order_by("starts_at", "pk")
    )


def talks_visible_to(user: User, queryset: QuerySet[PolicyTalk] | None = None) -> QuerySet[PolicyTalk]:
    """The talks of the user's departments (as a liaison) and of the sessions in their scope (as staff)."""
    if queryset is None:
        queryset = PolicyTalk.objects.all()
    scope = scope_for(user)
    if scope.everything:
        return queryset
    condition = Q(department_id__in=liaison_department_ids(user))
    if scope.community_ids:
        condition |= Q(session__course__community_id__in=scope.community_ids)
    return queryset.filter(condition)


def talk_side_of(user: User, talk: PolicyTalk) -> str | None:
    """Which side of the two-way choice `user` acts on for `talk`: the department's, the community's, or none.

    A superuser answers for whichever side the talk waits on.
    """
    if user.is_superuser:
        return _other_side(talk.initiated_by)
    if talk.department_id in liaison_department_ids(user):
        return PolicyTalkSide.DEPARTMENT
    if scope_for(user).can_change_community(talk.session.course.community_id):
        return PolicyTalkSide.COMMUNITY
    return None


def _other_side(side: str) -> str:
    return PolicyTalkSide.COMMUNITY if side == PolicyTalkSide.DEPARTMENT else PolicyTalkSide.DEPARTMENT


# --- writes ---------------------------------------------------------------------------------------------------


def _locked_upcoming_session(session: Session) -> Session:
    # The session row is the lock every answer to its talks queues on: two acceptances of different
    # talks of one session cannot both see "nothing accepted yet".
    locked = Session.objects.select_for_update().select_related("course").get(pk=session.pk)
    if locked.status != SessionStatus.SCHEDULED or locked.starts_at <= timezone.now():
        raise ConflictError(_("This session is no longer upcoming."), code="session_not_upcoming")
    return locked


def _clean_topic(topic: str) -> str:
    topic = (topic or "").strip()
    if not topic:
        raise ConflictError(_("Give the topic of the talk."), code="topic_required")
    return topic


def _refuse_duplicate(session: Session, department: Department) -> None:
    open_statuses = (PolicyTalkStatus.PROPOSED, *ACCEPTED_TALK_STATUSES)
    if PolicyTalk.objects.filter(session=session, department=department, status__in=open_statuses).exists():
        raise ConflictError(
            _("%(department)s already has a talk offered or accepted on this session.")
            % {"department": department},
            code="duplicate",
        )


@transaction.atomic
def policy_talk_propose(
    *, session: Session, department: Department, topic: str, actor: User, speaker: str = ""
) -> PolicyTalk:
    """A department's liaison offers a five-minute talk on an upcoming session; the community answers."""
    if not actor.is_superuser and department.pk not in liaison_department_ids(actor):
        raise ScopeError(_("You may propose talks only for your own department."), code="scope")
    topic = _clean_topic(topic)
    locked = _locked_upcoming_session(session)
    _refuse_duplicate(locked, department)
    talk = PolicyTalk(
        session=locked,
        department=department,
        topic=topic,
        speaker=(speaker or "").strip(),
        initiated_by=PolicyTalkSide.DEPARTMENT,
        proposed_by=actor,
    )
    talk.full_clean()
    talk.save()
    return talk


@transaction.atomic
def policy_talk_invite(*, session: Session, department: Department, topic: str, actor: User) -> PolicyTalk:
    """A community's staff invite a department to give a talk on a session of their community."""
    locked = _locked_upcoming_session(session)
    if not actor.is_superuser and not scope_for(actor).can_change_community(locked.course.community_id):
        raise ScopeError(
            _("You may invite departments only to sessions of your own community."), code="scope"
        )
    topic = _clean_topic(topic)
    _refuse_duplicate(locked, department)
    talk = PolicyTalk(
        session=locked,
        department=department,
        topic=topic,
        initiated_by=PolicyTalkSide.COMMUNITY,
        proposed_by=actor,
    )
    talk.full_clean()
    talk.save()
    return talk


def _lock_for_answer(talk: PolicyTalk, actor: User) -> tuple[PolicyTalk, Session]:
    locked_session = _locked_upcoming_session(talk.session)
    locked = PolicyTalk.objects.select_for_update().select_related("department").get(pk=talk.pk)
    locked.session = locked_session
    if locked.status != PolicyTalkStatus.PROPOSED:
        raise InvalidTransition(
            _("This talk has already been answered (%(status)s).") % {"status": locked.get_status_display()},
            code="answered",
        )
    if talk_side_of(actor, locked) != _other_side(locked.initiated_by):
        # Whoever offered a talk cannot also accept it: that would not be a choice by both sides.
        raise ScopeError(_("Only the other side of the two-way choice may answer this talk."), code="scope")
    return locked, locked_session


@transaction.atomic
def policy_talk_accept(*, talk: PolicyTalk, actor: User, speaker: str = "") -> PolicyTalk:
    """The other side accepts: the talk opens the session, and is shown to its residents."""
    locked, session = _lock_for_answer(talk, actor)
    if PolicyTalk.objects.filter(session=session, status__in=ACCEPTED_TALK_STATUSES).exists():
        raise ConflictError(_("Another talk is already accepted for this session."), code="taken")
    locked.status = PolicyTalkStatus.CONFIRMED
    locked.answered_by = actor
    locked.answered_at = timezone.now()
    fields = ["status", "answered_by", "answered_at"]
    if speaker.strip():
        locked.speaker = speaker.strip()[:60]
        fields.append("speaker")
    try:
        with transaction.atomic():
            locked.save(update_fields=fields)
    except IntegrityError as exc:
        # The lock makes this unreachable between our own services; a raw write elsewhere could still race.
        raise ConflictError(_("Another talk is already accepted for this session."), code="taken") from exc
    return locked


@transaction.atomic
def policy_talk_decline(*, talk: PolicyTalk, actor: User, reason: str) -> PolicyTalk:
    """The other side declines, saying why: the proposer reads the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ConflictError(_("Give a reason for declining the talk."), code="reason_required")
    locked, _session = _lock_for_answer(talk, actor)
    locked.status = PolicyTalkStatus.DECLINED
    locked.answered_by = actor
    locked.answered_at = timezone.now()
    locked.decline_reason = reason[:200]
    locked.save(update_fields=["status", "answered_by", "answered_at", "decline_reason"])
    return locked
