from django.db import models
from django.utils.translation import gettext_lazy as _


class CourseStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    OPEN = "open", _("Open for registration")
    CLOSED = "closed", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class TermStatus(models.TextChoices):
    UPCOMING = "upcoming", _("Not started")
    RUNNING = "running", _("Running")
    ENDED = "ended", _("Ended")


class AttendanceStatus(models.TextChoices):
    """What the roll call records for one resident at one meeting."""

    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excused")


class AttendanceSource(models.TextChoices):
    """How an attendance was recorded: by the roll call (staff, or the teacher ticking the roster) or by the
    resident scanning the meeting's check-in code."""

    ROLL_CALL = "roll_call", _("Roll call")
    CODE = "code", _("Check-in code")


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_REGISTRATION_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class PolicyTalkStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed")
    HELD = "held", _("Held")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


# A talk accepted by both sides: shown to residents, and at most one per session.
ACCEPTED_TALK_STATUSES = (PolicyTalkStatus.CONFIRMED, PolicyTalkStatus.HELD)


class PolicyTalkSide(models.TextChoices):
    """Who started a policy talk in the two-way choice (双选): the other side answers it."""

    DEPARTMENT = "department", _("Department")
    COMMUNITY = "community", _("Community")


class CertificateKind(models.TextChoices):
    """What a certificate attests. A new kind is one more choice here; the service and the PDF take any."""

    COURSE_COMPLETION = "course_completion", _("Course completion")
    TEACHER_HOURS = "teacher_hours", _("Teaching hours")
    VOLUNTEER_HOURS = "volunteer_hours", _("Volunteer hours")
    RECOGNITION = "recognition", _("Recognition")


class ReconfirmationStatus(models.TextChoices):
    """A confirmed resident asked to reconfirm their place before one session (no-shows)."""

    ASKED = "asked", _("Waiting for an answer")
    CONFIRMED = "confirmed", _("Reconfirmed")
    GIVEN_UP = "given_up", _("Place given up")
    RELEASED = "released", _("Not reconfirmed: place released")
    # Not answered, but no one was waiting: the place was kept.
    LAPSED = "lapsed", _("Not answered (place kept)")


class ReconfirmationReason(models.TextChoices):
    WAITING_LIST = "waiting_list", _("The class has a waiting list")
    NOSHOW_RULE = "noshow_rule", _("Missed sessions without notice")


class VolunteerShiftStatus(models.TextChoices):
    RECORDED = "recorded", _("Recorded, awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Not confirmed")
class CourseKind(models.TextChoices):
    """What a course is for: a class residents learn in, or the audience of a showcase (兴趣展示).

    A showcase owns a course of kind "showcase" so that its audience registers through the same oversell-safe
    registration service and waiting list as a class; lists of classes show only kind "class".
    """

    CLASS = "class", _("Class")
    SHOWCASE = "showcase", _("Showcase audience")


class ShowcaseKind(models.TextChoices):
    PERFORMANCE = "performance", _("Performance")
    EXHIBITION = "exhibition", _("Exhibition")
    MATCH = "match", _("Match")
    OPEN_CLASS = "open_class", _("Open class")


class ShowcaseStatus(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class MediaStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    APPROVED = "approved", _("Shown")
    REJECTED = "rejected", _("Rejected")


class StoryStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")
