"""Choices of recognition rounds (榜样评选), shared by models, services and pages without import cycles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RoundStatus(models.TextChoices):
    NOMINATING = "nominating", _("Nominations open")
    # 公示: residents of the area vote and may object; no totals are shown until the voting is over.
    NOTICE = "notice", _("Public notice and voting")
    CLOSED = "closed", _("Closed")


class CandidateKind(models.TextChoices):
    """Who may be a candidate of a category: the rule that decides which subject a candidate names."""

    TEACHER = "teacher", _("Teacher")
    GROUP = "group", _("Interest group")
    VOLUNTEER = "volunteer", _("Volunteer")
    RESIDENT = "resident", _("Resident")


class CandidateSource(models.TextChoices):
    DATA = "data", _("From the figures")
    NOMINATION = "nomination", _("Nominated")


class Decision(models.TextChoices):
    PENDING = "pending", _("Not decided")
    WON = "won", _("Recognised")
    NOT_CHOSEN = "not_chosen", _("Not chosen")


class StoryStatus(models.TextChoices):
    NONE = "none", _("No story yet")
    AWAITING = "awaiting", _("Awaiting the person's approval")
    APPROVED = "approved", _("Approved for publication")
    DECLINED = "declined", _("Publication declined")
