"""What each dashboard page shows, built from its figures (`selectors`) at request time: cards, ECharts
options and tables, all labelled in the request's language. No queries here: names come from the cached
organisation and interest trees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from ratings import scores, stars
from ratings.models import CollegeStarRecord
from teachers.enums import TeacherKind
from venues.enums import OwnerType

from . import charts, selectors
from .tables import Column, Link, Table


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    hint: str = ""


@dataclass
class Page:
    cards: list[Card] = field(default_factory=list)
    charts: dict[str, dict] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Names:
    """Id → name lookups from the cached trees."""

    communities: dict[int, selectors.CommunityNode]
    categories: dict[int, selectors.CategoryNode]

    @classmethod
    def load(cls) -> Names:
        return cls({c.id: c for c in selectors.org_tree()}, {c.id: c for c in selectors.category_tree()})

    def community(self, pk: int | None) -> str:
        node = self.communities.get(pk)
        return node.name if node else "—"

    def street(self, pk: int | None) -> str:
        node = self.communities.get(pk)
        return node.street_name if node else "—"

    def category(self, pk: int | None) -> str:
        node = self.categories.get(pk)
        return node.name if node else "—"

    def field_of(self, pk: int | None) -> str:
        """The broad field (the root of the interest tree) an interest belongs to."""
        node = self.categories.get(pk)
        while node is not None and node.parent_id is not None and node.parent_id in self.categories:
            node = self.categories[node.parent_id]
        return node.name if node else "—"


def _n(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    return _("%(hours).1f h") % {"hours": value} if value < 72 else _("%(days).1f days") % {"days": value / 24}


def _stars(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} ★"


def _day(value: date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


# --- Overview ------------------------------------------------------------------------------------------------------


def overview(data: selectors.OverviewData, names: Names, f: selectors.Filters) -> Page:
    p = data.period
    funnel = data.funnel
    page = Page()
    page.cards = [
        Card(_("Residents reached"), _n(data.residents_registered), _("registered residents of the communities shown")),
        Card(_("Active residents"), _n(data.active_residents), _("distinct residents present at a session in the period")),
        Card(_("Active interest groups"), _n(data.groups_active)),
        Card(_("Sessions this week"), _n(data.sessions_week), _("meetings not cancelled, Monday to Sunday")),
        Card(_("Sessions this month"), _n(data.sessions_month), _("including the ones still to come")),
        Card(_("Orders (点单)"), _n(funnel.submitted), _("%(share)s dispatched (派单)") % {
            "share": _pct(funnel.dispatched / funnel.submitted if funnel.submitted else None)
        }),
        Card(_("Satisfaction"), _stars(p.satisfaction), _("%(count)s visible ratings") % {"count": _n(p.ratings)}),
        Card(_("Attendance rate"), _pct(p.attendance_rate)),
        Card(_("Policy talks held"), _n(p.talks_held), _("five minutes before class")),
    ]
    steps = [
        (_("点单 submitted"), funnel.submitted),
        (_("接单 accepted"), funnel.accepted),
        (_("派单 dispatched"), funnel.dispatched),
        (_("返单 returned"), funnel.completed),
    ]
    page.charts["funnel"] = charts.funnel(_("Order funnel of the period"), steps)
    page.charts["daily"] = charts.line(
        _("Sessions and residents present, by day"),
        [_day(d) for d, *_rest in data.daily],
        [(_("Sessions"), [s for _d, s, _p, _h in data.daily]), (_("Residents present"), [pr for _d, _s, pr, _h in data.daily])],
    )
    median_of = {"accepted": "to_accept", "dispatched": "to_dispatch", "completed": "to_complete"}
    page.tables.append(Table(
        "funnel",
        _("Order funnel"),
        [Column(_("Step")), Column(_("Orders"), "int"), Column(_("Conversion from the step before"), "percent"),
         Column(_("Median hours from the step before"), "hours")],
        [
            [label, value, funnel.conversion(step), funnel.median_hours.get(median_of.get(step, ""))]
            for (label, value), step in zip(steps, selectors.FUNNEL_STEPS, strict=True)
        ]
        + [
            [_("Rejected"), funnel.rejected, None, None],
            [_("Withdrawn"), funnel.cancelled, None, None],
        ],
        note=_("Orders submitted in the period and how far they have gone. Median from 点单 to 派单: %(hours)s.")
        % {"hours": _hours(funnel.median_hours.get("submit_to_dispatch"))},
    ))
    rows = []
    for r in sorted(data.by_community, key=lambda r: (names.street(r.community_id), names.community(r.community_id))):
        fl = r.flows
        rows.append([
            names.street(r.community_id), names.community(r.community_id), r.registered, r.active, fl.sessions_held,
            fl.attendance_rate, fl.satisfaction, fl.ratings, fl.talks_held, fl.orders_submitted, fl.orders_dispatched,
        ])
    page.tables.append(Table(
        "communities",
        _("By community"),
        [Column(_("Street")), Column(_("Community")), Column(_("Residents"), "int"), Column(_("Active residents"), "int"),
         Column(_("Sessions held"), "int"), Column(_("Attendance rate"), "percent"), Column(_("Satisfaction"), "stars"),
         Column(_("Ratings"), "int"), Column(_("Policy talks"), "int"), Column(_("Orders submitted"), "int"),
         Column(_("Orders dispatched"), "int")],
        rows,
        note=_("Orders here count by the day of each step, so they differ from the funnel's cohort."),
    ))
    page.tables.append(Table(
        "days",
        _("By day"),
        # "Day" is 星期 (a weekday) elsewhere; this column holds dates.
        [Column(pgettext("calendar", "Date"), "date"), Column(_("Sessions"), "int"), Column(_("Sessions held"), "int"),
         Column(_("Residents present"), "int")],
        [[d, s, h, pr] for d, s, pr, h in reversed(data.daily)],
        page_rows=31,
    ))
    return page


# --- Demand against supply -------------------------------------------------------------------------------------------

REASON_LABELS = {
    "no_teacher": pgettext_lazy("unassigned reason", "No teacher"),
    "no_venue": pgettext_lazy("unassigned reason", "No venue"),
    "no_common_slot": pgettext_lazy("unassigned reason", "No common time"),
    "below_min_size": pgettext_lazy("unassigned reason", "Too few residents for a class"),
    "capacity": pgettext_lazy("unassigned reason", "Classes full"),
}


HEATMAP_INTERESTS = 20


def demand(data: selectors.DemandData, names: Names, f: selectors.Filters) -> Page:
    page = Page()
    now = timezone.now()
    total_unmet = sum(c.unmet for c in data.categories)
    page.cards = [
        Card(_("Unmet orders"), _n(total_unmet), _("submitted or accepted, not yet dispatched")),
        Card(_("Interests with unmet orders"), _n(sum(1 for c in data.categories if c.unmet))),
        Card(_("Orders in the period"), _n(sum(c.submitted for c in data.categories))),
    ]
    # The heat map: the interests with most unmet orders against the communities that have them (the table
    # below lists every interest).
    cats = [c.category_id for c in data.categories if c.unmet][:HEATMAP_INTERESTS]
    comm_totals: dict[int, int] = {}
    for cell in data.cells:
        comm_totals[cell.community_id] = comm_totals.get(cell.community_id, 0) + cell.unmet
    comms = sorted(comm_totals, key=lambda c: (names.street(c), names.community(c)))
    ci = {c: i for i, c in enumerate(comms)}
    yi = {c: i for i, c in enumerate(reversed(cats))}
    cells = [[ci[c.community_id], yi[c.category_id], c.unmet] for c in data.cells if c.category_id in yi]
    page.charts["heatmap"] = charts.heatmap(
        _("Unmet orders by interest and community (the %(n)s interests with most)") % {"n": HEATMAP_INTERESTS},
        [names.community(c) for c in comms],
        [names.category(c) for c in reversed(cats)],
        cells,
        value_name=_("Unmet orders"),
    )
    reasons = data.reasons
    labels = {**{k: str(v) for k, v in REASON_LABELS.items()}, **selectors.reason_labels()}
    if reasons.by_reason:
        ordered = sorted(reasons.by_reason.items(), key=lambda kv: -kv[1])
        page.charts["reasons"] = charts.bar(
            _("Why the matching service left unmet orders unplaced"),
            [labels.get(r, r) for r, _count in ordered],
            [(_("Orders"), [count for _r, count in ordered])],
        )
    else:
        page.notes.append(_("The matching service has left none of these unmet orders unplaced in its latest runs."))

    def waiting_days(oldest):
        return (now - oldest).total_seconds() / 86400 if oldest else None

    page.tables.append(Table(
        "interests",
        _("By interest"),
        [Column(_("Field")), Column(_("Interest")), Column(_("Unmet orders"), "int"), Column(_("Longest wait (days)"), "number"),
         Column(_("Orders in the period"), "int"), Column(_("Dispatched of those"), "percent"),
         Column(_("Teachers with this skill"), "int")],
        [
            [names.field_of(c.category_id), names.category(c.category_id), c.unmet, waiting_days(c.oldest), c.submitted,
             c.dispatched / c.submitted if c.submitted else None, c.teachers]
            for c in data.categories
        ],
        note=_("Teachers: active teachers of the district's shared pool with the interest as a skill."),
    ))
    page.tables.append(Table(
        "unmet",
        _("Unmet orders by community"),
        [Column(_("Street")), Column(_("Community")), Column(_("Interest")), Column(_("Unmet orders"), "int"),
         Column(_("Longest wait (days)"), "number")],
        [
            [names.street(c.community_id), names.community(c.community_id), names.category(c.category_id), c.unmet,
             waiting_days(c.oldest)]
            for c in sorted(data.cells, key=lambda c: (-c.unmet, names.community(c.community_id), c.category_id))
        ],
    ))
    page.tables.append(Table(
        "reasons",
        _("Unassigned reasons"),
        [Column(_("Interest")), Column(_("Reason")), Column(_("Orders"), "int")],
        [
            [names.category(category), labels.get(reason, reason), n]
            for (category, reason), n in sorted(reasons.by_category_reason.items(), key=lambda kv: -kv[1])
        ],
    ))
    # Issue 22: the groups one relaxation would open, each linked to the admin page where staff apply it;
    # and, for interests nobody can teach, links into the teacher pool.
    relaxations = relaxation_labels()
    page.tables.append(Table(
        "near_misses",
        _("Near misses: classes one relaxation would open"),
        [Column(_("Community")), Column(_("Interest")), Column(_("Relaxation")), Column(_("What is missing")),
         Column(_("Status"))],
        [
            [names.community(n.community_id), names.category(n.category_id), relaxations.get(n.relaxation, n.relaxation),
             Link(n.summary, reverse("admin:activities_nearmiss_change", args=[n.id])),
             _("Residents asked") if n.status == "asking" else _("Open")]
            for n in data.near_misses
        ],
        note=_("Staff apply a near miss in the admin: the residents whose walk or time would change are asked first."),
    ))
    recruit = sorted(
        ((category, n) for (category, reason), n in reasons.by_category_reason.items() if reason == "no_teacher"),
        key=lambda kv: -kv[1],
    )
    page.tables.append(Table(
        "recruit",
        _("Recruit a teacher: orders waiting for want of one"),
        [Column(_("Interest")), Column(_("Orders"), "int"), Column(_("Teacher pool"))],
        [
            [names.category(category), n,
             Link(_("Teachers and recommendations"),
                  reverse("admin:teachers_teacher_changelist") + f"?skills__category__id__exact={category}")]
            for category, n in recruit
        ],
    ))
    return page


def relaxation_labels() -> dict[str, str]:
    from activities.dispatch.enums import NearMissRelaxation

    return {str(value): str(label) for value, label in NearMissRelaxation.choices}


# --- Venues --------------------------------------------------------------------------------------------------------------


def _utilisation_rows(groups: dict[str, list[selectors.VenueRow]]) -> list[list]:
    rows = []
    for label, venues in groups.items():
        open_hours = sum(v.period_hours for v in venues)
        booked = sum(v.booked_hours for v in venues)
        rows.append([label, len(venues), sum(v.weekly_hours for v in venues), open_hours, booked,
                     min(1.0, booked / open_hours) if open_hours else None])
    return rows


def venues(data: selectors.VenuesData, names: Names, f: selectors.Filters) -> Page:
    page = Page()
    rows = data.venues
    open_hours = sum(v.period_hours for v in rows)
    booked = sum(v.booked_hours for v in rows)
    page.cards = [
        Card(_("Venues in use"), _n(len(rows))),
        Card(_("Opening hours a week"), _n(round(sum(v.weekly_hours for v in rows)))),
        Card(_("Hours booked in the period"), _n(round(booked))),
        Card(_("Utilisation"), _pct(booked / open_hours if open_hours else None), _("hours booked ÷ opening hours")),
    ]
    by_street: dict[str, list] = {}
    for v in sorted(rows, key=lambda v: names.street(v.community_id)):
        by_street.setdefault(names.street(v.community_id), []).append(v)
    owner_labels = dict(OwnerType.choices)
    by_owner: dict[str, list] = {}
    for v in rows:
        by_owner.setdefault(str(owner_labels.get(v.owner_type, v.owner_type)), []).append(v)
    street_rows, owner_rows = _utilisation_rows(by_street), _utilisation_rows(by_owner)
    page.charts["streets"] = charts.bar(
        _("Utilisation by street"), [r[0] for r in street_rows],
        [(_("Utilisation"), [round((r[5] or 0) * 100, 1) for r in street_rows])], percent=True,
    )
    page.charts["owners"] = charts.bar(
        _("Utilisation by owner type"), [r[0] for r in owner_rows],
        [(_("Utilisation"), [round((r[5] or 0) * 100, 1) for r in owner_rows])], percent=True, horizontal=True,
    )
    weekdays = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    used_hours = sorted({h for _d, h in data.week_hours} | set(range(8, 21)))
    hx = {h: i for i, h in enumerate(used_hours)}
    page.charts["week"] = charts.heatmap(
        _("Bookings starting at each hour of the week"),
        [f"{h:02d}:00" for h in used_hours],
        weekdays,
        [[hx[h], d - 1, n] for (d, h), n in sorted(data.week_hours.items())],
        value_name=_("Bookings"),
    )
    columns = [Column(_("Opening hours a week"), "hours"), Column(_("Opening hours in the period"), "hours"),
               Column(_("Hours booked"), "hours"), Column(_("Utilisation"), "percent")]
    page.tables.append(Table("streets", _("By street"), [Column(_("Street")), Column(_("Venues"), "int"), *columns],
                             street_rows))
    page.tables.append(Table("owners", _("By owner type"), [Column(_("Owner type")), Column(_("Venues"), "int"), *columns],
                             owner_rows))
    page.tables.append(Table(
        "venues",
        _("Venues"),
        [Column(_("Venue")), Column(_("Street")), Column(_("Community")), Column(_("Owner type")), *columns],
        [
            [v.name, names.street(v.community_id), names.community(v.community_id),
             str(owner_labels.get(v.owner_type, v.owner_type)), v.weekly_hours, v.period_hours, v.booked_hours, v.utilisation]
            for v in sorted(rows, key=lambda v: (-(v.utilisation or 0), v.name))
        ],
        note=_("Bookings pending the owner's confirmation count as booked: they hold the room."),
    ))
    return page


# --- Teachers ------------------------------------------------------------------------------------------------------------

LOAD_BUCKETS = ("idle", "light", "busy", "full", "over")


def _bucket(sessions: int, maximum: int) -> str:
    if sessions == 0:
        return "idle"
    if sessions > maximum:
        return "over"
    if sessions == maximum:
        return "full"
    return "busy" if sessions * 2 >= maximum else "light"


def teachers(data: selectors.TeachersData, names: Names, f: selectors.Filters) -> Page:
    page = Page()
    rows = data.teachers
    buckets = dict.fromkeys(LOAD_BUCKETS, 0)
    for t in rows:
        buckets[_bucket(t.sessions_week, t.max_weekly)] += 1
    shown = [t for t in rows if t.score.shown]
    page.cards = [
        Card(_("Active teachers"), _n(len(rows)), _("in the pool of the communities shown")),
        Card(_("At or over their maximum this week"), _n(buckets["full"] + buckets["over"])),
        Card(_("Idle this week"), _n(buckets["idle"])),
        Card(_("With a rating shown"), _n(len(shown)), _("at least %(n)s visible ratings") % {"n": scores.MIN_RATINGS}),
    ]
    labels = {
        "idle": _("No session"),
        "light": _("Under half"),
        "busy": _("Half or more"),
        "full": _("At maximum"),
        "over": _("Over maximum"),
    }
    page.charts["load"] = charts.bar(
        _("This week's load against each teacher's maximum"), [labels[b] for b in LOAD_BUCKETS],
        [(_("Teachers"), [buckets[b] for b in LOAD_BUCKETS])],
    )
    page.charts["ratings"] = charts.scatter(
        _("Sessions a week and rating"),
        [[round(t.sessions_period / data.weeks, 2), round(t.score.weighted_mean, 2), t.name] for t in shown],
        x_name=_("sessions a week in the period"),
        y_name=_("rating"),
    )
    kinds = dict(TeacherKind.choices)
    page.tables.append(Table(
        "teachers",
        _("Teachers"),
        [Column(_("Teacher")), Column(_("Home community")), Column(_("Kind")), Column(_("Most sessions a week"), "int"),
         Column(_("Sessions this week"), "int"), Column(_("Load this week"), "percent"),
         Column(_("Sessions in the period"), "int"), Column(_("Sessions a week in the period"), "decimal"),
         Column(_("Rating (recent weigh more)"), "stars"), Column(_("Ratings"), "int"), Column(_("Plain average"), "stars")],
        [
            [t.name, names.community(t.community_id), str(kinds.get(t.kind, t.kind)), t.max_weekly, t.sessions_week,
             t.sessions_week / t.max_weekly if t.max_weekly else None, t.sessions_period,
             t.sessions_period / data.weeks, t.score.weighted_mean, t.score.count, t.score.mean]
            for t in sorted(rows, key=lambda t: (-(t.sessions_week / t.max_weekly if t.max_weekly else 0), t.name))
        ],
        note=_("A rating shows from %(n)s visible ratings; a rating %(days)s days old counts half as much as "
               "today's. Ratings hidden by moderation are left out.")
        % {"n": scores.MIN_RATINGS, "days": int(scores.RATING_HALF_LIFE_DAYS)},
    ))
    page.tables.append(Table(
        "sessions",
        _("Sessions of the period by rating, lowest first"),
        [Column(_("Starts at"), "datetime"), Column(_("Class")), Column(_("Community")), Column(_("Teacher")),
         Column(_("Rating"), "stars"), Column(_("Ratings"), "int")],
        [
            [s.starts_at, s.course_title, names.community(s.community_id), s.teacher_name or "—", s.score.weighted_mean,
             s.score.count]
            for s in data.sessions
        ],
        note=_("Sessions with at least %(n)s visible ratings.") % {"n": scores.MIN_RATINGS},
    ))
    return page


# --- Stars ----------------------------------------------------------------------------------------------------------------


def _trend(history: list[tuple[date, int, float]]) -> str:
    return " → ".join(str(level) for _p, level, _s in history[-6:]) or "—"


def star_page(data: selectors.StarsData, names: Names, f: selectors.Filters) -> Page:
    page = Page()
    colleges = data.colleges
    counts = {n: sum(1 for c in colleges if c.stars == n) for n in range(1, 6)}
    star_labels = {n: ngettext("%(n)s star", "%(n)s stars", n) % {"n": n} for n in range(1, 6)}
    page.cards = [Card(star_labels[n], _n(counts[n])) for n in range(5, 0, -1)]
    points = []
    for c in colleges:
        node = names.communities.get(c.community_id)
        if node and node.latitude is not None and node.longitude is not None:
            points.append({"name": c.name, "value": [node.longitude, node.latitude, c.stars]})
    page.charts["map"] = charts.star_map(_("Colleges by star level"), points, star_labels=star_labels)
    per_period = {p: dict.fromkeys(range(1, 6), 0) for p in data.periods}
    for c in colleges:
        for period, level, _score in c.history:
            per_period[period][level] += 1
    page.charts["trend"] = charts.bar(
        _("Colleges at each level, by month"),
        [p.strftime("%Y-%m") for p in data.periods],
        [(star_labels[n], [per_period[p][n] for p in data.periods]) for n in range(1, 6)],
        stacked=True,
    )
    page.charts["trend"]["color"] = [charts.STAR_COLOURS[n] for n in range(1, 6)]
    rows = []
    for c in sorted(colleges, key=lambda c: (-c.stars, -(c.history[-1][2] if c.history else 0), c.name)):
        latest = c.history[-1] if c.history else None
        earlier = c.history[-4] if len(c.history) >= 4 else (c.history[0] if c.history else None)
        rows.append([
            Link(c.name, reverse("dashboards:college", args=[c.college_id])),
            names.street(c.community_id), names.community(c.community_id), c.stars,
            latest[2] if latest else None, latest[0] if latest else None,
            (latest[1] - earlier[1]) if latest and earlier else None, _trend(c.history),
        ])
    page.tables.append(Table(
        "colleges",
        _("Colleges"),
        [Column(_("College")), Column(_("Street")), Column(_("Community")), Column(_("Stars"), "int"),
         Column(_("Latest score"), "number"), Column(_("Latest month"), "month"), Column(_("Change over 3 months"), "int"),
         Column(_("Last six months"))],
        rows,
    ))
    return page


def college_page(college, records: list[CollegeStarRecord], selected: CollegeStarRecord | None) -> Page:
    page = Page()
    ordered = list(reversed(records))
    info = selected.indicators if selected is not None and isinstance(selected.indicators, dict) else {}
    detailed = info.get("schema") is not None
    page.cards = [
        Card(_("Stars now"), "★" * college.stars),
        Card(_("Score"), f"{selected.score:.1f}" if selected else "—",
             selected.period.strftime("%Y-%m") if selected else ""),
    ]
    if detailed:
        page.cards.append(Card(_("Level the score alone gives"), "★" * info["target_stars"]))
        page.cards.append(Card(_("Move"), str(stars.MOVE_LABELS.get(info["move"], info["move"]))))
    page.charts["history"] = {
        **charts.line(
            _("Score and stars by month"),
            [r.period.strftime("%Y-%m") for r in ordered],
            [(_("Score"), [r.score for r in ordered])],
        ),
        "yAxis": [{"type": "value", "min": 0, "max": 100}, {"type": "value", "min": 0, "max": 5, "interval": 1}],
    }
    page.charts["history"]["series"].append(
        {"name": _("Stars"), "type": "line", "step": "end", "yAxisIndex": 1, "data": [r.stars for r in ordered]}
    )
    if detailed:
        indicators = info.get("indicators", {})
        pillars = info.get("pillars", {})
        weights_total = sum(v.get("weight") or 0 for v in indicators.values()) or 1
        possible = {p.value: 0.0 for p in stars.Pillar}
        for code, v in indicators.items():
            spec = stars.INDICATOR_BY_CODE.get(code)
            if spec:
                possible[spec.pillar.value] += 100 * (v.get("weight") or 0) / weights_total
        pillar_names = [str(stars.PILLAR_LABELS[p]) for p in stars.Pillar]
        page.charts["pillars"] = charts.bar(
            _("Points by pillar"), pillar_names,
            [(_("Points earned"), [round(pillars.get(p.value, 0), 1) for p in stars.Pillar]),
             (_("Points possible"), [round(possible[p.value], 1) for p in stars.Pillar])],
            horizontal=True,
        )
        rows = []
        for spec in stars.INDICATORS:
            v = indicators.get(spec.code)
            if v is None:
                continue
            inputs = ", ".join(f"{INPUT_LABELS.get(k, k)} {val:,}" if isinstance(val, int | float) else f"{INPUT_LABELS.get(k, k)} {val}"
                               for k, val in (v.get("inputs") or {}).items())
            rows.append([
                str(stars.PILLAR_LABELS[spec.pillar]), str(spec.label), v.get("value"), str(spec.unit), inputs,
                v.get("weight"), v.get("worst"), v.get("best"), v.get("normalised"), v.get("points"), str(spec.source),
            ])
        page.tables.append(Table(
            "indicators",
            _("How each indicator contributed"),
            [Column(_("Pillar")), Column(_("Indicator")), Column(_("Value"), "decimal"), Column(_("Unit")),
             Column(_("From")), Column(_("Weight"), "number"), Column(_("Scores 0 at"), "decimal"),
             Column(_("Full marks at"), "decimal"), Column(_("Reached"), "percent"), Column(_("Points"), "decimal"),
             Column(_("Measured as"))],
            rows,
            note=_("Standard: %(name)s. Thresholds for 2–5 stars: %(t)s. Shares are fractions (0.6 = 60 %%); "
                   "no value scores 0.") % {
                "name": info.get("standard", {}).get("name", "—"),
                "t": " / ".join(f"{t:g}" for t in info.get("standard", {}).get("thresholds", [])),
            },
            page_rows=len(rows),
        ))
    elif selected is not None:
        page.notes.append(_("This month was rated before the portal computed stars itself: only its score and "
                            "level are known."))
    page.tables.append(Table(
        "history",
        _("History"),
        [Column(_("Month"), "month"), Column(_("Score"), "number"), Column(_("Level the score alone gives"), "int"),
         Column(_("Stars"), "int"), Column(_("Move")), Column(_("Standard"))],
        [
            [r.period, r.score,
             r.indicators.get("target_stars") if isinstance(r.indicators, dict) else None, r.stars,
             str(stars.MOVE_LABELS.get(r.indicators.get("move"), "—")) if isinstance(r.indicators, dict) else "—",
             (r.indicators.get("standard") or {}).get("name", "—") if isinstance(r.indicators, dict) else "—"]
            for r in records
        ],
        note=_("Stars rise one level a month at most, and drop one level only after two months in a row below "
               "the level's threshold."),
        page_rows=len(records),
    ))
    return page


# The figures an indicator was computed from, as stored in CollegeStarRecord.indicators[…]["inputs"].
INPUT_LABELS = {
    "weekly_open_hours": pgettext_lazy("star input", "opening hours a week"),
    "population": pgettext_lazy("star input", "population"),
    "booked_hours": pgettext_lazy("star input", "hours booked"),
    "open_hours": pgettext_lazy("star input", "opening hours"),
    "teachers": pgettext_lazy("star input", "teachers"),
    "teachers_rated": pgettext_lazy("star input", "teachers with a rating"),
    "active_teachers": pgettext_lazy("star input", "active teachers"),
    "pool_teachers": pgettext_lazy("star input", "teachers in the pool"),
    "interests": pgettext_lazy("star input", "interests"),
    "dispatched": pgettext_lazy("star input", "dispatched"),
    "orders": pgettext_lazy("star input", "orders"),
    "active_residents": pgettext_lazy("star input", "active residents"),
    "present": pgettext_lazy("star input", "present"),
    "records": pgettext_lazy("star input", "attendance records"),
    "ratings": pgettext_lazy("star input", "ratings"),
    "stars": pgettext_lazy("star input", "stars"),
    "talks": pgettext_lazy("star input", "talks"),
    "groups": pgettext_lazy("star input", "groups"),
    # The money pillar (funds)
    "non_fiscal_yuan": pgettext_lazy("star input", "non-fiscal income (yuan)"),
    "income_yuan": pgettext_lazy("star input", "income (yuan)"),
    "spent_yuan": pgettext_lazy("star input", "spent (yuan)"),
    "budget_yuan": pgettext_lazy("star input", "budget (yuan)"),
    "spending_yuan": pgettext_lazy("star input", "spending (yuan)"),
    "participant_hours": pgettext_lazy("star input", "participant-hours"),
    "district_median_yuan_per_hour": pgettext_lazy("star input", "district median (yuan per hour)"),
}


def period_label(f: selectors.Filters) -> str:
    return _("%(start)s to %(end)s") % {"start": _day(f.start), "end": _day(f.end)}


BUILDERS = {
    "overview": overview,
    "demand": demand,
    "venues": venues,
    "teachers": teachers,
    "stars": star_page,
    "funds": lambda data, names, f: funds_page(data, names, f),  # defined below (funds)
    "showcases": lambda data, names, f: showcases_page(data, names, f),  # defined below (兴趣展示)
    "city": lambda data, names, f: city_page(data, names, f),  # defined below (全市)
}


# --- Funds (钱有来源) -----------------------------------------------------------------------------------------------


def _yuan(value: float | None) -> str:
    return "—" if value is None else f"¥{value:,.0f}"


def funds_page(data: selectors.FundsData, names: Names, f: selectors.Filters) -> Page:
    """Money by source across communities, the share not from the fiscal budget, budget execution and the
    cost of one resident's hour at a held session."""
    from funds.enums import NON_FISCAL_SOURCES, Source

    sources = list(Source)
    income = {s.value: sum(r.income.get(s.value, 0.0) for r in data.rows) for s in sources}
    total = sum(income.values())
    non_fiscal = sum(income[s.value] for s in NON_FISCAL_SOURCES)
    spending = sum(r.spending for r in data.rows)
    budget = sum(r.budget for r in data.rows)
    budget_spent = sum(r.budget_spent for r in data.rows)
    hours = sum(r.participant_hours for r in data.rows)
    costs = [r.spending / r.participant_hours for r in data.rows if r.participant_hours and r.spending]
    page = Page()
    page.cards = [
        Card(_("Income"), _yuan(total), _("posted in the fund's ledger in the period")),
        Card(_("Not from the fiscal budget"), _pct(non_fiscal / total if total else None), _("allocated, crowd-funded and in kind")),
        Card(_("Spending"), _yuan(spending)),
        Card(_("Budget execution"), _pct(budget_spent / budget if budget else None), _("spent ÷ budgeted, terms in force")),
        Card(_("Cost per participant-hour"), _yuan(spending / hours) if hours else "—",
             _("district median %(median)s") % {"median": _yuan(stars.median(costs))}),
    ]
    ordered = sorted(data.rows, key=lambda r: (names.street(r.community_id), names.community(r.community_id)))
    page.charts["sources"] = charts.bar(
        _("Income by source and community"),
        [names.community(r.community_id) for r in ordered],
        [(str(s.label), [round(r.income.get(s.value, 0.0), 2) for r in ordered]) for s in sources],
        stacked=True,
        zoom=len(ordered) > 20,
    )
    rows = []
    for r in ordered:
        r_total = sum(r.income.values())
        rows.append([
            names.street(r.community_id), names.community(r.community_id),
            *(round(r.income.get(s.value, 0.0), 2) for s in sources), round(r_total, 2),
            (sum(r.income.get(s.value, 0.0) for s in NON_FISCAL_SOURCES) / r_total) if r_total else None,
            round(r.spending, 2), (r.budget_spent / r.budget) if r.budget else None,
            round(r.participant_hours, 1), (r.spending / r.participant_hours) if r.participant_hours else None,
        ])
    page.tables.append(Table(
        "funds",
        _("Funds by community"),
        [Column(_("Street")), Column(_("Community")), *(Column(str(s.label), "decimal") for s in sources),
         Column(_("Income"), "decimal"), Column(_("Non-fiscal share"), "percent"), Column(_("Spending"), "decimal"),
         Column(_("Budget execution"), "percent"), Column(_("Participant-hours"), "hours"),
         Column(_("Yuan per participant-hour"), "decimal")],
        rows,
        note=_("In yuan, whole calendar months from the period's first month. Reversals count in their own month. "
               "In-kind gifts at their stated value."),
    ))
    return page


# --- Showcases (兴趣展示) and stories (人物故事) -----------------------------------------------------------------------


def showcases_page(data: selectors.ShowcasesData, names: Names, f: selectors.Filters) -> Page:
    """Showcases, their audience and the stories collected, per college's community."""
    page = Page()
    total = lambda attr: sum(getattr(r, attr) for r in data.rows)  # noqa: E731 — a one-line reader
    page.cards = [
        Card(_("Showcases held"), _n(total("held")), _("approved, over by now")),
        Card(_("Showcases coming"), _n(total("upcoming"))),
        Card(_("Audience"), _n(total("audience")), _("confirmed seats")),
        Card(_("Stories published"), _n(total("stories"))),
        Card(_("Photos shown"), _n(total("photos")), _("after moderation")),
    ]
    ordered = sorted(data.rows, key=lambda r: (names.street(r.community_id), names.community(r.community_id)))
    page.charts["showcases"] = charts.bar(
        _("Showcases and audience by community"),
        [names.community(r.community_id) for r in ordered],
        [(str(_("Showcases held")), [r.held for r in ordered]), (str(_("Audience")), [r.audience for r in ordered])],
        zoom=len(ordered) > 20,
    )
    page.tables.append(Table(
        "showcases",
        _("Showcases and stories by community"),
        [Column(_("Street")), Column(_("Community")), Column(_("Showcases held"), "int"),
         Column(_("Showcases coming"), "int"), Column(_("Audience"), "int"), Column(_("Stories published"), "int"),
         Column(_("Photos shown"), "int")],
        [
            [names.street(r.community_id), names.community(r.community_id), r.held, r.upcoming, r.audience,
             r.stories, r.photos]
            for r in ordered
        ],
        note=_("Showcases starting in the period; stories published in it. Audience: confirmed seats."),
    ))
    return page


# --- The city (全市): districts side by side -------------------------------------------------------------------


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def city_page(data: selectors.CityData, names: Names, f: selectors.Filters) -> Page:
    """The districts compared on the figures of their own pages: participation per 1,000 residents, orders
    dispatched into classes, the median wait for 派单, the colleges' stars and income by source."""
    from funds.enums import Source

    rows = data.rows
    sources = list(Source)
    population = sum(r.population for r in rows)
    active = sum(r.active for r in rows)
    submitted = sum(r.funnel.submitted for r in rows)
    dispatched = sum(r.funnel.dispatched for r in rows)
    levels = [level for r in rows for level in r.star_levels]
    page = Page()
    page.cards = [
        Card(_("Districts"), _n(len(rows))),
        Card(_("Registered residents"), _n(population)),
        Card(_("Active per 1,000 residents"), "—" if not population else f"{active * 1000 / population:.1f}",
             _("a resident active in two districts counts in each")),
        Card(_("Orders into classes"), _pct(dispatched / submitted if submitted else None),
             _("orders of the period dispatched (派单)")),
        Card(_("Mean college stars"), "—" if not levels else f"{sum(levels) / len(levels):.2f}"),
    ]
    x = [r.name for r in rows]
    page.charts["participation"] = charts.bar(
        _("Active residents per 1,000 residents"), x, [(_("per 1,000"), [_round(r.per_thousand) for r in rows])]
    )
    page.charts["loop"] = charts.bar(
        _("Orders into classes and the median wait for 派单"),
        x,
        [
            (_("orders into classes (%)"), [_round(r.orders_to_classes and r.orders_to_classes * 100) for r in rows]),
            (_("median days to 派单"), [_round(r.median_days_to_dispatch) for r in rows]),
        ],
    )
    page.charts["stars"] = charts.bar(_("Mean college stars"), x, [(_("stars"), [_round(r.mean_stars, 2) for r in rows])])
    page.charts["funds"] = charts.bar(
        _("Income by source and district"),
        x,
        [(str(s.label), [round(r.income.get(s.value, 0.0), 2) for r in rows]) for s in sources],
        stacked=True,
    )
    page.tables.append(Table(
        "districts",
        _("Districts compared"),
        [Column(_("District")), Column(_("Registered residents"), "int"), Column(_("Active residents"), "int"),
         Column(_("Active per 1,000"), "number"), Column(_("Orders"), "int"), Column(_("Dispatched (派单)"), "int"),
         Column(_("Orders into classes"), "percent"), Column(_("Median days to 派单"), "number"),
         Column(_("Colleges"), "int"), Column(_("Mean stars"), "stars"),
         *(Column(str(s.label), "decimal") for s in sources)],
        [
            [r.name, r.population, r.active, r.per_thousand, r.funnel.submitted, r.funnel.dispatched,
             r.orders_to_classes, r.median_days_to_dispatch, r.colleges, r.mean_stars,
             *(round(r.income.get(s.value, 0.0), 2) for s in sources)]
            for r in rows
        ],
        note=_("Each figure is computed as on the district's own pages, for the period %(period)s.")
        % {"period": period_label(f)},
    ))
    return page
