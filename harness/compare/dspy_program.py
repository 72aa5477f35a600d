"""DSPy's side: a task as a DSPy program, DSPy's LM on the harness's client, the metric, and
GEPA / MIPROv2 runs that return the instruction they found.

The program is one `dspy.Predict` over the signature (description, function_signature,
examples, hints) -> code, formatted by `ChatAdapter` without its JSON fallback (a silent second call
would be an uncounted one). DSPy's own cache is off; DSPy's LM is a `dspy.LM("openai/<model>")` whose
engine is the harness's client, so every request goes to the same endpoint with the same
retries and run-store cache as the harness's own, and is counted by role. The metric is the
harness's: its code extraction on the `code` field, the sandbox grader, the `partial`
reward. The feedback text GEPA reflects on comes only from the task's visible examples;
`leaky=True` adds the hidden tests' verdicts (a labelled arm, not a fair one).

Only this module imports dspy (an optional extra: `pip install "harness[compare]"`).
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dspy  # type: ignore[import-untyped,import-not-found,unused-ignore]

from harness.compare.budget import CountingLLM
from harness.errors import HarnessError, LLMError, SandboxError
from harness.grading.extract import extract_code
from harness.grading.results import GradeResult
from harness.grading.rewards import compute_reward
from harness.prompts.components import Template
from harness.prompts.fields import prompt_fields
from harness.tasks.load import Task, visible_checks

INPUTS = {"description": "description", "function_signature": "signature", "examples": "examples",
          "hints": "hints"}
"""The program's input fields, each a harness prompt field: the task as the default template
gives it, plus the task's hints, which the harness's strategy space may add (so both sides can
show the model the same facts; whether to use them is the optimiser's to find out)."""
OUTPUT = "code"

INITIAL_INSTRUCTION = ("Write the Python function the task describes, with exactly the given "
                       "signature, so that every example holds. Give the complete code of the "
                       "function and any imports it needs in one ```python code block.")
"""Where both optimisers start: the default template's request, in DSPy's terms."""

Grade = Callable[[Task, str], GradeResult]


def configure() -> None:
    """DSPy's response cache off (memory and disk): every call reaches the counted client."""
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)


def make_signature(instruction: str) -> Any:  # noqa: ANN401 - a dspy Signature class
    fields = {
        "description": (str, dspy.InputField(desc="what the function must do")),
        "function_signature": (str, dspy.InputField(desc="the function's exact def line")),
        "examples": (str, dspy.InputField(desc="Python expressions that must be True")),
        "hints": (str, dspy.InputField(desc="tips for this task (may be empty)")),
        OUTPUT: (str, dspy.OutputField(desc="the complete Python code of the function")),
    }
    return dspy.make_signature(fields, instruction, signature_name="WriteCode")


def make_program(instruction: str = INITIAL_INSTRUCTION) -> Any:  # noqa: ANN401
    return dspy.Predict(make_signature(instruction))


def make_adapter() -> Any:  # noqa: ANN401
    return dspy.ChatAdapter(use_json_adapter_fallback=False)


def task_inputs(task: Task) -> dict[str, str]:
    fields = prompt_fields(task)
    return {name: fields[field] for name, field in INPUTS.items()}


def example(task: Task) -> Any:  # noqa: ANN401
    return dspy.Example(task=task.name, **task_inputs(task)).with_inputs(*INPUTS)


def instruction_of(program: Any) -> str:  # noqa: ANN401
    return str(program.predictors()[0].signature.instructions)


def template_for(instruction: str, template_id: str) -> Template:
    """The exact messages ChatAdapter sends for this instruction, as a harness named template:
    the final evaluation renders it through the harness's prompt path, like every other method.
    (Rendering tidies whitespace only: trailing spaces and runs of blank lines.)"""
    marks = {name: f"@@{name.upper()}@@" for name in INPUTS}
    messages = make_adapter().format(make_signature(instruction), demos=[], inputs=marks)

    def as_format(text: str) -> str:
        text = text.replace("{", "{{").replace("}", "}}")
        for name, mark in marks.items():
            text = text.replace(mark, "{" + INPUTS[name] + "}")
        return text

    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    user = "\n\n".join(m["content"] for m in messages if m["role"] != "system")
    return Template(template_id, None, f"DSPy ChatAdapter prompt: {instruction[:60]}",
                    system=as_format(system), user=as_format(user))


def adapter_parses(instruction: str) -> Callable[[str], bool]:
    """Whether ChatAdapter can parse an answer to this instruction's prompt: the final
    evaluation's answers are graded by the harness's extraction, and this says which of them
    DSPy itself would have failed (scored as its failure score) when running the program."""
    adapter, signature = make_adapter(), make_signature(instruction)

    def parses(text: str) -> bool:
        try:
            adapter.parse(signature, text)
        except Exception:  # noqa: BLE001 - AdapterParseError and whatever a parser may raise
            return False
        return True

    return parses


def template_id(method: str, instruction: str) -> str:
    return f"dspy-{method}-{hashlib.sha256(instruction.encode()).hexdigest()[:10]}"


# ------------------------------------------------------------------ the LM


def refused(exc: HarnessError) -> bool:
    """The endpoint refused this very request (400: e.g. a prompt longer than its context).
    Asking again would not help, so it is DSPy's to handle (GEPA skips a failed reflection;
    a failed task answer scores the failure score), not a fault that voids the run."""
    return isinstance(exc, LLMError) and "(400)" in str(exc)


class HarnessEngine:
    """A DSPy engine (complete(Request) -> Response) over the harness's counting client.

    Identical requests get consecutive sample indices (0, 1, ...), so a rerun of the same
    optimisation is answered from the run store's cache, while repeated identical requests
    within one run are still fresh samples."""

    def __init__(self, llm: CountingLLM, faults: list[HarnessError], index_base: int = 0) -> None:
        self.llm = llm
        self.faults = faults
        """Endpoint failures: DSPy would score them as wrong answers, so they are kept to be
        raised once the optimiser returns (`raise_faults`)."""
        self.index_base = index_base
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def complete(self, request: Any) -> Any:  # noqa: ANN401 - dspy.lm15 types
        from dspy.lm15 import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
            Message,
            Response,
            TextPart,
            Usage,
        )

        messages: list[dict[str, str]] = []
        if request.system is not None:
            system = request.system if isinstance(request.system, str) else \
                "".join(getattr(p, "text", "") for p in request.system)
            messages.append({"role": "system", "content": system})
        messages += [{"role": m.role, "content": m.text or ""} for m in request.messages]
        temperature = request.config.temperature
        key = hashlib.sha256(json.dumps([messages, temperature]).encode()).hexdigest()
        with self._lock:
            index = self.index_base + self._seen[key]
            self._seen[key] += 1
        try:
            completion = self.llm.complete(messages, index, temperature=temperature)
        except HarnessError as exc:
            if not refused(exc):
                self.faults.append(exc)
            raise
        finish = completion.finish_reason if completion.finish_reason in ("stop", "length") else "stop"
        return Response(id=None, model=self.llm.endpoint.model,
                        message=Message.assistant([TextPart(completion.text)]),
                        finish_reason=finish,
                        usage=Usage(input_tokens=completion.prompt_tokens,
                                    output_tokens=completion.completion_tokens))

    def stream(self, request: Any) -> Any:  # noqa: ANN401
        from dspy.lm15 import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
            response_to_events,
        )

        return response_to_events(self.complete(request))

    def close(self) -> None:
        pass


def make_lm(llm: CountingLLM, temperature: float, max_tokens: int,  # noqa: ANN401
            faults: list[HarnessError]) -> Any:  # noqa: ANN401
    """dspy.LM on the same endpoint and model; DSPy's cache and DSPy's retries off (the
    client retries, and counts what it sends)."""
    return dspy.LM(f"openai/{llm.endpoint.model}", engine=HarnessEngine(llm, faults), cache=False,
                   num_retries=0, temperature=temperature, max_tokens=max_tokens)


class ParseCount:
    """How many task answers DSPy's adapter parsed while tuning, and how many it could not
    (each such answer scores GEPA's / MIPROv2's failure score: no code reaches the metric)."""

    def __init__(self) -> None:
        self.parsed = 0
        self.failed = 0
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def callback(self) -> Any:  # noqa: ANN401 - a dspy BaseCallback
        from dspy.utils.callback import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
            BaseCallback,
        )

        owner = self

        def start(self: Any, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:  # noqa: ANN401
            signature = inputs.get("signature")
            if OUTPUT in getattr(signature, "output_fields", {}):
                with owner._lock:
                    owner._ids.add(call_id)

        def end(self: Any, call_id: str, outputs: Any, exception: BaseException | None = None) -> None:  # noqa: ANN401
            with owner._lock:
                if call_id in owner._ids:
                    owner._ids.discard(call_id)
                    owner.parsed += exception is None
                    owner.failed += exception is not None

        methods = {"on_adapter_parse_start": start, "on_adapter_parse_end": end}
        return type("ParseCounter", (BaseCallback,), methods)()


# ------------------------------------------------------------------ the metric


class Metric:
    """The harness's `partial` reward of the program's code on the hidden tests, with feedback
    text from the visible examples only (or, `leaky`, from the hidden tests too)."""

    def __init__(self, tasks: Mapping[str, Task], grade: Grade, faults: list[HarnessError],
                 leaky: bool = False, reward: str = "partial") -> None:
        self.tasks = dict(tasks)
        self.faults = faults
        """Sandbox failures (never the code's fault), raised once the optimiser returns."""
        self.grade = grade
        self.leaky = leaky
        self.reward = reward
        self.scores: list[float] = []
        self._lock = threading.Lock()

    def evaluate(self, gold: Any, pred: Any) -> tuple[float, str]:  # noqa: ANN401
        task = self.tasks[gold.task]
        text = str(getattr(pred, OUTPUT, "") or "")
        extraction = extract_code(text, task.entry_point)
        if not extraction.found:
            return 0.0, "The answer has no complete Python code for the function."
        result = self._grade(task, extraction.code)
        score = compute_reward(self.reward, result)
        return score, self.feedback(task, extraction.code, result)

    def _grade(self, task: Task, code: str) -> GradeResult:
        """The grader's verdict; a sandbox failure (already retried by the grader) is recorded
        and raised, never scored or fed back as the code's fault."""
        result = self.grade(task, code)
        if result.infra:
            self.faults.append(SandboxError(f"the sandbox failed on {task.name}: {result.message}"))
            raise self.faults[-1]
        return result

    def feedback(self, task: Task, code: str, result: GradeResult) -> str:
        lines: list[str] = []
        checks = visible_checks(task)
        if checks is not None:
            seen = self._grade(checks, code)
            lines.append(f"The code passes {seen.passed} of {seen.total} examples from the task.")
            for test in seen.tests:
                if test.outcome != "passed":
                    number = int(test.name.rsplit("_", 1)[1])
                    shown = task.examples[number] if number < len(task.examples) else test.name
                    detail = f": {test.message[:200]}" if test.message else ""
                    lines.append(f"Fails the example `{shown}` ({test.outcome}{detail}).")
        elif not result.syntax_ok:
            lines.append("The code does not run (syntax error).")
        else:
            lines.append("The task shows no examples to check the code against.")
        if self.leaky:
            lines.append(f"Hidden tests: {result.passed} of {result.total} pass.")
            lines += [f"Hidden test {t.name} {t.outcome}: {t.message[:200]}"
                      for t in result.tests if t.outcome != "passed"]
        return "\n".join(lines)

    def _note(self, score: float) -> None:
        with self._lock:
            self.scores.append(score)

    def gepa(self, gold: Any, pred: Any, trace: Any = None, pred_name: Any = None,  # noqa: ANN401
             pred_trace: Any = None) -> Any:  # noqa: ANN401
        """GEPA's five-argument metric: score and feedback."""
        score, text = self.evaluate(gold, pred)
        if pred_name is None:
            self._note(score)
        return dspy.Prediction(score=score, feedback=text)

    def plain(self, gold: Any, pred: Any, trace: Any = None) -> float:  # noqa: ANN401
        """MIPROv2's metric: the score alone."""
        score, _ = self.evaluate(gold, pred)
        self._note(score)
        return score


# ------------------------------------------------------------------ the optimisers


def raise_faults(faults: list[HarnessError]) -> None:
    """An endpoint or sandbox failure inside an optimiser run voids it: the same command
    retries it (its answers come back from the cache) instead of recording zeros."""
    if faults:
        raise faults[0]


def mipro_plan(budget: int, valset: int, minibatch: int, steps: int,
               candidates: int) -> tuple[int, int, bool, int]:
    """(trials, minibatch size, minibatch?, candidates) that keep MIPROv2's task-model calls
    within `budget`, planned for the worst case (some budget may be left, as on the harness's
    side).

    MIPROv2 first runs the program to bootstrap demonstrations that inform its instruction
    proposals, even when no demo enters the prompt: `candidates - 2` passes over the tuning
    tasks (one more is reserved). Then one full evaluation of the default program, a minibatch per trial and a
    full evaluation every `steps` trials and at the end; one more full evaluation is kept
    spare. A budget too small for one trial gets fewer candidates (down to 2). The counter's
    cap stays the guard."""
    size = max(1, min(minibatch, valset))
    use_minibatch = size < valset

    def calls(trials: int, candidates: int) -> int:
        reserve = max(1, candidates - 1) * valset
        if not use_minibatch:
            return reserve + valset * (trials + 2)
        return reserve + valset + size * trials + valset * (trials // steps + 2)

    while candidates > 2 and calls(1, candidates) > budget:
        candidates -= 1
    trials = 0
    while calls(trials + 1, candidates) <= budget:
        trials += 1
    return max(1, trials), size, use_minibatch, candidates


def run_gepa(program: Any, trainset: Sequence[Any], metric: Metric, task_lm: Any,  # noqa: ANN401
             reflection_lm: Any, budget: int, seed: int, parallel: int,  # noqa: ANN401
             minibatch: int) -> dict[str, Any]:
    """GEPA within the budget; its instruction, own validation score and best-so-far curve
    (metric calls, best validation score).

    GEPA checks `max_metric_calls` before an iteration, and one iteration (the parent's
    minibatch, the child's minibatch, the child's full evaluation) can run past it; a call past
    the budget would be refused and scored as a failure. So GEPA gets the budget less one
    iteration's worst case, planned like the other methods' (some budget may be left)."""
    size = max(1, min(minibatch, len(trainset)))
    limit = max(len(trainset), budget - (2 * size + len(trainset)))
    optimizer = dspy.GEPA(metric=metric.gepa, max_metric_calls=limit, reflection_lm=reflection_lm,
                          reflection_minibatch_size=size,
                          num_threads=parallel, seed=seed, track_stats=True,
                          failure_score=0.0, perfect_score=1.0, warn_on_score_mismatch=False)
    parses = ParseCount()
    with dspy.context(lm=task_lm, adapter=make_adapter(), callbacks=[parses.callback()]):
        compiled = optimizer.compile(program, trainset=list(trainset), valset=list(trainset))
    raise_faults(metric.faults)
    details = compiled.detailed_results
    order = sorted(range(len(details.candidates)), key=lambda i: details.discovery_eval_counts[i])
    curve: list[tuple[int, float]] = []
    for i in order:  # a candidate's score is known once GEPA has scored it on the whole valset
        best = max(details.val_aggregate_scores[i], curve[-1][1] if curve else -math.inf)
        known = min(int(details.discovery_eval_counts[i]) + len(trainset), details.total_metric_calls)
        curve.append((known, float(best)))
    return {"instruction": instruction_of(compiled),
            "validation": float(details.val_aggregate_scores[details.best_idx]),
            "curve": curve, "candidates": len(details.candidates),
            "metric_calls": details.total_metric_calls, "max_metric_calls": limit,
            "unparseable": {"parsed": parses.parsed, "failed": parses.failed}}


class MIPROv2(dspy.MIPROv2):  # type: ignore[misc,unused-ignore]  # dspy is untyped
    """DSPy's MIPROv2, except that it ends instead of raising when every instruction its
    minibatches tried has had its full evaluation. DSPy 3.4.1 then raises "No valid program found
    in param_score_dict" at its next scheduled full evaluation, and the run, with every call it
    made, is lost. Nothing is left to evaluate fully at that point, so the best so far stands."""

    def _perform_full_evaluation(self, trial_num: int, adjusted_num_trials: int,
                                 param_score_dict: dict[str, Any],
                                 fully_evaled_param_combos: dict[str, Any], evaluate: Any,  # noqa: ANN401
                                 valset: list[Any], trial_logs: dict[int, Any], total_eval_calls: int,
                                 score_data: list[Any], best_score: float, best_program: Any,  # noqa: ANN401
                                 *rest: Any) -> tuple[float, Any, int]:  # noqa: ANN401
        if all(key in fully_evaled_param_combos for key in param_score_dict):
            return best_score, best_program, total_eval_calls
        return super()._perform_full_evaluation(  # type: ignore[no-any-return,unused-ignore]
            trial_num, adjusted_num_trials, param_score_dict, fully_evaled_param_combos, evaluate,
            valset, trial_logs, total_eval_calls, score_data, best_score, best_program, *rest)


def run_mipro(program: Any, trainset: Sequence[Any], metric: Metric, task_lm: Any,  # noqa: ANN401
              prompt_lm: Any, budget: int, seed: int, parallel: int, minibatch: int,  # noqa: ANN401
              candidates: int, steps: int, task_calls: Callable[[], int]) -> dict[str, Any]:
    """MIPROv2, instructions only (no demos: demos of solved tasks would be solutions), its
    trials sized to the budget (`mipro_plan`); `task_calls` says how many task-model calls
    have been made so far."""
    trials, size, use_minibatch, candidates = mipro_plan(budget, len(trainset), minibatch, steps,
                                                         candidates)
    optimizer = MIPROv2(metric=metric.plain, prompt_model=prompt_lm, task_model=task_lm,
                             max_bootstrapped_demos=0, max_labeled_demos=0, auto=None,
                             num_candidates=candidates, num_threads=parallel, seed=seed,
                             max_errors=10 ** 6, verbose=False, track_stats=True)
    parses = ParseCount()
    with dspy.context(lm=task_lm, adapter=make_adapter(), callbacks=[parses.callback()]):
        compiled = optimizer.compile(program, trainset=list(trainset), valset=list(trainset),
                                     num_trials=trials, minibatch=use_minibatch, minibatch_size=size,
                                     minibatch_full_eval_steps=steps)
    raise_faults(metric.faults)
    curve: list[tuple[int, float]] = []
    logs = getattr(compiled, "trial_logs", {}) or {}
    # The trial logs count calls from the default program's evaluation (trial 1); the calls
    # MIPROv2 made before it (bootstrapping demonstrations for its proposals) come first, so
    # that the axis counts every task-model call, as for the other methods.
    counted = max((int(e.get("total_eval_calls_so_far", 0)) for e in logs.values()), default=0)
    before = max(0, task_calls() - counted)
    for number in sorted(logs):  # DSPy's Evaluate scores in percent: back to the metric's 0-1
        entry = logs[number]
        if "full_eval_score" in entry:
            score = float(entry["full_eval_score"]) / 100
            best = max(score, curve[-1][1] if curve else -math.inf)
            curve.append((before + int(entry.get("total_eval_calls_so_far", 0)), best))
    final = getattr(compiled, "score", None)
    return {"instruction": instruction_of(compiled),
            "validation": float(final) / 100 if final is not None else None,
            "curve": curve, "trials": trials, "minibatch": size if use_minibatch else None,
            "candidates": candidates,
            "unparseable": {"parsed": parses.parsed, "failed": parses.failed}}
