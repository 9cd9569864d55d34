"""What funds announces. Listeners connect in their AppConfig.ready(); this app imports none of them.

Sent by the services inside their transaction, with ids only; `sender` is the model class the ids name.
"""

from django.dispatch import Signal

# Staff confirmed a pledge's money arrived (it is posted to the ledger): pledge_id.
pledge_received = Signal()
