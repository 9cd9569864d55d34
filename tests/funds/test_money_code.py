"""`money()`'s refusals carry the code `invalid_amount` on the field's error (issue 23): Django drops a code
given beside a dict of errors, so callers could not tell a bad amount from another refusal by its code."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from funds import services
from funds.enums import Use
from funds.models import Campaign

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Enter an amount in yuan, such as 120.50."),
        ("Infinity", "Enter an amount in yuan, such as 120.50."),
        ("1.234", "Amounts are in yuan and fen: at most two decimals."),
        ("0", "The amount must be more than zero."),
        ("10000000.01", "The amount is too large."),
    ],
)
def test_money_refusal_carries_the_code_on_the_field(value, message):
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        services.money(value, field="target")
    errors = excinfo.value.error_dict
    assert list(errors) == ["target"]
    assert [(e.message, e.code) for e in errors["target"]] == [(message, "invalid_amount")]


def test_money_refusal_of_a_negative_allowed_zero_carries_the_code():
    with pytest.raises(ValidationError) as excinfo:
        services.money("-1", allow_zero=True)
    assert [e.code for e in excinfo.value.error_dict["amount"]] == ["invalid_amount"]


def test_a_caller_sees_the_code_and_writes_nothing(college, other, staff, other_staff, term):
    """campaign_create passes money()'s error on: the code reaches the caller, and no campaign of either
    college is written."""
    with pytest.raises(ValidationError) as excinfo:
        services.campaign_create(
            college=college,
            title="新琴",
            purpose="买琴",
            use=Use.EQUIPMENT,
            target="1.001",
            deadline=term.ends_on,
            actor=staff,
        )
    assert [e.code for e in excinfo.value.error_dict["target"]] == ["invalid_amount"]
    assert not Campaign.objects.exists()
    services.campaign_create(
        college=other,
        title="新鼓",
        purpose="买鼓",
        use=Use.EQUIPMENT,
        target="2",
        deadline=term.ends_on,
        actor=other_staff,
    )
    assert list(Campaign.objects.values_list("college_id", "target")) == [(other.pk, Decimal("2.00"))]
