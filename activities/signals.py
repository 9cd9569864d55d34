"""What activities announces. Listeners connect in their AppConfig.ready(); this app imports none of them.

Every signal is sent by a service inside its transaction, with ids only (never model instances), so a
listener writes its after-commit work (`ops.outbox.enqueue`) in the same transaction: a rolled-back change
announces nothing. `sender` is the model class of the row the ids name.
"""

from django.dispatch import Signal

# An order moved on its loop (点单 → 接单 → 派单 → 返单): order_id, status (the new OrderStatus), actor_id.
order_changed = Signal()

# An order was accepted (接单) by a person: order_id, actor_id. Sent by `order_accept` after order_changed,
# so listeners of both see the step first (the incremental placement listens to this one).
order_accepted = Signal()

# A resident's place in a class changed: registration_id, kind ("confirmed", "waitlisted", "promoted",
# "cancelled").
registration_changed = Signal()

# A class changed for its residents: course_id, kind ("changed", "cancelled").
course_changed = Signal()

# A certificate was issued (not sent again when issuing is repeated): certificate_id.
certificate_issued = Signal()

# Reconfirmation of places (no-shows): reconfirmation_id, kind — "asked" (please reconfirm) or "released"
# (not reconfirmed in time: the place went to the waiting list).
reconfirmation_changed = Signal()

# A resident missed too many sessions without notice and must reconfirm every session ("imposed"), or
# staff lifted the rule ("lifted"): rule_id, kind.
noshow_rule_changed = Signal()
# Staff applied a near miss: the residents of `order_ids` are asked whether they agree (near_miss_id, order_ids).
near_miss_asked = Signal()

# Accepted orders that have waited longer than WAIT_NOTICE_DAYS (order_ids).
order_waiting_long = Signal()
# A showcase (兴趣展示) was proposed, decided or moved: showcase_id, kind ("proposed", "approved",
# "rejected", "cancelled", "moved").
showcase_changed = Signal()
