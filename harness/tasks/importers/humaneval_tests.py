"""HumanEval's `check(candidate)` as tests.py: one `test_*` function per asserting statement.

Each test is one unit of partial credit and repeats the setup statements before it, so it
runs on its own; where splitting could change the meaning, `check` is kept whole. The rules
are in `harness.tasks.importers.humaneval`'s docstring, next to the rest of the folder format.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from harness.tasks.importers.humaneval_problem import ConversionError, Problem

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
"""The statements that can carry decorators (their text starts at the first decorator)."""

@dataclass(frozen=True)
class SplitTests:
    """How one `check(candidate)` became test functions."""

    source: str
    """The tests.py text."""
    tests: int
    split: bool
    """False when `check` was kept whole as a single test."""
    note: str = ""
    """Why it was not split, or what was dropped."""


# ------------------------------------------------------------- source helpers


def _segment(source: str, node: ast.stmt, indent: str = "") -> str:
    """The statement's own text re-indented, or ast.unparse when re-indenting changes it."""
    lines = source.splitlines()
    decorators = node.decorator_list if isinstance(node, _DEFINITIONS) else []
    first = decorators[0].lineno if decorators else node.lineno
    chunk = lines[first - 1:node.end_lineno]
    col = node.col_offset
    text = None
    if all(not line[:col].strip() for line in chunk):
        text = "\n".join(indent + line[col:] if line.strip() else "" for line in chunk)
        try:
            body = ast.parse(_dedent(text, indent)).body
            same = len(body) == 1 and ast.dump(body[0]) == ast.dump(node)
        except SyntaxError:
            same = False
        if not same:
            text = None
    if text is None:
        text = "\n".join(indent + line if line else "" for line in ast.unparse(node).splitlines())
    return text


def _module_text(source: str, nodes: list[ast.stmt]) -> str:
    """Top-level statements in PEP 8 layout: two blank lines around definitions."""
    parts: list[str] = []
    for index, node in enumerate(nodes):
        if index:
            is_def = isinstance(node, _DEFINITIONS)
            was_def = isinstance(nodes[index - 1], _DEFINITIONS)
            parts.append("\n\n\n" if is_def or was_def else "\n")
        parts.append(_segment(source, node))
    return "".join(parts)


def _dedent(text: str, indent: str) -> str:
    return "\n".join(line[len(indent):] if line.startswith(indent) else line
                     for line in text.splitlines())


def _bound_names(node: ast.AST) -> set[str]:
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
            names.add(sub.id)
        elif isinstance(sub, ast.alias):
            names.add((sub.asname or sub.name).split(".")[0])
        elif isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(sub.name)
    return names


def _loaded_names(node: ast.AST) -> set[str]:
    return {sub.id for sub in ast.walk(node)
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load)}


def _has_assert(node: ast.AST) -> bool:
    return any(isinstance(sub, ast.Assert) for sub in ast.walk(node))


def _checks_nothing(node: ast.stmt) -> bool:
    """`assert True`, `assert 1, "msg"`, a bare `print` or docstring: no effect on the verdict."""
    if isinstance(node, ast.Assert):
        return isinstance(node.test, ast.Constant) and bool(node.test.value)
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant | ast.Name)


def find_function(module: ast.Module, name: str) -> ast.FunctionDef | None:
    """The top-level function `name`: the prompt's entry point, or the test's `check`."""
    for node in module.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None


# ------------------------------------------------------------- the test split


def _boundary_problem(check: ast.FunctionDef, local_functions: set[str]) -> str:
    """Why the check cannot run across the sandbox boundary, or ''."""
    for sub in ast.walk(check):
        if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name)
                and sub.func.id == "candidate"):
            for arg in [*sub.args, *(k.value for k in sub.keywords)]:
                for part in ast.walk(arg):
                    if isinstance(part, ast.Lambda) or (
                            isinstance(part, ast.Name) and part.id in local_functions):
                        return ("passes a function to the entry point: only plain data "
                                "crosses the sandbox boundary")
    return ""


def split_check(problem: Problem) -> SplitTests:
    """tests.py for one problem: one test per asserting statement of check(candidate)."""
    try:
        test_ast = ast.parse(problem.test)
        prompt_ast = ast.parse(problem.prompt)
    except SyntaxError as exc:
        raise ConversionError(f"cannot parse the prompt or test: {exc}") from None
    check = find_function(test_ast, "check")
    if check is None or [a.arg for a in check.args.args] != ["candidate"]:
        raise ConversionError("the test defines no check(candidate) function")
    entry = problem.entry_point

    # Trusted copies of what the check needs besides the candidate: prompt helpers, test globals.
    check_loads = _loaded_names(check)
    prompt_rest = [n for n in prompt_ast.body
                   if not (isinstance(n, ast.FunctionDef) and n.name == entry)]
    prompt_defs = set().union(*(_bound_names(n) for n in prompt_rest)) if prompt_rest else set()
    test_rest = [n for n in test_ast.body if n is not check]
    local_functions = {n.name for n in [*prompt_rest, *test_rest]
                       if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    local_functions |= {n.name for n in ast.walk(check)
                        if isinstance(n, ast.FunctionDef | ast.ClassDef) and n is not check}
    if reason := _boundary_problem(check, local_functions):
        raise ConversionError(reason)
    helpers = _module_text(problem.prompt, prompt_rest) if check_loads & prompt_defs else ""
    test_globals = _module_text(problem.test, [
        n for n in test_rest
        if isinstance(n, ast.Import | ast.ImportFrom) or _bound_names(n) & check_loads])

    header = [f'"""{problem.task_id} ({entry}): the asserts of its check(candidate), '
              'one test each.', "",
              "Generated by `harness tasks import humaneval`; re-running the import "
              'rewrites this file.', '"""', "", f"from solution import {entry}"]
    if helpers:
        header += ["", "",
                   "# Helpers from the HumanEval prompt that the checks call: a trusted copy,",
                   "# so the tests never depend on the candidate's version.", helpers, ""]
    header += ["", f"candidate = {entry}"]
    if test_globals:
        header += ["", test_globals]

    units: list[list[ast.stmt]] = []
    setup: list[ast.stmt] = []
    bound_by_tests: set[str] = set()
    dropped = 0
    reason = ""
    for node in check.body:
        if _checks_nothing(node):
            dropped += 1
            continue
        if bound_by_tests & _loaded_names(node):
            reason = "a later statement reads a name an earlier assert binds"
            break
        if any(isinstance(sub, ast.Return) for sub in ast.walk(node)):
            reason = "check returns early"
            break
        if _has_assert(node):
            units.append([*setup, node])
            bound_by_tests |= _bound_names(node)
        else:
            setup.append(node)
    if not units and not reason:
        reason = "check has no assert statements to split"

    if reason:
        body = [_segment(problem.test, check), "", "",
                "def test_check():", "    check(candidate)"]
        source = "\n".join([*header, "", "", *body]) + "\n"
        return SplitTests(source, 1, False, f"kept whole: {reason}")

    width = max(2, len(str(len(units))))
    functions = []
    for number, unit in enumerate(units, 1):
        lines = [f"def test_{number:0{width}d}():"]
        lines += [_segment(problem.test, stmt, "    ") for stmt in unit]
        functions.append("\n".join(lines))
    source = "\n".join([*header, "", "", "\n\n\n".join(functions)]) + "\n"
    note = f"dropped {dropped} statement(s) that check nothing" if dropped else ""
    return SplitTests(source, len(units), True, note)

