import json
import subprocess
import sys
from pathlib import Path

import pytest

from activities.matching.problem import Instance, Solution

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "activities.matching", *map(str, args)],
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def instance_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "instance.json"
    done = cli(
        "generate", "--orders", 120, "--teachers", 10, "--venues", 9, "--seed", 5, "-o", path, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return path


def test_cli_generate_writes_valid_instance(instance_file):
    inst = Instance.from_json(instance_file.read_text(encoding="utf-8"))
    assert len(inst.orders) == 120 and len(inst.teachers) == 10 and len(inst.venues) == 9


def test_cli_generate_to_stdout_is_deterministic(tmp_path):
    first = cli("generate", "--orders", 20, "--teachers", 3, "--venues", 3, "--seed", 1, cwd=tmp_path)
    second = cli("generate", "--orders", 20, "--teachers", 3, "--venues", 3, "--seed", 1, cwd=tmp_path)
    assert first.returncode == 0
    assert first.stdout == second.stdout
    assert len(json.loads(first.stdout)["orders"]) == 20


def test_cli_solve_then_check_succeeds(instance_file, tmp_path):
    out = tmp_path / "solution.json"
    done = cli("solve", instance_file, "--time-limit", 3, "--seed", 1, "-o", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = done.stderr.strip().splitlines()
    assert len(summary) == 1
    assert "assigned weight" in summary[0] and "km" in summary[0] and "classes" in summary[0]
    Solution.from_json(out.read_text(encoding="utf-8"))
    checked = cli("check", instance_file, out, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout
    assert "feasible" in checked.stdout and "objective" in checked.stdout


def test_cli_solve_greedy_writes_stdout(instance_file, tmp_path):
    done = cli("solve", instance_file, "--greedy", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) == {"classes", "unassigned"}
    assert done.stderr.startswith("greedy:")


def test_cli_check_infeasible_exits_nonzero(instance_file, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"classes": [], "unassigned": []}), encoding="utf-8")
    done = cli("check", instance_file, bad, cwd=tmp_path)
    assert done.returncode == 1
    assert "rule 1" in done.stdout


@pytest.mark.parametrize(
    "content",
    ["{not json", json.dumps({"version": 1, "max_walk_km": 1.2}), json.dumps({"version": 2})],
)
def test_cli_solve_bad_instance_exits_2(tmp_path, content):
    path = tmp_path / "instance.json"
    path.write_text(content, encoding="utf-8")
    done = cli("solve", path, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error:")


def test_cli_missing_file_exits_2(tmp_path):
    done = cli("check", tmp_path / "nope.json", tmp_path / "nope2.json", cwd=tmp_path)
    assert done.returncode == 2
    assert "cannot read" in done.stderr


def test_cli_bad_arguments_exit_2(tmp_path):
    assert cli("solve", cwd=tmp_path).returncode == 2
    assert cli("generate", "--orders", "x", "--teachers", 1, "--venues", 1, cwd=tmp_path).returncode == 2
