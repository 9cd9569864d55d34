"""What the activities app announces; listeners (notices) connect in their AppConfig.ready(). Ids only."""

from django.dispatch import Signal

# Staff applied a near miss: the residents of `order_ids` are asked whether they agree (near_miss_id, order_ids).
near_miss_asked = Signal()
# Accepted orders that have waited longer than WAIT_NOTICE_DAYS (order_ids).
order_waiting_long = Signal()
