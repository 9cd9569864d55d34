"""requirements-dev.lock, which `make install` installs (Makefile), keeps up with pyproject.toml: a dependency
added to pyproject.toml without `make lock` would be installed at whatever version PyPI has that day, and a
machine whose uv cache lacks it would go online for it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", re.MULTILINE)


def _pins() -> dict[str, str]:
    text = (ROOT / "requirements-dev.lock").read_text(encoding="utf-8")
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def test_every_dependency_is_pinned_in_the_lock_at_a_version_it_allows():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = _pins()
    assert len(pins) > 100, "the scan found too few pins: the lock's format changed"
    wanted = [
        Requirement(line) for line in [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    ]
    unpinned = [str(req) for req in wanted if canonicalize_name(req.name) not in pins]
    outside = [
        f"{req} (locked {pins[canonicalize_name(req.name)]})"
        for req in wanted
        if canonicalize_name(req.name) in pins and pins[canonicalize_name(req.name)] not in req.specifier
    ]
    assert (unpinned, outside) == ([], []), "run `make lock`"
