"""The public page (公示), campaigns and pledges, receipts and the workbook: who sees what."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from funds import services
from funds.enums import DonorKind, PaymentMethod, PledgeStatus, Source, Use
from funds.models import Pledge
from notices import funds as thanks
from notices.enums import Purpose
from notices.models import Notice
from tests.factories.accounts import ResidentFactory

from .conftest import PNG, png

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(college, other, staff, staff2, resident, term, other_staff):
    """A term of money in `college`, and a little in `other`."""
    services.income_record(college=college, source=Source.FISCAL, donor_kind=DonorKind.GOVERNMENT, donor_name="区财政局", amount="5000", actor=staff)
    services.income_record(
        college=college, source=Source.ALLOCATED, donor_kind=DonorKind.ENTERPRISE, donor_name="隐身科技有限公司",
        amount="2000", actor=staff, publish_donor=False,
    )
    services.income_record(
        college=college, source=Source.ALLOCATED, donor_kind=DonorKind.ENTERPRISE, donor_name="愿具名物业公司",
        amount="1000", actor=staff, publish_donor=True,
    )
    campaign = services.campaign_create(
        college=college, title="给合唱团买音响", purpose="音响一套", use=Use.EQUIPMENT, target="3000",
        deadline=term.ends_on, actor=staff,
    )
    quiet = services.pledge_create(campaign=campaign, amount="300", pledger=resident)
    named = services.pledge_create(
        campaign=campaign, amount="200", pledger=ResidentFactory(profile__community=college.community, name="李大爷"),
        public_name="老李",
    )
    services.pledge_receive(pledge=quiet, actor=staff, method=PaymentMethod.CASH)
    services.pledge_receive(pledge=named, actor=staff, method=PaymentMethod.TRANSFER)
    services.budget_set(college=college, term=term, use=Use.EQUIPMENT, amount="1000", actor=staff)
    expense = services.expense_request(
        college=college, term=term, use=Use.EQUIPMENT, amount="450", description="音响", actor=staff,
        receipt=png(), campaign=campaign,
    )
    services.expense_approve(expense=expense, actor=staff2)
    services.income_record(college=other, source=Source.FISCAL, donor_kind=DonorKind.GOVERNMENT, donor_name="区财政局", amount="777", actor=other_staff)
    return campaign, expense


def test_public_page_shows_sources_uses_and_campaigns(client, college, funded):
    response = client.get(reverse("funds:public", args=[college.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "8,500.00" in html  # 5,000 + 2,000 + 1,000 + 300 + 200
    assert "450.00" in html
    assert "给合唱团买音响" in html
    assert "777.00" not in html  # the other college's money


def test_public_page_shows_no_personal_data(client, college, funded, resident):
    html = client.get(reverse("funds:public", args=[college.pk])).content.decode()
    # Named only where the giver chose it …
    assert "老李" in html and "愿具名物业公司" in html
    # … and nothing else: not the anonymous giver, not the unnamed donor, not the real name behind "老李",
    # not staff, not phone numbers.
    assert resident.name not in html
    assert "李大爷" not in html
    assert "隐身科技有限公司" not in html
    assert resident.phone not in html and resident.phone[:3] + "****" not in html


def test_public_page_query_count_does_not_grow_with_postings(client, college, funded, staff, django_assert_num_queries):
    # college, terms with postings (twice: the default term and the selector), term in force, the report
    # (entries, campaigns, raised/spent, pledges, named incomes, named pledges, budget lines)
    url = reverse("funds:public", args=[college.pk])
    client.get(url)
    with django_assert_num_queries(11) as before:
        client.get(url)
    for _ in range(3):
        services.income_record(college=college, source=Source.FISCAL, donor_kind=DonorKind.GOVERNMENT, donor_name="区财政局", amount="10", actor=staff)
    with django_assert_num_queries(len(before.captured_queries)):
        client.get(url)


def test_resident_pledges_from_the_campaign_page(client, college, term, staff, resident):
    campaign = services.campaign_create(
        college=college, title="买古筝", purpose="民乐班", use=Use.EQUIPMENT, target="2000", deadline=term.ends_on, actor=staff
    )
    url = reverse("funds:campaign", args=[campaign.pk])
    assert client.post(url, {"amount": "88"}).status_code == 302  # to sign in
    assert not Pledge.objects.exists()
    client.force_login(resident)
    response = client.post(url, {"amount": "88.00", "public_name": ""})
    assert response.status_code == 302
    pledge = Pledge.objects.get()
    assert (pledge.pledger, pledge.amount, pledge.status, pledge.is_anonymous) == (resident, Decimal("88.00"), PledgeStatus.PLEDGED, True)
    # Promised money is not in the ledger.
    assert not pledge.postings.exists()
    page = client.get(url).content.decode()
    assert "88.00" in page


@pytest.mark.parametrize("amount", ["0", "-3", "abc", "1.001"])
def test_bad_pledge_is_refused_with_nothing_saved(client, college, term, staff, resident, amount):
    campaign = services.campaign_create(
        college=college, title="买古筝", purpose="民乐班", use=Use.EQUIPMENT, target="2000", deadline=term.ends_on, actor=staff
    )
    client.force_login(resident)
    response = client.post(reverse("funds:campaign", args=[campaign.pk]), {"amount": amount})
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()
    assert not Pledge.objects.exists()


def test_receiving_a_pledge_thanks_the_giver_once(college, term, staff, resident, django_capture_on_commit_callbacks):
    campaign = services.campaign_create(
        college=college, title="买古筝", purpose="民乐班", use=Use.EQUIPMENT, target="2000", deadline=term.ends_on, actor=staff
    )
    pledge = services.pledge_create(campaign=campaign, amount="50", pledger=resident)
    with django_capture_on_commit_callbacks() as callbacks:
        services.pledge_receive(pledge=pledge, actor=staff, method=PaymentMethod.CASH)
    assert len(callbacks) == 1
    assert thanks.pledge_thank(pledge_id=pledge.pk) == 1
    thanks.pledge_thank(pledge_id=pledge.pk)  # a repeated task: still one notice
    notice = Notice.objects.get()
    assert (notice.recipient, notice.purpose, notice.object_key) == (resident, Purpose.DONATION_THANKS, f"pledge:{pledge.pk}")
    assert "买古筝" in notice.body


def test_a_pledge_is_received_once(college, term, staff, staff2, resident):
    campaign = services.campaign_create(
        college=college, title="买古筝", purpose="民乐班", use=Use.EQUIPMENT, target="2000", deadline=term.ends_on, actor=staff
    )
    pledge = services.pledge_create(campaign=campaign, amount="50", pledger=resident)
    services.pledge_receive(pledge=pledge, actor=staff, method=PaymentMethod.CASH)
    with pytest.raises(Exception) as exc:
        services.pledge_receive(pledge=pledge, actor=staff2, method=PaymentMethod.CASH)
    assert exc.value.code == "invalid_transition"
    assert pledge.postings.count() == 1


def test_receipt_is_served_only_to_staff_in_scope(client, college, funded, staff, other_staff, district_officer, resident, settings):
    _, expense = funded
    url = reverse("funds:receipt", args=[expense.pk])
    assert client.get(url).status_code == 302
    client.force_login(resident)
    assert client.get(url).status_code == 403
    client.force_login(other_staff)
    assert client.get(url).status_code == 404
    for user in (staff, district_officer):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
    # Stored outside the web root: under FUNDS_RECEIPTS_ROOT, and nowhere under static or media URLs.
    assert expense.receipt.path.startswith(settings.FUNDS_RECEIPTS_ROOT)


def test_ledger_workbook_is_formula_safe_and_scoped(client, college, term, staff, other_staff):
    services.income_record(
        college=college, source=Source.ALLOCATED, donor_kind=DonorKind.UNIT, donor_name="x", amount="10", actor=staff,
        memo='=HYPERLINK("http://evil.invalid","点我")',
    )
    url = reverse("funds:ledger_xlsx", args=[college.pk])
    client.force_login(other_staff)
    assert client.get(url).status_code == 404
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    ledger = book.worksheets[0]  # named in the reader's language (账目 in Chinese)
    memos = [row[3] for row in ledger.iter_rows(min_row=2, values_only=True)]
    assert memos == ["'=HYPERLINK(\"http://evil.invalid\",\"点我\")"] * 2
    amounts = [row[5] or row[6] for row in ledger.iter_rows(min_row=2, values_only=True)]
    assert sorted(amounts) == [10, 10]
