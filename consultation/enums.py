from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MatterStatus(models.TextChoices):
    RAISED = "raised", pgettext_lazy("matter status", "Raised, awaiting an answer")
    REFERRED = "referred", pgettext_lazy("matter status", "Referred to a department")
    DELIBERATION = "deliberation", pgettext_lazy("matter status", "On a deliberation agenda")
    DECIDED = "decided", pgettext_lazy("matter status", "Decided, being carried out")
    CONFIRMING = "confirming", pgettext_lazy("matter status", "Done, awaiting residents' confirmation")
    CLOSED = "closed", pgettext_lazy("matter status", "Closed")


OPEN_STATUSES = frozenset(
    {MatterStatus.RAISED, MatterStatus.REFERRED, MatterStatus.DELIBERATION, MatterStatus.DECIDED, MatterStatus.CONFIRMING}
)
# Statuses in which a matter waits for an answer from someone, so the escalation sweep watches it.
AWAITING_ANSWER = frozenset({MatterStatus.RAISED, MatterStatus.REFERRED})


class Outcome(models.TextChoices):
    ANSWERED = "answered", pgettext_lazy("matter outcome", "Answered")
    MERGED = "merged", pgettext_lazy("matter outcome", "Merged into another matter")
    CONFIRMED = "confirmed", pgettext_lazy("matter outcome", "Done, confirmed by residents")
    TIMEOUT = "timeout", pgettext_lazy("matter outcome", "Done, closed after the confirmation period")
    WITHDRAWN = "withdrawn", pgettext_lazy("matter outcome", "Withdrawn by the resident")


class Channel(models.TextChoices):
    WEB = "web", _("Online")
    PHONE = "phone", _("By phone")
    DESK = "desk", _("At the desk")


class Level(models.IntegerChoices):
    """Who answers an unanswered matter: the community first, then the street, then the district."""

    COMMUNITY = 0, _("Community")
    STREET = 1, _("Street")
    DISTRICT = 2, _("District")


class EventKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    ANSWERED = "answered", _("Answered")
    REFERRED = "referred", _("Referred to a department")
    DEPARTMENT_ANSWERED = "department_answered", _("The department answered")
    MERGED = "merged", _("Merged")
    MERGED_IN = "merged_in", _("Another matter was merged into this one")
    DELIBERATION = "deliberation", _("Taken to deliberation")
    MEETING_SCHEDULED = "meeting_scheduled", _("Meeting scheduled")
    AGENDA_PUBLISHED = "agenda_published", _("Agenda published")
    DECIDED = "decided", _("Decision recorded")
    PROGRESS = "progress", _("Progress update")
    DECISION_DONE = "decision_done", _("Decision carried out")
    DECISION_OVERDUE = "decision_overdue", _("Decision overdue")
    DONE = "done", _("Marked done, residents asked to confirm")
    CONFIRMED = "confirmed", _("Residents confirmed")
    TIMEOUT = "timeout", _("Closed after the confirmation period")
    ESCALATED = "escalated", _("Escalated")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CommentStatus(models.TextChoices):
    VISIBLE = "visible", _("Visible")
    HIDDEN = "hidden", _("Hidden, awaiting review")
    REMOVED = "removed", _("Removed by a moderator")


class ReportReason(models.TextChoices):
    SPAM = "spam", _("Spam or advertising")
    OFFENSIVE = "offensive", _("Offensive")
    PRIVATE = "private", _("Reveals someone's private information")
    OFF_TOPIC = "off_topic", _("Does not belong here")


class PhotoStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    APPROVED = "approved", _("Shown")
    REJECTED = "rejected", _("Rejected")


class ParticipantKind(models.TextChoices):
    RAISER = "raiser", _("Raised a matter")
    SUPPORTER = "supporter", _("Supported a matter")
    GRID = "grid", _("Grid member")
    PARTY = "party", _("Party member")
    UNIT = "unit", _("Unit")
    LIAISON = "liaison", _("Department liaison")
    STAFF = "staff", _("Community staff")
    RESIDENT = "resident", _("Resident")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held, minutes recorded")
    CANCELLED = "cancelled", _("Cancelled")


class OwnerKind(models.TextChoices):
    STAFF = "staff", _("A staff member")
    DEPARTMENT = "department", _("A department")
    UNIT = "unit", _("A unit")
    RESIDENTS = "residents", _("A resident group")


class DecisionStatus(models.TextChoices):
    OPEN = "open", _("Being carried out")
    DONE = "done", _("Done")


class VoteChoice(models.TextChoices):
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    ABSTAIN = "abstain", _("Abstain")
