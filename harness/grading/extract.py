"""Pull the candidate program out of a model's answer, without running anything.

Small models wrap code in prose, split it over several fenced blocks, repeat it,
and append demo code (prints, example calls, self-asserts, `__main__` blocks) that
crashes or hangs on import. The grader imports the code as `solution.py`, so we
keep what a module needs (imports, defs, classes, constants) and drop top-level
demo statements. Everything is decided with `ast`; code that does not parse is
returned as it is, so the grader reports the syntax error the model made.

One rescue goes beyond deleting: when the entry point is only a method of an
argument-free class (LeetCode's `class Solution`), a module-level function calling
it is appended, because the task's tests import a function.

The answer is untrusted and extraction runs on the host, inside the run loop, so
it must neither raise nor stall on hostile text: answers over MAX_ANSWER_CHARS are
refused, at most MAX_BLOCKS candidate blocks are considered, the searches that try
many prefixes with `ast.parse` share a budget proportional to the answer (see
`Meter`), no regex can backtrack catastrophically, AST walks are iterative, and a
parser that gives up (RecursionError, MemoryError on deep nesting) means "does not
parse". What an extraction cost is in `Extraction.parses` and `parsed_chars`.

Here: the entry point, the choice of block and the merging of helpers. Finding the
blocks and the parse budget are in `blocks`, demo removal and the method shim in
`demo`, the name analysis they share in `names`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from harness.grading.ast_guard import AST_LOCK
from harness.grading.blocks import (
    Block,
    Meter,
    fenced_blocks,
    strip_trailing_prose,
    truncated_prefix,
    unfenced_blocks,
)
from harness.grading.demo import method_shim, strip_demo
from harness.grading.names import (
    bound_names,
    callable_names,
    defines,
    defines_anything,
    global_reads,
    method_owner,
    top_defs,
)

MAX_ANSWER_CHARS = 50_000
"""Longer answers are refused unread (about 12k tokens; answers to one task are a few kB).
Not higher: CPython 3.11's own parser is super-linear on some text (one ast.parse of an
f-string with 16k fields, 50 kB, takes 0.4 s; of 200 kB, 6 s), and extraction runs in
the host's run loop, holding the GIL."""


@dataclass(frozen=True)
class Extraction:
    """The code to grade, whether any was found, and a short account of how.

    `parses` and `parsed_chars` say what extraction cost: calls of `ast.parse` and the
    characters it worked through (see `Meter._parse`), at most about 7x the answer's
    length + SEARCH_BUDGET_BASE. They are not compared, so equal extractions stay equal.
    """

    code: str
    found: bool
    reason: str
    parses: int = field(default=0, compare=False)
    parsed_chars: int = field(default=0, compare=False)


# -- choosing among blocks ---------------------------------------------------------


def _returns_value(tree: ast.Module | None, entry_point: str) -> bool:
    """True when some definition named `entry_point` returns or yields a value (or is a class).

    One walk that remembers whether it is inside such a definition: walking each
    definition again would be quadratic in nested definitions of the same name.
    """
    if tree is None:
        return False
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, inside = stack.pop()
        if isinstance(node, ast.ClassDef) and node.name == entry_point:
            return True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == entry_point:
            inside = True
        if (
            inside
            and isinstance(node, ast.Return | ast.Yield | ast.YieldFrom)
            and node.value is not None
        ):
            return True
        stack.extend((child, inside) for child in ast.iter_child_nodes(node))
    return False


def _mentions_def(block: Block, entry_point: str) -> bool:
    # [ \t], not \s: `^\s*` spans blank lines and went quadratic on thousands of them.
    pattern = rf"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+{re.escape(entry_point)}\b"
    return re.search(pattern, block.text, re.M) is not None


def _choose(blocks: list[Block], entry_point: str) -> tuple[Block, str]:
    """The block to grade: the last complete one defining the entry point, else the best fallback."""
    ranked: list[tuple[Callable[[Block], bool], str]] = [
        (lambda b: b.parses and b.closed and defines(b.tree, entry_point), "defines"),
        (lambda b: b.parses and defines(b.tree, entry_point), "defines (unterminated)"),
        (lambda b: b.parses and bool(method_owner(b.tree, entry_point)), "defines as a method"),
        (lambda b: _mentions_def(b, entry_point), "defines, but does not parse"),
    ]
    for test, why in ranked:
        hits = [b for b in blocks if test(b)]
        # A later "definition" that only demonstrates usage has no return value: skip it.
        returning = [b for b in hits if _returns_value(b.tree, entry_point)]
        if returning or hits:
            return (returning or hits)[-1], f"{why} {entry_point}"
    with_defs = [b for b in blocks if b.tree is not None and defines_anything(b.tree)]
    if with_defs:
        return max(with_defs, key=lambda b: len(b.text)), f"no block defines {entry_point}"
    return max(blocks, key=lambda b: len(b.text)), f"no block defines {entry_point}"


# -- merging helpers from other blocks ---------------------------------------------


def _is_constant_assign(node: ast.stmt, callables: set[str]) -> bool:
    """An assignment that is data (no call to code defined in the answer, no input())."""
    if not isinstance(node, ast.Assign | ast.AnnAssign):
        return False
    if node.value is None:
        return True
    banned = callables | {"input"}
    return not any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in banned
        for n in ast.walk(node.value)
    )


def _merge_helpers(chosen: Block, others: list[Block]) -> tuple[str, list[str]]:
    """Prepend imports/defs/classes/constants from other blocks that the chosen code needs."""
    assert chosen.tree is not None
    defined = set(top_defs(chosen.tree))
    available: dict[str, tuple[Block, ast.stmt]] = {}
    for block in others:
        if block.tree is None:
            continue
        callables = callable_names(block.tree)
        mergeable: dict[int, bool] = {}  # per statement, not per name: `a, b, ... = x` once
        for name, node in top_defs(block.tree).items():
            if id(node) not in mergeable:
                mergeable[id(node)] = isinstance(
                    node,
                    ast.Import
                    | ast.ImportFrom
                    | ast.FunctionDef
                    | ast.AsyncFunctionDef
                    | ast.ClassDef,
                ) or _is_constant_assign(node, callables)
            if mergeable[id(node)]:
                available[name] = (block, node)  # a later block's version wins
    needed: list[tuple[Block, ast.stmt]] = []
    taken: set[int] = set()
    wanted = global_reads(chosen.tree) - defined
    seen: set[str] = set()
    while wanted:
        name = wanted.pop()
        seen.add(name)
        if name not in available:
            continue
        block, node = available[name]
        if id(node) not in taken:
            taken.add(id(node))
            needed.append((block, node))
            wanted |= global_reads(node) - defined - seen
    if not needed:
        return chosen.text, []
    needed.sort(
        key=lambda bn: (
            not isinstance(bn[1], ast.Import | ast.ImportFrom),
            bn[0].index,
            bn[1].lineno,
        )
    )
    lines: dict[int, list[str]] = {}  # split each block once, not once per statement
    for block, _ in needed:
        if id(block) not in lines:
            lines[id(block)] = block.text.split("\n")
    pieces = [_segment(lines[id(block)], node) for block, node in needed]
    names = sorted({name for _, node in needed for name in bound_names(node)})
    return "\n\n".join([*pieces, chosen.text]), names


def _segment(lines: list[str], node: ast.stmt) -> str:
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return "\n".join(lines[start - 1 : node.end_lineno])


# -- entry point ---------------------------------------------------------------------


def extract_code(response: str, entry_point: str) -> Extraction:
    """The program to grade from a model's raw answer (see the module docstring).

    Never raises on any answer: what cannot be analysed is a graded failure with a
    reason (found=False), like an answer without code.
    """
    if len(response) > MAX_ANSWER_CHARS:
        why = f"answer too long to search ({len(response)} characters, limit {MAX_ANSWER_CHARS})"
        return Extraction("", False, why)
    meter = Meter.for_answer(response)
    try:
        with AST_LOCK:  # see harness/ast_guard.py
            got = _extract(response, entry_point, meter)
    except (RecursionError, MemoryError) as exc:  # e.g. ast.unparse of a very deep tree
        got = Extraction("", False, f"answer too deeply nested to analyse ({type(exc).__name__})")
    if meter.refused and got.found:
        got = replace(got, reason=f"{got.reason}; parse budget spent, search cut short")
    return replace(got, parses=meter.calls, parsed_chars=meter.chars)


def _extract(response: str, entry_point: str, meter: Meter) -> Extraction:
    response = response.replace("\r\n", "\n").replace("\r", "\n")
    blocks = fenced_blocks(response, meter)
    where = f"fenced block {{}} of {len(blocks)}"
    if not blocks:
        blocks, how = unfenced_blocks(response, meter)
        if not blocks:
            return Extraction("", False, "no code in the response")
        where = how if len(blocks) == 1 else f"{how}: run {{}} of {len(blocks)}"
    blocks = [truncated_prefix(b, entry_point, meter) for b in blocks]
    chosen, why = _choose(blocks, entry_point)
    notes = [where.format(chosen.index + 1) if "{}" in where else where, why]
    if not chosen.closed:
        notes.append("unterminated fence (answer may be cut off)")

    if chosen.tree is None:
        code = strip_trailing_prose(chosen.text)
        if not code.strip():
            return Extraction("", False, "no code in the response")
        return Extraction(code + "\n", True, "; ".join([*notes, "does not parse: returned as-is"]))

    code, merged = _merge_helpers(chosen, [b for b in blocks if b is not chosen])
    tree: ast.Module | None = chosen.tree
    if merged:  # a hostile answer can merge thousands: the reason names the first ten
        more = f" and {len(merged) - 10} more" if len(merged) > 10 else ""
        notes.append(f"merged {', '.join(merged[:10])}{more}")
        tree = meter.tree(code)
    removed: list[str] = []
    if tree is not None:
        code, removed = strip_demo(code, tree, entry_point)
    if removed:
        notes.append(f"removed {len(removed)} demo statement(s): {', '.join(sorted(set(removed)))}")
        tree = meter.tree(code)
    if tree is not None and not defines(tree, entry_point):
        shim = method_shim(tree, entry_point)
        if shim:
            code += shim
            notes.append(f"added module-level {entry_point} calling the class method")
    if not code.strip():
        return Extraction("", False, "; ".join([*notes, "nothing left after removing demo code"]))
    return Extraction(code + "\n", True, "; ".join(notes))
