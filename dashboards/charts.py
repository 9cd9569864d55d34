"""ECharts options, built on the server: the browser only calls `setOption` (static/js/dashboards.js).

Options are plain JSON (no JavaScript functions), so every label is translated here, in the request's
language, and the page works the same whichever language the cached figures were computed under.
"""

from __future__ import annotations

# The portal's palette: the red of the navbar first, then calm colours that print well in grey.
PALETTE = ["#c0392b", "#2c7fb8", "#41ab5d", "#f39c12", "#8e44ad", "#7f8c8d", "#16a085"]
STAR_COLOURS = {1: "#d73027", 2: "#fc8d59", 3: "#fee08b", 4: "#91cf60", 5: "#1a9850"}
# One colour per step of the loop, each set on its step: 派单 and 返单 were drawn alike (issue 19).
FUNNEL_COLOURS = ["#c0392b", "#f39c12", "#2c7fb8", "#41ab5d", "#8e44ad", "#7f8c8d"]


def _base(title: str | None = None) -> dict:
    option: dict = {
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        # Legends go under the chart: at the top they would run into long titles.
        "grid": {"left": 48, "right": 24, "top": 40, "bottom": 40, "containLabel": True},
        "animation": False,
    }
    if title:
        option["title"] = {"text": title, "left": "left", "textStyle": {"fontSize": 14}}
    return option


def line(title: str, x: list[str], series: list[tuple[str, list]], *, area: bool = False) -> dict:
    option = _base(title)
    option.update(
        legend={"bottom": 0},
        xAxis={"type": "category", "data": x, "boundaryGap": False},
        yAxis={"type": "value", "minInterval": 1},
        series=[
            {"name": name, "type": "line", "data": data, "showSymbol": False, **({"areaStyle": {}} if area else {})}
            for name, data in series
        ],
    )
    return option


def bar(title: str, x: list[str], series: list[tuple[str, list]], *, stacked: bool = False, horizontal: bool = False,
        percent: bool = False, zoom: bool = False) -> dict:
    option = _base(title)
    category_axis = {"type": "category", "data": x, "axisLabel": {"interval": 0, "rotate": 0 if horizontal else 30}}
    value_axis = {"type": "value", **({"max": 100, "axisLabel": {"formatter": "{value} %"}} if percent else {})}
    option.update(
        legend={"bottom": 0},
        xAxis=value_axis if horizontal else category_axis,
        yAxis=category_axis if horizontal else value_axis,
        series=[
            {"name": name, "type": "bar", "data": data, **({"stack": "total"} if stacked else {})} for name, data in series
        ],
    )
    if zoom:
        option["dataZoom"] = [{"type": "slider", "yAxisIndex" if horizontal else "xAxisIndex": 0}]
    return option


def funnel(title: str, steps: list[tuple[str, int]]) -> dict:
    option = _base(title)
    option.update(
        tooltip={"trigger": "item", "formatter": "{b}: {c}"},
        series=[
            {
                "type": "funnel",
                "sort": "none",
                "top": 48,
                "bottom": 8,
                "minSize": "10%",
                "label": {"show": True, "position": "inside", "formatter": "{b}  {c}"},
                "data": [
                    {"name": name, "value": value, "itemStyle": {"color": FUNNEL_COLOURS[i % len(FUNNEL_COLOURS)]}}
                    for i, (name, value) in enumerate(steps)
                ],
            }
        ],
    )
    return option


def heatmap(title: str, x: list[str], y: list[str], cells: list[list], *, value_name: str) -> dict:
    """`cells` are [x index, y index, value]; zero cells may be left out."""
    option = _base(title)
    top = max((c[2] for c in cells), default=0)
    option.update(
        tooltip={"position": "top"},
        grid={"left": 8, "right": 72, "top": 40, "bottom": 56, "containLabel": True},
        xAxis={"type": "category", "data": x, "splitArea": {"show": True}, "axisLabel": {"rotate": 45, "interval": 0}},
        yAxis={"type": "category", "data": y, "splitArea": {"show": True}, "axisLabel": {"interval": 0}},
        visualMap={
            "min": 0,
            "max": max(1, top),
            "calculable": True,
            "orient": "vertical",
            "right": 0,
            "top": "middle",
            "inRange": {"color": ["#fff5f0", "#fc9272", "#cb181d"]},
        },
        series=[{"name": value_name, "type": "heatmap", "data": cells, "label": {"show": len(cells) <= 400}}],
    )
    if len(x) > 30:
        option["dataZoom"] = [{"type": "slider", "xAxisIndex": 0, "bottom": 0, "endValue": 29}]
    return option


def star_map(title: str, points: list[dict], *, star_labels: dict[int, str]) -> dict:
    """Colleges as points at their community's coordinates, coloured by stars (no base map: none is served)."""
    option = _base(title)
    option.update(
        tooltip={"trigger": "item"},
        xAxis={"type": "value", "scale": True, "show": False},
        yAxis={"type": "value", "scale": True, "show": False},
        visualMap={
            "type": "piecewise",
            "dimension": 2,
            "orient": "horizontal",
            "bottom": 0,
            "left": "center",
            "pieces": [{"value": n, "label": star_labels[n], "color": STAR_COLOURS[n]} for n in range(1, 6)],
        },
        series=[
            {
                "type": "scatter",
                "symbolSize": 16,
                "data": points,
                "label": {"show": len(points) <= 30, "formatter": "{b}", "position": "right", "fontSize": 10},
                "encode": {"tooltip": [2]},
            }
        ],
    )
    return option


def scatter(title: str, points: list[list], *, x_name: str, y_name: str) -> dict:
    option = _base(title)
    option.update(
        tooltip={"trigger": "item"},
        xAxis={"type": "value", "name": x_name, "nameLocation": "middle", "nameGap": 28},
        yAxis={"type": "value", "name": y_name, "min": 1, "max": 5},
        series=[{"type": "scatter", "symbolSize": 8, "data": points}],
    )
    return option
