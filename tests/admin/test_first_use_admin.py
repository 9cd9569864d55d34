"""Issue 19 items 12-15: the staff admin as staff meet it on a laptop. Layout itself is checked in the
browser (tests/e2e/test_first_use_browser.py); these pin what the pages contain."""

from datetime import timedelta

import pytest
from django.utils import timezone

from activities import orders
from activities.models import Order
from interests.enums import OrderStatus
from teachers.models import Teacher, TeacherAvailability
from tests.factories import CategoryFactory, ResidentFactory, VenueFactory

from .helpers import admin_url

pytestmark = pytest.mark.django_db


def _order(node, *, days_ago: int):
    order = orders.order_place(resident=ResidentFactory(profile__community=node.community), category=CategoryFactory())
    Order.objects.filter(pk=order.pk).update(submitted_at=timezone.now() - timedelta(days=days_ago))
    return Order.objects.get(pk=order.pk)


def test_the_order_inbox_opens_on_new_then_waiting_orders_oldest_first(world, login):
    staff = world.community_staff
    first = orders.order_cancel(order=world.a.order, actor=world.a.resident)
    old_done = _order(world.a, days_ago=30)
    orders.order_reject(order=old_done, actor=staff, reason="重复")
    accepted_old = orders.order_accept(order=_order(world.a, days_ago=20), actor=staff)
    new_recent = _order(world.a, days_ago=1)
    new_older = _order(world.a, days_ago=5)
    other_community = _order(world.b, days_ago=9)

    page = login(staff).get(admin_url(Order, "changelist"))

    assert [o.pk for o in page.context["cl"].result_list] == [new_older.pk, new_recent.pk, accepted_old.pk]
    assert other_community.pk not in [o.pk for o in page.context["cl"].result_list]
    html = page.content.decode()
    assert "To do: new and waiting (3)" in html
    assert "Rejected (1)" in html and "Cancelled (1)" in html and "All orders (5)" in html
    everything = login(staff).get(admin_url(Order, "changelist") + "?status=all")
    assert [o.pk for o in everything.context["cl"].result_list] == [
        new_older.pk, new_recent.pk, accepted_old.pk, old_done.pk, first.pk
    ]
    rejected = login(staff).get(admin_url(Order, "changelist") + f"?status={OrderStatus.REJECTED}")
    assert [o.pk for o in rejected.context["cl"].result_list] == [old_done.pk]


def test_the_teacher_pool_shows_a_few_skills_and_free_times_with_the_rest_counted(world, login):
    teacher = world.a.teacher
    TeacherAvailability.objects.filter(teacher=teacher).delete()
    for weekday in range(7):
        TeacherAvailability.objects.create(teacher=teacher, weekday=weekday, start="08:30", end="12:00")
    html = login(world.community_staff).get(admin_url(Teacher, "changelist")).content.decode()
    cell = html[html.index(f'href="{admin_url(Teacher, "change", teacher.pk)}') :]
    cell = cell[cell.index('class="field-free_times"') :]
    cell = cell[: cell.index("</td>")]
    assert '<span class="more">+5</span>' in cell
    assert cell.count("08:30") == 9  # two shown, seven in the hover title


def test_the_venue_overview_names_each_venue_in_a_readable_header_link(world, login):
    venue = VenueFactory(community=world.a.community, name="党群服务中心")
    html = login(world.community_staff).get(admin_url(type(venue), "overview")).content.decode()
    assert f'<a class="venue-name" href="{admin_url(type(venue), "change", venue.pk)}">党群服务中心</a>' in html
    assert "css/admin.css" in html


def test_the_admin_index_starts_with_todays_work_and_counts_new_orders(world, login):
    assert world.a.order.status == OrderStatus.SUBMITTED  # one new order in community A
    _order(world.b, days_ago=1)  # another community's: not counted
    html = login(world.community_staff).get("/admin/").content.decode()
    today = html[html.index('id="task-group-1"') : html.index('id="task-group-2"')]
    assert "Today&#x27;s work" in today
    assert f'href="{admin_url(Order, "changelist")}">Order inbox (接单)</a><span class="task-count">1</span>' in today
    assert html.index('id="task-group-1"') < html.index("Everything, by kind of data")
    # The model sidebar is off: the lists get the whole width of a laptop screen.
    assert 'id="nav-sidebar"' not in login(world.community_staff).get(admin_url(Order, "changelist")).content.decode()


def test_the_admins_item_picker_speaks_chinese(world, client):
    # Issue 19 item 16: "Choose 意向时间 by selecting them…" (Django's zh_Hans catalogue lacks the string).
    client.force_login(world.community_staff, backend="accounts.backends.PhoneOrEmailBackend")
    catalogue = client.get("/admin/jsi18n/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "\\u9009\\u4e2d\\u5de6\\u4fa7" in catalogue or "选中左侧" in catalogue  # 选中左侧的%s…


def test_the_by_day_table_is_headed_date_and_the_funnel_steps_differ_in_colour():
    from django.utils import translation

    from dashboards import charts

    option = charts.funnel("漏斗", [("点单", 10), ("接单", 8), ("派单", 5), ("返单", 3)])
    colours = [item["itemStyle"]["color"] for item in option["series"][0]["data"]]
    assert len(set(colours)) == 4
    with translation.override("zh-hans"):
        assert translation.pgettext("calendar", "Date") == "日期"
