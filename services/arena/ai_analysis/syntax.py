"""Small helpers over tree-sitter nodes, shared by the analysers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import tree_sitter

Node = tree_sitter.Node


def text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def walk(node: Node) -> Iterator[Node]:
    """Every node below ``node`` (itself included), in source order, without recursion."""
    cursor = node.walk()
    visited_children = False
    while True:
        if not visited_children:
            current = cursor.node
            assert current is not None
            yield current
            if cursor.goto_first_child():
                continue
        if cursor.goto_next_sibling():
            visited_children = False
        elif cursor.goto_parent():
            visited_children = True
            if cursor.node == node:
                return
        else:
            return


def function_name(node: Node) -> str:
    name = node.child_by_field_name("name")
    if name is not None:
        return text(name)
    declarator = node.child_by_field_name("declarator")
    while declarator is not None:  # C/C++: function_definition → function_declarator → identifier
        if declarator.type in {"identifier", "field_identifier", "qualified_identifier", "operator_name"}:
            return text(declarator)
        declarator = declarator.child_by_field_name("declarator")
    parent = node.parent  # JS `const f = () => ...`
    if parent is not None and parent.type == "variable_declarator":
        named = parent.child_by_field_name("name")
        if named is not None:
            return text(named)
    return "<lambda>"


def callee(node: Node) -> str:
    """The called name (``f``, ``obj.sort``, ``std::sort``) of a call node."""
    target = node.child_by_field_name("function") or node.child_by_field_name("name")
    if target is None:
        return ""
    if node.type == "method_invocation":  # Java: object.name(...)
        obj = node.child_by_field_name("object")
        return f"{text(obj)}.{text(target)}" if obj is not None else text(target)
    return text(target)


def short_name(called: str) -> str:
    return re.split(r"\.|::|->", called)[-1]


def leaves(node: Node) -> Iterator[Node]:
    """The leaves below ``node`` in source order (a walk that asks each node nothing but its children)."""
    cursor = node.walk()
    while True:
        if not cursor.goto_first_child():
            leaf = cursor.node
            assert leaf is not None
            yield leaf
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    return
