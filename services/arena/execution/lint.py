"""A language's own linter, run on a source inside the judge's sandbox (never on the host).

Python (and PyPy): ruff, the wheel's binary hard-linked into the run's workspace (the sandbox shows no host
path but the system's; one copy of the 25 MB binary sits beside the workspaces, on their file system, so a
lint run copies nothing), with pyflakes, syntax and bugbear rules, no configuration read and no cache written.
Other languages have no cheap linter here: no findings.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import shutil
import subprocess

import structlog

from arena.execution.sandbox import Limits, Sandbox

log = structlog.get_logger("arena.execution")

RUFF_RULES = "F,E9,B"
LINT_LIMITS = Limits(cpu_time_s=5, wall_time_s=10, memory_kib=512 * 1024)
PYTHON_LANGUAGES = frozenset({"python3", "pypy3"})
MAX_SOURCE_BYTES = 64 * 1024


@dataclasses.dataclass(frozen=True)
class LintFinding:
    code: str
    message: str
    line: int
    column: int
    end_line: int


def parse_ruff(output: bytes) -> list[LintFinding]:
    """Ruff's JSON output (``--output-format json``) as findings, in source order."""
    found = [
        LintFinding(
            code=str(item.get("code") or "syntax"),
            message=str(item.get("message", "")),
            line=int(item["location"]["row"]),
            column=int(item["location"]["column"]),
            end_line=int((item.get("end_location") or item["location"])["row"]),
        )
        for item in json.loads(output or b"[]")
    ]
    return sorted(found, key=lambda f: (f.line, f.column, f.code))


class Linter:
    def __init__(self, sandbox: Sandbox, ruff: str | None = None) -> None:
        self._sandbox = sandbox
        self._ruff = ruff or shutil.which("ruff")
        self._staged: pathlib.Path | None = None
        self._version = ""

    def _stage(self, ruff: str) -> pathlib.Path:
        """The binary beside the workspaces (root's, read and run by all), copied once per process."""
        if self._staged is None:
            staged = self._sandbox.workspace_root / "ruff"
            shutil.copyfile(ruff, staged)
            os.chmod(staged, 0o755)
            self._version = subprocess.run(
                [ruff, "--version"], capture_output=True, text=True, check=False
            ).stdout.strip()
            self._staged = staged
        return self._staged

    async def lint(self, language_id: str, source: str) -> tuple[str, list[LintFinding]]:
        """(linter, findings); ("", []) where the language has no linter here."""
        if language_id not in PYTHON_LANGUAGES or self._ruff is None:
            return "", []
        staged = self._stage(self._ruff)
        workspace = self._sandbox.workspace({"main.py": source.encode()})
        try:
            try:
                os.link(staged, workspace / "ruff")  # same file system: no copy
            except OSError:  # (a workspace elsewhere: copy after all)
                shutil.copy2(staged, workspace / "ruff")
            ran = await self._sandbox.run(
                workspace,
                ["/box/ruff", "check", "--isolated", "--no-cache", "--exit-zero", "--output-format", "json",
                 "--select", RUFF_RULES, "main.py"],
                limits=LINT_LIMITS,
            )  # fmt: skip
        finally:
            self._sandbox.discard(workspace)
        if not ran.succeeded:
            log.warning("the linter failed", language=language_id, stderr=ran.stderr[-500:])
            raise RuntimeError("the linter failed in the sandbox")
        return self._version, parse_ruff(ran.stdout)
