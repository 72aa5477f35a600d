"""The prompt template space, as data.

A template is one choice of option per component (persona, detail, signature, ...),
in the spirit of published prompt-component studies. Components are data: each
option is a format string over fields derived from the task, so a reader can see
every word a model is sent. The product of components gives the arms an agent
learns over; `PRESETS` restrict that product for short runs; `NAMED` holds whole
free-form templates (the motivating "bare" and "specific" prompts).

What we measured shaped the space (see /work/shared/FACTS.md): with small models,
style components (persona, detail, signature) moved pass rates only within noise,
so the space also carries content that can change correctness (the task's
examples, an edge-case reminder, the task's hints, a solved example of a related
task). "Plan first" and free-form answers hit the token cap in most answers, so
every "plan" option still demands a single code block, and no option asks for a
plan without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Role = Literal["system", "user"]


@dataclass(frozen=True)
class Option:
    """One choice for a component: a format string over the task's prompt fields."""

    name: str
    """Short label shown in template descriptions (e.g. "expert")."""
    text: str = ""
    """Format string over `prompt_fields()`; empty contributes nothing."""
    role: Role = "user"
    """Which message the text goes to. System texts replace the default system message."""
    needs: str = ""
    """A prompt field that must be non-empty for the text to appear (e.g. "hints")."""


@dataclass(frozen=True)
class Component:
    """One axis of the template space; option 0 is the "off" choice."""

    name: str
    """Long name, e.g. "persona"."""
    key: str
    """One-letter prefix used in template ids, e.g. "p" in "p1-..."."""
    options: tuple[Option, ...]
    """The choices; a template picks one by index."""
    doc: str = ""
    """Why this component is in the space."""


@dataclass(frozen=True)
class Template:
    """A prompt template: either a point of the factored space or a named free-form one."""

    id: str
    """Stable id: "p0-o0-d1-s1-e1-c0-h0-f1" for factored templates, a word for named ones."""
    factors: tuple[int, ...] | None
    """Option index per component, or None for a named free-form template."""
    description: str
    """One line for humans (`harness templates list`)."""
    system: str = ""
    """Named templates only: system message format string."""
    user: str = ""
    """Named templates only: user message format string."""


DEFAULT_SYSTEM = "You are a helpful assistant."

CODE_ONLY = (
    "Answer with only one ```python code block containing the function `{entry_point}` "
    "and any imports it needs: no explanation, no tests, no example usage."
)
PLAN_THEN_CODE = (
    "First outline the algorithm in 2-3 short bullet lines. Then give one ```python code "
    "block containing the function `{entry_point}` and any imports it needs: no tests, "
    "no example usage."
)

COMPONENTS: tuple[Component, ...] = (
    Component(
        "persona",
        "p",
        (
            Option("none"),
            Option(
                "expert",
                "You are an expert Python engineer who writes correct, efficient, idiomatic code.",
                role="system",
            ),
        ),
        doc="Style: a role in the system message. Measured effect: noise.",
    ),
    Component(
        "solved_example",
        "o",
        (
            Option("none"),
            Option(
                "related",
                "Here is a solved example of a related task, answered in the expected form.\n\n"
                "{solved_example}\n\nNow your task.",
                needs="solved_example",
            ),
        ),
        doc="Content: a one-shot with a different small task and its solution; shows the answer form.",
    ),
    Component(
        "detail",
        "d",
        (
            Option("terse", "Write a Python function `{entry_point}` to {request}."),
            Option(
                "detailed",
                "Write a Python function `{entry_point}` that meets this specification:\n\n"
                "{description}",
            ),
        ),
        doc="Style: one generalised sentence vs the task's full description. Both name the function.",
    ),
    Component(
        "signature",
        "s",
        (
            Option("omitted"),
            Option(
                "given",
                "Use exactly this signature:\n```python\n{signature}\n```",
                needs="signature",
            ),
        ),
        doc="Style: the exact def line (from task.toml, else from the reference solution's def line).",
    ),
    Component(
        "examples",
        "e",
        (
            Option("omitted"),
            Option("given", "Examples (each expression is True):\n{examples}", needs="examples"),
        ),
        doc="Content: the task's examples. Measured: +0.14 pass rate on easy tasks.",
    ),
    Component(
        "edge_cases",
        "c",
        (
            Option("no"),
            Option(
                "remind",
                "Make sure the code handles these edge cases: {edge_cases}.",
                needs="edge_cases",
            ),
        ),
        doc="Content: edge cases read off the description and examples (empty, negatives, ...).",
    ),
    Component(
        "hints",
        "h",
        (
            Option("no"),
            Option("given", "Hints:\n{hints}", needs="hints"),
        ),
        doc="Content: the task's hints. Measured: can help (coin change 2/6 -> 5/6) or hurt (spiral 5/6 -> 2/6).",
    ),
    Component(
        "format",
        "f",
        (
            Option("free"),
            Option("code-only", CODE_ONLY),
            Option("plan-then-code", PLAN_THEN_CODE),
        ),
        doc="Output form. Measured: free or plan-first answers hit a 400-token cap in 57-81% vs 7-12% for code-only.",
    ),
)

NAMED: tuple[Template, ...] = (
    Template(
        "bare",
        None,
        'Generalises "Write Python code to sort a list.": the first sentence and the function name.',
        system=DEFAULT_SYSTEM,
        user="Write Python code to {request}. Name the function `{entry_point}`.",
    ),
    Template(
        "specific",
        None,
        'Generalises "Write efficient Python code using the sorted() function to sort a list of '
        'integers in ascending order.": the full description and the hints.',
        system=DEFAULT_SYSTEM,
        user="Write efficient Python code for a function `{entry_point}`.\n\n{description}\n\n{hints_inline}",
    ),
    Template(
        "native",
        None,
        "The task as its source benchmark asks it (HumanEval: the original stub and docstring, "
        "helpers included), in the instruction widely used to evaluate chat models on it.",
        system=DEFAULT_SYSTEM,
        user="Please provide a self-contained Python script that solves the following problem "
        "in a markdown code block:\n```python\n{native}```",
    ),
)

PREAMBLE = ("These definitions are already in scope; your code may use them:\n"
            "```python\n{preamble}\n```")
"""Shown after the first part of every other prompt when a task has a preamble."""

ALIASES: Mapping[str, str] = {
    # The prompt FACTS.md measured at 0.36 pass rate for the 1.5B model.
    "reference": "p0-o0-d1-s1-e1-c0-h0-f1",
    "minimal": "p0-o0-d0-s0-e0-c0-h0-f1",
    "full": "p1-o1-d1-s1-e1-c1-h1-f1",
}
"""Friendly names for factored templates; `get()` resolves them to the canonical id."""

PRESETS: Mapping[str, tuple[str, Mapping[str, tuple[int, ...]]]] = {
    "all": ("every factored template", {}),
    "content": (
        "code-only, detailed spec with signature, no persona; varies the content "
        "(solved example, examples, edge cases, hints)",
        {"persona": (0,), "detail": (1,), "signature": (1,), "format": (1,)},
    ),
    "style": (
        "examples on, other content off; varies persona, detail, signature and format",
        {"solved_example": (0,), "examples": (1,), "edge_cases": (0,), "hints": (0,)},
    ),
    "quick": (
        "the content preset without the solved example: examples x edge cases x hints",
        {
            "persona": (0,),
            "solved_example": (0,),
            "detail": (1,),
            "signature": (1,),
            "format": (1,),
        },
    ),
}
"""name -> (description, allowed option indices per component; unlisted = all)."""

DEFAULT_PRESET = "content"
