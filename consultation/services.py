"""Writes of 协商议事: raise (说事) → support, comment → triage → deliberation (议事) → decisions carried out
(办成事) → residents confirm. Every step is a function here; the portal, the admin, the API and the beat
tasks call the same ones, and each step writes the matter's public timeline and announces itself to the
notices (after commit) through `consultation.signals.matter_events`, which notices listens to.

Who may do what:
- residents raise matters in their home community, support and comment on its matters, confirm the
  outcome of matters they raised or support; staff may raise for a resident of their scope (by phone);
- community staff (and street staff above them) triage, hold meetings and record decisions;
- a department liaison answers matters referred to their department and reports progress on the
  decisions their department owns; the district office reads and changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Department, User
from accounts.selectors import scope_for
from community_college.errors import ConflictError, InvalidTransition, ScopeError

from . import selectors, signals
from .enums import (
    AWAITING_ANSWER,
    OPEN_STATUSES,
    Channel,
    CommentStatus,
    DecisionStatus,
    EventKind,
    Level,
    MatterStatus,
    MeetingStatus,
    Outcome,
    OwnerKind,
    ParticipantKind,
    PhotoStatus,
    ReportReason,
    VoteChoice,
)
from .models import (
    Comment,
    CommentReport,
    Confirmation,
    Decision,
    DecisionUpdate,
    Matter,
    MatterCategory,
    MatterEvent,
    MatterPhoto,
    Meeting,
    Participant,
    Support,
    Vote,
)
from .workdays import add_working_days


def answer_working_days() -> int:
    return int(getattr(settings, "CONSULTATION_ANSWER_WORKING_DAYS", 5))


def referral_working_days() -> int:
    return int(getattr(settings, "CONSULTATION_REFERRAL_WORKING_DAYS", 10))


def confirm_days() -> int:
    return int(getattr(settings, "CONSULTATION_CONFIRM_DAYS", 14))


def reports_to_hide() -> int:
    return int(getattr(settings, "CONSULTATION_REPORTS_TO_HIDE", 3))


# --- helpers ---------------------------------------------------------------------------------------------


def _announce(event_ids: list[int]) -> None:
    """Steps of matters' timelines were written: listeners hear of them, and the dashboard's figures,
    which every step (and every confirmation) can move, are stale once this transaction commits."""
    signals.matter_events.send(sender=MatterEvent, event_ids=event_ids)
    _dashboard_stale()


def _dashboard_stale() -> None:
    # On commit: bumped earlier, a reader between the bump and the commit would cache the old figures
    # under the new generation.
    transaction.on_commit(selectors.dashboard_bump_generation)


def _event(matter: Matter, kind: str, actor: User | None, note: str = "", at: datetime | None = None) -> MatterEvent:
    event = MatterEvent.objects.create(matter=matter, kind=kind, actor=actor, at=at or timezone.now(), note=note[:2000])
    _announce([event.pk])
    return event


def _lock(matter: Matter) -> Matter:
    return Matter.objects.select_for_update().get(pk=matter.pk)


def _require_staff(actor: User, community_id: int) -> None:
    if not scope_for(actor).can_change_community(community_id):
        raise ScopeError(_("Only staff of this community can do this."), code="scope")


def _require_status(matter: Matter, allowed, step: str) -> None:
    if matter.status not in allowed:
        raise InvalidTransition(
            _("A matter that is “%(current)s” cannot be %(step)s.")
            % {"current": MatterStatus(matter.status).label, "step": step},
            code="invalid_transition",
        )


def _first_answer(matter: Matter, now: datetime, fields: set[str]) -> None:
    """Stamp the first triage step and whether it came within the deadline (the dashboards' "on time")."""
    if matter.answered_at is None:
        matter.answered_at = now
        matter.answered_on_time = matter.due_at is None or now <= matter.due_at
        fields |= {"answered_at", "answered_on_time"}


def _save(matter: Matter, fields: set[str], original: Matter | None = None) -> None:
    matter.full_clean(validate_constraints=False)
    matter.save(update_fields=sorted(fields))
    if original is not None and original is not matter:
        # The caller's copy shows the new state, as if it had been read again.
        for field in Matter._meta.concrete_fields:
            setattr(original, field.attname, getattr(matter, field.attname))


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [message]})
    return value


# --- Raise (说事) -------------------------------------------------------------------------------------------


def matter_raise(
    *,
    resident: User,
    category: MatterCategory,
    title: str,
    description: str,
    latitude: float | None = None,
    longitude: float | None = None,
    show_name: bool = False,
    entered_by: User | None = None,
    channel: str = Channel.WEB,
) -> Matter:
    """A resident raises a matter about their home community; staff may enter it for them (by phone).

    The answer deadline is the setting's number of working days from now.
    """
    community_id = selectors.home_community_id(resident)
    if community_id is None:
        raise ConflictError(_("Choose your home community in your profile before raising a matter."), code="no_profile")
    if entered_by is not None and entered_by.pk != resident.pk:
        if not scope_for(entered_by).can_change_community(community_id):
            raise ScopeError(_("You can only raise matters for residents of your own community."), code="scope")
    elif channel != Channel.WEB:
        channel = Channel.WEB
    if not category.is_active or category.children.exists():
        raise ValidationError({"category": [_("Choose one of the offered categories.")]})
    if (latitude is None) != (longitude is None):
        raise ValidationError({"latitude": [_("Give both latitude and longitude, or neither.")]})
    now = timezone.now()
    matter = Matter(
        community_id=community_id,
        category=category,
        title=(title or "").strip(),
        description=(description or "").strip(),
        latitude=latitude,
        longitude=longitude,
        show_name=bool(show_name),
        raised_by=resident,
        entered_by=entered_by or resident,
        channel=channel,
        raised_at=now,
        due_at=add_working_days(now, answer_working_days()),
    )
    matter.full_clean(validate_constraints=False)
    with transaction.atomic():
        matter.save()
        _event(matter, EventKind.RAISED, entered_by or resident, at=now)
    return matter


@transaction.atomic
def matter_withdraw(*, matter: Matter, actor: User, reason: str = "") -> Matter:
    """The resident who raised it withdraws a matter nobody has answered yet."""
    locked = _lock(matter)
    if actor.pk != locked.raised_by_id:
        raise ScopeError(_("Only the resident who raised this matter can withdraw it."), code="scope")
    _require_status(locked, {MatterStatus.RAISED}, _("withdrawn"))
    now = timezone.now()
    locked.status, locked.outcome, locked.closed_at = MatterStatus.CLOSED, Outcome.WITHDRAWN, now
    _save(locked, {"status", "outcome", "closed_at"}, matter)
    _event(locked, EventKind.WITHDRAWN, actor, reason, at=now)
    return locked


# --- Support and comments -----------------------------------------------------------------------------------


def _recount_supports(matter_id: int) -> None:
    """The cached counter, recomputed from the rows in one UPDATE (never read-modify-write)."""
    count = Support.objects.filter(matter_id=OuterRef("pk")).order_by().values("matter_id").annotate(n=Count("id")).values("n")
    Matter.objects.filter(pk=matter_id).update(support_count=Coalesce(Subquery(count), 0))


def _require_neighbour(user: User, matter: Matter) -> None:
    if selectors.home_community_id(user) != matter.community_id:
        raise ScopeError(_("Only residents of this community can do this."), code="scope")


def matter_support(*, matter: Matter, user: User) -> bool:
    """One support per resident of the community; a second tap changes nothing. True if it was new."""
    _require_neighbour(user, matter)
    if matter.status == MatterStatus.CLOSED:
        raise ConflictError(_("This matter is closed."), code="closed")
    with transaction.atomic():
        # Queue the supports of one matter on its row: the recount below then runs after the previous
        # supporter's commit, in a fresh snapshot, so it sees every row (a recount racing another
        # transaction's insert would miss it and store a stale number).
        Matter.objects.select_for_update().filter(pk=matter.pk).values_list("pk").first()
        try:
            with transaction.atomic():
                Support.objects.create(matter=matter, user=user, created=timezone.now())
        except IntegrityError:
            return False
        _recount_supports(matter.pk)
    return True


@transaction.atomic
def matter_unsupport(*, matter: Matter, user: User) -> bool:
    Matter.objects.select_for_update().filter(pk=matter.pk).values_list("pk").first()
    deleted, _rows = Support.objects.filter(matter=matter, user=user).delete()
    if deleted:
        _recount_supports(matter.pk)
    return bool(deleted)


def _recount_comments(matter_id: int) -> None:
    count = (
        Comment.objects.filter(matter_id=OuterRef("pk"), status=CommentStatus.VISIBLE)
        .order_by()
        .values("matter_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    Matter.objects.filter(pk=matter_id).update(comment_count=Coalesce(Subquery(count), 0))


@transaction.atomic
def comment_add(*, matter: Matter, author: User, body: str) -> Comment:
    scope = scope_for(author)
    if not scope.can_change_community(matter.community_id):
        _require_neighbour(author, matter)
    if matter.status == MatterStatus.CLOSED:
        raise ConflictError(_("This matter is closed."), code="closed")
    comment = Comment(matter=matter, author=author, body=_text(body, "body", _("Write a comment.")), created=timezone.now())
    comment.full_clean()
    comment.save()
    _recount_comments(matter.pk)
    return comment


@transaction.atomic
def comment_report(*, comment: Comment, reporter: User, reason: str = ReportReason.OFFENSIVE) -> Comment:
    """One report per resident; at CONSULTATION_REPORTS_TO_HIDE reports the comment is hidden until reviewed.

    A comment a moderator has reviewed and kept is not hidden again by reports.
    """
    _require_neighbour(reporter, comment.matter)
    if reason not in ReportReason.values:
        raise ValidationError({"reason": [_("Choose a reason.")]})
    if reporter.pk == comment.author_id:
        raise ConflictError(_("You cannot report your own comment."), code="own_comment")
    locked = Comment.objects.select_for_update().get(pk=comment.pk)
    try:
        with transaction.atomic():
            CommentReport.objects.create(comment=locked, reporter=reporter, reason=reason)
    except IntegrityError:
        return locked
    locked.report_count = locked.reports.count()
    fields = ["report_count"]
    if (
        locked.status == CommentStatus.VISIBLE
        and locked.reviewed_at is None
        and locked.report_count >= reports_to_hide()
    ):
        locked.status, locked.hidden_at = CommentStatus.HIDDEN, timezone.now()
        fields += ["status", "hidden_at"]
    locked.save(update_fields=fields)
    _recount_comments(locked.matter_id)
    return locked


@transaction.atomic
def comment_moderate(*, comment: Comment, actor: User, keep: bool) -> Comment:
    """A moderator keeps a comment (shown again, no longer hidden by reports) or removes it (hidden, kept)."""
    _require_staff(actor, comment.matter.community_id)
    locked = Comment.objects.select_for_update().get(pk=comment.pk)
    locked.status = CommentStatus.VISIBLE if keep else CommentStatus.REMOVED
    locked.reviewed_at = timezone.now()
    if not keep and locked.hidden_at is None:
        locked.hidden_at = locked.reviewed_at
    locked.save(update_fields=["status", "reviewed_at", "hidden_at"])
    _recount_comments(locked.matter_id)
    return locked


# --- Photos -------------------------------------------------------------------------------------------------

MAX_PHOTOS = 4


@transaction.atomic
def photo_add(*, matter: Matter, upload, actor: User) -> MatterPhoto:
    """A photo of the matter, stored without metadata; shown to neighbours once staff approve it."""
    from community_college import uploads

    if actor.pk != matter.raised_by_id and not scope_for(actor).can_change_community(matter.community_id):
        raise ScopeError(_("Only the resident who raised this matter can add photos."), code="scope")
    if MatterPhoto.objects.filter(matter=matter).count() >= MAX_PHOTOS:
        raise ConflictError(_("A matter has at most %(count)d photos.") % {"count": MAX_PHOTOS}, code="too_many_photos")
    stored = uploads.store_image(upload, folder=f"matters/{matter.pk}")
    try:
        photo = MatterPhoto(
            matter=matter,
            name=stored.name,
            thumbnail=stored.thumbnail,
            content_type=stored.content_type,
            width=stored.width,
            height=stored.height,
            uploaded_by=actor,
        )
        photo.full_clean()
        photo.save()
    except Exception:
        # The files were written before the row: a row that is not saved must not leave them behind.
        uploads.delete_stored(stored.name, stored.thumbnail)
        raise
    return photo


def _drop_files_on_commit(photo: MatterPhoto) -> None:
    """Remove a photo's stored files once the transaction that refused or deleted it commits (a rolled-back
    refusal keeps them)."""
    from community_college import uploads

    names = (photo.name, photo.thumbnail)
    transaction.on_commit(lambda: uploads.delete_stored(*names))


@transaction.atomic
def photo_moderate(*, photo: MatterPhoto, actor: User, approve: bool) -> MatterPhoto:
    """Show a photo to neighbours, or refuse it: a refused photo's files are removed (on commit); the row
    stays as the record that a photo was refused, and cannot be shown again."""
    locked = MatterPhoto.objects.select_for_update().select_related("matter").get(pk=photo.pk)
    _require_staff(actor, locked.matter.community_id)
    if locked.status == PhotoStatus.REJECTED:
        raise ConflictError(_("This photo was refused and its file removed."), code="photo_refused")
    target = PhotoStatus.APPROVED if approve else PhotoStatus.REJECTED
    if locked.status != target:
        locked.status = target
        locked.save(update_fields=["status"])
        if target == PhotoStatus.REJECTED:
            _drop_files_on_commit(locked)
    return locked


@transaction.atomic
def photo_delete(*, photo: MatterPhoto, actor: User) -> None:
    """Delete a photo and (on commit) its stored files: the raiser of the matter or staff of its community."""
    locked = MatterPhoto.objects.select_for_update().select_related("matter").filter(pk=photo.pk).first()
    if locked is None:
        return
    if actor.pk != locked.matter.raised_by_id:
        _require_staff(actor, locked.matter.community_id)
    locked.delete()
    _drop_files_on_commit(locked)


# --- Triage ---------------------------------------------------------------------------------------------------


@transaction.atomic
def matter_answer(*, matter: Matter, actor: User, answer: str) -> Matter:
    """Answer the matter directly and close it (the answer is public)."""
    locked = _lock(matter)
    _require_staff(actor, locked.community_id)
    _require_status(locked, AWAITING_ANSWER, _("answered"))
    answer = _text(answer, "answer", _("Write the answer residents will read."))
    now = timezone.now()
    fields = {"status", "outcome", "answer", "closed_at"}
    _first_answer(locked, now, fields)
    locked.status, locked.outcome, locked.answer, locked.closed_at = MatterStatus.CLOSED, Outcome.ANSWERED, answer, now
    _save(locked, fields, matter)
    _event(locked, EventKind.ANSWERED, actor, answer, at=now)
    return locked


@transaction.atomic
def matter_refer(*, matter: Matter, actor: User, department: Department, note: str = "") -> Matter:
    """Refer the matter to a department; its liaisons see it and answer within the referral deadline."""
    locked = _lock(matter)
    _require_staff(actor, locked.community_id)
    _require_status(locked, {MatterStatus.RAISED}, _("referred"))
    now = timezone.now()
    fields = {"status", "department", "referred_at", "due_at"}
    _first_answer(locked, now, fields)
    locked.status, locked.department, locked.referred_at = MatterStatus.REFERRED, department, now
    locked.due_at = add_working_days(now, referral_working_days())
    _save(locked, fields, matter)
    _event(locked, EventKind.REFERRED, actor, note or department.name, at=now)
    return locked


@transaction.atomic
def matter_department_answer(*, matter: Matter, actor: User, answer: str) -> Matter:
    """A liaison of the department the matter was referred to answers it, which closes it."""
    locked = _lock(matter)
    if locked.department_id not in selectors.liaison_department_ids(actor):
        raise ScopeError(_("Only a liaison of the department this matter was referred to can answer it."), code="scope")
    _require_status(locked, {MatterStatus.REFERRED}, _("answered by the department"))
    answer = _text(answer, "answer", _("Write the answer residents will read."))
    now = timezone.now()
    locked.status, locked.outcome, locked.answer, locked.closed_at = MatterStatus.CLOSED, Outcome.ANSWERED, answer, now
    _save(locked, {"status", "outcome", "answer", "closed_at"}, matter)
    _event(locked, EventKind.DEPARTMENT_ANSWERED, actor, answer, at=now)
    return locked


@transaction.atomic
def matter_merge(*, matter: Matter, into: Matter, actor: User, note: str = "") -> Matter:
    """Merge a duplicate into an open matter of the same community: its supporters (and its raiser) now
    support the target, so nobody loses their voice; the duplicate closes, pointing to the target."""
    if matter.pk == into.pk:
        raise ValidationError({"into": [_("A matter cannot be merged into itself.")]})
    # Lock both rows in id order, so two merges in opposite directions cannot deadlock.
    locked = {m.pk: m for m in Matter.objects.select_for_update().filter(pk__in=[matter.pk, into.pk]).order_by("pk")}
    source, target = locked[matter.pk], locked[into.pk]
    _require_staff(actor, source.community_id)
    if target.community_id != source.community_id:
        raise ValidationError({"into": [_("Merge only into a matter of the same community.")]})
    _require_status(source, {MatterStatus.RAISED}, _("merged"))
    if target.status not in OPEN_STATUSES or target.merged_into_id:
        raise ValidationError({"into": [_("Merge only into an open matter.")]})
    now = timezone.now()
    fields = {"status", "outcome", "merged_into", "closed_at"}
    _first_answer(source, now, fields)
    source.status, source.outcome, source.merged_into, source.closed_at = MatterStatus.CLOSED, Outcome.MERGED, target, now
    _save(source, fields, matter)
    voices = set(Support.objects.filter(matter=source).values_list("user_id", flat=True)) | {source.raised_by_id}
    voices.discard(target.raised_by_id)
    Support.objects.bulk_create([Support(matter=target, user_id=uid, created=now) for uid in sorted(voices)], ignore_conflicts=True)
    _recount_supports(target.pk)
    _event(source, EventKind.MERGED, actor, note or f"#{target.pk} {target.title}", at=now)
    _event(target, EventKind.MERGED_IN, actor, f"#{source.pk} {source.title}", at=now)
    return source


@transaction.atomic
def matter_to_deliberation(*, matter: Matter, actor: User, note: str = "") -> Matter:
    """Take the matter to a deliberation meeting (议事会) of the community."""
    locked = _lock(matter)
    _require_staff(actor, locked.community_id)
    _require_status(locked, {MatterStatus.RAISED, MatterStatus.REFERRED}, _("taken to deliberation"))
    now = timezone.now()
    fields = {"status", "deliberation_at", "due_at"}
    _first_answer(locked, now, fields)
    locked.status, locked.deliberation_at, locked.due_at = MatterStatus.DELIBERATION, now, None
    _save(locked, fields, matter)
    _event(locked, EventKind.DELIBERATION, actor, note, at=now)
    return locked


def matters_escalate_due(*, now: datetime | None = None, batch: int = 1000) -> int:
    """The beat sweep: an unanswered matter past its deadline moves up one level (community → street →
    district) with a new deadline; one at the district stays there and is listed as overdue.

    Claimed with a conditional UPDATE per batch (status, level and deadline unchanged since read), so two
    sweeps running at once escalate each matter once. Returns how many matters moved up.
    """
    now = now or timezone.now()
    moved = 0
    new_due = add_working_days(now, answer_working_days())
    while True:
        with transaction.atomic():
            ids = list(
                Matter.objects.select_for_update(skip_locked=True)
                .filter(status__in=AWAITING_ANSWER, due_at__lte=now, level__lt=Level.DISTRICT)
                .order_by("due_at", "id")
                .values_list("id", "level")[:batch]
            )
            if not ids:
                return moved
            events = []
            for level in (Level.COMMUNITY, Level.STREET):
                at_level = [pk for pk, lv in ids if lv == level]
                if not at_level:
                    continue
                Matter.objects.filter(pk__in=at_level, level=level).update(level=level + 1, due_at=new_due, escalated_at=now)
                label = Level(level + 1).label
                events += [
                    MatterEvent(matter_id=pk, kind=EventKind.ESCALATED, at=now, note=str(label)) for pk in at_level
                ]
            created = MatterEvent.objects.bulk_create(events, batch_size=1000)
            event_ids = [e.pk for e in created if e.pk]
            if event_ids:
                _announce(event_ids)
            moved += len(ids)
        if len(ids) < batch:
            return moved


# --- Deliberation (议事会) ---------------------------------------------------------------------------------------


def _session_for_meeting(session, community, actor: User):
    """The class session a meeting is held in: a coming, scheduled session with a room, of a class of the
    meeting's community, holding no other meeting. Locked, so two meetings cannot take it together."""
    from activities.enums import SessionStatus
    from activities.models import Session

    locked = Session.objects.select_for_update(of=("self",)).select_related("course").get(pk=session.pk)
    if locked.course.community_id != community.pk:
        raise ValidationError({"session": [_("Choose a session of a class of this community.")]})
    if locked.status != SessionStatus.SCHEDULED or locked.starts_at <= timezone.now():
        raise ConflictError(_("Choose a coming session that is still scheduled."), code="session_not_open")
    if locked.venue_id is None:
        raise ValidationError({"session": [_("This session has no room yet.")]})
    if Meeting.objects.filter(session=locked).exclude(status=MeetingStatus.CANCELLED).exists():
        raise ConflictError(_("Another meeting is already held in this session."), code="session_taken")
    return locked


@transaction.atomic
def meeting_schedule(
    *,
    community,
    title: str,
    actor: User,
    venue=None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    matters=(),
    session=None,
) -> Meeting:
    """A meeting in a venue of the community, held through the booking service (never overlapping), or as a
    session of a class of the community (its room and time; no booking of its own), with its matters; the
    residents who raised or supported them are invited."""
    from venues.services import booking_create

    _require_staff(actor, community.pk)
    if session is not None:
        session = _session_for_meeting(session, community, actor)
        venue, starts_at, ends_at = session.venue, session.starts_at, session.ends_at
    if venue is None:
        raise ValidationError({"venue": [_("Choose a venue or a class session.")]})
    if venue.community_id != community.pk and not scope_for(actor).can_change_community(venue.community_id):
        raise ValidationError({"venue": [_("Choose a venue of this community.")]})
    # Read again: the caller's copies may predate the step that took them to deliberation.
    matters = list(Matter.objects.filter(pk__in=[m.pk for m in matters]))
    for matter in matters:
        if matter.community_id != community.pk or matter.status != MatterStatus.DELIBERATION:
            raise ValidationError(
                {"matters": [_("Only matters of this community taken to deliberation can be on the agenda.")]}
            )
    meeting = Meeting(
        community=community,
        venue=venue,
        session=session,
        starts_at=starts_at,
        ends_at=ends_at,
        title=(title or "").strip(),
        created_by=actor,
    )
    meeting.full_clean(exclude=["booking", "session"], validate_constraints=False)
    if session is None:
        meeting.booking = booking_create(
            venue=venue, starts_at=starts_at, ends_at=ends_at, booked_by=actor, purpose=f"议事会 {meeting.title}"[:200]
        )
    meeting.save()
    if matters:
        meeting.matters.set(matters)
        _invite_followers(meeting, [m.pk for m in matters])
        for matter in matters:
            _event(matter, EventKind.MEETING_SCHEDULED, actor, str(meeting))
    return meeting


def _invite_followers(meeting: Meeting, matter_ids: list[int]) -> None:
    raisers = set(Matter.objects.filter(pk__in=matter_ids).values_list("raised_by_id", flat=True))
    supporters = set(Support.objects.filter(matter_id__in=matter_ids).values_list("user_id", flat=True)) - raisers
    rows = [Participant(meeting=meeting, user_id=uid, kind=ParticipantKind.RAISER) for uid in sorted(raisers)]
    rows += [Participant(meeting=meeting, user_id=uid, kind=ParticipantKind.SUPPORTER) for uid in sorted(supporters)]
    Participant.objects.bulk_create(rows, ignore_conflicts=True)
    signals.meeting_invitations.send(sender=Meeting, meeting_id=meeting.pk)


@transaction.atomic
def meeting_invite(*, meeting: Meeting, user: User, kind: str, actor: User) -> Participant:
    """Invite a grid member, party member, unit, liaison or resident (once per meeting)."""
    _require_staff(actor, meeting.community_id)
    if kind not in ParticipantKind.values:
        raise ValidationError({"kind": [_("Choose how this person is invited.")]})
    participant, created = Participant.objects.get_or_create(meeting=meeting, user=user, defaults={"kind": kind})
    if created:
        signals.meeting_invitations.send(sender=Meeting, meeting_id=meeting.pk)
    return participant


@transaction.atomic
def meeting_respond(*, meeting: Meeting, user: User, attend: bool) -> Participant:
    """An invited participant confirms (or declines) they will come."""
    participant = Participant.objects.select_for_update().filter(meeting=meeting, user=user).first()
    if participant is None:
        raise ScopeError(_("You are not invited to this meeting."), code="scope")
    if meeting.status != MeetingStatus.PLANNED:
        raise ConflictError(_("This meeting is no longer planned."), code="meeting_not_planned")
    now = timezone.now()
    participant.confirmed_at, participant.declined_at = (now, None) if attend else (None, now)
    participant.save(update_fields=["confirmed_at", "declined_at"])
    return participant


@transaction.atomic
def meeting_publish_agenda(*, meeting: Meeting, actor: User, agenda: str) -> Meeting:
    """Publish the agenda before the meeting: residents of the community can read it from then on."""
    _require_staff(actor, meeting.community_id)
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.status != MeetingStatus.PLANNED:
        raise ConflictError(_("This meeting is no longer planned."), code="meeting_not_planned")
    now = timezone.now()
    if now >= locked.starts_at:
        raise ConflictError(_("Publish the agenda before the meeting starts."), code="agenda_late")
    locked.agenda = _text(agenda, "agenda", _("Write the agenda."))
    locked.agenda_published_at = now
    locked.save(update_fields=["agenda", "agenda_published_at"])
    for matter in locked.matters.all():
        _event(matter, EventKind.AGENDA_PUBLISHED, actor, str(locked), at=now)
    return locked


@transaction.atomic
def meeting_check_in(*, meeting: Meeting, user: User, actor: User) -> Participant:
    """Record that a participant is present (staff at the door); a resident present may vote.

    Someone who turns up uninvited is added as a resident of the community, if they live there. A meeting held
    in a class session records the check-in on the session's roll call through the attendance service (the
    class's residents as present, anyone else as a walk-in while the room has a seat), which then decides
    who is present."""
    _require_staff(actor, meeting.community_id)
    participant = Participant.objects.select_for_update().filter(meeting=meeting, user=user).first()
    if participant is None:
        if selectors.home_community_id(user) != meeting.community_id:
            raise ScopeError(_("Only invited people and residents of this community can check in."), code="scope")
        participant = Participant(meeting=meeting, user=user, kind=ParticipantKind.RESIDENT)
    if meeting.session_id is not None:
        from activities.enums import AttendanceStatus
        from activities.services import attendance_record

        attendance_record(
            session=meeting.session, resident=user, status=AttendanceStatus.PRESENT, actor=actor, walk_in=True
        )
    if participant.pk is None:
        participant.save()
    if participant.present_at is None:
        participant.present_at = timezone.now()
        participant.save(update_fields=["present_at"])
    return participant


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, actor: User) -> Meeting:
    from venues.services import booking_cancel

    _require_staff(actor, meeting.community_id)
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.status != MeetingStatus.PLANNED:
        raise ConflictError(_("This meeting is no longer planned."), code="meeting_not_planned")
    locked.status = MeetingStatus.CANCELLED
    locked.save(update_fields=["status"])
    if locked.booking_id:
        booking_cancel(booking=locked.booking, actor=actor)
    return locked


@transaction.atomic
def meeting_record_minutes(*, meeting: Meeting, actor: User, minutes: str) -> Meeting:
    _require_staff(actor, meeting.community_id)
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.status == MeetingStatus.CANCELLED:
        raise ConflictError(_("This meeting was cancelled."), code="meeting_cancelled")
    if timezone.now() < locked.starts_at:
        raise ConflictError(_("Minutes can be recorded once the meeting has started."), code="meeting_not_started")
    locked.minutes = _text(minutes, "minutes", _("Write the minutes."))
    locked.status, locked.held_at = MeetingStatus.HELD, locked.held_at or timezone.now()
    locked.save(update_fields=["minutes", "status", "held_at"])
    return locked


@transaction.atomic
def decision_record(
    *,
    meeting: Meeting,
    matter: Matter,
    actor: User,
    text: str,
    owner_kind: str,
    due_date: date,
    owner_user: User | None = None,
    owner_department: Department | None = None,
    owner_name: str = "",
    needs_vote: bool = False,
) -> Decision:
    """A decision of the meeting on one of its matters, with an owner and a due date; the matter is decided."""
    _require_staff(actor, meeting.community_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise ConflictError(_("This meeting was cancelled."), code="meeting_cancelled")
    if not meeting.matters.filter(pk=matter.pk).exists():
        raise ValidationError({"matter": [_("Record decisions only on the meeting's own matters.")]})
    locked = _lock(matter)
    _require_status(locked, {MatterStatus.DELIBERATION, MatterStatus.DECIDED}, _("decided"))
    if owner_kind == OwnerKind.STAFF and owner_user is not None and not scope_for(owner_user).covers(meeting.community_id):
        raise ValidationError({"owner_user": [_("The owner must be staff of this community or its street.")]})
    decision = Decision(
        meeting=meeting,
        matter=locked,
        text=(text or "").strip(),
        owner_kind=owner_kind,
        owner_user=owner_user if owner_kind == OwnerKind.STAFF else None,
        owner_department=owner_department if owner_kind == OwnerKind.DEPARTMENT else None,
        owner_name=(owner_name or "").strip() if owner_kind in (OwnerKind.UNIT, OwnerKind.RESIDENTS) else "",
        due_date=due_date,
        needs_vote=bool(needs_vote),
        created=timezone.now(),
    )
    decision.full_clean()
    if decision.owner_label == "":
        raise ValidationError({"owner_kind": [_("Name who carries this decision out.")]})
    decision.save()
    now = timezone.now()
    if locked.status != MatterStatus.DECIDED:
        locked.status, locked.decided_at = MatterStatus.DECIDED, now
        _save(locked, {"status", "decided_at"}, matter)
    _event(locked, EventKind.DECIDED, actor, f"{decision.text}（{decision.owner_label}, {due_date:%Y-%m-%d}）", at=now)
    return decision


def vote_cast(*, decision: Decision, voter: User, choice: str) -> Vote:
    """A resident present at the meeting votes once on a decision that needs a vote."""
    if choice not in VoteChoice.values:
        raise ValidationError({"choice": [_("Choose for, against or abstain.")]})
    if not decision.needs_vote:
        raise ConflictError(_("This decision is not put to a vote."), code="no_vote")
    present = selectors.meeting_present(decision.meeting).filter(pk=voter.pk).exists()
    if not present or selectors.home_community_id(voter) != decision.meeting.community_id:
        raise ScopeError(_("Only residents checked in at the meeting can vote."), code="scope")
    try:
        with transaction.atomic():
            return Vote.objects.create(decision=decision, voter=voter, choice=choice)
    except IntegrityError as exc:
        raise ConflictError(_("You have already voted on this decision."), code="already_voted") from exc


def vote_tally(decision: Decision) -> dict[str, int]:
    """The votes of residents present at the meeting (a resident the roll call later marks absent no longer
    counts)."""
    present = selectors.meeting_present(decision.meeting).values("pk")
    counts = dict(
        decision.votes.filter(voter__in=present).values_list("choice").annotate(n=Count("id")).values_list("choice", "n")
    )
    return {choice: counts.get(choice, 0) for choice in VoteChoice.values}


# --- Carry it out (办成事) ----------------------------------------------------------------------------------------


def _may_report(actor: User, decision: Decision) -> bool:
    if decision.owner_user_id == actor.pk:
        return True
    if decision.owner_department_id and decision.owner_department_id in selectors.liaison_department_ids(actor):
        return True
    return scope_for(actor).can_change_community(decision.matter.community_id)


@transaction.atomic
def decision_progress(*, decision: Decision, actor: User, text: str, progress: int) -> DecisionUpdate:
    """A progress update from the decision's owner (or community staff), shown on the matter's timeline."""
    locked = Decision.objects.select_for_update().select_related("matter").get(pk=decision.pk)
    if not _may_report(actor, locked):
        raise ScopeError(_("Only the owner of this decision can report progress."), code="scope")
    if locked.status == DecisionStatus.DONE:
        raise ConflictError(_("This decision is already done."), code="decision_done")
    update = DecisionUpdate(decision=locked, author=actor, text=(text or "").strip(), progress=progress, at=timezone.now())
    update.full_clean()
    if progress >= 100:
        raise ValidationError({"progress": [_("Mark the decision done instead of reporting 100%.")]})
    update.save()
    locked.progress = progress
    locked.save(update_fields=["progress"])
    _event(locked.matter, EventKind.PROGRESS, actor, f"{progress}% {update.text}", at=update.at)
    return update


@transaction.atomic
def decision_mark_done(*, decision: Decision, actor: User, text: str = "") -> Decision:
    """The owner marks a decision done. When every decision of the matter is done, the residents who raised
    and supported it are asked whether it really is; the matter closes after their answers or a timeout."""
    locked = Decision.objects.select_for_update().select_related("matter").get(pk=decision.pk)
    if not _may_report(actor, locked):
        raise ScopeError(_("Only the owner of this decision can mark it done."), code="scope")
    if locked.status == DecisionStatus.DONE:
        return locked
    now = timezone.now()
    locked.status, locked.progress, locked.done_at = DecisionStatus.DONE, 100, now
    locked.save(update_fields=["status", "progress", "done_at"])
    DecisionUpdate.objects.create(decision=locked, author=actor, text=(text or "").strip() or _("Done."), progress=100, at=now)
    matter = _lock(locked.matter)
    _event(matter, EventKind.DECISION_DONE, actor, (text or locked.text)[:2000], at=now)
    if matter.status == MatterStatus.DECIDED and not matter.decisions.exclude(status=DecisionStatus.DONE).exists():
        matter.status, matter.done_at = MatterStatus.CONFIRMING, now
        _save(matter, {"status", "done_at"})
        _event(matter, EventKind.DONE, actor, at=now)
    return locked


def decisions_flag_overdue(*, now: datetime | None = None) -> int:
    """The beat sweep: open decisions past their due date are flagged once, on the matter's timeline, and
    the owner and the community's staff hear of it (and the street, through the notices)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    flagged = 0
    with transaction.atomic():
        rows = list(
            Decision.objects.select_for_update(skip_locked=True)
            .filter(status=DecisionStatus.OPEN, due_date__lt=today, overdue_at__isnull=True)
            .values_list("id", "matter_id", "text")
        )
        if not rows:
            return 0
        Decision.objects.filter(pk__in=[r[0] for r in rows], overdue_at__isnull=True).update(overdue_at=now)
        events = MatterEvent.objects.bulk_create(
            [MatterEvent(matter_id=mid, kind=EventKind.DECISION_OVERDUE, at=now, note=text[:2000]) for _i, mid, text in rows]
        )
        _announce([e.pk for e in events if e.pk])
        flagged = len(rows)
    return flagged


def _asked(matter: Matter) -> set[int]:
    return set(selectors.followers_of(matter.pk))


@transaction.atomic
def matter_confirm(*, matter: Matter, resident: User, is_done: bool, satisfaction: int, comment: str = "") -> Confirmation:
    """A resident who raised or supported the matter says whether it is really done (satisfaction 1–5).

    When everyone asked has answered, the matter closes as confirmed."""
    locked = _lock(matter)
    if locked.status != MatterStatus.CONFIRMING:
        raise InvalidTransition(_("This matter is not awaiting confirmation."), code="not_confirming")
    asked = _asked(locked)
    if resident.pk not in asked:
        raise ScopeError(_("Only residents who raised or supported this matter are asked to confirm."), code="scope")
    confirmation = Confirmation(
        matter=locked,
        resident=resident,
        is_done=bool(is_done),
        satisfaction=satisfaction,
        comment=(comment or "").strip(),
        created=timezone.now(),
    )
    confirmation.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            confirmation.save()
    except IntegrityError as exc:
        raise ConflictError(_("You have already answered."), code="already_confirmed") from exc
    _dashboard_stale()  # the satisfaction figures count every answer, not only the last one
    answered = set(Confirmation.objects.filter(matter=locked).values_list("resident_id", flat=True))
    if asked <= answered:
        now = timezone.now()
        locked.status, locked.outcome, locked.closed_at = MatterStatus.CLOSED, Outcome.CONFIRMED, now
        _save(locked, {"status", "outcome", "closed_at"}, matter)
        _event(locked, EventKind.CONFIRMED, None, at=now)
    return confirmation


def matters_close_unconfirmed(*, now: datetime | None = None) -> int:
    """The beat sweep: a matter awaiting confirmation for CONSULTATION_CONFIRM_DAYS closes, recorded as a
    timeout (the answers that came in are kept)."""
    now = now or timezone.now()
    limit = now - timedelta(days=confirm_days())
    with transaction.atomic():
        ids = list(
            Matter.objects.select_for_update(skip_locked=True)
            .filter(status=MatterStatus.CONFIRMING, done_at__lte=limit)
            .values_list("id", flat=True)
        )
        if not ids:
            return 0
        Matter.objects.filter(pk__in=ids, status=MatterStatus.CONFIRMING).update(
            status=MatterStatus.CLOSED, outcome=Outcome.TIMEOUT, closed_at=now
        )
        events = MatterEvent.objects.bulk_create([MatterEvent(matter_id=pk, kind=EventKind.TIMEOUT, at=now) for pk in ids])
        _announce([e.pk for e in events if e.pk])
    return len(ids)
