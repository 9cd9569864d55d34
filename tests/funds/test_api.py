"""/api/v1/funds/…: who may call what (the access matrix), scoped answers, the error shape."""

from decimal import Decimal

import pytest

from funds import services
from funds.enums import DonorKind, ExpenseStatus, PledgeStatus, Source, Use
from funds.models import Expense, Pledge

from .conftest import png

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(college, other, staff, staff2, other_staff, term, resident):
    services.income_record(college=college, source=Source.FISCAL, donor_kind=DonorKind.GOVERNMENT, donor_name="区财政", amount="100", actor=staff)
    services.income_record(college=other, source=Source.FISCAL, donor_kind=DonorKind.GOVERNMENT, donor_name="区财政", amount="200", actor=other_staff)
    campaign = services.campaign_create(college=college, title="买琴", purpose="琴", use=Use.EQUIPMENT, target="900", deadline=term.ends_on, actor=staff)
    pledge = services.pledge_create(campaign=campaign, amount="30", pledger=resident)
    services.budget_set(college=college, term=term, use=Use.MATERIALS, amount="100", actor=staff)
    expense = services.expense_request(college=college, term=term, use=Use.MATERIALS, amount="40", description="纸", actor=staff, receipt=png())
    return {"campaign": campaign, "pledge": pledge, "expense": expense}


def _as(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)


# (method, url template, body) → expected status for: anonymous, resident, staff, other staff, district office
MATRIX = [
    ("get", "/api/v1/funds/postings/", None, (401, 403, 200, 200, 200)),
    ("get", "/api/v1/funds/balances/", None, (401, 403, 200, 200, 200)),
    ("get", "/api/v1/funds/colleges/{college}/report/", None, (200, 200, 200, 200, 200)),
    ("get", "/api/v1/funds/colleges/{college}/ledger.xlsx", None, (401, 403, 200, 404, 200)),
    ("get", "/api/v1/funds/campaigns/", None, (200, 200, 200, 200, 200)),
    ("post", "/api/v1/funds/campaigns/{campaign}/pledges/", {"amount": "5"}, (401, 201, 201, 201, 201)),
    ("post", "/api/v1/funds/pledges/{pledge}/receive/", {"method": "cash"}, (401, 403, 200, 404, 403)),
    ("post", "/api/v1/funds/expenses/{expense}/approve/", None, (401, 403, 200, 404, 403)),
]


@pytest.mark.parametrize(("method", "template", "body", "expected"), MATRIX)
def test_access_matrix(client, world, college, resident, staff2, other_staff, district_officer, method, template, body, expected):
    url = template.format(college=college.pk, campaign=world["campaign"].pk, pledge=world["pledge"].pk, expense=world["expense"].pk)
    got = []
    for user in (None, resident, staff2, other_staff, district_officer):
        _as(client, user)
        response = getattr(client, method)(url, body or {}, content_type="application/json")
        got.append(response.status_code)
        if response.status_code >= 400 and response["Content-Type"].startswith("application/json"):
            assert set(response.json()) >= {"code", "detail"}
        if method == "post" and response.status_code == 200:
            break  # the state moved on: the others would meet a different pledge or expense
    assert got == list(expected[: len(got)])


def test_postings_and_balances_are_scoped(client, world, staff, college, other):
    _as(client, staff)
    postings = client.get("/api/v1/funds/postings/").json()["results"]
    assert {p["college"] for p in postings} == {college.pk}
    balances = client.get("/api/v1/funds/balances/").json()
    assert {b["college"] for b in balances} == {college.pk}
    assert {b["account"]: b["balance"] for b in balances}["cash"] == "100.00"


def test_report_has_no_personal_data(client, world, college, resident, staff):
    body = client.get(f"/api/v1/funds/colleges/{college.pk}/report/").content.decode()
    assert resident.name not in body and staff.name not in body and resident.phone not in body


def test_pledge_api_refuses_bad_amounts_and_saves_nothing(client, world, resident):
    _as(client, resident)
    before = Pledge.objects.count()
    response = client.post(f"/api/v1/funds/campaigns/{world['campaign'].pk}/pledges/", {"amount": "-1"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "amount" in response.json()["fields"]
    assert Pledge.objects.count() == before


def test_receive_and_approve_through_the_api(client, world, staff, staff2):
    _as(client, staff2)
    response = client.post(f"/api/v1/funds/pledges/{world['pledge'].pk}/receive/", {"method": "transfer"}, content_type="application/json")
    assert response.json()["status"] == PledgeStatus.RECEIVED
    again = client.post(f"/api/v1/funds/pledges/{world['pledge'].pk}/receive/", {"method": "transfer"}, content_type="application/json")
    assert again.status_code == 409
    response = client.post(f"/api/v1/funds/expenses/{world['expense'].pk}/approve/", content_type="application/json")
    assert response.json() == {"id": world["expense"].pk, "status": ExpenseStatus.POSTED}
    assert Expense.objects.get().postings.get().entries.get(account__code="materials").amount == Decimal("40.00")
