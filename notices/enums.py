"""What a notice is for, how it travels, and where each delivery stands."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    ORDER_ACCEPTED = "order_accepted", _("Order accepted")
    ORDER_REJECTED = "order_rejected", _("Order rejected")
    ORDER_DISPATCHED = "order_dispatched", _("Order dispatched to a class")
    REGISTRATION_CONFIRMED = "registration_confirmed", _("Place confirmed")
    REGISTRATION_WAITLISTED = "registration_waitlisted", _("On the waiting list")
    REGISTRATION_PROMOTED = "registration_promoted", _("Moved up from the waiting list")
    REGISTRATION_CANCELLED = "registration_cancelled", _("Registration cancelled")
    CLASS_CHANGED = "class_changed", _("Class changed")
    CLASS_CANCELLED = "class_cancelled", _("Class cancelled")
    REMINDER_24H = "reminder_24h", _("Reminder the day before")
    REMINDER_2H = "reminder_2h", _("Reminder two hours before")
    FEEDBACK_REQUEST = "feedback_request", _("Request for feedback")
    DIGEST = "digest", _("Weekly digest")
    DONATION_THANKS = "donation_thanks", _("Thanks for a gift")  # funds: a pledge was received
    # 协商议事 (consultation)
    CONSULTATION_UPDATE = "consultation_update", _("News of a matter you follow")
    CONSULTATION_TASK = "consultation_task", _("A matter awaits your action")
    CONSULTATION_INVITATION = "consultation_invitation", _("Invitation to a deliberation meeting")
    CONSULTATION_CONFIRM = "consultation_confirm", _("Is the matter really done?")
    # Certificates and the reconfirmation of places (no-shows)
    CERTIFICATE_ISSUED = "certificate_issued", _("Certificate issued")
    RECONFIRM_REQUEST = "reconfirm_request", _("Please reconfirm your place")
    PLACE_RELEASED = "place_released", _("Place released: not reconfirmed")
    NOSHOW_RULE = "noshow_rule", _("Reconfirm every session (missed sessions)")
    NOSHOW_RULE_LIFTED = "noshow_rule_lifted", _("Reconfirmation rule lifted")
    # Thin demand (issue 22): a class could open if the resident agrees; an order waiting a long time.
    NEAR_MISS_ASK = "near_miss_ask", _("A class could open if you agree")
    WAITING_OPTIONS = "waiting_options", _("Still waiting: your options")
    # 榜样评选 (recognition rounds)
    RECOGNITION_WINNER = "recognition_winner", _("You are recognised")
    RECOGNITION_NOMINEE = "recognition_nominee", _("Someone you nominated is recognised")
    RECOGNITION_STORY = "recognition_story", _("Your story awaits your approval")


# The digest is the one purpose the resident did not ask for by acting (a recommendation, close to
# marketing); every other purpose is a service notice about something the resident did or joined.
PROMOTIONAL_PURPOSES = frozenset({Purpose.DIGEST})


class Channel(models.TextChoices):
    # The inbox is the Notice row itself; SMS and e-mail are Delivery rows.
    INBOX = "inbox", _("In-site inbox")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


EXTERNAL_CHANNELS = (Channel.SMS, Channel.EMAIL)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent (no consent or no address)")


class RegistrationKind(models.TextChoices):
    """What `hooks.registration_changed` reports."""

    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("Waitlisted")
    PROMOTED = "promoted", _("Promoted")
    CANCELLED = "cancelled", _("Cancelled")


class CourseKind(models.TextChoices):
    """What `hooks.course_changed` reports."""

    CHANGED = "changed", _("Changed")
    CANCELLED = "cancelled", _("Cancelled")
