"""Fuzz the live API against its own schema: no 5xx, no response that breaks its schema.

Runs the schemathesis command line against pytest-django's live server (its pytest plugin does not
load under pytest 9), with tokens, so the authenticated paths are exercised. Four runs, each a test of
its own (so that pytest-xdist spreads them over its workers):

- as a resident, over everything but token revocation and the staff and district paths: the resident paths
  with data behind them;
- as a resident, over the staff and district paths: their 403s, which must conform too;
- as community staff, over the staff and district paths, with a proposal, a venue and a college to act on;
- token revocation alone, with a token of its own: revoking the token a run signs in with would leave the
  rest of that run unauthenticated (every later answer a 401), which is what the first run used to do.

Throttled endpoints (sign-in, codes by SMS, matching runs) answer 429 once their budget is spent: a
documented answer in the error shape, so a run stays green however far the fuzzer pushes them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from accounts.api.services import api_token_create
from activities.models import MatchRun, ProposedClass, ProposedPlacement
from interests.services import order_accept, order_place
from tests.factories import (
    CategoryFactory,
    CollegeFactory,
    CollegeStarRecordFactory,
    CommunityFactory,
    CourseFactory,
    InterestGroupFactory,
    ResidentFactory,
    SessionFactory,
    StaffFactory,
    TeacherFactory,
    TermFactory,
    VenueFactory,
    WeeklySlotFactory,
)
from venues.models import OpeningHours

ST = Path(sys.executable).with_name("st")
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
REVOKE = "auth_tokens_destroy"


def _fuzz(live_server, tmp_path, secret: str, *selection: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(ST) if ST.exists() else "st",
            "run",
            f"{live_server.url}/api/schema/",
            "--url",
            live_server.url,
            "-H",
            f"Authorization: Token {secret}",
            "--checks",
            CHECKS,
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            "8",
            "--seed",
            "2024",
            "--generation-deterministic",
            "--no-color",
            *selection,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )


def _world():
    """A community with a class, a group, a college with stars, a venue with opening hours, and an
    accepted order held by a proposed class of a matching run."""
    community = CommunityFactory()
    leaf = CategoryFactory(name="太极拳")
    venue = VenueFactory(community=community)
    OpeningHours.objects.create(venue=venue, weekday=0, start=time(9), end=time(12))
    teacher = TeacherFactory(community=community)
    SessionFactory(course=CourseFactory(community=community, category=leaf, venue=venue, teacher=teacher))
    InterestGroupFactory(community=community, category=leaf)
    CollegeStarRecordFactory(college=CollegeFactory(community=community))
    resident = ResidentFactory(profile__community=community)
    staff = StaffFactory(community=community)
    order = order_place(resident=resident, category=leaf)
    order_accept(order=order, actor=staff)
    term = TermFactory()
    run = MatchRun.objects.create(scope="community", community=community, term=term)
    proposed = ProposedClass.objects.create(
        run=run,
        category=leaf,
        teacher=teacher,
        venue=venue,
        slot=WeeklySlotFactory(),
        term=term,
        community=community,
        size=1,
        venue_consent="pending",
    )
    ProposedPlacement.objects.create(proposed_class=proposed, order=order)
    return resident, staff


# The runs are separate tests, so that pytest-xdist can give them to different workers: together they
# are the suite's longest stretch (about half of a serial run's time), and one test would hold one worker.
RUNS = {
    "resident": (
        "resident",
        "fuzz",
        ("--exclude-operation-id", REVOKE, "--exclude-path-regex", r"^/api/v1/(staff|district)/"),
    ),
    # The staff and district paths as a resident: every answer a 403, which must conform too.
    "resident-on-staff-paths": ("resident", "fuzz", ("--include-path-regex", r"^/api/v1/(staff|district)/")),
    "staff": ("staff", "fuzz", ("--include-path-regex", r"^/api/v1/(staff|district)/")),
    "revoke": ("resident", "fuzz: revoked", ("--include-operation-id", REVOKE)),
}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", list(RUNS))
def test_api_conforms_to_its_schema(live_server, tmp_path, name):
    if not ST.exists() and not shutil.which("st"):
        pytest.skip("schemathesis is not installed (dev extra)")
    resident, staff = _world()
    who, token_name, selection = RUNS[name]
    _token, secret = api_token_create(user={"resident": resident, "staff": staff}[who], name=token_name)
    result = _fuzz(live_server, tmp_path, secret, *selection)
    (tmp_path / f"{name}.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, f"{name}:\n{result.stdout[-6000:]}{result.stderr[-2000:]}"
