"""Remove the demo code a model appends to its solution, and expose a class method.

The grader imports the code as `solution.py`: top-level prints, example calls,
self-asserts, test classes and `__main__` blocks crash or hang on import, so they go
(with the data only they read), keeping the text of the rest. When the entry point is
only a method of an argument-free class (LeetCode's `class Solution`), a module-level
function calling it is added, because the task's tests import a function.
"""

from __future__ import annotations

import ast
import re
from collections import Counter, defaultdict

from harness.grading.blocks import parse_text
from harness.grading.names import bound_names, callable_names, global_reads, method_owner


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    parts = [node.test.left, *node.test.comparators]
    names = {p.id for p in parts if isinstance(p, ast.Name)}
    consts = {p.value for p in parts if isinstance(p, ast.Constant)}
    return "__name__" in names and "__main__" in consts


def _calls_any(node: ast.AST, names: set[str]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            root = func
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in names:
                return True
    return False


def _is_test_class(node: ast.stmt) -> bool:
    return isinstance(node, ast.ClassDef) and any(
        (isinstance(b, ast.Attribute) and b.attr == "TestCase")
        or (isinstance(b, ast.Name) and b.id == "TestCase")
        for b in node.bases
    )


def _demo_reason(node: ast.stmt, demo_targets: set[str], demo_calls: set[str]) -> str:
    """Why a top-level statement is demo code ('' to keep it).

    Assignments go only when they call the entry point (or its class) or input():
    `TABLE = build()` may be data the solution needs, `result = sort_ints([3, 1])`
    never is. `demo_targets` includes input; `demo_calls` is every callable the
    answer defines plus print, input, exit and quit.
    """
    if _is_main_guard(node):
        return "__main__ block"
    if isinstance(node, ast.Assert):
        return "assert"
    if isinstance(node, ast.Expr):
        if isinstance(node.value, ast.Constant):
            return ""  # docstring or stray literal: harmless
        return (
            "call" if any(isinstance(n, ast.Call | ast.Await) for n in ast.walk(node.value)) else ""
        )
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        value = node.value
        demo = value is not None and _calls_any(value, demo_targets)
        return "demo assignment" if demo else ""
    if _is_test_class(node):
        return "test class"
    compound = ast.For | ast.AsyncFor | ast.While | ast.If | ast.With | ast.Try
    if isinstance(node, compound) and (
        _calls_any(node, demo_calls) or any(isinstance(n, ast.Assert) for n in ast.walk(node))
    ):
        return "demo loop/block"
    return ""


def _demo_statements(tree: ast.Module, entry_point: str) -> dict[int, str]:
    """Top-level demo statements: index in tree.body -> why.

    After the direct rules, data assignments used only by demo code (`n = 15` before
    `print(fizzbuzz(n))`) go too; data the kept code reads stays.
    """
    callables = callable_names(tree) | {entry_point}
    owner = method_owner(tree, entry_point)  # `sol = Solution()` is demo code too
    demo_targets = {entry_point, owner, "input"} - {""}
    demo_calls = callables | {"print", "input", "exit", "quit"}
    demo = {
        i: why
        for i, node in enumerate(tree.body)
        if (why := _demo_reason(node, demo_targets, demo_calls))
    }
    _add_demo_data(tree, demo)
    return demo


def _add_demo_data(tree: ast.Module, demo: dict[int, str]) -> None:
    """Mark assignments whose names only demo code reads, until nothing changes.

    A statement qualifies once demo code reads all its names and kept code reads
    none; both only grow more true as statements move to the demo side, so a
    worklist with per-statement counters reaches the fixpoint in linear time (the
    pass-until-stable loop this replaces was quadratic on a chain `a1 = a2`, ...).
    """
    reads = [global_reads(node) for node in tree.body]
    used_by_demo: set[str] = set().union(*(reads[i] for i in demo))
    kept_readers: Counter[str] = Counter()
    for i, names in enumerate(reads):
        if i not in demo:
            kept_readers.update(names)
    bound = {
        i: set(bound_names(node))
        for i, node in enumerate(tree.body)
        if i not in demo and isinstance(node, ast.Assign | ast.AnnAssign)
    }
    bound = {i: names for i, names in bound.items() if names}
    binders: dict[str, list[int]] = defaultdict(list)
    for i, names in bound.items():
        for name in names:
            binders[name].append(i)
    unread = {i: sum(n not in used_by_demo for n in names) for i, names in bound.items()}
    still_kept = {i: sum(kept_readers[n] > 0 for n in names) for i, names in bound.items()}
    ready = [i for i in bound if not unread[i] and not still_kept[i]]
    while ready:
        i = ready.pop()
        if i in demo:
            continue
        demo[i] = "demo data"
        for name in reads[i]:
            kept_readers[name] -= 1
            if not kept_readers[name]:
                for j in binders.get(name, ()):
                    still_kept[j] -= 1
                    if not still_kept[j] and not unread[j]:
                        ready.append(j)
            if name not in used_by_demo:
                used_by_demo.add(name)
                for j in binders.get(name, ()):
                    unread[j] -= 1
                    if not still_kept[j] and not unread[j]:
                        ready.append(j)


def strip_demo_code(code: str, entry_point: str) -> tuple[str, list[str]]:
    """Remove top-level demo statements, keeping the text (comments, layout) of the rest."""
    tree = parse_text(code)[0]
    if tree is None:
        return code, []
    return strip_demo(code, tree, entry_point)


def strip_demo(code: str, tree: ast.Module, entry_point: str) -> tuple[str, list[str]]:
    """`strip_demo_code` for code already parsed (extraction parses each text once)."""
    demo = _demo_statements(tree, entry_point)
    reasons = [demo[i] for i in sorted(demo)]
    lines = code.split("\n")
    drop: set[int] = set()
    keep: set[int] = set()
    for i, node in enumerate(tree.body):
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        span = set(range(start - 1, node.end_lineno or node.lineno))
        if i in demo:
            drop |= span
        else:
            keep |= span
    if drop & keep:  # statements sharing a line (`x = f(1); print(x)`): rebuild from the AST
        # (ast.unparse recurses: extract_code turns a RecursionError into a failure)
        kept_nodes = [n for i, n in enumerate(tree.body) if i not in demo]
        return ast.unparse(ast.Module(body=kept_nodes, type_ignores=[])), reasons
    for index in sorted(drop):  # comments such as "# Example usage" right above dropped code
        j = index - 1
        while j >= 0 and j not in keep and j not in drop and lines[j].lstrip().startswith("#"):
            drop.add(j)
            j -= 1
    kept = [line for i, line in enumerate(lines) if i not in drop]
    cleaned = re.sub(r"\n{3,}", "\n\n\n", "\n".join(line.rstrip() for line in kept)).strip("\n")
    return cleaned, reasons


def method_shim(tree: ast.Module, entry_point: str) -> str:
    """Expose `Solution().entry_point` as a module function when the class needs no arguments."""
    owner = method_owner(tree, entry_point)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == owner:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    args = item.args
                    if len(args.args) - len(args.defaults) > 1 or any(
                        d is None for d in args.kw_defaults
                    ):
                        return ""
            return f"\n\n\ndef {entry_point}(*args, **kwargs):\n    return {owner}().{entry_point}(*args, **kwargs)"
    return ""


