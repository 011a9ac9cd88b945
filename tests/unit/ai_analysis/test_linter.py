"""The language's own linter (ruff, run by the judge in its sandbox) joins the analyser's findings."""

from __future__ import annotations

from tests.unit.ai_analysis.test_app import ANA, QUADRATIC, collect, make_app

from arena.ai_analysis.domain import Category, Finding, Severity
from arena.ai_analysis.upstream import _lint_finding
from arena.execution.v1 import execution_internal_service_pb2


class FakeLinter:
    def __init__(self, *, failing: bool = False) -> None:
        self.calls: list[str] = []
        self.failing = failing

    async def lint(self, language_id: str, source: str) -> list[Finding]:
        self.calls.append(language_id)
        if self.failing:
            raise ConnectionError("the execution service is down")
        return [Finding("ruff/F821", Severity.ERROR, Category.CORRECTNESS, 1, 5, 1, "Undefined name `x`")]


async def test_the_linters_findings_join_the_analysers_in_source_order_and_are_cached():
    linter = FakeLinter()
    app = make_app(linter=linter)
    analysis = await app.analyze(ANA, "python3", QUADRATIC, "", "")
    assert [f.rule_id for f in analysis.result.findings] == ["ruff/F821", "unused-variable"]
    assert analysis.note == ""
    again = await app.analyze(ANA, "python3", QUADRATIC, "", "")
    assert again.result.findings == analysis.result.findings and linter.calls == ["python3"]
    events = await collect(app, QUADRATIC)  # the stream carries them too
    assert [e.rule_id for e in events if isinstance(e, Finding)] == ["ruff/F821", "unused-variable"]


async def test_a_linter_that_cannot_run_leaves_the_analysis_with_a_note_not_an_error():
    app = make_app(linter=FakeLinter(failing=True))
    analysis = await app.analyze(ANA, "python3", QUADRATIC, "", "")
    assert [f.rule_id for f in analysis.result.findings] == ["unused-variable"]
    assert "linter could not run" in analysis.note


async def test_languages_without_a_linter_are_not_sent():
    linter = FakeLinter()
    app = make_app(linter=linter)
    await app.analyze(ANA, "c", "int main(void) { return 0; }\n", "", "")
    assert linter.calls == []


def test_ruff_codes_map_to_severities_and_categories():
    def mapped(code: str) -> tuple[str, Severity, Category]:
        f = _lint_finding(execution_internal_service_pb2.LintFinding(code=code, message="m", line=3, column=1))
        return f.rule_id, f.severity, f.category

    assert mapped("F821") == ("ruff/F821", Severity.ERROR, Category.CORRECTNESS)
    assert mapped("syntax") == ("ruff/syntax", Severity.ERROR, Category.CORRECTNESS)
    assert mapped("F401") == ("ruff/F401", Severity.WARNING, Category.STYLE)
    assert mapped("B006") == ("ruff/B006", Severity.WARNING, Category.CORRECTNESS)
