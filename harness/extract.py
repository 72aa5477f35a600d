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
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

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
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*?)[ \t]*$")
_CODE_START = re.compile(r"^(?:def |async def |class |import |from \S+ import |@\w)")
_PROSE = re.compile(r"^[A-Z*#>\-\d][\w*'`\"]*[.):]?(?:[ \t]+\S+){2,}")
_PY_KEYWORD_START = re.compile(
    r"^(?:def|class|import|from|return|if|elif|else|for|while|try|except|finally|with|"
    r"raise|assert|async|await|yield|pass|break|continue|global|nonlocal|lambda|del|print)\b"
)


@dataclass(frozen=True)
class Extraction:
    """The code to grade, whether any was found, and a short account of how."""

    code: str
    found: bool
    reason: str


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


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):  # ValueError: null bytes
        return None


def _block(index: int, text: str, tag: str = "", closed: bool = True) -> _Block:
    text = textwrap.dedent(text).strip("\n")
    return _Block(index, text, tag, closed, _parse(text))


# -- finding candidate code ---------------------------------------------------------


def fenced_blocks(response: str) -> list[_Block]:
    """Fenced blocks (``` or ~~~, any tag), tolerating an unterminated final fence."""
    blocks: list[_Block] = []
    lines = response.split("\n")
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, tag = match["fence"], match["info"].split(" ")[0].strip().lower()
        indent = len(match["indent"])
        body: list[str] = []
        closed = False
        i += 1
        while i < len(lines):
            close = _FENCE.match(lines[i])
            if (
                close
                and close["fence"][0] == fence[0]
                and len(close["fence"]) >= len(fence)
                and not close["info"]
            ):
                closed = True
                break
            line = lines[i]
            body.append(line[indent:] if line[:indent].strip() == "" else line)
            i += 1
        i += 1
        tag = tag.lstrip("{.").rstrip("}")  # {.python} / {python}
        if tag not in NON_PYTHON_TAGS:
            blocks.append(_block(len(blocks), "\n".join(body), tag, closed))
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
        if any(s.strip() for s in current):
            runs.append(textwrap.dedent("\n".join(current)))
        current = []
    return runs


def _parseable_runs(lines: list[str]) -> list[str]:
    """Maximal runs of lines, each starting at a code-like line, that parse as a module.

    Greedy from the top: the longest run from the first code-like line, then the
    same after it, so prose between a helper and the solution splits them in two.
    """
    runs: list[str] = []
    i = 0
    while i < len(lines):
        if not _CODE_START.match(lines[i]):
            i += 1
            continue
        for end in range(len(lines), i, -1):
            if end < len(lines) and not lines[end - 1].strip():
                continue  # only try ends at non-blank lines
            text = "\n".join(lines[i:end])
            tree = _parse(text)
            if tree is not None and _has_statements(tree):
                runs.append(text)
                i = end
                break
        else:
            i += 1
    return runs


def _defines_anything(tree: ast.Module) -> bool:
    return any(
        isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) for n in tree.body
    )


def _unfenced_blocks(response: str) -> tuple[list[_Block], str]:
    """Candidate code in an answer without fences, and how it was found."""
    text = response.strip("\n")
    tree = _parse(text)
    if tree is not None and _has_statements(tree):
        return [_block(0, text)], "whole response parses"
    lines = text.split("\n")
    for runs, how in (
        (_indented_runs(lines), "indented code block"),
        (_parseable_runs(lines), "parseable lines between prose"),
    ):
        blocks = [_block(i, run) for i, run in enumerate(runs)]
        blocks = [b for b in blocks if b.tree is not None and _defines_anything(b.tree)]
        if blocks:
            return [_block(i, b.text) for i, b in enumerate(blocks)], how
    starts = [i for i, line in enumerate(lines) if _CODE_START.match(line)]
    if starts:  # looks like code but does not parse (e.g. truncated): keep from the first def
        code = _strip_trailing_prose("\n".join(lines[starts[0] :]))
        return [_block(0, code)], "code-like text (does not parse)"
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
    """True when some definition named `entry_point` returns or yields a value."""
    if tree is None:
        return False
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.name == entry_point
        and (
            isinstance(node, ast.ClassDef)
            or any(
                isinstance(n, ast.Return | ast.Yield | ast.YieldFrom) and n.value is not None
                for n in ast.walk(node)
            )
        )
        for node in ast.walk(tree)
    )


def _mentions_def(block: _Block, entry_point: str) -> bool:
    return (
        re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{re.escape(entry_point)}\b", block.text, re.M)
        is not None
    )


def _choose(blocks: list[_Block], entry_point: str) -> tuple[_Block, str]:
    """The block to grade: the last complete one defining the entry point, else the best fallback."""
    ranked = [
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


def _truncated_prefix(block: _Block, entry_point: str) -> _Block:
    """For a cut-off answer: drop the incomplete trailing top-level statement, if that is all.

    Only cuts just before a line at column 0, so a function body is never shortened.
    """
    if block.parses or block.closed:
        return block
    lines = block.text.split("\n")
    for end in range(len(lines) - 1, 0, -1):
        if lines[end][:1] not in ("", " ", "\t"):
            kept = lines[:end]
            while kept and (not kept[-1].strip() or kept[-1].startswith("#")):
                kept.pop()  # e.g. the "# Example usage:" that introduced the cut-off demo
            text = "\n".join(kept)
            tree = _parse(text)
            if tree is not None and _defines(tree, entry_point):
                return _Block(block.index, text, block.tag, False, tree)
    return block


# -- merging helpers from other blocks ---------------------------------------------


def _global_reads(node: ast.AST) -> set[str]:
    """Names `node` reads from module scope: parameters and locals of functions,
    lambdas and comprehensions are not (a parameter `coins` must not pull in a demo
    `coins = [1, 2, 5]` from another block)."""
    reads: set[str] = set()

    def stores(nodes: list[ast.AST]) -> set[str]:
        found = set()
        for sub in nodes:
            for n in ast.walk(sub):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store | ast.Del):
                    found.add(n.id)
                elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    found.add(n.name)
                elif isinstance(n, ast.alias):
                    found.add((n.asname or n.name).split(".")[0])
        return found

    def visit(n: ast.AST, scope: frozenset[str]) -> None:
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            a = n.args
            outer = [*a.defaults, *(d for d in a.kw_defaults if d is not None)]
            outer += getattr(n, "decorator_list", [])
            if not isinstance(n, ast.Lambda):
                outer += [
                    x.annotation for x in (*a.posonlyargs, *a.args, *a.kwonlyargs) if x.annotation
                ]
                outer += [n.returns] if n.returns else []
            for sub in outer:
                visit(sub, scope)
            params = {x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)}
            params |= {x.arg for x in (a.vararg, a.kwarg) if x is not None}
            body: list[ast.AST] = list(n.body) if isinstance(n.body, list) else [n.body]
            inner = scope | params | stores(body)
            for sub in body:
                visit(sub, inner)
            return
        if isinstance(n, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            scope = scope | stores([g.target for g in n.generators])
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in scope:
            reads.add(n.id)
        for child in ast.iter_child_nodes(n):
            visit(child, scope)

    visit(node, frozenset())
    return reads


def _is_constant_assign(node: ast.stmt, callables: set[str]) -> bool:
    """An assignment that is data (no call to code defined in the answer, no input())."""
    if not isinstance(node, ast.Assign | ast.AnnAssign):
        return False
    if node.value is None:
        return True
    return not any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Name)
        and n.func.id in callables | {"input"}
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
        for name, node in _top_defs(block.tree).items():
            keep = isinstance(
                node,
                ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
            )
            if keep or _is_constant_assign(node, callables):
                available[name] = (block, node)  # a later block's version wins
    needed: list[tuple[_Block, ast.stmt]] = []
    wanted = _global_reads(chosen.tree) - defined
    seen: set[str] = set()
    while wanted:
        name = wanted.pop()
        seen.add(name)
        if name not in available:
            continue
        block, node = available[name]
        if all(node is not n for _, n in needed):
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
    pieces = [_segment(block.text, node) for block, node in needed]
    names = sorted({name for _, node in needed for name in _bound_names(node)})
    return "\n\n".join([*pieces, chosen.text]), names


def _segment(text: str, node: ast.stmt) -> str:
    lines = text.split("\n")
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


def _demo_reason(node: ast.stmt, demo_targets: set[str], callables: set[str]) -> str:
    """Why a top-level statement is demo code ('' to keep it).

    Assignments go only when they call the entry point (or its class) or input():
    `TABLE = build()` may be data the solution needs, `result = sort_ints([3, 1])`
    never is.
    """
    demo_calls = callables | {"print", "input", "exit", "quit"}
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
        demo = value is not None and _calls_any(value, demo_targets | {"input"})
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
    demo_targets = {entry_point, owner} - {""}
    demo = {
        i: why
        for i, node in enumerate(tree.body)
        if (why := _demo_reason(node, demo_targets, callables))
    }
    used_by_demo = set().union(*(_global_reads(tree.body[i]) for i in demo))
    changed = bool(demo)
    while changed:
        changed = False
        kept = [n for i, n in enumerate(tree.body) if i not in demo]
        used_by_kept = set().union(*(_global_reads(n) for n in kept))
        for i, node in enumerate(tree.body):
            names = set(_bound_names(node))
            if (
                i not in demo
                and isinstance(node, ast.Assign | ast.AnnAssign)
                and names
                and names <= used_by_demo
                and not names & used_by_kept
            ):
                demo[i] = "demo data"
                used_by_demo |= _global_reads(node)
                changed = True
    return demo


def strip_demo_code(code: str, entry_point: str) -> tuple[str, list[str]]:
    """Remove top-level demo statements, keeping the text (comments, layout) of the rest."""
    tree = _parse(code)
    if tree is None:
        return code, []
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
        tree.body = [n for i, n in enumerate(tree.body) if i not in demo]
        return ast.unparse(tree), reasons
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
    """The program to grade from a model's raw answer (see the module docstring)."""
    response = response.replace("\r\n", "\n").replace("\r", "\n")
    blocks = fenced_blocks(response)
    where = f"fenced block {{}} of {len(blocks)}"
    if not blocks:
        blocks, how = _unfenced_blocks(response)
        if not blocks:
            return Extraction("", False, "no code in the response")
        where = how if len(blocks) == 1 else f"{how}: run {{}} of {len(blocks)}"
    blocks = [_truncated_prefix(b, entry_point) for b in blocks]
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
    if merged:
        notes.append("merged " + ", ".join(merged))
    code, removed = strip_demo_code(code, entry_point)
    if removed:
        notes.append(f"removed {len(removed)} demo statement(s): {', '.join(sorted(set(removed)))}")
    tree = _parse(code)
    if tree is not None and not _defines(tree, entry_point):
        shim = _method_shim(tree, entry_point)
        if shim:
            code += shim
            notes.append(f"added module-level {entry_point} calling the class method")
    if not code.strip():
        return Extraction("", False, "; ".join([*notes, "nothing left after removing demo code"]))
    return Extraction(code + "\n", True, "; ".join(notes))
