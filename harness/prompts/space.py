"""The template space agents learn over, and the rendering of a template for a task.

A `TemplateSpace` holds the arms (factored templates, one option per component of
`components.COMPONENTS`, or named free-form ones), resolves ids and aliases,
restricts to presets, and fingerprints every text a model can be sent. `render`
fills a template with a task's prompt fields (`fields.prompt_fields`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from harness.agents.base import ArmSpace
from harness.errors import HarnessError
from harness.prompts.components import (
    ALIASES,
    COMPONENTS,
    DEFAULT_SYSTEM,
    NAMED,
    PREAMBLE,
    PRESETS,
    Component,
    Template,
)
from harness.prompts.examples import SOLVED_EXAMPLES
from harness.prompts.fields import EDGE_CASE_RULES, prompt_fields
from harness.tasks.load import Task

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
                PREAMBLE,
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
        user = template.user.format(**fields)
        if fields["preamble"] and "{native}" not in template.user:
            user += "\n\n" + PREAMBLE.format(**fields)
        return [
            {"role": "system", "content": _tidy(system)},
            {"role": "user", "content": _tidy(user)},
        ]
    system_parts: list[str] = []
    user_parts: list[str] = []
    for comp, index in zip(components, template.factors, strict=True):
        option = comp.options[index]
        if not option.text or (option.needs and not fields[option.needs]):
            continue
        text = option.text.format(**fields)
        (system_parts if option.role == "system" else user_parts).append(text)
    if fields["preamble"]:  # after the statement: the helpers it names are in scope
        user_parts.insert(min(1, len(user_parts)), PREAMBLE.format(**fields))
    return [
        {"role": "system", "content": _tidy("\n\n".join(system_parts) or DEFAULT_SYSTEM)},
        {"role": "user", "content": _tidy("\n\n".join(user_parts))},
    ]


def template_text(template: Template, task: Task) -> str:
    """The rendered prompt as plain text, for `harness templates show ID --task NAME`."""
    return "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in render(template, task))
