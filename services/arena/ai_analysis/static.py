"""Static analysis without a model: a syntax tree → summary, complexity estimate, findings.

One walker for every grammar, driven by the node-type tables of ``grammars``. The complexity estimate
composes costs over the tree: a loop multiplies its body's cost by n (by log n when it halves its
variable, by 1 when its bounds are constants), a call costs what the called function costs, a sort costs
n log n, and recursion is classified by its shape (one self-call: linear or logarithmic; two or more:
divide and conquer when the argument halves, exponential unless memoised).
"""

from __future__ import annotations

import re

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
        # One walk, in source order; everything else indexes into it (tree-sitter's parent lookups walk
        # down from the root, and every property read builds a new object: both add up on big trees).
        self.nodes: list[Node] = []
        self._parent: list[int] = []
        cursor = self.root.walk()
        ancestors: list[int] = []
        while True:
            node = cursor.node
            assert node is not None
            self._parent.append(ancestors[-1] if ancestors else -1)
            self.nodes.append(node)
            if cursor.goto_first_child():
                ancestors.append(len(self.nodes) - 1)
                continue
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    break
                ancestors.pop()
            else:
                continue
            break
        self.types: list[str] = [n.type for n in self.nodes]
        self._index: dict[int, int] = {n.id: i for i, n in enumerate(self.nodes)}
        self._owner: list[int] = [-1] * len(self.nodes)
        self._loop: list[int] = [-1] * len(self.nodes)
        """The innermost loop around each node, within its own function (-1: none)."""
        self._depth: list[int] = [0] * len(self.nodes)
        """Loops around (and including) each node, within its own function."""
        self._end: dict[int, int] = {}
        open_nodes: list[tuple[int, int, bool]] = []  # (node index, end byte, is a function)
        functions, loops = grammar.functions, grammar.loops
        for i, n in enumerate(self.nodes):
            start = n.start_byte
            while open_nodes and start >= open_nodes[-1][1]:
                index, _, is_function = open_nodes.pop()
                if is_function:
                    self._end[index] = i
            depth, loop, owner = 0, -1, -1
            for index, _, is_function in reversed(open_nodes):
                if is_function:
                    owner = index
                    break
                depth += 1
                if loop < 0:
                    loop = index
            kind = self.types[i]
            self._owner[i], self._loop[i] = owner, loop
            self._depth[i] = depth + (kind in loops)
            if kind in functions:
                open_nodes.append((i, n.end_byte, True))
            elif kind in loops:
                open_nodes.append((i, n.end_byte, False))
        for index, _, is_function in open_nodes:
            if is_function:
                self._end[index] = len(self.nodes)
        self.functions: list[Node] = [self.nodes[i] for i in sorted(self._end)]
        self.by_name: dict[str, Node] = {}
        for f in self.functions:
            self.by_name.setdefault(function_name(f), f)
        self._own_cache: dict[int, list[Node]] = {}
        self._self_calls: dict[int, list[Node]] = {}
        self._function_costs: dict[int, Cost] = {}

    # -- structure ----------------------------------------------------------------------------------

    def parent(self, node: Node) -> Node | None:
        index = self._parent[self._index[node.id]]
        return self.nodes[index] if index >= 0 else None

    def owner(self, node: Node) -> Node | None:
        """The innermost function containing ``node``."""
        index = self._owner[self._index[node.id]]
        return self.nodes[index] if index >= 0 else None

    def subtree(self, node: Node) -> list[Node]:
        """``node`` and everything below it, in source order."""
        i = self._index[node.id]
        if node.id == self.root.id:
            return self.nodes
        end = self._end.get(i)
        if end is None:
            end = i + 1
            stop = node.end_byte
            while end < len(self.nodes) and self.nodes[end].start_byte < stop:
                end += 1
        return self.nodes[i:end]

    def own_nodes(self, function: Node) -> list[Node]:
        """Nodes of ``function``'s body, not those of functions nested in it (those appear themselves)."""
        i = self._index[function.id]
        cached = self._own_cache.get(i)
        if cached is None:
            cached = [self.nodes[j] for j in range(i + 1, self._end[i]) if self._owner[j] == i]
            self._own_cache[i] = cached
        return cached

    def self_calls(self, function: Node) -> list[Node]:
        i = self._index[function.id]
        cached = self._self_calls.get(i)
        if cached is None:
            name = function_name(function)
            calls = self.grammar.calls
            cached = [
                n
                for n in self.own_nodes(function)
                if n.type in calls and name != "<lambda>" and short_name(callee(n)) == name
            ]
            self._self_calls[i] = cached
        return cached

    def in_loop(self, node: Node) -> bool:
        """Whether a loop of the same function encloses ``node``."""
        return self._loop[self._index[node.id]] >= 0

    def function_loop_depth(self, function: Node) -> int:
        i = self._index[function.id]
        return max((self._depth[j] for j in range(i + 1, self._end[i]) if self._owner[j] == i), default=0)

    def top_level_loop_depth(self) -> int:
        return max((d for d, owner in zip(self._depth, self._owner, strict=True) if owner < 0), default=0)

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
        for n in self.nodes:
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
                max_loop_depth=self.function_loop_depth(f),
                recursive=bool(self.self_calls(f)),
            )
            for f in self.functions
        )
        return CodeSummary(
            lines=len(lines),
            code_lines=len(code_rows - comment_rows) + len(code_rows & comment_rows),
            comment_lines=len(comment_rows),
            functions=functions,
            max_loop_depth=max([self.top_level_loop_depth(), *(f.max_loop_depth for f in functions)]),
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
                counters.update(text(n) for n in walk(target) if n.type in self.grammar.identifiers)
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
        i = self._index[function.id]
        cached = self._function_costs.get(i)
        if cached is None:
            cached = self._function_cost(function, stack)
            self._function_costs[i] = cached
        return cached

    def _function_cost(self, function: Node, stack: tuple[str, ...]) -> Cost:
        name = function_name(function)
        body = Cost()
        for child in function.children:
            body = max(body, self.cost(child, (*stack, name)))
        calls = self.self_calls(function)
        if not calls:
            return body
        halving = any(_HALVED_ARGUMENT.search(text(c)) for c in calls)
        parent = self.parent(function)
        memoised = bool(_MEMO.search(text(parent) if parent is not None else "")) or bool(_MEMO.search(text(function)))
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
        depth = max(self._depth, default=0)
        if depth:
            reasons.append(f"loops nest {depth} deep")
        recursive = [function_name(f) for f in self.functions if self.self_calls(f)]
        if recursive:
            reasons.append(f"recursion in {', '.join(sorted(set(recursive)))}")
            confidence -= 0.2
        if any(_SORTS.search(callee(n)) for n in self.nodes if n.type in self.grammar.calls):
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
