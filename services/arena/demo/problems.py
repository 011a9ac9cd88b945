"""The demo problems shipped with Arena: statements, tests and reference solutions in every language."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from arena.execution.judge import Bundle

ROOT = pathlib.Path(__file__).with_name("problems")
LANGUAGE_BY_SUFFIX = {".py": "python3", ".c": "c", ".cpp": "cpp", ".js": "javascript", ".java": "java"}


@dataclasses.dataclass(frozen=True)
class DemoProblem:
    slug: str
    title: str
    difficulty: str
    tags: tuple[str, ...]
    time_limit_ms: int
    memory_limit_kib: int
    checker: str
    statement: str
    samples: int
    tests: tuple[tuple[str, str], ...]
    """(input, expected output), samples first."""
    solutions: dict[str, tuple[str, str]]
    """file name → (language id, source): ``accepted.*`` pass; ``wrong.*`` and ``slow.*`` must not."""
    groups: tuple[tuple[str, float, tuple[int, ...]], ...] = ()
    """Subtasks: (name, points, test ordinals), from ``groups`` in problem.yaml."""
    checker_program: tuple[str, str] | None = None
    """For the ``PROGRAM`` checker: (language id, source), from the file ``checker_program`` names."""
    interactor: tuple[str, str] | None = None
    """An interactive problem's interactor: (language id, source), from the file ``interactor`` names."""


def load(root: pathlib.Path = ROOT) -> list[DemoProblem]:
    problems = []
    for directory in sorted(p for p in root.iterdir() if p.is_dir()):
        meta = yaml.safe_load((directory / "problem.yaml").read_text())
        inputs = sorted((directory / "tests").glob("*.in"))
        tests = tuple((i.read_text(), i.with_suffix(".out").read_text()) for i in inputs)
        solutions = {
            path.name: (LANGUAGE_BY_SUFFIX[path.suffix], path.read_text())
            for path in sorted((directory / "solutions").iterdir())
        }
        program = meta.get("checker_program")
        interactor = meta.get("interactor")
        problems.append(
            DemoProblem(
                slug=directory.name,
                title=meta["title"],
                difficulty=meta["difficulty"],
                tags=tuple(meta["tags"]),
                time_limit_ms=int(meta["time_limit_ms"]),
                memory_limit_kib=int(meta["memory_limit_kib"]),
                checker=meta["checker"],
                statement=meta["statement"],
                samples=int(meta["samples"]),
                tests=tests,
                solutions=solutions,
                groups=tuple(
                    (g["name"], float(g["points"]), tuple(int(t) for t in g["tests"])) for g in meta.get("groups", ())
                ),
                checker_program=(
                    (LANGUAGE_BY_SUFFIX[pathlib.Path(program).suffix], (directory / program).read_text())
                    if program
                    else None
                ),
                interactor=(
                    (LANGUAGE_BY_SUFFIX[pathlib.Path(interactor).suffix], (directory / interactor).read_text())
                    if interactor
                    else None
                ),
            )
        )
    return problems


def judge_bundle(problem: DemoProblem) -> Bundle:
    """A demo problem as the judge takes it, without the problem service (tests, benchmarks)."""
    from arena.execution.checkers import CheckerSpec, InteractorSpec
    from arena.execution.domain import TestGroup
    from arena.execution.judge import Bundle, BundleTest

    language, source = problem.checker_program or ("", "")
    return Bundle(
        problem_id=problem.slug,
        revision=1,
        time_limit_ms=problem.time_limit_ms,
        memory_limit_kib=problem.memory_limit_kib,
        checker=CheckerSpec(problem.checker, program_language_id=language, program_source=source),
        tests=tuple(
            BundleTest(ordinal=i, input=t[0], expected_output=t[1], sample=i <= problem.samples)
            for i, t in enumerate(problem.tests, start=1)
        ),
        groups=tuple(TestGroup(name, points, ordinals) for name, points, ordinals in problem.groups),
        interactor=InteractorSpec(*problem.interactor) if problem.interactor else None,
    )
