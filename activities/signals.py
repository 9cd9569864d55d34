"""What the activities app announces. Sent by services inside their transaction, with ids only; listeners
(the notices app, in its AppConfig.ready) enqueue their after-commit work through ops.outbox.

    signals.certificate_issued.send(sender=None, certificate_id=c.pk)
"""

from django.dispatch import Signal

# A certificate was issued (not sent again when issuing is repeated). Args: certificate_id.
certificate_issued = Signal()

# Reconfirmation of places (no-shows). Args: reconfirmation_id, kind — one of
# "asked" (please reconfirm), "released" (not reconfirmed in time: the place went to the waiting list),
# "given_up" (the resident gave the place up from the request).
reconfirmation_changed = Signal()

# A resident missed too many sessions without notice and must reconfirm every session ("imposed"), or
# staff lifted the rule ("lifted"). Args: rule_id, kind.
noshow_rule_changed = Signal()
