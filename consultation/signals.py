"""What consultation announces. Listeners connect in their AppConfig.ready(); this app imports none of them.

Sent by the services inside their transaction, with ids only; `sender` is the model class the ids name.
"""

from django.dispatch import Signal

# Steps of matters' public timelines were written: event_ids (a list of MatterEvent ids).
matter_events = Signal()

# A deliberation meeting has participants to invite (those not told yet): meeting_id.
meeting_invitations = Signal()
