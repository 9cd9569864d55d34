"""The access matrix of the recognition endpoints (榜样评选): anonymous / the owner and a neighbour (residents
of the round's area) / staff of another street's community / the district office / the street staff who run
the round. Rounds, candidates and the wall are public notices; votes and objections need a home in the
area; running a round belongs to the level that opened it (403 from the service for anyone else)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from openpyxl import load_workbook

from accounts.enums import Role
from ratings.enums import CandidateKind
from ratings.models import Candidate, Nomination, Objection, Vote
from ratings.recognition import services
from tests.factories import StaffFactory, TeacherFactory, TermFactory
from tests.ratings.recognition import end_notice
from tests.shared_rows import fresh, rolled_back_at_the_end

ANON, OWNER, NEIGHBOUR, OTHER_STAFF, DISTRICT, MANAGER = (
    "anonymous",
    "owner",
    "neighbour",
    "other_staff",
    "district_office",
    "manager",
)
ACTORS = (ANON, OWNER, NEIGHBOUR, OTHER_STAFF, DISTRICT, MANAGER)


@dataclass
class Rounds:
    manager: object
    voting: object  # in its public notice, with a candidate and an objection
    nominating: object
    candidate: object
    objection: object
    teacher: object


def _rounds(world) -> Rounds:
    manager = StaffFactory(role=Role.STREET_STAFF, street=world.home.street)
    term = TermFactory()
    teacher = TeacherFactory(community=world.home, name='=HYPERLINK("http://evil.example")')
    cats = [{"name": "优秀教师", "kind": CandidateKind.TEACHER, "winners": 1}]
    voting = services.round_open(
        actor=manager, title="秋季评选", term=term, street=world.home.street, categories=cats
    )
    nominating = services.round_open(
        actor=manager, title="冬季评选", term=term, street=world.home.street, categories=cats
    )
    nomination = services.nomination_create(
        category=voting.categories.get(), nominator=world.neighbour, subject_id=teacher.pk, reason="认真负责"
    )
    services.round_start_notice(round=voting, actor=manager)
    candidate = nomination.candidate
    objection = services.objection_raise(candidate=candidate, resident=world.neighbour, reason="有异议")
    return Rounds(manager, voting, nominating, candidate, objection, teacher)


def _row(method, url, expected, body=None):
    return method, url, body, dict(zip(ACTORS, expected, strict=True))


MATRIX = [
    _row("get", "/api/v1/recognition/rounds/", (200,) * 6),
    _row("get", "/api/v1/recognition/rounds/{voting}/", (200,) * 6),
    _row("get", "/api/v1/recognition/rounds/{voting}/candidates/", (200,) * 6),
    _row("get", "/api/v1/recognition/wall/", (200,) * 6),
    _row(
        "post",
        "/api/v1/recognition/rounds/{nominating}/nominations/",
        (401, 201, 201, 403, 201, 201),
        {"category": "{nominating_category}", "subject": "{teacher}", "reason": "教得好"},
    ),
    _row("post", "/api/v1/recognition/candidates/{candidate}/vote/", (401, 201, 201, 409, 409, 409), {}),
    _row(
        "post",
        "/api/v1/recognition/candidates/{candidate}/objections/",
        (401, 201, 201, 409, 409, 409),
        {"reason": "不服"},
    ),
    _row(
        "post",
        "/api/v1/recognition/candidates/{candidate}/story-answer/",
        (401, 409, 409, 409, 409, 409),
        {"approve": True},
    ),
    _row(
        "post",
        "/api/v1/recognition/candidates/{candidate}/priority-passes/",
        (401, 404, 404, 404, 404, 404),
        {"course": 999999},
    ),
    _row(
        "post",
        "/api/v1/staff/recognition/rounds/",
        (401, 403, 403, 403, 403, 201),
        {
            "title": "新一轮",
            "term": "{term}",
            "street": "{street}",
            "categories": [{"name": "学习之星", "kind": "resident"}],
        },
    ),
    _row(
        "post", "/api/v1/staff/recognition/rounds/{voting}/start-notice/", (401, 403, 403, 403, 403, 409), {}
    ),
    _row("post", "/api/v1/staff/recognition/rounds/{voting}/close/", (401, 403, 403, 403, 403, 409), {}),
    _row("get", "/api/v1/staff/recognition/rounds/{voting}/objections/", (401, 403, 403, 403, 403, 200)),
    _row("get", "/api/v1/staff/recognition/rounds/{voting}/candidates.xlsx", (401, 403, 403, 403, 403, 200)),
    _row(
        "post",
        "/api/v1/staff/recognition/categories/{nominating_category}/from-data/",
        (401, 403, 403, 403, 403, 200),
        {},
    ),
    _row(
        "post",
        "/api/v1/staff/recognition/candidates/{candidate}/decide/",
        (401, 403, 403, 403, 403, 409),
        {"won": True, "reason": "好"},
    ),
    _row(
        "post",
        "/api/v1/staff/recognition/objections/{objection}/answer/",
        (401, 403, 403, 403, 403, 200),
        {"answer": "已核实"},
    ),
    _row(
        "post",
        "/api/v1/staff/recognition/candidates/{candidate}/story/",
        (401, 403, 403, 403, 403, 409),
        {"story": "故事"},
    ),
]


def _fill(value, fill):
    if isinstance(value, str) and value.startswith("{"):
        return fill[value.strip("{}")]
    if isinstance(value, list):
        return [_fill(v, fill) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, fill) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
def _rounds_rows(_world_rows, django_db_blocker):
    with rolled_back_at_the_end(django_db_blocker):
        yield _rounds(_world_rows)


@pytest.fixture
def rounds(world, _rounds_rows) -> Rounds:
    """The rounds, made once for the matrix's requests (tests/shared_rows.py)."""
    return fresh(_rounds_rows)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    ("method", "url", "body", "expected"), MATRIX, ids=[f"{m} {u}" for m, u, _b, _e in MATRIX]
)
def test_recognition_access_matrix(world, rounds, api, actor, method, url, body, expected):
    user = {
        ANON: None,
        OWNER: world.owner,
        NEIGHBOUR: world.neighbour,
        OTHER_STAFF: world.other_staff,
        DISTRICT: world.district_office,
        MANAGER: rounds.manager,
    }[actor]
    fill = {
        "voting": rounds.voting.pk,
        "nominating": rounds.nominating.pk,
        "nominating_category": rounds.nominating.categories.get().pk,
        "candidate": rounds.candidate.pk,
        "objection": rounds.objection.pk,
        "teacher": rounds.teacher.pk,
        "term": rounds.voting.term_id,
        "street": world.home.street_id,
    }
    path = url.format(**fill)
    client = api(user)
    response = (
        getattr(client, method)(path, _fill(body, fill), format="json")
        if body is not None
        else getattr(client, method)(path)
    )
    assert response.status_code == expected[actor], response.content[:300]
    if response.status_code >= 400:
        assert set(response.json()) >= {"code", "detail"}
    if response.status_code == 200 and path.endswith("/candidates/"):
        # No running totals during the public notice, for anyone.
        assert [c["votes"] for c in response.json()["candidates"]] == [None]


def test_refusals_through_the_api_say_why_and_save_nothing(world, rounds, api):
    vote_url = f"/api/v1/recognition/candidates/{rounds.candidate.pk}/vote/"
    assert api(world.owner).post(vote_url, {}, format="json").status_code == 201
    twice = api(world.owner).post(vote_url, {}, format="json")
    assert twice.status_code == 409
    assert twice.json() == {"code": "already_voted", "detail": "You have already voted in this category."}
    outside = api(world.other_staff).post(vote_url, {}, format="json")
    assert outside.json()["code"] == "voter_outside_area"
    far_teacher = TeacherFactory(community=world.elsewhere)
    nominate = api(world.owner).post(
        f"/api/v1/recognition/rounds/{rounds.nominating.pk}/nominations/",
        {"category": rounds.nominating.categories.get().pk, "subject": far_teacher.pk, "reason": "好"},
        format="json",
    )
    assert nominate.status_code == 409
    assert nominate.json()["code"] == "nominee_outside_area"
    too_long = api(world.owner).post(
        f"/api/v1/recognition/rounds/{rounds.nominating.pk}/nominations/",
        {
            "category": rounds.nominating.categories.get().pk,
            "subject": rounds.teacher.pk,
            "reason": "长" * 501,
        },
        format="json",
    )
    assert too_long.status_code == 400
    assert Vote.objects.count() == 1
    assert Candidate.objects.filter(round=rounds.nominating).count() == 0
    assert Nomination.objects.count() == 1 and Objection.objects.count() == 1


def test_staff_decide_close_and_export_through_the_api(world, rounds, api):
    api(world.owner).post(f"/api/v1/recognition/candidates/{rounds.candidate.pk}/vote/", {}, format="json")
    end_notice(rounds.voting)
    staff = api(rounds.manager)
    assert (
        staff.post(f"/api/v1/staff/recognition/rounds/{rounds.voting.pk}/close/", {}, format="json").json()[
            "code"
        ]
        == "objections_unanswered"
    )
    staff.post(
        f"/api/v1/staff/recognition/objections/{rounds.objection.pk}/answer/",
        {"answer": "已核实"},
        format="json",
    )
    decided = staff.post(
        f"/api/v1/staff/recognition/candidates/{rounds.candidate.pk}/decide/",
        {"won": True, "reason": "票数第一"},
        format="json",
    )
    assert decided.status_code == 200
    assert decided.json()["votes"] == 1
    workbook = load_workbook(
        io.BytesIO(staff.get(f"/api/v1/staff/recognition/rounds/{rounds.voting.pk}/candidates.xlsx").content)
    )
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    # The teacher's name starts with "=": written as text, never a formula.
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example")'
    assert rows[1][-3:] == (1, "Recognised", "票数第一")
    closed = staff.post(f"/api/v1/staff/recognition/rounds/{rounds.voting.pk}/close/", {}, format="json")
    assert closed.json()["status"] == "closed"
    public = api(None).get(f"/api/v1/recognition/rounds/{rounds.voting.pk}/candidates/").json()["candidates"]
    assert [(c["votes"], c["decision"], c["decision_reason"]) for c in public] == [(1, "won", "票数第一")]
