"""Python's linter (ruff) runs inside the judge's sandbox: real findings, nothing of the host's."""

from __future__ import annotations

import pytest

from arena.execution.lint import Linter, parse_ruff
from arena.execution.sandbox import Sandbox

SOURCE = "import os\nimport sys\n\n\ndef f(x=[]):\n    return x\n\n\nprint(undefined_name)\n"


@pytest.fixture
def linter(sandbox: Sandbox) -> Linter:
    return Linter(sandbox)


async def test_ruff_reports_real_findings_from_inside_the_sandbox(linter: Linter):
    name, findings = await linter.lint("python3", SOURCE)
    assert name.startswith("ruff")
    assert [(f.code, f.line) for f in findings] == [("F401", 1), ("F401", 2), ("B006", 5), ("F821", 9)]
    assert findings[0].column == 8 and "os" in findings[0].message


async def test_a_syntax_error_is_a_finding_not_a_failure(linter: Linter):
    _, findings = await linter.lint("python3", "def broken(:\n    pass\n")
    assert findings and findings[0].line == 1


async def test_languages_without_a_linter_here_get_none(linter: Linter):
    assert await linter.lint("c", "int main(void) { return 0; }\n") == ("", [])


async def test_the_source_cannot_reach_out_of_the_lint_run(linter: Linter, tmp_path):
    # ruff only parses the file; a source that would act if run does nothing, and the run reads no host config.
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nselect = ['ALL']\n")
    source = f"import shutil\nshutil.rmtree({str(tmp_path)!r})\n"
    _, findings = await linter.lint("python3", source)
    assert findings == []  # (no rule of F, E9, B fires; 'ALL' from a config would have)
    assert (tmp_path / "pyproject.toml").exists()


def test_ruffs_json_is_read_in_source_order():
    raw = (
        b'[{"code":"F821","message":"Undefined name `y`","location":{"row":3,"column":7},'
        b'"end_location":{"row":3,"column":8}},'
        b'{"code":null,"message":"SyntaxError: x","location":{"row":1,"column":1},"end_location":null}]'
    )
    assert [(f.code, f.line, f.end_line) for f in parse_ruff(raw)] == [("syntax", 1, 1), ("F821", 3, 3)]
