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

# A showcase (兴趣展示) was proposed or decided: showcase_id, kind ("proposed", "approved", "rejected",
# "cancelled").
showcase_changed = Signal()
