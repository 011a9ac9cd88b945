"""Static analysis without a model: a syntax tree → summary, complexity estimate, findings.

One walker for every grammar, driven by the node-type tables of ``grammars``. The complexity estimate
composes costs over the tree: a loop multiplies its body's cost by n (by log n when it halves its
variable, by 1 when its bounds are constants), a call costs what the called function costs, a sort costs
n log n, and recursion is classified by its shape (one self-call: linear or logarithmic; two or more:
divide and conquer when the argument halves, exponential unless memoised).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from arena.ai_analysis import rules
from arena.ai_analysis.domain import (
    CodeSummary,
    Complexity,
    Cost,
    FunctionSummary,
    ProblemContext,
    StaticResult,
    limit_check,
    quality_score,
)
from arena.ai_analysis.grammars import Grammar, parse
from arena.ai_analysis.syntax import Node, callee, function_name, short_name, text, walk

_SORTS = re.compile(r"(^|\W)(sorted|sort|qsort|stable_sort|Arrays\.sort|Collections\.sort)$")
_HALVING = re.compile(
    r"(//=?\s*2\b|/=?\s*2\b|>>=?\s*1\b|\*=\s*2\b|<<=\s*1\b|\bmid\b|\blo\b.*\bhi\b|\bleft\b.*\bright\b)"
)
_HALVING_STEP = re.compile(r"(/=\s*2\b|>>=\s*1\b|\*=\s*2\b|<<=\s*1\b|=\s*\w+\s*/\s*2\b|=\s*\w+\s*>>\s*1\b)")
_HALVED_ARGUMENT = re.compile(r"(//\s*2\b|/\s*2\b|>>\s*1\b|\bmid\b)")
_MEMO = re.compile(r"(lru_cache|functools\.cache|@cache\b|\bmemo\b|\bdp\b|\bcache\b)")


class Program:
    """A parsed source and what the walker learnt about it."""

    def __init__(self, grammar: Grammar, source: str) -> None:
        self.grammar = grammar
        self.source = source
        self.tree = parse(grammar, source.encode())
        self.root = self.tree.root_node
        self.functions: list[Node] = [n for n in walk(self.root) if n.type in grammar.functions]
        self.by_name: dict[str, Node] = {}
        for f in self.functions:
            self.by_name.setdefault(function_name(f), f)

    # -- structure ----------------------------------------------------------------------------------

    def owner(self, node: Node) -> Node | None:
        """The innermost function containing ``node``."""
        parent = node.parent
        while parent is not None:
            if parent.type in self.grammar.functions:
                return parent
            parent = parent.parent
        return None

    def own_nodes(self, function: Node) -> Iterator[Node]:
        """Nodes of ``function``'s body, not those of functions nested in it."""
        for child in function.children:
            yield from self._own(child)

    def _own(self, node: Node) -> Iterator[Node]:
        yield node
        if node.type in self.grammar.functions:
            return
        for child in node.children:
            yield from self._own(child)

    def self_calls(self, function: Node) -> list[Node]:
        name = function_name(function)
        return [
            n
            for n in self.own_nodes(function)
            if n.type in self.grammar.calls and name != "<lambda>" and short_name(callee(n)) == name
        ]

    def loop_depth(self, node: Node) -> int:
        depth = 1 if node.type in self.grammar.loops else 0
        deepest = 0
        for child in node.children:
            if child.type not in self.grammar.functions:
                deepest = max(deepest, self.loop_depth(child))
        return depth + deepest

    def cyclomatic(self, function: Node) -> int:
        g = self.grammar
        points = 0
        for n in self.own_nodes(function):
            if n.type in g.loops or n.type in g.branches:
                points += 1
            elif n.type in {"binary_expression", "boolean_operator"}:
                operator = n.child_by_field_name("operator")
                if operator is not None and operator.type in g.boolean_ops:
                    points += 1
        return 1 + points

    def summary(self) -> CodeSummary:
        lines = self.source.splitlines()
        comment_rows: set[int] = set()
        code_rows: set[int] = set()
        for n in walk(self.root):
            if n.type in self.grammar.comments:
                comment_rows.update(range(n.start_point[0], n.end_point[0] + 1))
            elif n.child_count == 0 and n.end_byte > n.start_byte:
                code_rows.update(range(n.start_point[0], n.end_point[0] + 1))
        functions = tuple(
            FunctionSummary(
                name=function_name(f),
                line_start=f.start_point[0] + 1,
                line_end=f.end_point[0] + 1,
                cyclomatic_complexity=self.cyclomatic(f),
                max_loop_depth=max((self.loop_depth(c) for c in f.children), default=0),
                recursive=bool(self.self_calls(f)),
            )
            for f in self.functions
        )
        return CodeSummary(
            lines=len(lines),
            code_lines=len(code_rows - comment_rows) + len(code_rows & comment_rows),
            comment_lines=len(comment_rows),
            functions=functions,
            max_loop_depth=max([self.loop_depth(self.root), *(f.max_loop_depth for f in functions)]),
            recursion=any(f.recursive for f in functions),
            syntax_errors=self.root.has_error,
        )

    # -- cost ---------------------------------------------------------------------------------------

    def constant_loop(self, loop: Node) -> bool:
        """A loop whose header names no variable besides its own counter (``range(26)``, ``i < 26``)."""
        header = [c for c in loop.children if c.type not in self.grammar.blocks and c.type != "block"]
        header = [c for c in header if c.child_by_field_name("body") is None and c != loop.child_by_field_name("body")]
        names = [text(n) for c in header for n in walk(c) if n.type in self.grammar.identifiers]
        literals = [n for c in header for n in walk(c) if n.type in self.grammar.literals]
        counters: set[str] = set()
        for field in ("left", "initializer", "name"):
            target = loop.child_by_field_name(field)
            if target is not None:
                counters.update(
                    text(n) for n in walk(target) if n.type in self.grammar.identifiers and n.parent != target.parent
                )
                if target.type in self.grammar.identifiers:
                    counters.add(text(target))
        others = [n for n in names if n not in counters and n not in {"range", "int", "long", "size_t", "auto", "let"}]
        return bool(literals) and not others and loop.type != "for_in_clause"

    def halving_loop(self, loop: Node) -> bool:
        if loop.type not in {"while_statement", "for_statement", "do_statement"}:
            return False
        body = loop.child_by_field_name("body")
        header = text(loop)[: (body.start_byte - loop.start_byte) if body is not None else None]
        if loop.type == "for_statement" and self.grammar.name != "python":
            return _HALVING_STEP.search(header) is not None
        updates = [
            text(n)
            for n in walk(loop)
            if n.type in {"augmented_assignment", "assignment_expression", "assignment", "compound_assignment_expr"}
            or n.type == "augmented_assignment_expression"
        ]
        return (loop.type != "for_statement" and any(_HALVING.search(u) for u in updates)) or (
            "mid" in text(loop) and loop.type == "while_statement"
        )

    def cost(self, node: Node, stack: tuple[str, ...] = ()) -> Cost:
        """The cost of running ``node`` once (nested functions are not run by their definition)."""
        g = self.grammar
        inner = Cost()
        for child in node.children:
            if child.type in g.functions and child.type != "lambda":
                continue
            inner = max(inner, self.cost(child, stack))
        if node.type in g.calls:
            called = callee(node)
            target = self.by_name.get(short_name(called))
            if target is None and _SORTS.search(called):
                inner = max(inner, Cost(degree=1, logs=1))
            elif target is not None and function_name(target) not in stack:
                inner = max(inner, self.function_cost(target, stack))
        if node.type in g.loops:
            if self.constant_loop(node):
                return inner
            factor = Cost(logs=1) if self.halving_loop(node) else Cost(degree=1)
            return inner.times(factor)
        return inner

    def function_cost(self, function: Node, stack: tuple[str, ...] = ()) -> Cost:
        name = function_name(function)
        body = Cost()
        for child in function.children:
            body = max(body, self.cost(child, (*stack, name)))
        calls = self.self_calls(function)
        if not calls:
            return body
        halving = any(_HALVED_ARGUMENT.search(text(c)) for c in calls)
        memoised = bool(_MEMO.search(text(function.parent) if function.parent is not None else "")) or bool(
            _MEMO.search(text(function))
        )
        if len(calls) == 1:
            return body.times(Cost(logs=1) if halving else Cost(degree=1))
        if halving:  # T(n) = a·T(n/2) + f(n): n log n when f is linear, else n
            return Cost(degree=max(1, body.degree), logs=body.logs + (1 if body.degree >= 1 else 0))
        if memoised:
            return body.times(Cost(degree=1))
        return Cost(exponential=True)

    def complexity(self) -> tuple[Cost, str, float]:
        total = Cost()
        top = self.cost(self.root)
        total = max(total, top)
        reasons = []
        confidence = 0.8
        entry_points = [f for f in self.functions if function_name(f) in {"main", "solve", "Main"}]
        if not entry_points or len(self.functions) <= 1:
            entry_points = [f for f in self.functions if f.type not in {"lambda", "arrow_function"}]
        for f in entry_points:
            total = max(total, self.function_cost(f))
        depth = self.loop_depth(self.root)
        if depth:
            reasons.append(f"loops nest {depth} deep")
        recursive = [function_name(f) for f in self.functions if self.self_calls(f)]
        if recursive:
            reasons.append(f"recursion in {', '.join(sorted(set(recursive)))}")
            confidence -= 0.2
        if any(_SORTS.search(callee(n)) for n in walk(self.root) if n.type in self.grammar.calls):
            reasons.append("sorting costs n log n")
        if self.root.has_error:
            confidence -= 0.3
        if not reasons:
            reasons.append("no loops or recursion")
        return total, "; ".join(reasons), max(0.1, round(confidence, 2))


def analyse(grammar: Grammar, source: str, problem: ProblemContext | None = None) -> StaticResult:
    """The whole static result for one source."""
    program = Program(grammar, source)
    summary = program.summary()
    findings = tuple(sorted(rules.run(program), key=lambda f: (-int(f.severity), f.line_start, f.column, f.rule_id)))
    cost, why, confidence = program.complexity()
    check = limit_check(cost, grammar.name, problem.statement, problem.time_limit_s) if problem else ""
    space = "O(n)" if re.search(r"\[|\bvector\b|\bArrayList\b|\blist\(|\bappend\(|\bpush", source) else "O(1)"
    complexity = Complexity(
        time=cost,
        space=space,
        explanation=f"Estimated from the syntax tree: {why}.",
        confidence=confidence,
        limit_check=check,
    )
    score = quality_score(findings, summary)
    parts = [
        f"{summary.lines} lines, {len(summary.functions)} function(s), loops nested {summary.max_loop_depth} deep"
        + (", recursive" if summary.recursion else "")
        + ".",
        f"Estimated time {cost.big_o()} (confidence {confidence:.0%}).",
    ]
    if check:
        parts.append(check[0].upper() + check[1:] + ".")
    if findings:
        parts.append(f"{len(findings)} finding(s); the most serious: {findings[0].message}")
    else:
        parts.append("No findings.")
    return StaticResult(summary, findings, complexity, score, " ".join(parts))
