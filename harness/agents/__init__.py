"""Agents that learn which prompt template to use, one file per algorithm.

Agent modules are imported only when an agent is made (PPO imports torch), so
`harness --help` stays instant. A third-party agent registered with
`@register_agent` (harness.agents.base) is found by `make_agent` as well.

Every agent takes a frozen `Config` dataclass; `make_agent(..., epsilon=0.2)` overrides
its fields, and string values (from a CLI `--agent-opt key=value`) are converted to
the field's type.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

import numpy as np

from harness.agents.base import AGENTS, Agent, ArmSpace, Context, Range, register_agent
from harness.errors import HarnessError

_LAZY: dict[str, str] = {
    "fixed": "harness.agents.fixed:FixedAgent",
    "uniform": "harness.agents.uniform:UniformAgent",
    "epsilon_greedy": "harness.agents.epsilon_greedy:EpsilonGreedyAgent",
    "ucb1": "harness.agents.ucb1:UCB1Agent",
    "thompson": "harness.agents.thompson:ThompsonAgent",
    "successive_halving": "harness.agents.successive_halving:SuccessiveHalvingAgent",
    "linucb": "harness.agents.linucb:LinUCBAgent",
    "factored": "harness.agents.factored:FactoredAgent",
    "ppo": "harness.agents.ppo:PPOAgent",
}
"""Built-in agents: name -> "module:Class", imported on first use."""

AGENT_NAMES: tuple[str, ...] = tuple(_LAZY)

__all__ = [
    "AGENT_NAMES",
    "Agent",
    "ArmSpace",
    "Context",
    "agent_class",
    "agent_names",
    "agent_options",
    "check_space",
    "make_agent",
    "make_config",
    "random_argmax",
    "register_agent",
]


def agent_names() -> tuple[str, ...]:
    """Built-in names plus any agent registered by other code."""
    return AGENT_NAMES + tuple(name for name in AGENTS if name not in _LAZY)


def agent_class(name: str) -> type[Agent]:
    if name not in AGENTS and name in _LAZY:
        module_name, class_name = _LAZY[name].split(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        AGENTS.setdefault(name, cls)
    if name not in AGENTS:
        raise HarnessError(f"unknown agent '{name}'; valid agents: {', '.join(agent_names())}")
    return AGENTS[name]


def _coerce(value: Any, annotation: Any) -> Any:
    """Turn a CLI string into the field's type (int, float, bool, str, or a union of them)."""
    if not isinstance(value, str):
        return value
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    kinds = (
        [a for a in typing.get_args(annotation) if a is not type(None)] if union else [annotation]
    )
    if union and type(None) in typing.get_args(annotation) and value.lower() in ("none", "null"):
        return None
    for kind in kinds:
        if kind is bool:
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            continue
        try:
            return kind(value)
        except (TypeError, ValueError):
            continue
    readable = {bool: "true or false", int: "an integer", float: "a number", str: "text"}
    names = [readable.get(k, getattr(k, "__name__", str(k))) for k in kinds]
    if union and type(None) in typing.get_args(annotation):
        names.append("none")
    raise HarnessError(f"expects {' or '.join(names)}")


def make_config(name: str, **overrides: Any) -> Any:
    """The agent's default Config with `overrides` applied (unknown keys are an error)."""
    config_cls = agent_class(name).config_cls
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        raise HarnessError(
            f"agent '{name}' has no option {', '.join(unknown)}; valid options: "
            f"{', '.join(fields) or 'none'}"
        )
    hints = typing.get_type_hints(config_cls)
    extras = typing.get_type_hints(config_cls, include_extras=True)
    values = {}
    for key, value in overrides.items():
        try:
            values[key] = _coerce(value, hints[key])
            bounds = [m for m in getattr(extras[key], "__metadata__", ()) if isinstance(m, Range)]
            number = values[key]
            if isinstance(number, int | float) and not isinstance(number, bool):
                for bound in bounds:
                    if not bound.allows(number):
                        raise HarnessError(f"must be {bound.describe()}")
        except HarnessError as exc:
            raise HarnessError(f"--agent-opt {key}={value}: option {key} of agent '{name}' "
                               f"{exc}, got '{value}'") from None
    return dataclasses.replace(config_cls(), **values)


def make_agent(
    name: str, space: ArmSpace, n_features: int, seed: int = 0, **config_overrides: Any
) -> Agent:
    """Build an agent by name; keyword arguments override fields of its Config."""
    cls = agent_class(name)
    config = make_config(name, **config_overrides)
    # Agent.__init__ takes no config, but every registered agent's own __init__ does.
    factory = typing.cast("Callable[..., Agent]", cls)
    return factory(space, n_features, seed, config=config)


def agent_options(name: str) -> list[tuple[str, Any, str]]:
    """(field, default, docstring) of an agent's Config, for `--help` texts."""
    config_cls = agent_class(name).config_cls
    docs: dict[str, str] = {}
    try:
        node = ast.parse(inspect.getsource(config_cls)).body[0]
        body = node.body if isinstance(node, ast.ClassDef) else []
    except (OSError, TypeError, IndexError):
        body = []
    for node, after in zip(body, body[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
        ):
            docs[node.target.id] = " ".join(str(after.value.value).split())
    defaults = config_cls()
    extras = typing.get_type_hints(config_cls, include_extras=True)
    out = []
    for f in dataclasses.fields(config_cls):
        bounds = [m.describe() for m in getattr(extras[f.name], "__metadata__", ()) if isinstance(m, Range)]
        doc = " ".join([docs.get(f.name, ""), *(f"Must be {b}." for b in bounds)]).strip()
        out.append((f.name, getattr(defaults, f.name), doc))
    return out


# --- small helpers shared by the agent files -------------------------------------------


def random_argmax(values: np.ndarray, rng: np.random.Generator) -> int:
    """Index of the largest value, ties broken at random (never always the lowest arm)."""
    best = np.flatnonzero(values >= values.max() - 1e-12)
    return int(best[0] if len(best) == 1 else rng.choice(best))


def space_state(space: ArmSpace) -> dict[str, Any]:
    """What identifies an arm space in a saved state."""
    return {
        "factor_sizes": list(space.factor_sizes),
        "labels": list(space.labels),
        "n_arms": space.n_arms,
    }


def check_space(state: dict[str, Any], space: ArmSpace, agent: str) -> None:
    """Refuse to load statistics learned over different arms (they would be silently wrong)."""
    saved = state.get("space", {})
    if saved.get("n_arms") != space.n_arms or (
        saved.get("labels") and space.labels and list(saved["labels"]) != list(space.labels)
    ):
        raise HarnessError(
            f"saved {agent} state is for {saved.get('n_arms')} arms, this run has {space.n_arms} "
            "(a different template preset?); use the same templates, or start fresh (--fresh)"
        )


def rng_state(rng: np.random.Generator) -> dict[str, Any]:
    return dict(rng.bit_generator.state)


def set_rng_state(rng: np.random.Generator, state: dict[str, Any] | None) -> None:
    if state:
        rng.bit_generator.state = state
