"""Choices of the matching service's proposals, shared by the models, services and admin without import cycles."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from activities.matching.near_miss import Relaxation
from activities.matching.problem import Reason


class MatchScope(models.TextChoices):
    """The node of the organisation tree a run pools orders over."""

    COMMUNITY = "community", pgettext_lazy("matching scope", "Community")
    STREET = "street", pgettext_lazy("matching scope", "Street")
    DISTRICT = "district", pgettext_lazy("matching scope", "District")


class MatchSolver(models.TextChoices):
    SOLVER = "solver", _("Optimising solver (CP-SAT)")
    GREEDY = "greedy", _("Greedy baseline")


class MatchRunStatus(models.TextChoices):
    OPEN = "open", _("Awaiting review")  # some classes are still proposed
    CLOSED = "closed", _("Reviewed")  # every class is confirmed, declined or discarded
    SUPERSEDED = "superseded", _("Replaced by a later run")


class ProposedClassStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("proposed class", "Proposed")
    CONFIRMED = "confirmed", pgettext_lazy("proposed class", "Confirmed")
    DECLINED = "declined", pgettext_lazy("proposed class", "Declined")
    DISCARDED = "discarded", pgettext_lazy("proposed class", "Discarded")


class Consent(models.TextChoices):
    """A teacher's or a venue owner's answer to a proposed class."""

    PENDING = "pending", _("No answer yet")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    NOT_REQUIRED = "not_required", _("Not needed")


class UnassignedReason(models.TextChoices):
    """Why an order was left out; the values are the matching spec's reason codes."""

    NO_TEACHER = Reason.NO_TEACHER.value, _("No teacher with the skill is free and within reach")
    NO_VENUE = Reason.NO_VENUE.value, _("No venue with the facilities within walking distance")
    NO_COMMON_SLOT = Reason.NO_COMMON_SLOT.value, _("No time that suits the resident, a venue and a teacher")
    BELOW_MIN_SIZE = Reason.BELOW_MIN_SIZE.value, _("Too few residents to open a class")
    CAPACITY = Reason.CAPACITY.value, _("Suitable classes are full and no new one can open")


class NearMissRelaxation(models.TextChoices):
    """The one rule a near miss relaxes; the values are the matching core's."""

    RADIUS = Relaxation.RADIUS.value, _("Walk up to 2 km")
    SLOT = Relaxation.SLOT.value, _("Another time within their free times")
    SMALLER = Relaxation.SMALLER.value, _("A smaller class the teacher accepts")
    PARENT = Relaxation.PARENT.value, _("The broader interest")
    GROUP = Relaxation.GROUP.value, _("Join an existing interest group")


class NearMissStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("near miss", "Open")
    ASKING = "asking", pgettext_lazy("near miss", "Residents asked")
    PROPOSED = "proposed", pgettext_lazy("near miss", "Class proposed")
    JOINED = "joined", pgettext_lazy("near miss", "Joined the group")
    LAPSED = "lapsed", pgettext_lazy("near miss", "Too few agreed")
    DISMISSED = "dismissed", pgettext_lazy("near miss", "Dismissed")
    SUPERSEDED = "superseded", pgettext_lazy("near miss", "Replaced by a later run")


class MemberConsent(models.TextChoices):
    """A resident's answer to a relaxation that changes their walk, time or interest."""

    NOT_ASKED = "not_asked", _("Not needed")
    PENDING = "pending", _("No answer yet")
    ACCEPTED = "accepted", _("Agreed")
    DECLINED = "declined", _("Declined")
    LAPSED = "lapsed", _("No answer in time")
