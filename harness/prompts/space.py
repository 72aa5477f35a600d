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

import ast
import copy
import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from harness.agents.base import ArmSpace
from harness.errors import HarnessError
from harness.tasks.load import Task

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
)

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


# --- task -> prompt fields ---------------------------------------------------------

_NON_VERB_OPENERS = frozenset(
    {"a", "an", "the", "given", "this", "that", "these", "for", "in", "on", "each", "if"}
    | {"when", "you", "we", "your", "our", "there", "it", "let", "consider", "suppose", "assume"}
)

EDGE_CASE_RULES: tuple[tuple[str, str], ...] = (
    (r"\bempty\b|\[\]|\"\"|''|\{\}|\(\)", "empty input"),
    (r"(?<![\w)\]])-\d|\bnegative", "negative numbers"),
    (r"\bzero\b|(?<![\w.])0(?![\w.])", "zero"),
    (r"\bsingle\b|\bone (?:element|item|character)\b|\[-?\w+\](?!\w)", "a single element"),
    (r"\bduplicat|\brepeat", "duplicates"),
    (r"\bties?\b|\btied\b|\bequal\b", "ties (apply the stated tie rule)"),
    (r"[^\x00-\x7f]|\bunicode\b|\baccent", "non-ASCII (unicode) characters"),
    (r"whitespace|\bspaces?\b|\\t|\\n", "extra or missing whitespace"),
    (r"\bupper|\blower|case-insensitive|\bcapital", "upper and lower case"),
    (r"\bleading zeros?\b", "leading zeros"),
    (r"\bNone\b", "None values"),
    (r"\bfloat|\bdecimal|\d\.\d", "floating-point values"),
    (r"\boverflow|\blarge\b|\bhuge\b|10\*\*\d|\d+e\d", "large inputs (stay efficient)"),
    (
        r"\binvalid\b|\bmalformed\b|\braises?\b|Error\b",
        "invalid input (follow the stated error rule)",
    ),
    (r"\bnot be modified\b|\bunchanged\b|\bin place\b|\bmutat", "not modifying the input"),
)
"""(regex over description + examples, reminder). Order is the order of the reminder."""


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


def first_sentence(text: str) -> str:
    """The description's first sentence, on one line, without its final period."""
    flat = " ".join(text.split())
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z`\"'(])", flat, maxsplit=1)[0]
    return sentence.rstrip(".").strip()


def request_clause(task: Task) -> str:
    """The first sentence as an infinitive clause: "Return a list..." -> "return a list...".

    Descriptions that do not open with an imperative verb ("Given a list ...") are
    kept whole behind "solve this:", so the sentence still reads correctly.
    """
    sentence = first_sentence(task.description)
    first_word = re.split(r"\W+", sentence, maxsplit=1)[0]
    if not first_word or first_word.lower() in _NON_VERB_OPENERS or not first_word[0].isalpha():
        return f"solve this: {sentence}"
    if first_word[0].isupper() and not first_word.isupper():
        sentence = sentence[0].lower() + sentence[1:]
    return sentence


def signature_of(task: Task) -> str:
    """task.toml's signature, else the reference solution's def line (never its body)."""
    if task.signature.strip():
        return task.signature.strip().rstrip(":")
    try:
        module = ast.parse(task.solution_source)
    except SyntaxError:
        return ""
    for node in module.body:
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == task.entry_point
        ):
            stub = copy.copy(node)
            stub.body = [ast.Expr(ast.Constant(...))]
            stub.decorator_list = []
            return ast.unparse(ast.fix_missing_locations(stub)).splitlines()[0].rstrip(":")
    return ""


def reflow(text: str) -> str:
    """Join hard-wrapped lines (TOML strings often are) but keep code, lists and paragraphs."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    out: list[str] = []
    for para in paragraphs:
        lines = para.splitlines()
        structured = "```" in para or any(
            line[:1].isspace() or re.match(r"\s*([-*]|\d+[.)])\s", line) or ">>>" in line
            for line in lines
        )
        out.append(para if structured else " ".join(line.strip() for line in lines))
    return "\n\n".join(out)


def _repeated_list_values(text: str) -> bool:
    for body in re.findall(r"\[([^\[\]]*)\]", text):
        items = [item.strip() for item in body.split(",") if item.strip()]
        if len(items) != len(set(items)):
            return True
    return False


def edge_cases(task: Task) -> list[str]:
    """Edge cases the description and examples mention or show, as short reminders."""
    text = task.description + "\n" + "\n".join(task.examples)
    repeated = _repeated_list_values("\n".join(task.examples))
    found = [
        reminder
        for pattern, reminder in EDGE_CASE_RULES
        if re.search(pattern, text) or (reminder == "duplicates" and repeated)
    ]
    return found or ["the smallest possible input and the boundary values the description states"]


def solved_example_for(task: Task) -> SolvedExample:
    """The bank entry sharing most tags with the task (never the task's own function)."""
    tags = {tag.lower().replace("-", "_") for tag in task.tags}
    candidates = [ex for ex in SOLVED_EXAMPLES if ex.entry_point != task.entry_point]
    best = max(candidates, key=lambda ex: len(tags & ex.tags))  # first of the ties
    if not tags & best.tags:  # no overlap: a stable per-task pick, not always the first
        digest = hashlib.sha256(task.name.encode()).digest()
        return candidates[digest[0] % len(candidates)]
    return best


def _render_solved(example: SolvedExample) -> str:
    return (
        f"Task: write a Python function `{example.signature}`. {example.description}\n\n"
        f"Answer:\n```python\n{example.solution}\n```"
    )


def prompt_fields(task: Task) -> dict[str, str]:
    """Every field a format string may use, derived from the task once."""
    hints = [" ".join(h.split()) for h in task.hints]
    return {
        "entry_point": task.entry_point,
        "description": reflow(task.description),
        "request": request_clause(task),
        "signature": signature_of(task),
        "examples": "\n".join(f"- `{ex.strip()}`" for ex in task.examples),
        "hints": "\n".join(f"- {h}" for h in hints),
        "hints_inline": " ".join(hints),
        "edge_cases": "; ".join(edge_cases(task)),
        "solved_example": _render_solved(solved_example_for(task)),
    }


# --- the space -------------------------------------------------------------------------


def factored_id(components: tuple[Component, ...], factors: tuple[int, ...]) -> str:
    return "-".join(f"{c.key}{i}" for c, i in zip(components, factors, strict=True))


def _describe(components: tuple[Component, ...], factors: tuple[int, ...]) -> str:
    return ", ".join(
        f"{c.name}={c.options[i].name}" for c, i in zip(components, factors, strict=True)
    )


def readable_name(template_id: str, components: tuple[Component, ...] = COMPONENTS) -> str:
    """A short name people can read in an 80-column table: an alias, or the nearest alias and
    what differs from it ("reference+hints", "reference-examples, format=plan-then-code").
    Ids that are not factored (named templates, unknown text) come back unchanged."""
    for alias, alias_id in ALIASES.items():
        if template_id == alias_id:
            return alias
    parts = template_id.split("-")
    if len(parts) != len(components) or any(
            p[:1] != c.key or not p[1:].isdigit() or int(p[1:]) >= len(c.options)
            for p, c in zip(parts, components, strict=True)):
        return template_id
    factors = [int(p[1:]) for p in parts]

    def diff(alias_id: str) -> list[str]:
        base = [int(p[1:]) for p in alias_id.split("-")]
        out = []
        for c, mine, theirs in zip(components, factors, base, strict=True):
            if mine == theirs:
                continue
            if len(c.options) == 2:
                out.append(("+" if mine else "-") + c.name.replace("_", " "))
            else:
                out.append(f", {c.name}={c.options[mine].name}")
        return out

    alias, changes = min(((a, diff(i)) for a, i in ALIASES.items()), key=lambda x: len(x[1]))
    return alias + "".join(changes)


@dataclass(frozen=True)
class TemplateSpace:
    """The arms (`templates`, in arm order) plus everything `get()` can resolve."""

    components: tuple[Component, ...]
    """The axes; every factored template picks one option of each."""
    templates: tuple[Template, ...]
    """The arms agents choose among; arm i renders `templates[i]`."""
    named: tuple[Template, ...] = NAMED
    """Free-form whole templates, selectable by id (e.g. for `--template bare`)."""
    preset: str = "all"
    """Which preset (or "custom") produced `templates`; recorded for provenance."""

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.templates)

    @property
    def factor_sizes(self) -> tuple[int, ...]:
        return tuple(len(c.options) for c in self.components)

    def _parse_factored(self, template_id: str) -> Template | None:
        parts = template_id.split("-")
        if len(parts) != len(self.components):
            return None
        factors: list[int] = []
        for part, comp in zip(parts, self.components, strict=True):
            if part[:1] != comp.key or not part[1:].isdigit() or int(part[1:]) >= len(comp.options):
                return None
            factors.append(int(part[1:]))
        return Template(template_id, tuple(factors), _describe(self.components, tuple(factors)))

    def get(self, template_id: str) -> Template:
        """Any template by id or alias, also one outside the current arm set."""
        template_id = ALIASES.get(template_id, template_id)
        for template in self.named:
            if template.id == template_id:
                return template
        parsed = self._parse_factored(template_id)
        if parsed is not None:
            return parsed
        grammar = "-".join(f"{c.key}0..{len(c.options) - 1}" for c in self.components)
        legend = ", ".join(f"{c.key}={c.name}" for c in self.components)
        raise HarnessError(
            f"unknown template '{template_id}'; valid ids: "
            f"{', '.join([t.id for t in self.named] + list(ALIASES))}, "
            f"or a factored id {grammar} ({legend}), e.g. {ALIASES['reference']}"
        )

    def index(self, template_id: str) -> int:
        """The arm index of a template in this space."""
        template = self.get(template_id)
        try:
            return self.ids.index(template.id)
        except ValueError:
            raise HarnessError(
                f"template '{template.id}' is not an arm of this space (preset '{self.preset}', "
                f"{len(self.templates)} arms)"
            ) from None

    def subset(self, ids: Iterable[str], name: str = "custom") -> TemplateSpace:
        """A space whose arms are exactly `ids` (named templates allowed), in the given order."""
        chosen: dict[str, Template] = {}
        for template_id in ids:
            template = self.get(template_id)
            chosen.setdefault(template.id, template)
        if not chosen:
            raise HarnessError("a template subset needs at least one template id")
        return TemplateSpace(self.components, tuple(chosen.values()), self.named, name)

    def with_preset(self, name: str) -> TemplateSpace:
        """The arms allowed by a named preset (see `PRESETS`)."""
        if name not in PRESETS:
            raise HarnessError(f"unknown preset '{name}'; valid presets: {', '.join(PRESETS)}")
        allowed = PRESETS[name][1]
        keep = [
            t.id
            for t in all_factored(self.components)
            if all(
                t.factors is not None and t.factors[i] in allowed.get(c.name, range(len(c.options)))
                for i, c in enumerate(self.components)
            )
        ]
        return self.subset(keep, name=name)

    def arm_space(self) -> ArmSpace:
        """Arms for agents. A mix with named templates becomes one flat component."""
        if all(t.factors is not None for t in self.templates):
            arms = tuple(t.factors for t in self.templates if t.factors is not None)
            return ArmSpace(self.factor_sizes, arms, self.ids)
        n = len(self.templates)
        return ArmSpace((n,), tuple((i,) for i in range(n)), self.ids)

    def messages(self, arm: int, task: Task) -> list[dict[str, str]]:
        """The chat messages for arm `arm` (what an agent chose) on `task`."""
        return render(self.templates[arm], task, self.components)

    def fingerprint(self) -> str:
        """Hash of every text in the space: changes whenever a prompt's wording changes."""
        payload = json.dumps(
            [
                [
                    [c.name, c.key, [[o.name, o.text, o.role, o.needs] for o in c.options]]
                    for c in self.components
                ],
                [[t.id, t.system, t.user] for t in self.named],
                DEFAULT_SYSTEM,
                EDGE_CASE_RULES,
                [[e.entry_point, e.description, e.solution] for e in SOLVED_EXAMPLES],
            ]
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:12]


def all_factored(components: tuple[Component, ...] = COMPONENTS) -> tuple[Template, ...]:
    """The full product, first component most significant (so ids sort like arm order)."""
    sizes = [range(len(c.options)) for c in components]
    return tuple(
        Template(factored_id(components, f), f, _describe(components, f))
        for f in itertools.product(*sizes)
    )


def default_space(preset: str = "all") -> TemplateSpace:
    """The built-in space; pass a preset name to restrict its arms."""
    space = TemplateSpace(COMPONENTS, all_factored(COMPONENTS))
    return space if preset == "all" else space.with_preset(preset)


# --- rendering ---------------------------------------------------------------------


def _tidy(text: str) -> str:
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return re.sub(r"\n{3,}", "\n\n", text)


def render(
    template: Template, task: Task, components: tuple[Component, ...] = COMPONENTS
) -> list[dict[str, str]]:
    """OpenAI chat messages (system, user) for one template and one task."""
    fields = prompt_fields(task)
    if template.factors is None:
        system = template.system.format(**fields) or DEFAULT_SYSTEM
        return [
            {"role": "system", "content": _tidy(system)},
            {"role": "user", "content": _tidy(template.user.format(**fields))},
        ]
    system_parts: list[str] = []
    user_parts: list[str] = []
    for comp, index in zip(components, template.factors, strict=True):
        option = comp.options[index]
        if not option.text or (option.needs and not fields[option.needs]):
            continue
        text = option.text.format(**fields)
        (system_parts if option.role == "system" else user_parts).append(text)
    return [
        {"role": "system", "content": _tidy("\n\n".join(system_parts) or DEFAULT_SYSTEM)},
        {"role": "user", "content": _tidy("\n\n".join(user_parts))},
    ]


def template_text(template: Template, task: Task) -> str:
    """The rendered prompt as plain text, for `harness templates show ID --task NAME`."""
    return "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in render(template, task))
