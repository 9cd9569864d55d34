"""Query counts of the fund's lists (pages, API, admin changelists) pinned, and not growing with the rows."""

import pytest
from django.urls import reverse

from funds import services
from funds.enums import DonorKind, Source, Use

from .conftest import png

pytestmark = pytest.mark.django_db

# url or admin url name → queries of one request by a signed-in staff member (session and user included)
LISTS = {
    "/funds/campaigns/": 7,  # with the page's COUNT
    "/api/v1/funds/campaigns/": 5,
    "/api/v1/funds/postings/": 7,
    "/api/v1/funds/balances/": 5,
    "admin:funds_campaign_changelist": 9,
    "admin:funds_pledge_changelist": 9,
    "admin:funds_posting_changelist": 11,
    "admin:funds_income_changelist": 9,
    "admin:funds_expense_changelist": 10,
}


def _add(college, staff, resident, term, n, tag):
    for i in range(n):
        campaign = services.campaign_create(
            college=college, title=f"买琴{tag}{i}", purpose="琴", use=Use.EQUIPMENT, target="900", deadline=term.ends_on, actor=staff
        )
        services.pledge_create(campaign=campaign, amount="30", pledger=resident)
        services.income_record(
            college=college, source=Source.FISCAL, donor_kind=DonorKind.GOVERNMENT, donor_name=f"区财政{tag}{i}", amount="100", actor=staff
        )
        services.expense_request(college=college, term=term, use=Use.MATERIALS, amount="4", description=f"纸{tag}{i}", actor=staff, receipt=png())


@pytest.mark.parametrize(("name", "queries"), LISTS.items())
def test_list_queries_are_pinned_and_do_not_grow(client, college, other, staff, other_staff, resident, term, django_assert_num_queries, name, queries):
    for where, who in ((college, staff), (other, other_staff)):
        services.budget_set(college=where, term=term, use=Use.MATERIALS, amount="1000", actor=who)
        _add(where, who, resident, term, 2, "a")
    client.force_login(staff)
    url = reverse(name) if name.startswith("admin:") else name
    client.get(url)  # warm the per-process caches (content types, site)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    _add(college, staff, resident, term, 4, "b")
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_campaigns_page_a_page_at_a_time_own_community_first(client, college, other, staff, other_staff, resident, term):
    from funds.views import CAMPAIGNS_PAGE_SIZE

    def open_campaign(where, who, title):
        return services.campaign_create(
            college=where, title=title, purpose="琴", use=Use.EQUIPMENT, target="900", deadline=term.ends_on, actor=who
        )

    for i in range(CAMPAIGNS_PAGE_SIZE):
        open_campaign(other, other_staff, f"别处{i}")
    open_campaign(college, staff, "本社区买琴")
    client.force_login(resident)
    first = client.get("/funds/campaigns/")
    titles = [c.title for c, _row in first.context["items"]]
    assert titles[0] == "本社区买琴"
    assert len(titles) == CAMPAIGNS_PAGE_SIZE
    second = client.get("/funds/campaigns/?page=2")
    assert [c.title for c, _row in second.context["items"]] == [f"别处{CAMPAIGNS_PAGE_SIZE - 1}"]
