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
`_Meter`), no regex can backtrack catastrophically, AST walks are iterative, and a
parser that gives up (RecursionError, MemoryError on deep nesting) means "does not
parse". What an extraction cost is in `Extraction.parses` and `parsed_chars`.
"""

from __future__ import annotations

import ast
import bisect
import re
import textwrap
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from harness.grading.ast_guard import AST_LOCK

# Fence info strings that are certainly not Python (the block is output or a shell).
NON_PYTHON_TAGS = frozenset(
    {
        *("bash", "sh", "shell", "console", "zsh", "powershell", "ps", "cmd", "bat"),
        *("text", "txt", "plaintext", "output", "out", "pycon", "diff", "markdown", "md"),
        *("json", "yaml", "yml", "toml", "ini", "csv", "xml", "html", "css", "sql"),
        *("javascript", "js", "typescript", "ts", "java", "c", "cpp", "c++", "csharp", "cs"),
        *("go", "rust", "rs", "ruby", "rb", "php"),
    }
)
MAX_ANSWER_CHARS = 50_000
"""Longer answers are refused unread (about 12k tokens; answers to one task are a few kB).
Not higher: CPython 3.11's own parser is super-linear on some text (one ast.parse of an
f-string with 16k fields, 50 kB, takes 0.4 s; of 200 kB, 6 s), and extraction runs in
the host's run loop, holding the GIL."""
MAX_BLOCKS = 100
"""Candidate blocks considered per answer (a real answer has a handful)."""
SEARCH_BUDGET_BASE = 20_000
SEARCH_BUDGET_PER_CHAR = 2
"""What the prefix searches may spend, in characters parsed: base + per_char x answer
length (see `_Meter.search`). Every other parse reads a piece of the answer once (about
4x its length in all), so an extraction parses at most about 7x the answer + 20k chars."""
PARSE_CALL_CHARS = 100
"""What one searching `ast.parse` call costs beyond its text (the call, the error pass)."""

_CODE_START = re.compile(r"^(?:def |async def |class |import |from \S+ import |@\w)")
_PROSE = re.compile(r"^[A-Z*#>\-\d][\w*'`\"]*[.):]?(?:[ \t]+\S+){2,}")
_PY_KEYWORD_START = re.compile(
    r"^(?:def|class|import|from|return|if|elif|else|for|while|try|except|finally|with|"
    r"raise|assert|async|await|yield|pass|break|continue|global|nonlocal|lambda|del|print)\b"
)
_TOP_DEF = re.compile(r"^(?:async[ \t]+)?(?:def|class)\b", re.M)
_FUNCTION = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSION = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass(frozen=True)
class Extraction:
    """The code to grade, whether any was found, and a short account of how.

    `parses` and `parsed_chars` say what extraction cost: calls of `ast.parse` and the
    characters it worked through (see `_Meter._parse`), at most about 7x the answer's
    length + SEARCH_BUDGET_BASE. They are not compared, so equal extractions stay equal.
    """

    code: str
    found: bool
    reason: str
    parses: int = field(default=0, compare=False)
    parsed_chars: int = field(default=0, compare=False)


class _Meter:
    """Every `ast.parse` of one extraction, counted, remembered, and for searches budgeted.

    Mutable on purpose: one per `extract_code` call. The searches that try many
    prefixes (unfenced text, a cut-off block) are refused past the budget, so a
    hostile answer costs a bounded amount; parses of pieces of the answer (blocks,
    the final code) always run, as there are few of them. The same text is parsed
    once: a block found by a search is not parsed again.
    """

    __slots__ = ("budget", "calls", "chars", "refused", "_seen")

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.calls = 0
        self.chars = 0
        self.refused = False
        self._seen: dict[str, tuple[ast.Module | None, int]] = {}

    @classmethod
    def for_answer(cls, answer: str) -> _Meter:
        return cls(SEARCH_BUDGET_BASE + SEARCH_BUDGET_PER_CHAR * len(answer))

    def tree(self, text: str) -> ast.Module | None:
        """The module, or None when the text does not parse."""
        return self._parse(text)[0]

    def search(self, text: str) -> tuple[ast.Module | None, int]:
        """A budgeted parse: the module, or None and the 1-based line of the syntax error
        (0: unknown or refused). A remembered text costs its joining and hashing."""
        if self.refused or self.budget <= 0:
            self.refused = True
            return None, 0
        chars = self.chars
        remembered = text in self._seen
        result = self._parse(text)
        spent = len(text) // 16 if remembered else self.chars - chars
        self.budget -= spent + PARSE_CALL_CHARS
        return result

    def _parse(self, text: str) -> tuple[ast.Module | None, int]:
        """Parse once per text, counting the characters the parser works through.

        A syntax error stops the parser where it is found, after which CPython only
        tokenizes the rest (measured: about 1/40 of the cost of parsing it), so a
        failure counts the text up to its line plus 1/16 of the remainder.
        """
        if text not in self._seen:
            tree, error_line = self._seen[text] = _parse_text(text)
            read = len(text)
            if error_line > 0:
                head = sum(map(len, text.split("\n", error_line)[:error_line])) + error_line
                read = min(read, head) + max(0, read - head) // 16
            self.calls += 1
            self.chars += read
        return self._seen[text]


def _parse_text(text: str) -> tuple[ast.Module | None, int]:
    """A parser that gives up on deep nesting (RecursionError, MemoryError) means "does
    not parse", like a syntax error; the line is the error's (0: unknown)."""
    try:
        return ast.parse(text), 0
    except SyntaxError as exc:
        return None, exc.lineno or 0
    except (ValueError, RecursionError, MemoryError):  # ValueError: null bytes
        return None, 0


@dataclass(frozen=True)
class _Block:
    """One candidate piece of code from the answer."""

    index: int
    text: str
    tag: str
    closed: bool
    tree: ast.Module | None

    @property
    def parses(self) -> bool:
        return self.tree is not None


def _block(meter: _Meter, index: int, text: str, tag: str = "", closed: bool = True) -> _Block:
    text = textwrap.dedent(text).strip("\n")
    return _Block(index, text, tag, closed, meter.tree(text))


# -- finding candidate code ---------------------------------------------------------


def _fence(line: str) -> tuple[int, str, str] | None:
    """(indent, fence, info) when the line opens or closes a fence.

    Plain string operations: the regex this replaces backtracked cubically on a
    line of spaces.
    """
    stripped = line.lstrip(" \t")
    char = stripped[:1]
    if char not in ("`", "~"):
        return None
    run = len(stripped) - len(stripped.lstrip(char))
    info = stripped[run:].strip(" \t")
    if run < 3 or "`" in info:
        return None
    return len(line) - len(stripped), stripped[:run], info


def fenced_blocks(response: str, meter: _Meter | None = None) -> list[_Block]:
    """Fenced blocks (``` or ~~~, any tag), tolerating an unterminated final fence.

    Only the first MAX_BLOCKS Python blocks are kept.
    """
    meter = meter or _Meter.for_answer(response)
    blocks: list[_Block] = []
    lines = response.split("\n")
    i = 0
    while i < len(lines) and len(blocks) < MAX_BLOCKS:
        opening = _fence(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence, info = opening
        tag = info.split(" ")[0].strip().lower()
        body: list[str] = []
        closed = False
        i += 1
        while i < len(lines):
            close = _fence(lines[i])
            if close and close[1][0] == fence[0] and len(close[1]) >= len(fence) and not close[2]:
                closed = True
                break
            line = lines[i]
            body.append(line[indent:] if line[:indent].strip() == "" else line)
            i += 1
        i += 1
        tag = tag.lstrip("{.").rstrip("}")  # {.python} / {python}
        if tag not in NON_PYTHON_TAGS:
            blocks.append(_block(meter, len(blocks), "\n".join(body), tag, closed))
    return blocks


def _has_statements(tree: ast.Module) -> bool:
    """True when the module holds more than bare expressions (a prose word parses too)."""
    return any(not isinstance(node, ast.Expr) for node in tree.body)


def _indented_runs(lines: list[str]) -> list[str]:
    """Markdown indented code blocks: runs of 4-space-indented (or blank) lines."""
    runs: list[str] = []
    current: list[str] = []
    for line in [*lines, "end"]:
        if line.startswith(("    ", "\t")) or (current and not line.strip()):
            current.append(line)
            continue
        run = textwrap.dedent("\n".join(current)) if current else ""
        if _TOP_DEF.search(run):  # a run without a top-level def is never chosen: not parsed
            runs.append(run)
            if len(runs) == MAX_BLOCKS:
                break
        current = []
    return runs


def _parseable_runs(lines: list[str], meter: _Meter) -> list[str]:
    """Maximal runs of lines, each starting at a code-like line, that parse as a module.

    Greedy from the top: the longest run from the first code-like line, then the
    same after it, so prose between a helper and the solution splits them in two.
    Only ends at non-blank lines are tried; a failed parse's error line bounds the
    next end (a prefix that still holds the offending line fails too), and the
    meter bounds the rest.
    """
    ends = [k for k in range(1, len(lines) + 1) if lines[k - 1].strip()]
    runs: list[str] = []
    i = 0
    while i < len(lines) and len(runs) < MAX_BLOCKS and not meter.refused:
        if not _CODE_START.match(lines[i]):
            i += 1
            continue
        end = len(lines)
        while end > i and not meter.refused:
            text = "\n".join(lines[i:end])
            tree, error_line = meter.search(text)
            if tree is not None and _has_statements(tree):
                runs.append(text)
                i = end
                break
            bound = min(end - 1, i + error_line - 1) if error_line > 0 else end - 1
            k = bisect.bisect_right(ends, bound) - 1  # the last non-blank line up to bound
            end = ends[k] if k >= 0 else 0
        else:
            i += 1
    return runs


def _defines_anything(tree: ast.Module) -> bool:
    return any(
        isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) for n in tree.body
    )


def _unfenced_blocks(response: str, meter: _Meter) -> tuple[list[_Block], str]:
    """Candidate code in an answer without fences, and how it was found."""
    text = response.strip("\n")
    tree = meter.tree(text)
    if tree is not None and _has_statements(tree):
        return [_block(meter, 0, text)], "whole response parses"
    lines = text.split("\n")
    searches: tuple[tuple[Callable[[], list[str]], str], ...] = (
        (lambda: _indented_runs(lines), "indented code block"),
        (lambda: _parseable_runs(lines, meter), "parseable lines between prose"),
    )
    for runs, how in searches:
        blocks = [_block(meter, i, run) for i, run in enumerate(runs())]
        blocks = [b for b in blocks if b.tree is not None and _defines_anything(b.tree)]
        if blocks:
            return [replace(b, index=i) for i, b in enumerate(blocks)], how
    starts = (i for i, line in enumerate(lines) if _CODE_START.match(line))
    first = next(starts, None)
    if first is not None:  # looks like code but does not parse (e.g. truncated): from the first def
        code = _strip_trailing_prose("\n".join(lines[first:]))
        return [_block(meter, 0, code)], "code-like text (does not parse)"
    return [], ""


def _strip_trailing_prose(code: str) -> str:
    """Drop English sentences after the code (never indented lines or Python statements)."""
    lines = code.rstrip().split("\n")
    while lines:
        last = lines[-1]
        if not last.strip() or (
            _PROSE.match(last) and not _PY_KEYWORD_START.match(last) and " = " not in last
        ):
            lines.pop()
        else:
            break
    return "\n".join(lines)


# -- choosing among blocks ---------------------------------------------------------


def _top_defs(tree: ast.Module) -> dict[str, ast.stmt]:
    """Top-level names bound by def/class/import/assignment, mapped to their statement."""
    names: dict[str, ast.stmt] = {}
    for node in tree.body:
        for name in _bound_names(node):
            names[name] = node
    return names


def _bound_names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Import | ast.ImportFrom):
        return [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]
    if isinstance(node, ast.Assign):
        return [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    if isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _defines(tree: ast.Module | None, entry_point: str) -> bool:
    if tree is None:
        return False
    return any(
        isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and n.name == entry_point
        for n in tree.body
    )


def _method_owner(tree: ast.Module | None, entry_point: str) -> str:
    """The class holding `entry_point` as a method (LeetCode-style `class Solution`), or ''."""
    if tree is None:
        return ""
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == entry_point:
                    return node.name
    return ""


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


def _mentions_def(block: _Block, entry_point: str) -> bool:
    # [ \t], not \s: `^\s*` spans blank lines and went quadratic on thousands of them.
    pattern = rf"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+{re.escape(entry_point)}\b"
    return re.search(pattern, block.text, re.M) is not None


def _choose(blocks: list[_Block], entry_point: str) -> tuple[_Block, str]:
    """The block to grade: the last complete one defining the entry point, else the best fallback."""
    ranked: list[tuple[Callable[[_Block], bool], str]] = [
        (lambda b: b.parses and b.closed and _defines(b.tree, entry_point), "defines"),
        (lambda b: b.parses and _defines(b.tree, entry_point), "defines (unterminated)"),
        (lambda b: b.parses and bool(_method_owner(b.tree, entry_point)), "defines as a method"),
        (lambda b: _mentions_def(b, entry_point), "defines, but does not parse"),
    ]
    for test, why in ranked:
        hits = [b for b in blocks if test(b)]
        # A later "definition" that only demonstrates usage has no return value: skip it.
        returning = [b for b in hits if _returns_value(b.tree, entry_point)]
        if returning or hits:
            return (returning or hits)[-1], f"{why} {entry_point}"
    with_defs = [b for b in blocks if b.tree is not None and _defines_anything(b.tree)]
    if with_defs:
        return max(with_defs, key=lambda b: len(b.text)), f"no block defines {entry_point}"
    return max(blocks, key=lambda b: len(b.text)), f"no block defines {entry_point}"


def _truncated_prefix(block: _Block, entry_point: str, meter: _Meter) -> _Block:
    """For a cut-off answer: drop the incomplete trailing top-level statement, if that is all.

    Only cuts just before a line at column 0, so a function body is never shortened.
    Each cut also drops the blank and comment lines above it (e.g. the "# Example
    usage:" that introduced the cut-off demo). A cut that leaves the same text as the
    one tried before is not tried again, a failed parse's error line bounds the next
    cut, and the meter bounds the rest.
    """
    if block.parses or block.closed:
        return block
    lines = block.text.split("\n")
    keep = [0] * (len(lines) + 1)  # keep[k]: lines[:k] without its trailing blank/comment lines
    for k, line in enumerate(lines, 1):
        keep[k] = keep[k - 1] if not line.strip() or line.startswith("#") else k
    end, tried = len(lines) - 1, -1
    while end > 0 and not meter.refused:
        if lines[end][:1] in ("", " ", "\t") or keep[end] == tried:
            end -= 1
            continue
        tried = keep[end]
        text = "\n".join(lines[:tried])
        tree, error_line = meter.search(text)
        if tree is not None and _defines(tree, entry_point):
            return _Block(block.index, text, block.tag, False, tree)
        bound = end - 1
        if error_line > 0:  # the next text must end before the error line
            bound = min(bound, bisect.bisect_left(keep, error_line) - 1)
        end = bound
    return block


# -- merging helpers from other blocks ---------------------------------------------


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


def _global_reads(node: ast.AST) -> set[str]:
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


def _merge_helpers(chosen: _Block, others: list[_Block]) -> tuple[str, list[str]]:
    """Prepend imports/defs/classes/constants from other blocks that the chosen code needs."""
    assert chosen.tree is not None
    defined = set(_top_defs(chosen.tree))
    available: dict[str, tuple[_Block, ast.stmt]] = {}
    for block in others:
        if block.tree is None:
            continue
        callables = _callable_names(block.tree)
        mergeable: dict[int, bool] = {}  # per statement, not per name: `a, b, ... = x` once
        for name, node in _top_defs(block.tree).items():
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
    needed: list[tuple[_Block, ast.stmt]] = []
    taken: set[int] = set()
    wanted = _global_reads(chosen.tree) - defined
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
            wanted |= _global_reads(node) - defined - seen
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
    names = sorted({name for _, node in needed for name in _bound_names(node)})
    return "\n\n".join([*pieces, chosen.text]), names


def _segment(lines: list[str], node: ast.stmt) -> str:
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return "\n".join(lines[start - 1 : node.end_lineno])


# -- removing demo code --------------------------------------------------------------


def _callable_names(tree: ast.Module) -> set[str]:
    return {
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


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
    callables = _callable_names(tree) | {entry_point}
    owner = _method_owner(tree, entry_point)  # `sol = Solution()` is demo code too
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
    reads = [_global_reads(node) for node in tree.body]
    used_by_demo: set[str] = set().union(*(reads[i] for i in demo))
    kept_readers: Counter[str] = Counter()
    for i, names in enumerate(reads):
        if i not in demo:
            kept_readers.update(names)
    bound = {
        i: set(_bound_names(node))
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
    tree = _parse_text(code)[0]
    if tree is None:
        return code, []
    return _strip_demo(code, tree, entry_point)


def _strip_demo(code: str, tree: ast.Module, entry_point: str) -> tuple[str, list[str]]:
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


def _method_shim(tree: ast.Module, entry_point: str) -> str:
    """Expose `Solution().entry_point` as a module function when the class needs no arguments."""
    owner = _method_owner(tree, entry_point)
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


# -- entry point ---------------------------------------------------------------------


def extract_code(response: str, entry_point: str) -> Extraction:
    """The program to grade from a model's raw answer (see the module docstring).

    Never raises on any answer: what cannot be analysed is a graded failure with a
    reason (found=False), like an answer without code.
    """
    if len(response) > MAX_ANSWER_CHARS:
        why = f"answer too long to search ({len(response)} characters, limit {MAX_ANSWER_CHARS})"
        return Extraction("", False, why)
    meter = _Meter.for_answer(response)
    try:
        with AST_LOCK:  # see harness/ast_guard.py
            got = _extract(response, entry_point, meter)
    except (RecursionError, MemoryError) as exc:  # e.g. ast.unparse of a very deep tree
        got = Extraction("", False, f"answer too deeply nested to analyse ({type(exc).__name__})")
    if meter.refused and got.found:
        got = replace(got, reason=f"{got.reason}; parse budget spent, search cut short")
    return replace(got, parses=meter.calls, parsed_chars=meter.chars)


def _extract(response: str, entry_point: str, meter: _Meter) -> Extraction:
    response = response.replace("\r\n", "\n").replace("\r", "\n")
    blocks = fenced_blocks(response, meter)
    where = f"fenced block {{}} of {len(blocks)}"
    if not blocks:
        blocks, how = _unfenced_blocks(response, meter)
        if not blocks:
            return Extraction("", False, "no code in the response")
        where = how if len(blocks) == 1 else f"{how}: run {{}} of {len(blocks)}"
    blocks = [_truncated_prefix(b, entry_point, meter) for b in blocks]
    chosen, why = _choose(blocks, entry_point)
    notes = [where.format(chosen.index + 1) if "{}" in where else where, why]
    if not chosen.closed:
        notes.append("unterminated fence (answer may be cut off)")

    if chosen.tree is None:
        code = _strip_trailing_prose(chosen.text)
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
        code, removed = _strip_demo(code, tree, entry_point)
    if removed:
        notes.append(f"removed {len(removed)} demo statement(s): {', '.join(sorted(set(removed)))}")
        tree = meter.tree(code)
    if tree is not None and not _defines(tree, entry_point):
        shim = _method_shim(tree, entry_point)
        if shim:
            code += shim
            notes.append(f"added module-level {entry_point} calling the class method")
    if not code.strip():
        return Extraction("", False, "; ".join([*notes, "nothing left after removing demo code"]))
    return Extraction(code + "\n", True, "; ".join(notes))
