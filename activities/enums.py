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
