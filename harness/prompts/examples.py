"""The bank of solved examples, one of which a template may show as a one-shot.

Each is a small task unlike the benchmark's, with a solution in the expected answer
form; the one sharing most tags with the task is shown, so the example is related
but never the task itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from harness.tasks.load import Task


@dataclass(frozen=True)
class SolvedExample:
    """A small task with its solution, used as a one-shot for related tasks."""

    entry_point: str
    signature: str
    description: str
    solution: str
    tags: frozenset[str] = field(default_factory=frozenset)


SOLVED_EXAMPLES: tuple[SolvedExample, ...] = (
    SolvedExample(
        "dedupe_keep_order",
        "def dedupe_keep_order(xs: list[int]) -> list[int]",
        "Return the values of `xs` without duplicates, keeping the first occurrence of each "
        "in its original order. An empty list gives an empty list.",
        "def dedupe_keep_order(xs: list[int]) -> list[int]:\n"
        "    seen: set[int] = set()\n"
        "    out: list[int] = []\n"
        "    for x in xs:\n"
        "        if x not in seen:\n"
        "            seen.add(x)\n"
        "            out.append(x)\n"
        "    return out",
        frozenset({"lists", "arrays", "sorting", "search", "sets"}),
    ),
    SolvedExample(
        "count_vowels",
        "def count_vowels(s: str) -> int",
        "Return how many characters of `s` are vowels (a, e, i, o, u, in either case). "
        "An empty string gives 0.",
        "def count_vowels(s: str) -> int:\n    return sum(1 for ch in s.lower() if ch in 'aeiou')",
        frozenset({"strings", "text", "formatting", "string"}),
    ),
    SolvedExample(
        "is_power_of_two",
        "def is_power_of_two(n: int) -> bool",
        "Return True when `n` is a positive power of two (1, 2, 4, 8, ...), else False. "
        "Zero and negative numbers give False.",
        "def is_power_of_two(n: int) -> bool:\n    return n > 0 and n & (n - 1) == 0",
        frozenset({"math", "numbers", "bits", "integers", "number_theory"}),
    ),
    SolvedExample(
        "word_counts",
        "def word_counts(text: str) -> dict[str, int]",
        "Count how often each word occurs in `text`. Words are separated by whitespace and "
        "compared case-insensitively; return a dict from each lowercased word to its count.",
        "def word_counts(text: str) -> dict[str, int]:\n"
        "    counts: dict[str, int] = {}\n"
        "    for word in text.lower().split():\n"
        "        counts[word] = counts.get(word, 0) + 1\n"
        "    return counts",
        frozenset({"dicts", "parsing", "counting", "hashing", "dict"}),
    ),
    SolvedExample(
        "max_subarray_sum",
        "def max_subarray_sum(xs: list[int]) -> int",
        "Return the largest sum of a non-empty contiguous slice of `xs`. `xs` has at least "
        "one element; all elements may be negative.",
        "def max_subarray_sum(xs: list[int]) -> int:\n"
        "    best = current = xs[0]\n"
        "    for x in xs[1:]:\n"
        "        current = max(x, current + x)\n"
        "        best = max(best, current)\n"
        "    return best",
        frozenset({"dynamic_programming", "dp", "algorithms", "greedy", "arrays"}),
    ),
)


def solved_example_for(task: Task) -> SolvedExample:
    """The bank entry sharing most tags with the task (never the task's own function)."""
    tags = {tag.lower().replace("-", "_") for tag in task.tags}
    candidates = [ex for ex in SOLVED_EXAMPLES if ex.entry_point != task.entry_point]
    best = max(candidates, key=lambda ex: len(tags & ex.tags))  # first of the ties
    if not tags & best.tags:  # no overlap: a stable per-task pick, not always the first
        digest = hashlib.sha256(task.name.encode()).digest()
        return candidates[digest[0] % len(candidates)]
    return best


def render_solved(example: SolvedExample) -> str:
    """The example as the model sees it: the task in one line, then the expected answer."""
    return (
        f"Task: write a Python function `{example.signature}`. {example.description}\n\n"
        f"Answer:\n```python\n{example.solution}\n```"
    )
