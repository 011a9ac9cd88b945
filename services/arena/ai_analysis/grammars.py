"""The tree-sitter grammars the analyser reads, and what each language calls its syntax nodes.

One ``Grammar`` per grammar wheel (Python, C, C++, Java, JavaScript); the judge's language ids map onto
them (``python3`` and ``pypy3`` share the Python grammar). The node-type tables are what make one
language-neutral walker possible: a loop is a loop whatever a grammar names it. Parsers are built on
first use, not at import (a process that never analyses code never loads a grammar).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from typing import Any

import tree_sitter


@dataclasses.dataclass(frozen=True)
class Grammar:
    name: str
    module: str
    """The grammar wheel's module; its ``language()`` (or ``language_cpp``...) returns the grammar."""
    functions: frozenset[str]
    loops: frozenset[str]
    branches: frozenset[str]
    """Decision points other than loops and boolean operators (if, elif, case, catch, ternary)."""
    boolean_ops: frozenset[str]
    """Operator tokens that add a decision point inside a binary expression (``&&``, ``or``)."""
    calls: frozenset[str]
    comments: frozenset[str]
    blocks: frozenset[str]
    """Statement lists, where code after a jump is unreachable."""
    jumps: frozenset[str]
    identifiers: frozenset[str]
    literals: frozenset[str]
    """Leaf types normalised to one literal token for similarity."""


_C_FAMILY_LOOPS = frozenset({"for_statement", "while_statement", "do_statement"})
_C_BRANCHES = frozenset({"if_statement", "case_statement", "conditional_expression", "catch_clause"})
_C_LITERALS = frozenset(
    {"number_literal", "string_content", "string_literal", "char_literal", "raw_string_literal", "true", "false"}
)

GRAMMARS: dict[str, Grammar] = {
    g.name: g
    for g in (
        Grammar(
            name="python",
            module="tree_sitter_python",
            functions=frozenset({"function_definition", "lambda"}),
            loops=frozenset({"for_statement", "while_statement", "for_in_clause"}),
            branches=frozenset(
                {"if_statement", "elif_clause", "except_clause", "conditional_expression", "if_clause", "case_clause"}
            ),
            boolean_ops=frozenset({"and", "or"}),
            calls=frozenset({"call"}),
            comments=frozenset({"comment"}),
            blocks=frozenset({"block", "module"}),
            jumps=frozenset({"return_statement", "raise_statement", "break_statement", "continue_statement"}),
            identifiers=frozenset({"identifier"}),
            literals=frozenset({"integer", "float", "string_content", "true", "false", "none"}),
        ),
        Grammar(
            name="c",
            module="tree_sitter_c",
            functions=frozenset({"function_definition"}),
            loops=_C_FAMILY_LOOPS,
            branches=_C_BRANCHES,
            boolean_ops=frozenset({"&&", "||"}),
            calls=frozenset({"call_expression"}),
            comments=frozenset({"comment"}),
            blocks=frozenset({"compound_statement"}),
            jumps=frozenset({"return_statement", "break_statement", "continue_statement", "goto_statement"}),
            identifiers=frozenset({"identifier", "field_identifier", "type_identifier"}),
            literals=_C_LITERALS,
        ),
        Grammar(
            name="cpp",
            module="tree_sitter_cpp",
            functions=frozenset({"function_definition", "lambda_expression"}),
            loops=_C_FAMILY_LOOPS | {"for_range_loop"},
            branches=_C_BRANCHES,
            boolean_ops=frozenset({"&&", "||", "and", "or"}),
            calls=frozenset({"call_expression"}),
            comments=frozenset({"comment"}),
            blocks=frozenset({"compound_statement"}),
            jumps=frozenset(
                {"return_statement", "break_statement", "continue_statement", "goto_statement", "throw_statement"}
            ),
            identifiers=frozenset({"identifier", "field_identifier", "type_identifier", "namespace_identifier"}),
            literals=_C_LITERALS,
        ),
        Grammar(
            name="java",
            module="tree_sitter_java",
            functions=frozenset({"method_declaration", "constructor_declaration", "lambda_expression"}),
            loops=frozenset({"for_statement", "enhanced_for_statement", "while_statement", "do_statement"}),
            branches=frozenset({"if_statement", "switch_label", "catch_clause", "ternary_expression"}),
            boolean_ops=frozenset({"&&", "||"}),
            calls=frozenset({"method_invocation"}),
            comments=frozenset({"line_comment", "block_comment"}),
            blocks=frozenset({"block"}),
            jumps=frozenset({"return_statement", "break_statement", "continue_statement", "throw_statement"}),
            identifiers=frozenset({"identifier", "type_identifier"}),
            literals=frozenset(
                {
                    "decimal_integer_literal",
                    "hex_integer_literal",
                    "decimal_floating_point_literal",
                    "string_fragment",
                    "character_literal",
                    "true",
                    "false",
                }
            ),
        ),
        Grammar(
            name="javascript",
            module="tree_sitter_javascript",
            functions=frozenset({"function_declaration", "function_expression", "arrow_function", "method_definition"}),
            loops=frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"}),
            branches=frozenset({"if_statement", "switch_case", "catch_clause", "ternary_expression"}),
            boolean_ops=frozenset({"&&", "||", "??"}),
            calls=frozenset({"call_expression"}),
            comments=frozenset({"comment"}),
            blocks=frozenset({"statement_block", "program"}),
            jumps=frozenset({"return_statement", "break_statement", "continue_statement", "throw_statement"}),
            identifiers=frozenset(
                {"identifier", "property_identifier", "shorthand_property_identifier", "private_property_identifier"}
            ),
            literals=frozenset({"number", "string_fragment", "true", "false", "null", "undefined"}),
        ),
    )
}

LANGUAGE_GRAMMARS: dict[str, str] = {
    "python3": "python",
    "pypy3": "python",
    "c": "c",
    "cpp": "cpp",
    "java": "java",
    "javascript": "javascript",
}
"""Judge language id → grammar name: the languages analysed fully."""

JUDGE_LANGUAGES: frozenset[str] = frozenset(
    {
        *LANGUAGE_GRAMMARS,
        "go",
        "rust",
        "kotlin",
        "csharp",
        "ruby",
        "php",
        "pascal",
        "haskell",
        "lua",
        "bash",
    }
)
"""Every language the judge may offer (``arena.execution.languages``); those without a grammar get a
FAILED_PRECONDITION from AnalyzeCode and a reduced (lexical) tokeniser for similarity."""


def grammar_for(language_id: str) -> Grammar | None:
    name = LANGUAGE_GRAMMARS.get(language_id)
    return GRAMMARS[name] if name else None


@functools.cache
def _language(name: str) -> tree_sitter.Language:
    module: Any = importlib.import_module(GRAMMARS[name].module)
    return tree_sitter.Language(module.language())


def parse(grammar: Grammar, source: bytes) -> tree_sitter.Tree:
    """A syntax tree (a new parser per call: parsers are cheap and not safe to share across threads)."""
    return tree_sitter.Parser(_language(grammar.name)).parse(source)
