"""Notices of 协商议事 (consultation): who hears of each step of a matter, in what words.

A reader of the `consultation` app, like the rest of notices: the domain announces a step through
`consultation.signals.matter_events` and `meeting_invitations` (received in `hooks`); the tasks call the
functions here after commit. Texts are rendered in each recipient's language; consent and quiet hours apply through
`notices_create`, as for every notice. Idempotent: the object key names the timeline event (or the meeting),
so a redelivered task makes nothing twice.

- residents who raised or support a matter hear of every public step, except the one they took themselves;
- "done" asks them to confirm (its own purpose, with a link to the confirmation form);
- a new or escalated matter goes to the staff of the level that must answer it (community, street, district);
  a referral to the department's liaisons; an overdue decision to its owner and the community's staff.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.enums import Role
from accounts.models import RoleAssignment, User
from consultation.enums import EventKind, Level, OwnerKind
from consultation.models import Decision, MatterEvent, Meeting, Participant, Support

from . import selectors, texts
from .enums import Purpose
from .services import Draft, notices_create
from .texts import Texts, _sms


def _step_label(kind: str) -> str:
    return str(EventKind(kind).label)


def step_texts(*, title: str, kind: str, note: str) -> Texts:
    names = {"title": title, "step": _step_label(kind), "note": note}
    body = _("The matter “%(title)s” has a new step: %(step)s.") % names
    if note:
        body += "\n" + note
    return Texts(
        title=_("%(step)s: %(title)s") % names,
        body=body,
        sms=_sms(_("Your community's matter “%(title)s”: %(step)s. %(note)s") % names),
    )


def confirm_texts(*, title: str, url: str) -> Texts:
    names = {"title": title, "url": texts.absolute(url)}
    return Texts(
        title=_("Is it really done? %(title)s") % names,
        body=_(
            "The matter “%(title)s” has been marked done. Is it really done? Tell us, with one to five stars "
            "and a comment: %(url)s"
        )
        % names,
        sms=_sms(_("“%(title)s” is marked done. Is it really? Tell us: %(url)s") % names),
    )


def task_texts(*, title: str, kind: str, note: str, community: str) -> Texts:
    names = {"title": title, "step": _step_label(kind), "note": note, "community": community}
    return Texts(
        title=_("Awaiting your action: %(title)s (%(community)s)") % names,
        body=_("%(step)s: the matter “%(title)s” of %(community)s awaits your action.") % names
        + (("\n" + note) if note else ""),
        sms=_sms(_("%(community)s: matter “%(title)s” awaits your action (%(step)s).") % names),
    )


def invitation_texts(*, meeting: str, venue: str, when: str) -> Texts:
    names = {"meeting": meeting, "venue": venue, "when": when}
    return Texts(
        title=_("Invitation: %(meeting)s") % names,
        body=_("You are invited to the deliberation meeting “%(meeting)s”, %(when)s, at %(venue)s. Please confirm whether you will come.")
        % names,
        sms=_sms(_("Invitation: %(meeting)s, %(when)s, %(venue)s. Please confirm.") % names),
    )


# --- recipients ---------------------------------------------------------------------------------------------

_FOLLOWER_STEPS = frozenset(
    {
        EventKind.ANSWERED,
        EventKind.DEPARTMENT_ANSWERED,
        EventKind.REFERRED,
        EventKind.MERGED,
        EventKind.DELIBERATION,
        EventKind.MEETING_SCHEDULED,
        EventKind.AGENDA_PUBLISHED,
        EventKind.DECIDED,
        EventKind.PROGRESS,
        EventKind.DECISION_DONE,
        EventKind.CONFIRMED,
        EventKind.TIMEOUT,
        EventKind.ESCALATED,
    }
)


def _recipients(user_ids: Iterable[int]) -> list[selectors.Recipient]:
    rows = User.objects.filter(pk__in=list(user_ids)).values(*selectors.recipient_fields())
    return [selectors.recipient_from_row(row) for row in rows]


def _staff_for(level: int, community_id: int, street_id: int, district_id: int) -> set[int]:
    if level >= Level.DISTRICT:
        query = Q(role=Role.DISTRICT_OFFICE, district_id=district_id)
    elif level == Level.STREET:
        query = Q(role=Role.STREET_STAFF, street_id=street_id)
    else:
        query = Q(role=Role.COMMUNITY_STAFF, community_id=community_id)
    return set(RoleAssignment.objects.filter(query).values_list("user_id", flat=True))


def _liaisons(department_id: int | None) -> set[int]:
    if department_id is None:
        return set()
    return set(
        RoleAssignment.objects.filter(role=Role.DEPARTMENT_LIAISON, department_id=department_id).values_list("user_id", flat=True)
    )


def _drafts(user_ids: set[int], key: str, url: str, build) -> list[Draft]:
    drafts, cache = [], {}
    for recipient in _recipients(user_ids):
        if recipient.language not in cache:
            from django.utils import translation

            with translation.override(recipient.language):
                cache[recipient.language] = build()
        drafts.append(Draft(recipient, key, cache[recipient.language], url))
    return drafts


def notify_events(*, event_ids: Sequence[int]) -> int:
    """Notices for timeline events (a handful of queries per event; sweeps send a few hundred at most)."""
    events = (
        MatterEvent.objects.select_related("matter__community__street")
        .filter(pk__in=list(event_ids))
        .order_by("id")
    )
    made = 0
    for event in events:
        matter = event.matter
        key = f"matter-event:{event.pk}"
        url = selectors.url_or_empty("consultation:matter", matter.pk)
        community = matter.community
        followers = set(Support.objects.filter(matter_id=matter.pk).values_list("user_id", flat=True))
        followers.add(matter.raised_by_id)
        followers.discard(event.actor_id)
        kind = event.kind
        if kind == EventKind.DONE:
            confirm_url = selectors.url_or_empty("consultation:confirm", matter.pk)
            made += notices_create(
                purpose=Purpose.CONSULTATION_CONFIRM,
                drafts=_drafts(followers, key, confirm_url, lambda m=matter, u=confirm_url: confirm_texts(title=m.title, url=u)),
            )
            continue
        if kind in _FOLLOWER_STEPS:
            made += notices_create(
                purpose=Purpose.CONSULTATION_UPDATE,
                drafts=_drafts(
                    followers, key, url, lambda m=matter, e=event: step_texts(title=m.title, kind=e.kind, note=e.note)
                ),
            )
        workers: set[int] = set()
        if kind in (EventKind.RAISED, EventKind.ESCALATED):
            workers = _staff_for(matter.level, community.pk, community.street_id, community.street.district_id)
        elif kind == EventKind.REFERRED:
            workers = _liaisons(matter.department_id)
        elif kind == EventKind.DECISION_OVERDUE:
            workers = _staff_for(Level.COMMUNITY, community.pk, community.street_id, community.street.district_id)
            for decision in Decision.objects.filter(matter_id=matter.pk, overdue_at=event.at):
                if decision.owner_kind == OwnerKind.STAFF and decision.owner_user_id:
                    workers.add(decision.owner_user_id)
                elif decision.owner_kind == OwnerKind.DEPARTMENT:
                    workers |= _liaisons(decision.owner_department_id)
        workers.discard(event.actor_id)
        if workers:
            staff_url = selectors.url_or_empty("admin:consultation_matter_change", matter.pk)
            made += notices_create(
                purpose=Purpose.CONSULTATION_TASK,
                drafts=_drafts(
                    workers,
                    key,
                    staff_url,
                    lambda m=matter, e=event, c=community: task_texts(title=m.title, kind=e.kind, note=e.note, community=c.name),
                ),
            )
    return made


def notify_invitations(*, meeting_id: int) -> int:
    meeting = Meeting.objects.select_related("venue").filter(pk=meeting_id).first()
    if meeting is None:
        return 0
    user_ids = set(Participant.objects.filter(meeting_id=meeting_id).values_list("user_id", flat=True))
    url = selectors.url_or_empty("consultation:meeting", meeting.pk)
    return notices_create(
        purpose=Purpose.CONSULTATION_INVITATION,
        drafts=_drafts(
            user_ids,
            f"meeting:{meeting.pk}",
            url,
            lambda: invitation_texts(meeting=meeting.title, venue=meeting.venue.name, when=texts.when(meeting.starts_at)),
        ),
    )


# --- The weekly digest line ------------------------------------------------------------------------------------


def digest_follow_counts(*, first_id: int, last_id: int, since) -> dict[int, tuple[int, int]]:
    """For the residents with ids in [first_id, last_id]: (open matters they raised or support, of which
    with a step on the timeline since `since`). One query for the whole batch."""
    from django.db.models import Exists, OuterRef

    from consultation.enums import MatterStatus
    from consultation.models import Matter

    news = MatterEvent.objects.filter(at__gte=since).order_by()
    supported = (
        Support.objects.filter(user_id__gte=first_id, user_id__lte=last_id)
        .exclude(matter__status=MatterStatus.CLOSED)
        .annotate(moved=Exists(news.filter(matter_id=OuterRef("matter_id"))))
        .order_by()
        .values_list("user_id", "matter_id", "moved")
    )
    raised = (
        Matter.objects.filter(raised_by_id__gte=first_id, raised_by_id__lte=last_id)
        .exclude(status=MatterStatus.CLOSED)
        .annotate(moved=Exists(news.filter(matter_id=OuterRef("pk"))))
        .order_by()
        .values_list("raised_by_id", "id", "moved")
    )
    seen: dict[int, dict[int, bool]] = {}
    for user_id, matter_id, moved in supported.union(raised, all=True):
        seen.setdefault(user_id, {})[matter_id] = bool(moved)
    return {user_id: (len(m), sum(m.values())) for user_id, m in seen.items()}


def digest_line(*, open_count: int, moved: int, url: str) -> str:
    return _("Community matters you follow: %(open)d open, %(moved)d with news this week. %(url)s") % {
        "open": open_count,
        "moved": moved,
        "url": texts.absolute(url),
    }
