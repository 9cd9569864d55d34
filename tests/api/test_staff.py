"""Staff endpoints: the inbox's accept / reject / dispatch, occupancy, the teacher pool, proposals."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone

from activities.dispatch.enums import Consent, MatchRunStatus, ProposedClassStatus
from activities.models import MatchRun, ProposedClass, ProposedPlacement
from activities.occupancy import week_overview
from activities.orders import order_accept
from interests.enums import OrderStatus
from tests.factories import BookingFactory, CourseFactory, TermFactory, WeeklySlotFactory
from venues.enums import BookingStatus
from venues.models import OpeningHours, Venue

from .objects import owned_by, proposal_of


def test_accept_reject_dispatch(world, api):
    owned = owned_by(world)
    client = api(world.staff)
    accepted = client.post(f"/api/v1/staff/orders/{owned.order.pk}/accept/")
    assert (accepted.status_code, accepted.json()["status"]) == (200, OrderStatus.ACCEPTED)
    twice = client.post(f"/api/v1/staff/orders/{owned.order.pk}/accept/")
    assert (twice.status_code, twice.json()["code"]) == (409, "invalid_transition")
    no_course = client.post(
        f"/api/v1/staff/orders/{owned.order.pk}/dispatch/", {"course": 999999}, format="json"
    )
    assert (no_course.status_code, list(no_course.json()["fields"])) == (400, ["course"])
    elsewhere = CourseFactory(category=world.leaf, community=world.elsewhere)
    foreign = client.post(
        f"/api/v1/staff/orders/{owned.order.pk}/dispatch/", {"course": elsewhere.pk}, format="json"
    )
    assert (foreign.status_code, list(foreign.json()["fields"])) == (400, ["course"])
    dispatched = client.post(
        f"/api/v1/staff/orders/{owned.order.pk}/dispatch/", {"course": owned.course.pk}, format="json"
    )
    assert (dispatched.json()["status"], dispatched.json()["course"]) == (
        OrderStatus.DISPATCHED,
        owned.course.pk,
    )


def test_reject_needs_a_reason(world, api):
    owned = owned_by(world)
    client = api(world.staff)
    missing = client.post(f"/api/v1/staff/orders/{owned.order.pk}/reject/", {}, format="json")
    assert (missing.status_code, list(missing.json()["fields"])) == (400, ["reason"])
    rejected = client.post(
        f"/api/v1/staff/orders/{owned.order.pk}/reject/", {"reason": "暂无老师"}, format="json"
    )
    assert (rejected.json()["status"], rejected.json()["reject_reason"]) == (OrderStatus.REJECTED, "暂无老师")


def test_district_office_reads_but_cannot_accept(world, api):
    owned = owned_by(world)
    refused = api(world.district_office).post(f"/api/v1/staff/orders/{owned.order.pk}/accept/")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    owned.order.refresh_from_db()
    assert owned.order.status == OrderStatus.SUBMITTED


def test_occupancy_shows_the_admin_overviews_figures(world, api):
    owned = owned_by(world)
    OpeningHours.objects.create(venue=owned.venue, weekday=0, start=time(9), end=time(12))
    monday = date(2026, 11, 30)
    tz = timezone.get_current_timezone()
    BookingFactory(
        venue=owned.venue,
        starts_at=datetime.combine(monday, time(10), tzinfo=tz),
        ends_at=datetime.combine(monday, time(11), tzinfo=tz),
        status=BookingStatus.PENDING,
    )
    rows = api(world.staff).get("/api/v1/staff/venues/occupancy/", {"week": "2026-12-02"}).json()["results"]
    assert [
        (r["id"], r["week_start"], r["open_hours"], r["hours"], r["utilisation"], r["pending"]) for r in rows
    ] == [(owned.venue.pk, "2026-11-30", 3.0, 1.0, 33, 1)]
    # The admin's overview, computed by the same module, says the same.
    admin = week_overview(venues=Venue.objects.filter(pk=owned.venue.pk), week_start=monday).venues[0]
    assert (admin.utilisation, admin.booked_minutes, len(admin.pending)) == (33, 60, 1)
    cells = rows[0]["days"][0]["cells"]
    assert (len(rows[0]["days"]), cells[10 - 7], cells[9 - 7], cells[8 - 7]) == (
        7,
        "pending",
        "free",
        "closed",
    )
    bad = api(world.staff).get("/api/v1/staff/venues/occupancy/", {"week": "soon"})
    assert (bad.status_code, list(bad.json()["fields"])) == (400, ["week"])


def test_teacher_pool_masks_phones(world, api):
    owned = owned_by(world)
    rows = api(world.staff).get("/api/v1/staff/teachers/").json()["results"]
    assert [(r["id"], r["phone"]) for r in rows] == [(owned.teacher.pk, "137****2222")]


def _proposal(world, owned):
    order_accept(order=owned.order, actor=world.staff)
    term = TermFactory()
    run = MatchRun.objects.create(scope="community", community=world.home, term=term)
    proposed = ProposedClass.objects.create(
        run=run,
        category=world.leaf,
        teacher=owned.teacher,
        venue=owned.venue,
        slot=WeeklySlotFactory(),
        term=term,
        community=world.home,
        size=1,
    )
    ProposedPlacement.objects.create(proposed_class=proposed, order=owned.order)
    return run, proposed


def test_runs_and_proposals_are_scoped_and_masked(world, api):
    owned = owned_by(world)
    run, proposed = _proposal(world, owned)
    assert [r["id"] for r in api(world.staff).get("/api/v1/staff/match-runs/").json()["results"]] == [run.pk]
    assert api(world.other_staff).get("/api/v1/staff/match-runs/").json()["count"] == 0
    rows = api(world.staff).get("/api/v1/staff/proposed-classes/", {"run": run.pk}).json()["results"]
    assert [(r["id"], r["placements"][0]["resident_phone"]) for r in rows] == [(proposed.pk, "138****1234")]
    assert (
        api(world.other_staff).post(f"/api/v1/staff/proposed-classes/{proposed.pk}/confirm/").status_code
        == 404
    )
    assert (
        api(world.district_office).post(f"/api/v1/staff/proposed-classes/{proposed.pk}/confirm/").status_code
        == 403
    )


def test_confirm_a_proposed_class(world, api):
    owned = owned_by(world)
    _run, proposed = _proposal(world, owned)
    too_few = api(world.staff).post(f"/api/v1/staff/proposed-classes/{proposed.pk}/confirm/")
    assert (too_few.status_code, too_few.json()["code"]) == (409, "too_few_orders")
    world.leaf.min_size = 1
    world.leaf.save(update_fields=["min_size"])
    confirmed = api(world.staff).post(f"/api/v1/staff/proposed-classes/{proposed.pk}/confirm/")
    assert confirmed.status_code == 201, confirmed.content
    proposed.refresh_from_db()
    assert (proposed.status, proposed.course_id) == (ProposedClassStatus.CONFIRMED, confirmed.json()["id"])
    again = api(world.staff).post(f"/api/v1/staff/proposed-classes/{proposed.pk}/confirm/")
    assert again.status_code == 409


def test_dashboard_pages_answer_within_scope(world, api):
    owned_by(world)
    for name in ("overview", "demand", "venues", "teachers", "stars"):
        body = api(world.district_office).get(f"/api/v1/district/dashboards/{name}/").json()
        assert set(body) == {"cards", "charts", "tables", "notes"}
    bad = api(world.staff).get("/api/v1/district/dashboards/overview/", {"period": "decade"})
    assert (bad.status_code, list(bad.json()["fields"])) == (400, ["period"])
    assert api(world.staff).get("/api/v1/district/dashboards/nothing/").status_code == 404


# --- Matching runs and proposals over the API -----------------------------------------------------------------


def test_start_a_matching_run_for_my_community(world, api):
    owned_by(world)
    TermFactory()
    started = api(world.staff).post(
        "/api/v1/staff/match-runs/", {"scope": "community", "solver": "greedy"}, format="json"
    )
    assert started.status_code == 201, started.content
    run = MatchRun.objects.get(pk=started.json()["id"])
    assert (run.community_id, run.created_by_id, started.json()["scope"]) == (
        world.home.pk,
        world.staff.pk,
        "community",
    )
    # Another community's node does not exist for me; a street I do not belong to neither.
    foreign = api(world.staff).post(
        "/api/v1/staff/match-runs/", {"scope": "community", "node": world.elsewhere.pk}, format="json"
    )
    assert (foreign.status_code, list(foreign.json()["fields"])) == (400, ["node"])
    too_long = api(world.staff).post(
        "/api/v1/staff/match-runs/", {"scope": "community", "time_limit": 600}, format="json"
    )
    assert (too_long.status_code, list(too_long.json()["fields"])) == (400, ["time_limit"])
    # Community staff may not run their whole district: the service refuses (403).
    district = api(world.staff).post("/api/v1/staff/match-runs/", {"scope": "district"}, format="json")
    assert (district.status_code, district.json()["code"]) == (403, "permission_denied")


def test_a_run_without_a_term_is_a_conflict(world, api):
    answer = api(world.staff).post("/api/v1/staff/match-runs/", {"scope": "community"}, format="json")
    assert (answer.status_code, answer.json()["code"]) == (409, "no_term")


def test_discard_a_run_then_nothing_is_left(world, api):
    owned = owned_by(world)
    run, proposed = proposal_of(world, owned)
    discarded = api(world.staff).post(f"/api/v1/staff/match-runs/{run.pk}/discard/")
    assert discarded.status_code == 200, discarded.content
    assert (discarded.json()["discarded"], discarded.json()["run"]["status"]) == (1, MatchRunStatus.CLOSED)
    proposed.refresh_from_db()
    assert proposed.status == ProposedClassStatus.DISCARDED
    again = api(world.staff).post(f"/api/v1/staff/match-runs/{run.pk}/discard/")
    assert (again.status_code, again.json()["code"]) == (409, "nothing_to_discard")
    assert api(world.other_staff).post(f"/api/v1/staff/match-runs/{run.pk}/discard/").status_code == 404


def test_discard_a_proposed_class_with_a_reason(world, api):
    owned = owned_by(world)
    _run, proposed = proposal_of(world, owned)
    url = f"/api/v1/staff/proposed-classes/{proposed.pk}/discard/"
    done = api(world.staff).post(url, {"reason": "Teacher moved away"}, format="json")
    assert (done.status_code, done.json()["status"], done.json()["note"]) == (
        200,
        ProposedClassStatus.DISCARDED,
        "Teacher moved away",
    )
    assert [p["active"] for p in done.json()["placements"]] == [False]
    twice = api(world.staff).post(url, {}, format="json")
    assert (twice.status_code, twice.json()["code"]) == (409, "not_proposed")


def test_teacher_accepts_then_declines_too_late(world, api):
    owned = owned_by(world)
    _run, proposed = proposal_of(world, owned)
    url = f"/api/v1/staff/proposed-classes/{proposed.pk}/teacher-answer/"
    no_reason = api(world.staff).post(url, {"accept": False}, format="json")
    assert (no_reason.status_code, list(no_reason.json()["fields"])) == (400, ["reason"])
    accepted = api(world.staff).post(url, {"accept": True}, format="json")
    assert (accepted.status_code, accepted.json()["teacher_consent"]) == (200, Consent.ACCEPTED)
    declined = api(world.staff).post(url, {"accept": False, "reason": "Ill"}, format="json")
    assert (declined.status_code, declined.json()["status"], declined.json()["note"]) == (
        200,
        ProposedClassStatus.DECLINED,
        "Ill",
    )
    late = api(world.staff).post(url, {"accept": True}, format="json")
    assert (late.status_code, late.json()["code"]) == (409, "not_proposed")


def test_venue_answer_only_where_the_owner_is_asked(world, api):
    owned = owned_by(world)
    _run, proposed = proposal_of(world, owned, venue_consent=Consent.NOT_REQUIRED)
    url = f"/api/v1/staff/proposed-classes/{proposed.pk}/venue-answer/"
    refused = api(world.staff).post(url, {"accept": True}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "not_required")
    ProposedClass.objects.filter(pk=proposed.pk).update(venue_consent=Consent.PENDING)
    declined = api(world.staff).post(url, {"accept": False, "reason": "Closed for repairs"}, format="json")
    assert (declined.status_code, declined.json()["venue_consent"], declined.json()["status"]) == (
        200,
        Consent.DECLINED,
        ProposedClassStatus.DECLINED,
    )


def test_ids_beyond_the_databases_range_are_a_field_error(world, api):
    # Found by schemathesis: SQLite cannot take such a parameter (it was a 500).
    huge = 2**70
    for url, field in [
        ("/api/v1/staff/orders/", "community"),
        ("/api/v1/staff/teachers/", "skill"),
        ("/api/v1/staff/proposed-classes/", "run"),
    ]:
        answer = api(world.staff).get(url, {field: huge})
        assert (answer.status_code, list(answer.json()["fields"])) == (400, [field]), url
    groups = api(world.owner).get("/api/v1/groups/nearby/", {"community": huge})
    assert (groups.status_code, list(groups.json()["fields"])) == (400, ["community"])
