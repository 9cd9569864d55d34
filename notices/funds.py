"""The thank-you notice a giver gets when staff confirm their pledge was received.

It goes through the notices machinery (`notices.services.notices_create`): the inbox always, SMS and
e-mail only with the resident's consent per channel (`notices.rules`), deferred in quiet hours, exactly
once per pledge (the notice key is the pledge). Anonymous giving changes nothing here: anonymity is about
what the public page shows, and the giver is thanked privately all the same.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from funds.enums import PledgeStatus
from funds.models import Pledge
from notices import texts
from notices.enums import Purpose
from notices.selectors import url_or_empty
from notices.services import Draft, notices_create, recipient_of


def _texts(*, amount, campaign: str, college: str) -> texts.Texts:
    facts = {"amount": f"{amount:,.2f}", "campaign": campaign, "college": college}
    return texts.Texts(
        title=_("Thank you for your gift to “%(campaign)s”") % facts,
        body=_(
            "%(college)s has received your gift of %(amount)s yuan to “%(campaign)s”. Thank you! "
            "You can follow how the money is spent on the college's public funds page."
        )
        % facts,
        sms=_("%(college)s: we received your gift of %(amount)s yuan to “%(campaign)s”. Thank you!") % facts,
    )


def pledge_thank(*, pledge_id: int) -> int:
    """Thank the giver of a received pledge (0 if it is not received or has no resident behind it)."""
    pledge = (
        Pledge.objects.select_related("pledger__profile", "campaign__college")
        .filter(pk=pledge_id, status=PledgeStatus.RECEIVED, pledger__isnull=False)
        .first()
    )
    if pledge is None or not pledge.pledger.is_active:
        return 0
    recipient = recipient_of(pledge.pledger)
    with translation.override(recipient.language):
        rendered = _texts(amount=pledge.amount, campaign=pledge.campaign.title, college=pledge.campaign.college.name)
    url = url_or_empty("funds:public", pledge.campaign.college_id)
    return notices_create(
        purpose=Purpose.DONATION_THANKS, drafts=[Draft(recipient, f"pledge:{pledge.pk}", rendered, url)]
    )
