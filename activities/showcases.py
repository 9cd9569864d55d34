"""Writes about showcases (兴趣展示), their photos and the stories (人物故事) staff collect.

A showcase's audience is a course of kind "showcase" with one session: the venue is held through
`session_schedule` (and so `venues.services.booking_create`, whose exclusion constraint refuses an overlap),
and residents register through `registration_create`, whose conditional UPDATE never oversells and whose
waiting list moves up on a cancellation. Nothing here counts places itself.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import require_change, scope_for
from community_college.errors import ConflictError, ScopeError, field_error
from interests.enums import GroupRole
from interests.models import GroupMembership

from . import signals
from .enums import (
    ACTIVE_REGISTRATION_STATUSES,
    CourseKind,
    CourseStatus,
    MediaStatus,
    ShowcaseStatus,
    StoryStatus,
)
from .models import Course, Registration, Showcase, ShowcaseMedia, Story
from .services import course_cancel, registration_create, session_reschedule, session_schedule

MAX_MEDIA_PER_SHOWCASE = 30
MAX_MEDIA_PER_STORY = 6


def may_speak_for(*, actor: User, group=None, course=None) -> bool:
    """Whether `actor` may propose or post for `group` (its leader) or `course` (its teacher), or is staff
    who may change the community's data."""
    community_id = group.community_id if group is not None else course.community_id
    if scope_for(actor).can_change_community(community_id):
        return True
    if group is not None:
        return GroupMembership.objects.filter(group=group, user=actor, role=GroupRole.LEADER).exists()
    return course.teacher_id is not None and course.teacher.user_id == actor.pk


@transaction.atomic
def showcase_propose(
    *,
    actor: User,
    title: str,
    kind: str,
    venue,
    starts_at,
    ends_at,
    capacity: int,
    programme: str,
    participants: str,
    group=None,
    course=None,
) -> Showcase:
    """A group's leader or a class's teacher proposes a showcase; staff approve it (`showcase_approve`).

    The venue is booked at once (pending until approval decides), so that no one else takes the room while
    staff decide; a room already booked at that time refuses the whole proposal and nothing is saved.
    """
    _proposal_check(actor=actor, venue=venue, starts_at=starts_at, group=group, course=course)
    owner = group if group is not None else course
    audience = _audience_create(
        title=title,
        owner=owner,
        group=group,
        course=course,
        venue=venue,
        capacity=capacity,
        programme=programme,
    )
    showcase = Showcase(
        title=title,
        kind=kind,
        community_id=owner.community_id,
        group=group,
        course=course,
        audience=audience,
        venue=venue,
        starts_at=starts_at,
        ends_at=ends_at,
        programme=programme,
        participants=participants,
        proposed_by=actor,
    )
    showcase.full_clean()
    showcase.save()
    # Holds the room through the booking services (row lock + exclusion constraint): a clash raises here and
    # the transaction takes the course and the showcase back with it.
    session_schedule(course=audience, starts_at=starts_at, ends_at=ends_at, venue=venue, actor=actor)
    signals.showcase_changed.send(sender=Showcase, showcase_id=showcase.pk, kind="proposed")
    return showcase


def _proposal_check(*, actor: User, venue, starts_at, group, course) -> None:
    """A showcase is one group's or one class's, proposed by someone who speaks for it, for a time still to
    come, in a venue in use."""
    if (group is None) == (course is None):
        raise field_error(
            "group", _("Choose the group or the class that shows its work."), code="group_or_class"
        )
    if not may_speak_for(actor=actor, group=group, course=course):
        raise ScopeError(
            _(
                "Only the group's leader or the class's teacher (or their community's staff) can propose a showcase."
            ),
            code="scope",
        )
    if starts_at is None or starts_at <= timezone.now():
        raise field_error("starts_at", _("A showcase is proposed for a time still to come."), code="past")
    if not venue.is_active:
        raise field_error("venue", _("This venue is not in use."), code="venue_inactive")


def _audience_create(*, title: str, owner, group, course, venue, capacity: int, programme: str) -> Course:
    """The showcase's audience: a proposed class of kind showcase in the community and interest of the group
    or class that shows its work, seating what was asked within the venue's capacity (all of it if nothing
    was asked). Residents register for it as for any class."""
    audience = Course(
        title=title,
        category_id=owner.category_id,
        community_id=owner.community_id,
        group=group if group is not None else course.group,
        venue=venue,
        capacity=max(1, min(int(capacity), venue.capacity)) if capacity else venue.capacity,
        status=CourseStatus.PROPOSED,
        kind=CourseKind.SHOWCASE,
        description=programme,
    )
    audience.full_clean()
    audience.save()
    return audience


def _lock(showcase: Showcase) -> Showcase:
    return Showcase.objects.select_for_update(of=("self",)).select_related("audience").get(pk=showcase.pk)


@transaction.atomic
def showcase_approve(*, showcase: Showcase, actor: User) -> Showcase:
    """Staff approve a proposed showcase: it is public and residents may register as its audience."""
    locked = _lock(showcase)
    require_change(actor, locked.community_id, elsewhere=_("This showcase belongs to another community."))
    if locked.status != ShowcaseStatus.PROPOSED:
        raise ConflictError(_("Only a proposed showcase can be approved."), code="not_proposed")
    if locked.starts_at <= timezone.now():
        raise ConflictError(_("This showcase's time has passed."), code="past")
    locked.status = ShowcaseStatus.APPROVED
    locked.decided_by, locked.decided_at = actor, timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    Course.objects.filter(pk=locked.audience_id).update(status=CourseStatus.OPEN)
    signals.showcase_changed.send(sender=Showcase, showcase_id=locked.pk, kind="approved")
    showcase.status, showcase.decided_by, showcase.decided_at = locked.status, actor, locked.decided_at
    return locked


@transaction.atomic
def showcase_reject(*, showcase: Showcase, actor: User, reason: str) -> Showcase:
    """Staff turn a proposal down (or cancel an approved showcase) with a reason; the room is freed and any
    registered audience is told through the class-cancellation path."""
    locked = _lock(showcase)
    require_change(actor, locked.community_id, elsewhere=_("This showcase belongs to another community."))
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Give the reason the proposer will read."), code="reason_required")
    if locked.status not in (ShowcaseStatus.PROPOSED, ShowcaseStatus.APPROVED):
        raise ConflictError(_("This showcase was already decided."), code="decided")
    course_cancel(course=locked.audience, actor=actor)
    locked.status = (
        ShowcaseStatus.REJECTED if locked.status == ShowcaseStatus.PROPOSED else ShowcaseStatus.CANCELLED
    )
    locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), reason[:300]
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    signals.showcase_changed.send(sender=Showcase, showcase_id=locked.pk, kind=locked.status)
    showcase.status = locked.status
    return locked


@transaction.atomic
def showcase_move(*, showcase: Showcase, actor: User, starts_at, ends_at, venue=None) -> Showcase:
    """Staff move a coming showcase (proposed or approved) to another time, and room if given.

    The audience's meeting moves through `session_reschedule`, so the booking moves with it or, on a clash,
    nothing does. An approved showcase's audience and group hear of it (`showcase_changed`, kind "moved").
    """
    locked = _lock(showcase)
    require_change(actor, locked.community_id, elsewhere=_("This showcase belongs to another community."))
    if locked.status not in (ShowcaseStatus.PROPOSED, ShowcaseStatus.APPROVED):
        raise ConflictError(_("This showcase was already decided."), code="decided")
    venue = venue or locked.venue
    if not venue.is_active:
        raise field_error("venue", _("This venue is not in use."), code="venue_inactive")
    session = locked.audience.sessions.get()
    session_reschedule(session=session, actor=actor, starts_at=starts_at, ends_at=ends_at, venue=venue)
    locked.starts_at, locked.ends_at, locked.venue = starts_at, ends_at, venue
    locked.full_clean()
    locked.save(update_fields=["starts_at", "ends_at", "venue"])
    if locked.audience.venue_id != venue.pk:
        Course.objects.filter(pk=locked.audience_id).update(venue=venue)
    signals.showcase_changed.send(sender=Showcase, showcase_id=locked.pk, kind="moved")
    showcase.starts_at, showcase.ends_at, showcase.venue = starts_at, ends_at, venue
    return locked


def showcase_register(*, showcase: Showcase, resident: User) -> Registration:
    """A resident takes a seat in the audience, or a place on its waiting list (the class registration service).

    Registering twice is refused with a clear answer; a race of two requests still makes one registration
    (the unique index of registrations).
    """
    if showcase.status != ShowcaseStatus.APPROVED:
        raise ConflictError(_("This showcase is not open for an audience."), code="not_open")
    if showcase.ends_at <= timezone.now():
        raise ConflictError(_("This showcase is over."), code="past")
    if Registration.objects.filter(
        course_id=showcase.audience_id, resident=resident, status__in=ACTIVE_REGISTRATION_STATUSES
    ).exists():
        raise ConflictError(_("You are already registered for this showcase."), code="already_registered")
    return registration_create(course=showcase.audience, resident=resident)


# --- Photos and works -----------------------------------------------------------------------------------------


def _media_owner(*, actor: User, showcase: Showcase | None, story: Story | None) -> tuple[int, str]:
    """The community and storage folder of a new photo, after checking that `actor` may post it."""
    if (showcase is None) == (story is None):
        raise TypeError("media_add() needs exactly one of showcase and story")
    if story is not None:
        require_change(actor, story.community_id, elsewhere=_("This story belongs to another community."))
        if ShowcaseMedia.objects.filter(story=story).count() >= MAX_MEDIA_PER_STORY:
            raise ConflictError(
                _("A story has at most %(count)d photos.") % {"count": MAX_MEDIA_PER_STORY},
                code="too_many_photos",
            )
        return story.community_id, f"stories/{story.pk}"
    if actor.pk != showcase.proposed_by_id and not may_speak_for(
        actor=actor, group=showcase.group, course=showcase.course
    ):
        raise ScopeError(_("Only the group or class that showed its work can post its photos."), code="scope")
    if showcase.status != ShowcaseStatus.APPROVED:
        raise ConflictError(_("Photos are posted for an approved showcase."), code="not_approved")
    if showcase.starts_at > timezone.now():
        raise ConflictError(_("Photos are posted once the showcase has taken place."), code="not_yet")
    if ShowcaseMedia.objects.filter(showcase=showcase).count() >= MAX_MEDIA_PER_SHOWCASE:
        raise ConflictError(
            _("A showcase has at most %(count)d photos.") % {"count": MAX_MEDIA_PER_SHOWCASE},
            code="too_many_photos",
        )
    return showcase.community_id, f"showcases/{showcase.pk}"


def media_add(
    *,
    actor: User,
    upload,
    consent_confirmed: bool,
    caption: str = "",
    showcase: Showcase | None = None,
    story: Story | None = None,
) -> ShowcaseMedia:
    """A photo of a showcase (posted by its group or class) or of a story (by staff): checked, stripped of
    EXIF and location, stored outside the web root with a thumbnail (`community_college.uploads`), and
    shown only after staff moderation. The uploader confirms that the people shown agreed."""
    from community_college import uploads

    if not consent_confirmed:
        raise field_error(
            "consent_confirmed",
            _("Confirm that the people shown in the photo agreed to its publication."),
            code="consent_required",
        )
    community_id, folder = _media_owner(actor=actor, showcase=showcase, story=story)
    stored = uploads.store_image(upload, folder=folder)
    try:
        with transaction.atomic():
            item = ShowcaseMedia(
                showcase=showcase,
                story=story,
                community_id=community_id,
                caption=(caption or "").strip()[:120],
                name=stored.name,
                thumbnail=stored.thumbnail,
                content_type=stored.content_type,
                width=stored.width,
                height=stored.height,
                consent_confirmed=True,
                uploaded_by=actor,
            )
            item.full_clean()
            item.save()
    except BaseException:
        # No row, no file: a refused photo leaves nothing behind.
        uploads.delete_stored(stored.name, stored.thumbnail)
        raise
    return item


@transaction.atomic
def media_moderate(*, item: ShowcaseMedia, actor: User, approve: bool) -> ShowcaseMedia:
    """Staff of the photo's community show it on the walls, or reject it (kept, never shown)."""
    locked = ShowcaseMedia.objects.select_for_update().get(pk=item.pk)
    require_change(actor, locked.community_id, elsewhere=_("This photo belongs to another community."))
    locked.status = MediaStatus.APPROVED if approve else MediaStatus.REJECTED
    locked.moderated_by, locked.moderated_at = actor, timezone.now()
    locked.save(update_fields=["status", "moderated_by", "moderated_at"])
    item.status, item.moderated_by, item.moderated_at = locked.status, actor, locked.moderated_at
    return locked


# --- Stories ---------------------------------------------------------------------------------------------------


@transaction.atomic
def story_create(
    *,
    actor: User,
    community,
    title: str,
    body: str,
    subject_name: str = "",
    subject: User | None = None,
    showcase: Showcase | None = None,
    consent_recorded: bool = False,
    consent_note: str = "",
) -> Story:
    """Staff write down a story of a person or a case (a draft until `story_publish`)."""
    require_change(actor, community.pk, elsewhere=_("You can only write stories of your own community."))
    if showcase is not None and showcase.community_id != community.pk:
        raise field_error("showcase", _("The showcase belongs to another community."), code="scope")
    story = Story(
        community=community,
        title=title,
        body=body,
        subject_name=subject_name,
        subject=subject,
        showcase=showcase,
        consent_recorded=consent_recorded,
        consent_note=consent_note,
        written_by=actor,
    )
    story.full_clean()
    story.save()
    return story


@transaction.atomic
def story_publish(*, story: Story, actor: User) -> Story:
    """Publish a story on the walls; refused without the recorded consent of the people in it."""
    locked = Story.objects.select_for_update().get(pk=story.pk)
    require_change(actor, locked.community_id, elsewhere=_("This story belongs to another community."))
    if not locked.consent_recorded:
        raise ConflictError(
            _("Record the consent of the people in the story before publishing it."), code="consent_required"
        )
    if locked.status == StoryStatus.PUBLISHED:
        return locked
    locked.status, locked.published_at = StoryStatus.PUBLISHED, timezone.now()
    locked.save(update_fields=["status", "published_at"])
    story.status, story.published_at = locked.status, locked.published_at
    return locked


@transaction.atomic
def story_withdraw(*, story: Story, actor: User) -> Story:
    """Take a story off the walls (the person changed their mind, an error); it is kept."""
    locked = Story.objects.select_for_update().get(pk=story.pk)
    require_change(actor, locked.community_id, elsewhere=_("This story belongs to another community."))
    locked.status = StoryStatus.WITHDRAWN
    locked.save(update_fields=["status"])
    story.status = locked.status
    return locked
