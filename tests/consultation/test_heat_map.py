"""The heat map of matters by place on the consultation dashboard: a bounded grid in two queries whatever the
number of matters, scoped like the rest of the dashboard, cached with it, drawn by ECharts from static/ with
the same grid as a table for everyone else."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from consultation import services
from consultation.models import Matter
from consultation.selectors import HEAT_CELLS, matter_heat

# Two corners of the home community's area, ~3.5 km apart, and a point of the other community far away.
SW, NE, FAR = (29.500, 106.500), (29.532, 106.532), (29.700, 106.700)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _place(world, count):
    """`count` matters at each corner of the home area, one open and the rest answered; one without a place;
    one in the other community."""
    for n in range(count):
        world.raise_matter(f"西南{n}", resident=world.residents[n % 4], latitude=SW[0], longitude=SW[1])
        m = world.raise_matter(f"东北{n}", resident=world.residents[n % 4], latitude=NE[0], longitude=NE[1])
        services.matter_answer(matter=m, actor=world.staff, answer="已处理")
    world.raise_matter("没有位置", resident=world.residents[0])
    world.raise_matter("别的社区", resident=world.neighbours[0], latitude=FAR[0], longitude=FAR[1])


@pytest.mark.parametrize("count", [1, 3])
def test_grid_counts_each_place_in_two_queries(world, count, django_assert_num_queries):
    _place(world, count)
    home = Matter.objects.filter(community=world.home)
    with django_assert_num_queries(2):
        heat = matter_heat(home)
    assert heat["located"] == 2 * count and heat["max"] == count
    assert len(heat["rows"]) == HEAT_CELLS and all(len(row["cells"]) == HEAT_CELLS for row in heat["rows"])
    # North at the top: the north-east corner is the first row's last cell, the south-west the last row's first.
    assert (heat["rows"][0]["cells"][-1]["n"], heat["rows"][0]["cells"][-1]["open"]) == (count, 0)
    assert (heat["rows"][-1]["cells"][0]["n"], heat["rows"][-1]["cells"][0]["open"]) == (count, count)
    assert sum(cell["n"] for row in heat["rows"] for cell in row["cells"]) == 2 * count
    assert heat["rows"][0]["lat"] > heat["rows"][-1]["lat"]


def test_one_place_and_no_place(world):
    world.raise_matter("一个点", latitude=SW[0], longitude=SW[1])
    heat = matter_heat(Matter.objects.all())
    assert heat["located"] == 1 and [[c["n"] for c in row["cells"]] for row in heat["rows"]] == [[1]]
    assert matter_heat(Matter.objects.filter(latitude__isnull=True))["rows"] == []


def test_dashboard_heat_map_is_scoped_cached_and_drawn_from_static(client, world, django_capture_on_commit_callbacks):
    _place(world, 2)
    client.force_login(world.staff)
    response = client.get(reverse("consultation:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    heat = response.context["figures"]["heat"]
    assert heat["located"] == 4  # the other community's point is not in this staff member's map
    body = response.content.decode()
    assert "/static/vendor/echarts-5.6.0/echarts.min.js" in body and "/static/js/dashboards.js" in body
    assert 'data-chart="heat"' in body and "data-heat-grid" in body and "cdn" not in body.lower()
    charts = json.loads(body.split('<script id="dashboard-charts" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert charts["heat"]["series"][0]["type"] == "heatmap"
    assert sorted(point[2] for point in charts["heat"]["series"][0]["data"]) == [2, 2]
    # Cached with the rest of the dashboard: a matter raised shows once its transaction commits, not before.
    with django_capture_on_commit_callbacks(execute=False) as pending:
        world.raise_matter("新的", latitude=SW[0], longitude=SW[1])
        assert client.get(reverse("consultation:dashboard")).context["figures"]["heat"]["located"] == 4
    for callback in pending:
        callback()
    assert client.get(reverse("consultation:dashboard")).context["figures"]["heat"]["located"] == 5
    client.force_login(world.district)
    assert client.get(reverse("consultation:dashboard")).context["figures"]["heat"]["located"] == 6
    client.force_login(world.residents[0])
    assert client.get(reverse("consultation:dashboard")).status_code == 403


def test_dashboard_without_places_says_so(client, world):
    world.raise_matter("没有位置")
    client.force_login(world.staff)
    body = client.get(reverse("consultation:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No matter with a place on the map yet." in body and 'data-chart="heat"' not in body
