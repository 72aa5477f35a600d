"""Which top-level names a piece of answer code defines, binds and reads.

Shared by the choice of block (does it define the entry point?), the merging of
helpers from other blocks (what does the chosen code need?) and the removal of demo
code (which data only demo code reads?). Walks are iterative, so hostile nesting
cannot overflow Python's stack.
"""

from __future__ import annotations

import ast
from collections import Counter

_FUNCTION = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSION = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def top_defs(tree: ast.Module) -> dict[str, ast.stmt]:
    """Top-level names bound by def/class/import/assignment, mapped to their statement."""
    names: dict[str, ast.stmt] = {}
    for node in tree.body:
        for name in bound_names(node):
            names[name] = node
    return names


def bound_names(node: ast.stmt) -> list[str]:
    """The module-level names one top-level statement binds (what merging can offer)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Import | ast.ImportFrom):
        return [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]
    if isinstance(node, ast.Assign):
        return [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    if isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def defines(tree: ast.Module | None, entry_point: str) -> bool:
    """True when a top-level def or class is named `entry_point` (what the tests import)."""
    if tree is None:
        return False
    return any(
        isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and n.name == entry_point
        for n in tree.body
    )


def method_owner(tree: ast.Module | None, entry_point: str) -> str:
    """The class holding `entry_point` as a method (LeetCode-style `class Solution`), or ''."""
    if tree is None:
        return ""
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == entry_point:
                    return node.name
    return ""


def defines_anything(tree: ast.Module) -> bool:
    """True when the code defines a function or class: a bare expression is not a solution."""
    return any(
        isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) for n in tree.body
    )


def callable_names(tree: ast.Module) -> set[str]:
    """Top-level functions and classes: calling them at import time is demo code."""
    return {
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def _scope_bindings(nodes: list[ast.AST], *, comprehensions: bool = True) -> set[str]:
    """Names bound in one scope: stores, deletes, def/class names and imports.

    Nested function, lambda and class bodies are scopes of their own and are not
    entered (nor, with comprehensions=False, comprehensions), so every node is read
    by the scope it belongs to only: linear time on any nesting.
    """
    found: set[str] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store | ast.Del):
                found.add(node.id)
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
            continue
        if isinstance(node, ast.Lambda) or (
            not comprehensions and isinstance(node, _COMPREHENSION)
        ):
            continue
        if isinstance(node, ast.alias):
            found.add((node.asname or node.name).split(".")[0])
        stack.extend(ast.iter_child_nodes(node))
    return found


def global_reads(node: ast.AST) -> set[str]:
    """Names `node` reads from module scope: parameters and locals of functions,
    lambdas and comprehensions are not (a parameter `coins` must not pull in a demo
    `coins = [1, 2, 5]` from another block). A name bound only in a nested function
    is that function's local, as in Python.

    An explicit stack, not recursion: an answer nesting 1000 unary minus signs
    overflowed Python's stack. `local` counts the enclosing scopes binding a name;
    (+1/-1, names) items on the stack enter and leave a scope.
    """
    reads: set[str] = set()
    local: Counter[str] = Counter()
    stack: list[ast.AST | tuple[int, tuple[str, ...]]] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            step, names = item
            for name in names:
                local[name] += step
            continue
        if isinstance(item, _FUNCTION):
            a = item.args
            outer: list[ast.AST] = [*a.defaults, *(d for d in a.kw_defaults if d is not None)]
            if not isinstance(item, ast.Lambda):
                outer += item.decorator_list
                outer += [
                    x.annotation for x in (*a.posonlyargs, *a.args, *a.kwonlyargs) if x.annotation
                ]
                outer += [item.returns] if item.returns else []
            body: list[ast.AST] = list(item.body) if isinstance(item.body, list) else [item.body]
            params = {x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)}
            params |= {x.arg for x in (a.vararg, a.kwarg) if x is not None}
            inner = tuple(params | _scope_bindings(body))
            # popped in reverse: the outer parts (outer scope), enter, body, leave
            stack += [(-1, inner), *body, (1, inner), *outer]
            continue
        if isinstance(item, _COMPREHENSION):
            targets = tuple(
                _scope_bindings([g.target for g in item.generators], comprehensions=False)
            )
            stack += [(-1, targets), *ast.iter_child_nodes(item), (1, targets)]
            continue
        if isinstance(item, ast.Name) and isinstance(item.ctx, ast.Load) and not local[item.id]:
            reads.add(item.id)
        stack.extend(ast.iter_child_nodes(item))
    return reads

