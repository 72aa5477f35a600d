"""Find the candidate code blocks in a model's answer, within a bounded amount of work.

Fenced blocks (``` or ~~~, any tag but one that is certainly not Python), else
unfenced code: the whole answer, Markdown indented runs, or runs of lines that parse
between prose. A cut-off final block is shortened to its last complete top-level
statement. The searches that try many prefixes with `ast.parse` share one budget
proportional to the answer (see `Meter`), so hostile text costs a bounded amount.
"""

from __future__ import annotations

import ast
import bisect
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, replace

from harness.grading.names import defines, defines_anything

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
MAX_BLOCKS = 100
"""Candidate blocks considered per answer (a real answer has a handful)."""
SEARCH_BUDGET_BASE = 20_000
SEARCH_BUDGET_PER_CHAR = 2
"""What the prefix searches may spend, in characters parsed: base + per_char x answer
length (see `Meter.search`). Every other parse reads a piece of the answer once (about
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


class Meter:
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
    def for_answer(cls, answer: str) -> Meter:
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
            tree, error_line = self._seen[text] = parse_text(text)
            read = len(text)
            if error_line > 0:
                head = sum(map(len, text.split("\n", error_line)[:error_line])) + error_line
                read = min(read, head) + max(0, read - head) // 16
            self.calls += 1
            self.chars += read
        return self._seen[text]


def parse_text(text: str) -> tuple[ast.Module | None, int]:
    """A parser that gives up on deep nesting (RecursionError, MemoryError) means "does
    not parse", like a syntax error; the line is the error's (0: unknown)."""
    try:
        return ast.parse(text), 0
    except SyntaxError as exc:
        return None, exc.lineno or 0
    except (ValueError, RecursionError, MemoryError):  # ValueError: null bytes
        return None, 0


@dataclass(frozen=True)
class Block:
    """One candidate piece of code from the answer."""

    index: int
    text: str
    tag: str
    closed: bool
    tree: ast.Module | None

    @property
    def parses(self) -> bool:
        return self.tree is not None


def _block(meter: Meter, index: int, text: str, tag: str = "", closed: bool = True) -> Block:
    text = textwrap.dedent(text).strip("\n")
    return Block(index, text, tag, closed, meter.tree(text))


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


def fenced_blocks(response: str, meter: Meter | None = None) -> list[Block]:
    """Fenced blocks (``` or ~~~, any tag), tolerating an unterminated final fence.

    Only the first MAX_BLOCKS Python blocks are kept.
    """
    meter = meter or Meter.for_answer(response)
    blocks: list[Block] = []
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


def _parseable_runs(lines: list[str], meter: Meter) -> list[str]:
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


def unfenced_blocks(response: str, meter: Meter) -> tuple[list[Block], str]:
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
        blocks = [b for b in blocks if b.tree is not None and defines_anything(b.tree)]
        if blocks:
            return [replace(b, index=i) for i, b in enumerate(blocks)], how
    starts = (i for i, line in enumerate(lines) if _CODE_START.match(line))
    first = next(starts, None)
    if first is not None:  # looks like code but does not parse (e.g. truncated): from the first def
        code = strip_trailing_prose("\n".join(lines[first:]))
        return [_block(meter, 0, code)], "code-like text (does not parse)"
    return [], ""


def strip_trailing_prose(code: str) -> str:
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


# -- a cut-off final block ----------------------------------------------------------


def truncated_prefix(block: Block, entry_point: str, meter: Meter) -> Block:
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
        if tree is not None and defines(tree, entry_point):
            return Block(block.index, text, block.tag, False, tree)
        bound = end - 1
        if error_line > 0:  # the next text must end before the error line
            bound = min(bound, bisect.bisect_left(keep, error_line) - 1)
        end = bound
    return block

