"""deploy/Dockerfile: multi-stage, cached dependency layer, non-root, one image for all services."""

from __future__ import annotations

import re

from tests.unit.deploy.deploy_files import DEPLOY

DOCKERFILE = DEPLOY / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and continuation lines joined."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instr in _instructions():
        if instr[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instr)
    return stages


def test_multi_stage_on_python_311_slim() -> None:
    stages = _stages()
    assert len(stages) >= 2
    assert [s[0][1].split(" AS ")[-1] for s in stages] == ["builder", "runtime"]
    args = dict(a.split("=", 1) for k, a in _instructions() if k == "ARG" and "=" in a)
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", args["PYTHON_IMAGE"])


def test_dependency_layer_before_source() -> None:
    builder = _stages()[0]
    steps = [f"{k} {a}" for k, a in builder]
    copy_pyproject = next(i for i, s in enumerate(steps) if s.startswith("COPY pyproject.toml"))
    install_deps = next(i for i, s in enumerate(steps) if "pip install -r" in s)
    copy_source = next(i for i, s in enumerate(steps) if s.startswith("COPY shared"))
    assert copy_pyproject < install_deps < copy_source


def test_runtime_is_non_root_and_runs_the_service() -> None:
    runtime = _stages()[-1]
    users = [a for k, a in runtime if k == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    env = " ".join(a for k, a in runtime if k == "ENV")
    assert "SERVICE=" in env
    cmd = [a for k, a in runtime if k == "CMD"][-1]
    assert "python -m services.$SERVICE" in cmd
    copies = " ".join(a for k, a in runtime if k == "COPY")
    assert "--from=builder /opt/venv" in copies
    assert "config" in copies


def test_dockerignore_keeps_the_context_small() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignore[ignore.index("**") if "**" in ignore else 0] in ("**", "# **")
    for needed in ("!pyproject.toml", "!shared/**", "!services/**", "!config/**"):
        assert needed in ignore
