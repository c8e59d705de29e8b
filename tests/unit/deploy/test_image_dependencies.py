"""The image installs only pyproject.toml's runtime dependencies (deploy/Dockerfile), so every
third-party module that shared/ and services/ import must come from one of them (directly or as a
dependency of one). Otherwise the service works on a dev machine and crashes in the container."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata

from packaging.requirements import Requirement

from tests.unit.deploy.deploy_files import ROOT

LOCAL_PACKAGES = {"shared", "services"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> list[Requirement]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [Requirement(r) for r in data["project"]["dependencies"]]


def _closure(requirements: list[Requirement]) -> set[str]:
    """Distribution names installed by ``pip install`` of these requirements (no extras)."""
    seen: set[str] = set()
    todo = [r.name for r in requirements]
    while todo:
        name = _normalise(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for spec in requires:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def _imported_modules() -> dict[str, str]:
    """Top-level third-party module -> first file importing it."""
    found: dict[str, str] = {}
    for package in sorted(LOCAL_PACKAGES):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in LOCAL_PACKAGES:
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_import_is_installed_by_the_runtime_dependencies() -> None:
    installed = _closure(_declared())
    providers = metadata.packages_distributions()
    missing = {}
    for module, where in _imported_modules().items():
        dists = {_normalise(d) for d in providers.get(module, [module])}
        if not dists & installed:
            missing[module] = f"{where} (distribution: {', '.join(sorted(dists))})"
    assert not missing, (
        "imported by the services but not installed in the image (add to [project].dependencies "
        "in pyproject.toml):\n" + "\n".join(f"  {m}: {w}" for m, w in sorted(missing.items()))
    )
