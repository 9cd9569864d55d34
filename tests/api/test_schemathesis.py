"""Fuzz the live API against its own schema: no 5xx, no response that breaks its schema.

Runs the schemathesis command line against pytest-django's live server (its pytest plugin does not
load under pytest 9), as a resident with a token, so the authenticated paths are exercised; a resident
meets the staff paths' 403s, which must conform too. Stateful links run where the schema has them.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.api.services import api_token_create
from tests.factories import CategoryFactory, CommunityFactory, CourseFactory, ResidentFactory, SessionFactory

ST = Path(sys.executable).with_name("st")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_api_conforms_to_its_schema(live_server, tmp_path):
    if not ST.exists() and not shutil.which("st"):
        pytest.skip("schemathesis is not installed (dev extra)")
    community = CommunityFactory()
    CategoryFactory(name="太极拳")
    SessionFactory(course=CourseFactory(community=community))
    resident = ResidentFactory(profile__community=community)
    _token, secret = api_token_create(user=resident, name="fuzz")
    result = subprocess.run(
        [
            str(ST) if ST.exists() else "st",
            "run",
            f"{live_server.url}/api/schema/",
            "--url", live_server.url,
            "-H", f"Authorization: Token {secret}",
            "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
            "--phases", "examples,coverage,fuzzing,stateful",
            "--max-examples", "8",
            "--seed", "2024",
            "--generation-deterministic",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
