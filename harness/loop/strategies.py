"""Strategies: a prompt template plus how it is used. The arms agents choose among.

A strategy is (template, temperature, selection):

* `single`: one call; its answer is graded.
* `best_of_k` (k = 2, 3, 5): up to k calls; each answer runs on the task's *visible*
  examples in the sandbox, the first that passes all of them is kept (else the one
  passing most, ties to the first). Tasks without examples fall back to the first
  syntactically valid answer, and the answer says so.
* `repair`: one call; if it fails a visible example, the failing example and its
  error go back to the model for one corrected answer (kept unless it passes fewer
  visible examples than the first).

Only the kept answer is graded on the hidden tests, and every call counts: the agent
learns `reward - call_price * (calls - 1)` (see `RunConfig.call_price`), reports show
reward and calls side by side. Generation, extraction, visible checks and grading live
here once, for live runs, their fresh evaluation answers and `harness bench record`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from harness.agents.base import ArmSpace
from harness.errors import HarnessError
from harness.grading.extract import extract_code
from harness.grading.results import GradeResult
from harness.llm.client import LLM, Completion
from harness.prompts.components import ALIASES
from harness.prompts.space import TemplateSpace, default_space, readable_name, render
from harness.tasks.load import Task, visible_checks

SELECTIONS = ("single", "best_of_2", "best_of_3", "best_of_5", "repair")
"""Every selection rule; `best_of_k` draws at most k answers."""
TEMPERATURES = (0.2, 0.8)
"""A near-greedy and a diverse sampling temperature."""
DEFAULT_TEMPLATE = ALIASES["reference"]
"""The default way of asking: every run's fresh evaluation compares the learned strategy
with this template, one call at the run's temperature."""

Grade = Callable[[Task, str], GradeResult]


@dataclass(frozen=True)
class Strategy:
    """One arm: a template, a sampling temperature and a selection rule."""

    template: str
    """Template id (factored or named)."""
    temperature: float
    """Sampling temperature of every call."""
    selection: str = "single"
    """One of SELECTIONS."""

    @property
    def id(self) -> str:
        return f"{self.template}@t{self.temperature:g}/{self.selection}"

    @property
    def draws(self) -> int:
        """First-round answers drawn at most (each with its own sample index)."""
        return int(self.selection.removeprefix("best_of_")) if self.selection.startswith("best_of_") else 1

    @property
    def max_calls(self) -> int:
        return 2 if self.selection == "repair" else self.draws


def strategy_name(arm_id: str) -> str:
    """A strategy id people can read: "reference+hints t0.8 best of 3" for
    "p0-o0-d1-s1-e1-c0-h1-f1@t0.8/best_of_3"."""
    template, _, rest = arm_id.partition("@")
    temperature, _, selection = rest.partition("/")
    name = readable_name(template)
    if temperature:
        name += f" {temperature}"
    if selection and selection != "single":
        name += " " + selection.replace("_", " ")
    return name


def parse_strategy(arm_id: str, default_temperature: float, space: TemplateSpace | None = None) -> Strategy:
    """`TEMPLATE[@tT][/SELECTION]`; a bare template id is one call at `default_temperature`
    (what every run stored before strategies existed)."""
    space = space or default_space()
    rest, _, selection = arm_id.partition("/")
    template, _, temp = rest.partition("@")
    selection = selection or "single"
    if selection not in SELECTIONS:
        raise HarnessError(f"unknown selection '{selection}' in strategy '{arm_id}'; "
                           f"valid: {', '.join(SELECTIONS)}")
    temperature = default_temperature
    if temp:
        try:
            temperature = float(temp.removeprefix("t"))
        except ValueError:
            raise HarnessError(f"strategy '{arm_id}': temperature must look like t0.8") from None
        if not temp.startswith("t") or not 0 <= temperature <= 2:
            raise HarnessError(f"strategy '{arm_id}': temperature must look like t0.8 (0 to 2)")
    return Strategy(space.get(template).id, temperature, selection)


STRATEGY_PRESETS: dict[str, tuple[str, tuple[str, ...] | str, tuple[float, ...] | None, tuple[str, ...]]] = {
    "default": ("the reference template with and without hints, at T=0.2 and 0.8, one call, "
                "best of 3 on the visible examples, or one repair round",
                ("reference", "p0-o0-d1-s1-e1-c0-h1-f1"), TEMPERATURES, ("single", "best_of_3", "repair")),
    "selection": ("the reference template at T=0.2 and 0.8 with every selection rule",
                  ("reference",), TEMPERATURES, SELECTIONS),
    "strategies": ("the content templates x both temperatures x single / best of 3 / repair",
                   "content", TEMPERATURES, ("single", "best_of_3", "repair")),
    "full": ("the content templates x both temperatures x every selection rule",
             "content", TEMPERATURES, SELECTIONS),
}
"""name -> (description, template ids or a template preset, temperatures (None: the run's),
selections). Template presets (content, quick, style, all) are strategy presets too: one call
at the run's temperature."""


@dataclass(frozen=True)
class StrategySpace:
    """The strategies of a run, in arm order, and how they factor for agents."""

    templates: TemplateSpace
    """Templates (arm order: template-major, then temperature, then selection)."""
    temperatures: tuple[float, ...]
    """Temperatures every template is tried at."""
    selections: tuple[str, ...]
    """Selection rules every template is tried with."""
    preset: str = "custom"
    """Which preset made it, for provenance."""
    extra: tuple[Strategy, ...] = ()
    """Explicit strategies (from --templates) when the space is not a product."""

    @property
    def strategies(self) -> tuple[Strategy, ...]:
        if self.extra:
            return self.extra
        return tuple(Strategy(t, temp, sel) for t in self.templates.ids
                     for temp in self.temperatures for sel in self.selections)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.strategies)

    def get(self, arm_id: str) -> Strategy:
        return parse_strategy(arm_id, self.temperatures[0], self.templates)

    def arm_space(self) -> ArmSpace:
        """Template factors, then a temperature and a selection factor (factored agents
        learn their effects separately); a non-product space is one flat factor."""
        base = self.templates.arm_space()
        if self.extra or len(base.factor_sizes) == 1 and len(self.templates.ids) > 1 and \
                any(t.factors is None for t in self.templates.templates):
            n = len(self.ids)
            return ArmSpace((n,), tuple((i,) for i in range(n)), self.ids)
        arms = tuple(factors + (ti, si) for factors in base.arms
                     for ti in range(len(self.temperatures)) for si in range(len(self.selections)))
        sizes = base.factor_sizes + (len(self.temperatures), len(self.selections))
        return ArmSpace(sizes, arms, self.ids)

    def fingerprint(self) -> str:
        payload = json.dumps([self.templates.fingerprint(), list(self.ids)])
        return hashlib.sha256(payload.encode()).hexdigest()[:12]


def strategy_space(preset: str, temperature: float, templates: Sequence[str] = ()) -> StrategySpace:
    """A preset's strategies, or exactly `templates` (template or strategy ids)."""
    base = default_space()
    if templates:
        chosen = tuple(dict.fromkeys(parse_strategy(t, temperature, base) for t in templates))
        subset = base.subset(dict.fromkeys(s.template for s in chosen))
        product = StrategySpace(subset, (temperature,), ("single",), "custom")
        if product.strategies == chosen:
            return product
        return StrategySpace(subset, (temperature,), ("single",), "custom", extra=chosen)
    if preset in STRATEGY_PRESETS:
        _, names, temps, selections = STRATEGY_PRESETS[preset]
        space = base.with_preset(names) if isinstance(names, str) else base.subset(names, name=preset)
        return StrategySpace(space, temps or (temperature,), selections, preset)
    try:
        return StrategySpace(base.with_preset(preset), (temperature,), ("single",), preset)
    except HarnessError:
        names = ", ".join([*STRATEGY_PRESETS, "content", "quick", "style", "all"])
        raise HarnessError(f"unknown preset '{preset}'; valid presets: {names}") from None


# --------------------------------------------------------------------- executing one


@dataclass(frozen=True)
class Answer:
    """What one use of a strategy produced: the kept answer, graded, and what it cost."""

    strategy: str
    text: str
    code: str
    llm_key: str
    finish_reason: str
    completion_tokens: int
    """Summed over every call of the strategy."""
    cached: bool
    """True when every call came from the response cache."""
    calls: int
    """Model calls the strategy made (cached or not): its cost."""
    visible: str
    """'1'/'0' per visible example for the kept answer ('' when the task has none)."""
    result: GradeResult
    """The kept answer on the hidden tests."""
    note: str = ""


def no_code_result(task: Task, reason: str) -> GradeResult:
    return GradeResult(syntax_ok=False, status="syntax_error", tests=(), passed=0,
                       total=len(task.test_names), message=f"no code in the answer: {reason}")


def _vector(result: GradeResult) -> str:
    return "".join("1" if t.outcome == "passed" else "0" for t in result.tests) or "0" * result.total


def _compiles(code: str) -> bool:
    try:
        compile(code, "solution.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError):
        return False
    return True


@dataclass(frozen=True)
class _Draw:
    completion: Completion
    code: str
    found: bool
    checks: GradeResult | None

    def score(self) -> int:
        """Visible examples passed (or 1 for valid syntax when the task has none)."""
        if not self.found:
            return -1
        if self.checks is None:
            return 1
        return self.checks.passed


def _answer(strategy: Strategy, kept: _Draw, draws: list[_Draw], result: GradeResult,
            note: str = "") -> Answer:
    """The strategy's answer: the kept draw's text and code, the cost of every draw."""
    seen = kept.checks is not None and not kept.checks.infra
    return Answer(
        strategy=strategy.id, text=kept.completion.text, code=kept.code,
        llm_key=kept.completion.key, finish_reason=kept.completion.finish_reason,
        completion_tokens=sum(d.completion.completion_tokens for d in draws),
        cached=all(d.completion.cached for d in draws), calls=len(draws),
        visible=_vector(kept.checks) if seen and kept.checks is not None else "",
        result=result, note=note)


REPAIR_TURN_VERSION = 1
"""Bump when `repair_turn`'s words change: recorded repair rounds of another version are not
reused (harness/bench/record.py)."""


def repair_turn(task: Task, code: str, found: bool,
                checks: GradeResult | None) -> list[dict[str, str]]:
    """The repair round's two messages: the model's answer as its extracted code in a fenced
    block (empty when it had none; a recorded table row keeps only the code, and so it is
    repaired offline exactly as a live run repairs it) and what went wrong with it on a visible
    example (`checks`: its grade on `visible_checks(task)`; `found`: the code was found and,
    on a task without examples, compiles)."""
    if not found:
        problem = "The answer has no complete Python code block (or it does not compile)."
    elif checks is not None and checks.syntax_ok:
        failed = next((t for t in checks.tests if t.outcome != "passed"), None)
        example = failed.name if failed is not None else ""
        if failed is not None and task.examples:
            number = int(example.rsplit("_", 1)[1])
            example = task.examples[number] if number < len(task.examples) else example
        detail = f" ({failed.message})" if failed is not None and failed.message else ""
        problem = f"Your code fails this example from the task: `{example}`{detail}."
    else:
        problem = "Your code does not compile."
    answer = f"```python\n{code.rstrip()}\n```" if code else ""
    return [{"role": "assistant", "content": answer},
            {"role": "user", "content": f"{problem} Fix `{task.entry_point}`. Return the "
                                        "complete corrected code in one ```python code block."}]


class Executor:
    """Runs a strategy on a task: calls, extraction, visible checks, selection, grading."""

    def __init__(self, llm: LLM, grade: Grade, space: TemplateSpace) -> None:
        self.llm = llm
        self.grade = grade
        self.space = space

    def _draw(self, task: Task, checks: Task | None, messages: list[dict[str, str]],
              index: int, temperature: float) -> _Draw:
        completion = self.llm.complete(messages, index, temperature=temperature)
        extraction = extract_code(completion.text, task.entry_point)
        if not extraction.found:
            return _Draw(completion, "", False, None)
        if checks is None:
            return _Draw(completion, extraction.code, _compiles(extraction.code), None)
        return _Draw(completion, extraction.code, True, self.grade(checks, extraction.code))

    def run(self, task: Task, strategy: Strategy, index: int) -> Answer:
        """Use `strategy` once; its calls use sample indices `index .. index + draws - 1`."""
        messages = render(self.space.get(strategy.template), task, self.space.components)
        checks = visible_checks(task)
        note = "" if checks is not None or strategy.selection == "single" else \
            "no visible examples: answers were selected on syntax validity"
        draws: list[_Draw] = []
        for i in range(strategy.draws):
            draws.append(self._draw(task, checks, messages, index + i, strategy.temperature))
            if (failed := self._infra(draws, strategy)) is not None:
                return failed
            if checks is not None and draws[-1].found and draws[-1].checks is not None \
                    and draws[-1].checks.passed == draws[-1].checks.total:
                break
            if checks is None and draws[-1].found:
                break
        kept = max(draws, key=lambda d: d.score())  # max keeps the first of equals
        if strategy.selection == "repair" and kept.score() < (len(checks.test_names) if checks else 1):
            repaired = self._draw(task, checks, messages + repair_turn(task, kept.code, kept.found,
                                                                      kept.checks), index,
                                  strategy.temperature)
            draws.append(repaired)
            if (failed := self._infra(draws, strategy)) is not None:
                return failed
            if repaired.score() >= kept.score():
                kept = repaired
        if kept.found:
            result = self.grade(task, kept.code)
        else:
            result = no_code_result(task, "no code found in any answer")
        return _answer(strategy, kept, draws, result, note)

    def repair(self, task: Task, template: str, temperature: float, code: str,
               index: int) -> Answer:
        """The repair round alone, after an answer recorded elsewhere (a table row keeps its
        code): the call a `repair` strategy makes after that answer, graded. Which of the two
        the strategy keeps is the caller's rule (the repair when it scores at least as well on
        the visible examples)."""
        strategy = Strategy(template, temperature, "repair")
        messages = render(self.space.get(template), task, self.space.components)
        checks = visible_checks(task)
        seen = self.grade(checks, code) if checks is not None and code else None
        if seen is not None and seen.infra:
            return Answer(strategy=strategy.id, text="", code=code, llm_key="", finish_reason="",
                          completion_tokens=0, cached=True, calls=0, visible="", result=seen,
                          note="the sandbox failed on the visible examples")
        found = bool(code) and (checks is not None or _compiles(code))  # as `_draw` finds it
        draws = [self._draw(task, checks, messages + repair_turn(task, code, found, seen), index,
                            temperature)]
        if (failed := self._infra(draws, strategy)) is not None:
            return failed
        draw = draws[0]
        result = self.grade(task, draw.code) if draw.found else no_code_result(task, "no code found")
        return _answer(strategy, draw, draws, result)

    @staticmethod
    def _infra(draws: list[_Draw], strategy: Strategy) -> Answer | None:
        """The sandbox failed on the last draw's visible checks: the whole answer is an
        infrastructure failure (retried by the caller), never a low score for the model."""
        last = draws[-1]
        if last.checks is None or not last.checks.infra:
            return None
        return _answer(strategy, last, draws, last.checks, "the sandbox failed on the visible examples")

