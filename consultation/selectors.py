"""Reads about matters, meetings and decisions, and who may see which.

Visibility (one place):
- a resident sees the matters of their home community (public text only; the raiser's name only if they
  chose to show it);
- staff see the matters of their scope (`accounts.selectors.scope_for`), with names and masked phones;
- a department liaison sees only the matters referred to their department, and the decisions it owns.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from accounts.enums import Role
from accounts.models import RoleAssignment, User
from accounts.selectors import scope_for

from . import similar
from .enums import CommentStatus, MatterStatus, PhotoStatus
from .models import (
    Comment,
    Decision,
    Matter,
    MatterCategory,
    MatterEvent,
    MatterPhoto,
    Meeting,
    Participant,
    Support,
)


def home_community_id(user: User) -> int | None:
    """The community a resident lives in (their profile), or None."""
    if not user.is_authenticated:
        return None
    cached = getattr(user, "_cc_home_community", False)
    if cached is not False:
        return cached
    from interests.models import ResidentProfile

    value = ResidentProfile.objects.filter(user=user).values_list("community_id", flat=True).first()
    user._cc_home_community = value
    return value


def liaison_department_ids(user: User) -> frozenset[int]:
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_cc_liaison_departments", None)
    if cached is None:
        cached = frozenset(
            RoleAssignment.objects.filter(user=user, role=Role.DEPARTMENT_LIAISON).values_list("department_id", flat=True)
        )
        user._cc_liaison_departments = cached
    return cached


def matters_for_resident(user: User) -> QuerySet[Matter]:
    """The matters of the resident's home community (none without a profile); merged ones left out."""
    community_id = home_community_id(user)
    if community_id is None:
        return Matter.objects.none()
    return Matter.objects.filter(community_id=community_id)


def matters_for_staff(user: User) -> QuerySet[Matter]:
    return scope_for(user).filter(Matter.objects.all())


def matters_for_liaison(user: User) -> QuerySet[Matter]:
    departments = liaison_department_ids(user)
    if not departments:
        return Matter.objects.none()
    return Matter.objects.filter(department_id__in=departments)


def matters_visible_to(user: User) -> QuerySet[Matter]:
    """Everything the user may read: their community's, their scope's, their department's."""
    query = Q(pk__in=[])
    community_id = home_community_id(user)
    if community_id is not None:
        query |= Q(community_id=community_id)
    scope = scope_for(user)
    if scope.everything:
        return Matter.objects.all()
    if scope.community_ids:
        query |= Q(community_id__in=scope.community_ids)
    departments = liaison_department_ids(user)
    if departments:
        query |= Q(department_id__in=departments)
    return Matter.objects.filter(query)


def matter_list(queryset: QuerySet[Matter], *, user: User | None = None) -> QuerySet[Matter]:
    """A page of matters with what a list row shows: category, community and whether I support it."""
    queryset = queryset.select_related("category__parent", "community", "raised_by").order_by("-raised_at", "-id")
    if user is not None and user.is_authenticated:
        queryset = queryset.annotate(
            i_support=Exists(Support.objects.filter(matter=OuterRef("pk"), user_id=user.pk))
        )
    return queryset


def matter_detail(queryset: QuerySet[Matter], pk: int, *, staff: bool = False) -> Matter | None:
    """One matter with its timeline, shown photos, visible comments, meetings and decisions (prefetched)."""
    comments = Comment.objects.select_related("author").order_by("created", "id")
    photos = MatterPhoto.objects.order_by("id")
    if not staff:
        comments = comments.filter(status=CommentStatus.VISIBLE)
        photos = photos.filter(status=PhotoStatus.APPROVED)
    return (
        queryset.select_related("category__parent", "community__street", "raised_by", "department", "merged_into")
        .prefetch_related(
            Prefetch("events", queryset=MatterEvent.objects.order_by("at", "id")),
            Prefetch("comments", queryset=comments),
            Prefetch("photos", queryset=photos),
            Prefetch("decisions", queryset=Decision.objects.select_related("owner_user", "owner_department").prefetch_related("updates")),
            Prefetch("meetings", queryset=Meeting.objects.select_related("venue").order_by("starts_at")),
        )
        .filter(pk=pk)
        .first()
    )


def similar_matters(*, community_id: int, title: str, exclude_id: int | None = None, limit: int = 5) -> list[Matter]:
    """Matters of the same community whose titles look or sound alike, best first (for "did you mean…").

    Open matters and those closed in the last year; compared in Python on (id, title, pinyin) rows,
    which stays small per community (a few hundred a year).
    """
    rows = Matter.objects.filter(community_id=community_id).exclude(status=MatterStatus.CLOSED, outcome="merged")
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    candidates = rows.order_by("-raised_at").values_list("id", "title", "title_pinyin")[:2000]
    ranked = similar.rank_similar(title, candidates, limit=limit)
    by_id = Matter.objects.select_related("category").in_bulk([pk for pk, _s in ranked])
    return [by_id[pk] for pk, _s in ranked if pk in by_id]


def category_choices() -> QuerySet[MatterCategory]:
    """Leaf categories that are offered, with their parents, for the raise form."""
    return (
        MatterCategory.objects.filter(is_active=True, children__isnull=True)
        .select_related("parent")
        .order_by("parent__sort_order", "parent__name", "sort_order", "name")
    )


def meetings_for_user(user: User) -> QuerySet[Meeting]:
    scope = scope_for(user)
    query = Q(participants__user=user)
    if scope.everything:
        return Meeting.objects.all()
    if scope.community_ids:
        query |= Q(community_id__in=scope.community_ids)
    community_id = home_community_id(user)
    if community_id is not None:
        query |= Q(community_id=community_id, agenda_published_at__isnull=False)
    return Meeting.objects.filter(pk__in=Meeting.objects.filter(query).values("pk"))


def meeting_present(meeting: Meeting) -> QuerySet[User]:
    """Who is present at a meeting: checked in at the door, or, for a meeting held in a class session, marked
    present on that session's roll call (the attendance service's record is the one that counts)."""
    if meeting.session_id is not None:
        from activities.models import Attendance

        return User.objects.filter(
            pk__in=Attendance.objects.filter(session_id=meeting.session_id, attended=True).values("resident_id")
        )
    return User.objects.filter(
        pk__in=Participant.objects.filter(meeting_id=meeting.pk, present_at__isnull=False).values("user_id")
    )


def decisions_for_owner(user: User) -> QuerySet[Decision]:
    """Decisions the user reports progress on: theirs, their department's, or their scope's."""
    query = Q(owner_user=user)
    departments = liaison_department_ids(user)
    if departments:
        query |= Q(owner_department_id__in=departments)
    scope = scope_for(user)
    if scope.everything:
        return Decision.objects.all()
    if scope.community_ids:
        query |= Q(matter__community_id__in=scope.community_ids)
    return Decision.objects.filter(query)


def followers_of(matter_id: int) -> list[int]:
    """The residents a matter's news goes to: who raised it and who supports it."""
    raiser = Matter.objects.filter(pk=matter_id).values_list("raised_by_id", flat=True).first()
    ids = set(Support.objects.filter(matter_id=matter_id).values_list("user_id", flat=True))
    if raiser is not None:
        ids.add(raiser)
    return sorted(ids)


def public_raiser_name(matter: Matter) -> str:
    return matter.raised_by.name if matter.show_name else ""


# --- Dashboard ----------------------------------------------------------------------------------------------

DASHBOARD_SECONDS = 300
DASHBOARD_GENERATION_KEY = "consultation:dashboard:generation"


def dashboard_generation() -> int:
    """The number in the dashboard's cache keys; `dashboard_bump_generation` makes every scope's figures stale."""
    value = cache.get(DASHBOARD_GENERATION_KEY)
    if value is None:
        cache.add(DASHBOARD_GENERATION_KEY, 1, None)
        value = cache.get(DASHBOARD_GENERATION_KEY, 1)
    return value


def dashboard_bump_generation() -> None:
    """Called by the services once a step of some matter has committed (the figures are per scope, and a
    step moves the figures of every scope holding the matter: one counter stales them all at once)."""
    try:
        cache.incr(DASHBOARD_GENERATION_KEY)
    except ValueError:  # not set yet, or evicted
        cache.set(DASHBOARD_GENERATION_KEY, 2, None)


def scope_dashboard(scope, *, since) -> dict:
    """The dashboard's figures (with the heat map) of the matters raised in `scope` since `since`, cached per
    scope until a step of a matter commits (see `dashboard_bump_generation`) or `DASHBOARD_SECONDS` pass
    (the window slides with the clock)."""
    key = f"consultation:dashboard:{dashboard_generation()}:{scope.cache_key}"
    figures = cache.get(key)
    if figures is None:
        figures = dashboard_figures(scope.filter(Matter.objects.filter(raised_at__gte=since)), heat=True)
        cache.set(key, figures, DASHBOARD_SECONDS)
    return figures


STEP_SPANS = (
    ("raised_answered", "raised_at", "answered_at"),
    ("deliberation_decided", "deliberation_at", "decided_at"),
    ("decided_done", "decided_at", "done_at"),
    ("done_closed", "done_at", "closed_at"),
)


def _medians_days(queryset: QuerySet[Matter]) -> dict[str, float | None]:
    """Median days of each step, over the matters that took it: one query on PostgreSQL (percentile_cont);
    elsewhere the spans are read and sorted in Python (development databases are small)."""
    from django.db import connection
    from django.db.models import Aggregate, F, FloatField

    if connection.vendor == "postgresql":

        class Median(Aggregate):
            # date_part, not EXTRACT: since PostgreSQL 14 EXTRACT returns numeric, and sorting numerics made
            # this query about 1.5 times slower; percentile_cont takes double precision anyway.
            template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', %(expressions)s))"
            arg_joiner = " - "
            output_field = FloatField()

        aggregates = {key: Median(F(end), F(start)) for key, start, end in STEP_SPANS}
        row = queryset.order_by().aggregate(**aggregates)
        return {key: (row[key] / 86400 if row[key] is not None else None) for key, _s, _e in STEP_SPANS}
    from statistics import median

    result = {}
    for key, start, end in STEP_SPANS:
        spans = [
            (b - a).total_seconds() / 86400
            for a, b in queryset.filter(**{f"{start}__isnull": False, f"{end}__isnull": False}).values_list(start, end)
        ]
        result[key] = median(spans) if spans else None
    return result


DASHBOARD_COUNTS = ("raised", "answered", "on_time", "deliberated", "decided", "done", "open")


def dashboard_figures(queryset: QuerySet[Matter], *, heat: bool = False) -> dict:
    """The consultation section of the dashboards for the matters in `queryset` (already scoped and
    filtered): totals, medians per step, satisfaction, and the same by street, community and category;
    with `heat`, the heat map of matters by place too (`matter_heat`).

    One grouped scan of the matters by (community, category) — a few hundred rows at district scale —
    which also carries the box of the located matters; totals and the three tables are summed from it in
    Python. Then the confirmations, the overdue decisions, the names of the communities and categories, the
    medians, and with `heat` the grid (its box already known): six queries, seven with the heat map,
    whatever the number of matters."""
    from .enums import DecisionStatus

    cells = _matters_by_cell(queryset)
    ids = queryset.order_by().values("pk")
    ratings = _satisfaction_by_cell(ids)
    overdue = Decision.objects.filter(matter__in=ids, status=DecisionStatus.OPEN, overdue_at__isnull=False).count()
    places, category_names = _cell_names(cells)
    totals, tables = _sum_cells(cells, ratings, places, category_names)
    ratings_n, ratings_sum = totals.pop("_n"), totals.pop("_sum")
    figures = {
        "totals": totals,
        "on_time_share": (totals["on_time"] / totals["answered"]) if totals["answered"] else None,
        "satisfaction": ratings_sum / ratings_n if ratings_n else None,
        "confirmations": ratings_n,
        "overdue_decisions": overdue,
        "medians": _medians_days(queryset),
        "by_street": _table_rows(tables["street"], "community__street_id", "community__street__name"),
        "by_community": _table_rows(tables["community"], "community_id", "community__name"),
        "by_category": _table_rows(tables["category"], "category_id", "category__name"),
    }
    if heat:
        figures["heat"] = matter_heat(queryset, box=_located_box(cells))
    return figures


def _matters_by_cell(queryset: QuerySet[Matter]) -> list[dict]:
    """The matters grouped by (community, category): how many reached each step, and the box of the located
    ones (`box_n`, `box_south` ...), so the heat map need not scan for it again."""
    from django.db.models import Count, Max, Min

    counts = {
        "raised": Count("id"),
        "answered": Count("id", filter=Q(answered_at__isnull=False)),
        "on_time": Count("id", filter=Q(answered_on_time=True)),
        "deliberated": Count("id", filter=Q(deliberation_at__isnull=False)),
        "decided": Count("id", filter=Q(decided_at__isnull=False)),
        "done": Count("id", filter=Q(done_at__isnull=False)),
        "open": Count("id", filter=~Q(status=MatterStatus.CLOSED)),
    }
    located = Q(latitude__isnull=False, longitude__isnull=False)
    box = {
        "n": Count("id", filter=located),
        "south": Min("latitude", filter=located),
        "north": Max("latitude", filter=located),
        "west": Min("longitude", filter=located),
        "east": Max("longitude", filter=located),
    }
    return list(
        queryset.order_by()
        .values("community_id", "category_id")
        .annotate(**counts, **{f"box_{k}": v for k, v in box.items()})
    )


def _satisfaction_by_cell(ids: QuerySet) -> dict[tuple[int, int], tuple[int | None, int]]:
    """The residents' confirmations ("is it really done?", 1–5 stars) by (community, category): their sum and
    their number, so a table's satisfaction is the mean over its matters' confirmations, not over cells."""
    from django.db.models import Count, Sum

    from .models import Confirmation

    return {
        (row["matter__community_id"], row["matter__category_id"]): (row["total"], row["n"])
        for row in Confirmation.objects.filter(matter__in=ids)
        .order_by()
        .values("matter__community_id", "matter__category_id")
        .annotate(total=Sum("satisfaction"), n=Count("id"))
    }


def _cell_names(cells: list[dict]) -> tuple[dict[int, dict], dict[int, str]]:
    """The cells' communities (with their street) and categories by id.

    The names in two small queries: joined into the grouped scan, they made it three times slower (grouping
    by text columns)."""
    from accounts.models import Community

    places = {
        row["id"]: row
        for row in Community.objects.filter(pk__in={c["community_id"] for c in cells}).values(
            "id", "name", "street_id", "street__name"
        )
    }
    category_names = dict(MatterCategory.objects.filter(pk__in={c["category_id"] for c in cells}).values_list("id", "name"))
    return places, category_names


def _sum_cells(
    cells: list[dict], ratings: dict, places: dict, category_names: dict
) -> tuple[dict, dict[str, dict]]:
    """Each cell counts once in the totals and once in the row of its street, of its community and of its
    category (rows keyed by (id, name)); the confirmations' sum and number ride along as `_sum` and `_n`."""
    from collections import defaultdict

    def blank():
        return dict.fromkeys(DASHBOARD_COUNTS, 0) | {"_sum": 0, "_n": 0}

    totals = blank()
    tables: dict[str, dict] = {"street": defaultdict(blank), "community": defaultdict(blank), "category": defaultdict(blank)}
    for cell in cells:
        place = places[cell["community_id"]]
        total, n = ratings.get((cell["community_id"], cell["category_id"]), (0, 0))
        for target in (
            totals,
            tables["street"][(place["street_id"], place["street__name"])],
            tables["community"][(cell["community_id"], place["name"])],
            tables["category"][(cell["category_id"], category_names.get(cell["category_id"], ""))],
        ):
            for key in DASHBOARD_COUNTS:
                target[key] += cell[key]
            target["_sum"] += total or 0
            target["_n"] += n
    return totals, tables


def _table_rows(table: dict, id_key: str, name_key: str) -> list[dict]:
    """A table's rows sorted by name (then id), the confirmations' sum and number turned into the mean."""
    out = []
    for (pk, name), row in sorted(table.items(), key=lambda item: (item[0][1] or "", item[0][0])):
        n, total = row.pop("_n"), row.pop("_sum")
        out.append({id_key: pk, name_key: name, **row, "satisfaction": total / n if n else None})
    return out


def _located_box(cells: list[dict]) -> dict:
    """The box of all the located matters, from the boxes of the cells (the shape `matter_heat` takes)."""
    with_place = [c for c in cells if c["box_n"]]
    return {
        "n": sum(c["box_n"] for c in with_place),
        "south": min((c["box_south"] for c in with_place), default=None),
        "north": max((c["box_north"] for c in with_place), default=None),
        "west": min((c["box_west"] for c in with_place), default=None),
        "east": max((c["box_east"] for c in with_place), default=None),
    }


# --- Heat map of matters by place ---------------------------------------------------------------------------

HEAT_CELLS = 16  # the grid is at most HEAT_CELLS × HEAT_CELLS, whatever the area or the number of matters


def matter_heat(queryset: QuerySet[Matter], *, cells: int = HEAT_CELLS, box: dict | None = None) -> dict:
    """Matters with a place, counted on a grid over the box that holds them (rows north to south).

    Two queries whatever the number of matters: the box (min/max of the coordinates; none when the caller
    already has it, as `dashboard_figures` does), then one grouped scan by cell, which returns at most
    `cells`² rows. Open matters are counted beside all of them.
    """
    from django.db.models import Count, FloatField, IntegerField, Max, Min, Value
    from django.db.models.functions import Cast, Floor, Least

    located = queryset.filter(latitude__isnull=False, longitude__isnull=False).order_by()
    if box is None:
        box = located.aggregate(
            n=Count("id"), south=Min("latitude"), north=Max("latitude"), west=Min("longitude"), east=Max("longitude")
        )
    empty = {"rows": [], "located": 0, "max": 0, "lat_step": None, "lng_step": None}
    if not box["n"]:
        return empty
    # A box of one point (or one line) still needs a cell size; 0.001° is about 100 m.
    lat_step = max((box["north"] - box["south"]) / cells, 0.001)
    lng_step = max((box["east"] - box["west"]) / cells, 0.001)

    def index(field, origin, step):
        raw = Floor((F(field) - Value(origin, output_field=FloatField())) / Value(step, output_field=FloatField()))
        # The northern and eastern edges belong to the last cell, not to one beyond the grid.
        return Least(Cast(raw, IntegerField()), Value(cells - 1, output_field=IntegerField()))

    counted = (
        located.annotate(r=index("latitude", box["south"], lat_step), c=index("longitude", box["west"], lng_step))
        .values("r", "c")
        .annotate(n=Count("id"), open=Count("id", filter=~Q(status=MatterStatus.CLOSED)))
    )
    by_cell = {(row["r"], row["c"]): (row["n"], row["open"]) for row in counted}
    used_rows = range(max(r for r, _c in by_cell) + 1)
    used_cols = range(max(c for _r, c in by_cell) + 1)
    rows = []
    for r in reversed(used_rows):
        rows.append(
            {
                "lat": round(box["south"] + (r + 0.5) * lat_step, 5),
                "cells": [
                    {
                        "lng": round(box["west"] + (c + 0.5) * lng_step, 5),
                        "n": by_cell.get((r, c), (0, 0))[0],
                        "open": by_cell.get((r, c), (0, 0))[1],
                    }
                    for c in used_cols
                ],
            }
        )
    return {
        "rows": rows,
        "located": box["n"],
        "max": max(n for n, _o in by_cell.values()),
        "lat_step": lat_step,
        "lng_step": lng_step,
    }


def heat_chart(heat: dict, *, title: str, label_matters: str) -> dict:
    """The ECharts options of the heat map (drawn by static/js/dashboards.js); labels already translated."""
    if not heat["rows"]:
        return {}
    lngs = [f"{cell['lng']:.4f}" for cell in heat["rows"][0]["cells"]]
    lats = [f"{row['lat']:.4f}" for row in reversed(heat["rows"])]
    data = []
    for y, row in enumerate(reversed(heat["rows"])):
        for x, cell in enumerate(row["cells"]):
            if cell["n"]:
                data.append([x, y, cell["n"]])
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"position": "top"},
        "grid": {"top": 40, "bottom": 70, "left": 70, "right": 20},
        "xAxis": {"type": "category", "data": lngs, "splitArea": {"show": True}, "axisLabel": {"rotate": 45}},
        "yAxis": {"type": "category", "data": lats, "splitArea": {"show": True}},
        "visualMap": {
            "min": 0, "max": heat["max"], "calculable": True, "orient": "horizontal", "left": "center", "bottom": 0,
        },
        "series": [{"name": label_matters, "type": "heatmap", "data": data, "label": {"show": True}}],
    }
