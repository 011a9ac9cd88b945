"""The rule set: small, precise checks over a syntax tree, each with a stable id and its own tests.

A rule is a function ``Program → findings``. Each is written to stay quiet when unsure (a missed bug
costs less than a false alarm that teaches users to ignore findings).

| rule id | languages | what |
|---|---|---|
| unused-import | Python | an imported name never used |
| unused-variable | all five | a local assigned/declared and never read |
| unreachable-code | all five | a statement after return/break/continue/raise/throw in the same block |
| recursion-without-base-case | all five | a function calling itself with no branch at all |
| mutable-default-argument | Python | a list/dict/set literal (or call) as a default value |
| int-overflow | C, C++ | a product of two ``int`` values stored in a wider type, or of two ``int`` inputs |
| quadratic-input | all five | removing from the front of a list inside a loop (``pop(0)``, ``shift()``...) |
| slow-input | Python, C++, Java | line-by-line input in a loop through the slow reader of the language |
| assignment-in-condition | C, C++, Java, JavaScript | ``if (a = b)`` |
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from arena.ai_analysis.domain import Category, Finding, Severity
from arena.ai_analysis.syntax import Node, callee, function_name, text, walk

if TYPE_CHECKING:
    from arena.ai_analysis.static import Program

Rule = Callable[["Program"], Iterator[Finding]]


def _at(node: Node, rule_id: str, severity: Severity, category: Category, message: str, suggestion: str) -> Finding:
    return Finding(
        rule_id=rule_id,
        severity=severity,
        category=category,
        line_start=node.start_point[0] + 1,
        column=node.start_point[1] + 1,
        line_end=node.end_point[0] + 1,
        message=message,
        suggestion=suggestion,
    )


def _in_loop(program: Program, node: Node) -> bool:
    return program.in_loop(node)


def _scopes(program: Program) -> list[Node]:
    return [program.root, *program.functions]


# -- unused-import ----------------------------------------------------------------------------------


def unused_import(program: Program) -> Iterator[Finding]:
    if program.grammar.name != "python":
        return
    used: dict[str, int] = {}
    for n in program.nodes:
        if n.type == "identifier":
            used[text(n)] = used.get(text(n), 0) + 1
    for statement in program.nodes:
        if statement.type not in {"import_statement", "import_from_statement"}:
            continue
        if statement.type == "import_from_statement":
            module = statement.child_by_field_name("module_name")
            if module is not None and text(module) == "__future__":
                continue
        for name_node in statement.children_by_field_name("name"):
            bound = name_node
            if name_node.type == "aliased_import":
                alias = name_node.child_by_field_name("alias")
                bound = alias if alias is not None else name_node
            elif name_node.type == "dotted_name" and name_node.named_child_count:
                first = name_node.named_children[0]
                bound = first if statement.type == "import_statement" else name_node.named_children[-1]
            name = text(bound)
            in_import = sum(1 for n in walk(statement) if n.type == "identifier" and text(n) == name)
            if used.get(name, 0) <= in_import:
                yield _at(
                    name_node,
                    "unused-import",
                    Severity.INFO,
                    Category.STYLE,
                    f"'{name}' is imported but never used",
                    "Remove the import.",
                )


# -- unused-variable --------------------------------------------------------------------------------


def _python_targets(node: Node) -> Iterator[Node]:
    if node.type == "identifier":
        yield node
    elif node.type in {"pattern_list", "tuple_pattern", "list_pattern"}:
        for child in node.named_children:
            yield from _python_targets(child)


def _declared_names(program: Program, scope: Node) -> Iterator[Node]:
    """Name nodes of the locals ``scope`` declares (not parameters, not fields)."""
    name = program.grammar.name
    for n in program.own_nodes(scope) if scope is not program.root else program.nodes:
        if name == "python" and n.type == "assignment":
            parent = program.parent(n)
            if (
                parent is None
                or parent.type != "expression_statement"
                or (scope is program.root and program.owner(n) is not None)
            ):
                continue
            left = n.child_by_field_name("left")
            if left is not None:
                yield from _python_targets(left)
        elif name in {"c", "cpp"} and n.type == "declaration" and scope is not program.root:
            for declarator in n.children_by_field_name("declarator"):
                while declarator.type in {"init_declarator", "array_declarator", "pointer_declarator"}:
                    inner = declarator.child_by_field_name("declarator")
                    if inner is None:
                        break
                    declarator = inner
                if declarator.type == "identifier":
                    yield declarator
        elif name in {"java", "javascript"} and n.type == "variable_declarator" and scope is not program.root:
            named = n.child_by_field_name("name")
            if named is not None and named.type == "identifier":
                yield named


def unused_variable(program: Program) -> Iterator[Finding]:
    python = program.grammar.name == "python"
    for scope in _scopes(program):
        occurrences: dict[str, int] = {}
        writes: dict[str, list[Node]] = {}
        for n in program.subtree(scope):
            if n.type == "identifier":
                occurrences[text(n)] = occurrences.get(text(n), 0) + 1
        for declared in _declared_names(program, scope):
            writes.setdefault(text(declared), []).append(declared)
        for name, nodes in writes.items():
            if name.startswith("_") or (python and scope is program.root and name.isupper()):
                continue
            if occurrences.get(name, 0) <= len(nodes):
                yield _at(
                    nodes[0],
                    "unused-variable",
                    Severity.WARNING,
                    Category.STYLE,
                    f"'{name}' is assigned but never used",
                    "Remove it, or use it where it was meant to be used (a typo in a later name?).",
                )


# -- unreachable-code -------------------------------------------------------------------------------


def unreachable_code(program: Program) -> Iterator[Finding]:
    g = program.grammar
    for block in program.nodes:
        if block.type not in g.blocks:
            continue
        jumped: Node | None = None
        for statement in block.named_children:
            if statement.type in g.comments:
                continue
            if jumped is not None:
                if statement.type in {"labeled_statement", "case_statement", "switch_label"}:
                    break
                yield _at(
                    statement,
                    "unreachable-code",
                    Severity.WARNING,
                    Category.CORRECTNESS,
                    f"this code never runs: it follows a {jumped.type.removesuffix('_statement')} on line "
                    f"{jumped.start_point[0] + 1}",
                    "Delete it, or move the jump to where it was meant to be.",
                )
                break
            if statement.type in g.jumps:
                jumped = statement


# -- recursion-without-base-case --------------------------------------------------------------------


def recursion_without_base_case(program: Program) -> Iterator[Finding]:
    g = program.grammar
    for function in program.functions:
        calls = program.self_calls(function)
        if not calls:
            continue
        guarded = any(
            n.type in g.branches
            or n.type in g.loops
            or n.type in {"switch_statement", "match_statement", "try_statement", "boolean_operator"}
            or (n.type == "binary_expression" and any(c.type in g.boolean_ops for c in n.children))
            for n in program.own_nodes(function)
        )
        if not guarded:
            yield _at(
                calls[0],
                "recursion-without-base-case",
                Severity.ERROR,
                Category.CORRECTNESS,
                f"'{function_name(function)}' calls itself unconditionally: it never stops (stack overflow)",
                "Add a base case (an `if` that returns without recursing) before the recursive call.",
            )


# -- mutable-default-argument -----------------------------------------------------------------------

_MUTABLE_CALLS = {"list", "dict", "set", "defaultdict", "deque", "bytearray"}


def mutable_default_argument(program: Program) -> Iterator[Finding]:
    if program.grammar.name != "python":
        return
    for n in program.nodes:
        if n.type not in {"default_parameter", "typed_default_parameter"}:
            continue
        value = n.child_by_field_name("value")
        if value is None:
            continue
        mutable = value.type in {"list", "dictionary", "set", "list_comprehension", "dictionary_comprehension"} or (
            value.type == "call" and callee(value) in _MUTABLE_CALLS
        )
        if mutable:
            name = n.child_by_field_name("name")
            yield _at(
                value,
                "mutable-default-argument",
                Severity.WARNING,
                Category.CORRECTNESS,
                f"the default value of '{text(name) if name else '?'}' is created once and shared by every call",
                "Use `None` as the default and create the value inside the function.",
            )


# -- int-overflow -----------------------------------------------------------------------------------

_WIDE = re.compile(r"\b(long\s+long|long|int64_t|uint64_t|size_t|__int128|double)\b")


def _c_types(program: Program) -> dict[str, str]:
    """Declared type of every variable and parameter (first declaration wins)."""
    types: dict[str, str] = {}
    for n in program.nodes:
        if n.type not in {"declaration", "parameter_declaration", "field_declaration"}:
            continue
        type_node = n.child_by_field_name("type")
        if type_node is None:
            continue
        type_text = " ".join(text(c) for c in n.children if c.type in {"type_qualifier", "sized_type_specifier"})
        type_text = f"{type_text} {text(type_node)}".strip()
        for declarator in n.children_by_field_name("declarator"):
            while declarator.type in {"init_declarator", "array_declarator", "reference_declarator"}:
                inner = declarator.child_by_field_name("declarator") or (
                    declarator.named_children[0] if declarator.named_children else None
                )
                if inner is None:
                    break
                declarator = inner
            if declarator.type == "identifier":
                types.setdefault(text(declarator), type_text)
    return types


def _is_plain_int(type_text: str) -> bool:
    return re.fullmatch(r"(const\s+)?(signed\s+)?int", type_text.strip()) is not None


def _input_names(program: Program) -> set[str]:
    names: set[str] = set()
    for n in program.nodes:
        if n.type == "binary_expression" and text(n).lstrip().startswith("cin") and ">>" in text(n):
            names.update(text(c) for c in walk(n) if c.type == "identifier" and text(c) != "cin")
        elif n.type == "call_expression" and callee(n) in {"scanf", "std::scanf"}:
            names.update(
                text(c)
                for c in walk(n)
                if c.type == "identifier" and (p := program.parent(c)) is not None and p.type == "pointer_expression"
            )
    return names


def _target_type(program: Program, node: Node, types: dict[str, str]) -> str:
    """The type the value of ``node`` is stored into, when it is an initialiser, assignment or return."""
    child, parent = node, node.parent
    while parent is not None and parent.type in {"parenthesized_expression", "binary_expression"}:
        if parent.type == "binary_expression" and not any(c.type in {"+", "-"} for c in parent.children):
            return ""
        child, parent = parent, parent.parent
    if parent is None:
        return ""
    if parent.type == "init_declarator" and parent.parent is not None:
        type_node = parent.parent.child_by_field_name("type")
        return text(type_node) if type_node is not None else ""
    if parent.type == "assignment_expression" and parent.child_by_field_name("right") == child:
        left = parent.child_by_field_name("left")
        return types.get(text(left), "") if left is not None else ""
    if parent.type == "return_statement":
        function = program.owner(parent)
        type_node = function.child_by_field_name("type") if function is not None else None
        return text(type_node) if type_node is not None else ""
    return ""


def int_overflow(program: Program) -> Iterator[Finding]:
    if program.grammar.name not in {"c", "cpp"}:
        return
    types = _c_types(program)
    inputs = _input_names(program)
    for n in program.nodes:
        if n.type != "binary_expression":
            continue
        operator = n.child_by_field_name("operator")
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        if operator is None or operator.type != "*" or left is None or right is None:
            continue
        if left.type != "identifier" or right.type != "identifier":
            continue
        a, b = text(left), text(right)
        if not (_is_plain_int(types.get(a, "")) and _is_plain_int(types.get(b, ""))):
            continue
        target = _target_type(program, n, types)
        if _WIDE.search(target) or (a in inputs and b in inputs):
            yield _at(
                n,
                "int-overflow",
                Severity.WARNING,
                Category.CORRECTNESS,
                f"'{a} * {b}' is computed in int and overflows past 2^31-1"
                + (f" before it is stored as {target}" if target else ""),
                f"Widen one operand first: `(long long){a} * {b}`.",
            )


# -- quadratic-input --------------------------------------------------------------------------------


def _front_removal(grammar: str, node: Node) -> bool:
    called = callee(node)
    arguments = node.child_by_field_name("arguments")
    args = text(arguments).replace(" ", "") if arguments is not None else ""
    if grammar == "python":
        return (called.endswith(".pop") and args == "(0)") or (called.endswith(".insert") and args.startswith("(0,"))
    if grammar == "javascript":
        return called.endswith(".shift") or called.endswith(".unshift")
    if grammar == "java":
        return called.endswith(".remove") and args == "(0)"
    if grammar in {"c", "cpp"}:
        return called.endswith(".erase") and re.match(r"\(\w+\.begin\(\)\)$", args) is not None
    return False


def quadratic_input(program: Program) -> Iterator[Finding]:
    for n in program.nodes:
        if n.type in program.grammar.calls and _front_removal(program.grammar.name, n) and _in_loop(program, n):
            yield _at(
                n,
                "quadratic-input",
                Severity.WARNING,
                Category.PERFORMANCE,
                f"'{callee(n)}' at the front of a list moves every element: O(n) per call, O(n^2) in this loop",
                "Read all tokens once and walk them with an index (or use a deque).",
            )


# -- slow-input -------------------------------------------------------------------------------------


def slow_input(program: Program) -> Iterator[Finding]:
    grammar = program.grammar.name
    source = program.source
    for n in program.nodes:
        if grammar == "python" and n.type == "call" and callee(n) == "input" and _in_loop(program, n):
            if re.search(r"^\s*input\s*=", source, re.M):
                return
            yield _at(
                n,
                "slow-input",
                Severity.INFO,
                Category.PERFORMANCE,
                "input() in a loop is slow for large inputs (about 1 µs per call more than sys.stdin)",
                "Read everything at once: `data = sys.stdin.buffer.read().split()`.",
            )
            return
        if grammar == "cpp" and n.type == "identifier" and text(n) == "cin" and _in_loop(program, n):
            if "sync_with_stdio" in source:
                return
            yield _at(
                n,
                "slow-input",
                Severity.INFO,
                Category.PERFORMANCE,
                "cin in a loop without `ios::sync_with_stdio(false)` is several times slower than it need be",
                "Add `ios::sync_with_stdio(false); cin.tie(nullptr);` at the start of main.",
            )
            return
        if (
            grammar == "java"
            and n.type == "method_invocation"
            and re.match(r"next(Int|Long|Line|Double)?$", text(n.child_by_field_name("name") or n))
            and "Scanner" in source
            and _in_loop(program, n)
        ):
            yield _at(
                n,
                "slow-input",
                Severity.INFO,
                Category.PERFORMANCE,
                "Scanner in a loop is slow for large inputs",
                "Use a BufferedReader with a StringTokenizer (or DataInputStream).",
            )
            return


# -- assignment-in-condition ------------------------------------------------------------------------


def assignment_in_condition(program: Program) -> Iterator[Finding]:
    if program.grammar.name == "python":
        return
    for n in program.nodes:
        if n.type not in {"if_statement", "while_statement"}:
            continue
        condition = n.child_by_field_name("condition")
        while condition is not None and condition.type in {"parenthesized_expression", "condition_clause"}:
            inner = condition.child_by_field_name("value") or (
                condition.named_children[0] if condition.named_children else None
            )
            condition = inner
        if condition is not None and condition.type == "assignment_expression":
            yield _at(
                condition,
                "assignment-in-condition",
                Severity.WARNING,
                Category.CORRECTNESS,
                f"'{text(condition)}' assigns instead of comparing",
                "Use `==` to compare (or wrap a deliberate assignment in extra parentheses and compare it).",
            )


RULES: tuple[Rule, ...] = (
    unused_import,
    unused_variable,
    unreachable_code,
    recursion_without_base_case,
    mutable_default_argument,
    int_overflow,
    quadratic_input,
    slow_input,
    assignment_in_condition,
)

RULE_IDS = (
    "unused-import",
    "unused-variable",
    "unreachable-code",
    "recursion-without-base-case",
    "mutable-default-argument",
    "int-overflow",
    "quadratic-input",
    "slow-input",
    "assignment-in-condition",
)


def run(program: Program) -> list[Finding]:
    return [finding for rule in RULES for finding in rule(program)]
