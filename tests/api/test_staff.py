"""Staff endpoints: the inbox's accept / reject / dispatch, occupancy, the teacher pool, proposals."""

from __future__ import annotations

from activities.dispatch.enums import ProposedClassStatus
from activities.models import MatchRun, ProposedClass, ProposedPlacement
from interests.enums import OrderStatus
from interests.services import order_accept
from tests.factories import CourseFactory, TermFactory, WeeklySlotFactory

from .objects import owned_by


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


def test_occupancy_counts_the_weeks_bookings(world, api):
    owned = owned_by(world)
    day = owned.session.starts_at.date().isoformat()
    rows = api(world.staff).get("/api/v1/staff/venues/occupancy/", {"week": day}).json()["results"]
    assert [(r["id"], r["bookings"]) for r in rows] == [(owned.venue.pk, 0)]  # factory sessions book nothing
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
