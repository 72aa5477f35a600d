"""Drive a comparison: tune every (method, budget, seed), then evaluate each on fresh answers.

Resumable at two grains: a tuned run's outcome (its final prompt, calls, curve) and each
(run, test task) evaluation are written to the results file as they finish and skipped on a
rerun; everything else a killed run already asked is answered by the run store's response
and grading caches. A results file written under another task split or evaluation setting is
refused rather than mixed.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from harness.compare.budget import CallCounter, CountingLLM, Role
from harness.compare.config import CompareConfig, derived, run_key
from harness.compare.fresh import EVAL_SEED, evaluate_task
from harness.compare.harness_side import tune_harness
from harness.errors import HarnessError
from harness.grading.grader import Grader
from harness.llm.client import Endpoint, GenerationParams
from harness.loop.strategies import (
    DEFAULT_TEMPLATE,
    Executor,
    Strategy,
    StrategySpace,
    strategy_space,
)
from harness.prompts.components import Template
from harness.store import Store
from harness.tasks.load import Task

DERIVED_FROM = ("calls", "wall_s", "templates", "instruction", "strategies")
"""What a selection arm takes from its base run's tuning: its cost and its final prompt (an arm
whose base has other values is remade)."""

FIXED = ("tune_tasks", "test_tasks", "eval_answers", "temperature", "max_tokens", "preset",
         "call_price", "reflection_max_tokens", "gepa_minibatch", "mipro_minibatch",
         "mipro_candidates", "mipro_full_eval_steps")
"""Settings a results file is bound to: changing one needs a new file (so does another model
or endpoint: the file records the endpoint's identity)."""


class Hooks:
    """Progress events (the bench script draws rich bars from them); the defaults do nothing."""

    def start(self, key: str, description: str, total: int | None) -> None:
        pass

    def advance(self, key: str, amount: int = 1) -> None:
        pass

    def finish(self, key: str) -> None:
        pass

    def log(self, message: str) -> None:
        pass


def seed_base(seed: int) -> int:
    """The sampling seed of a tuning run (distinct per seed, and from the final evaluation's)."""
    return 1_000_003 * (seed + 1)


def load_results(path: Path, config: CompareConfig, tasks: dict[str, Task],
                 endpoint: str) -> dict[str, Any]:
    """The results file, or a fresh one; `endpoint` is the model's identity (its cache id)."""
    hashes = {n: t.hash for n, t in tasks.items()}
    fresh: dict[str, Any] = {"config": asdict(config), "tasks": hashes, "runs": {},
                             "endpoint": endpoint}
    if not path.exists():
        return fresh
    data: dict[str, Any] = json.loads(path.read_text())
    old, now = data.get("config", {}), json.loads(json.dumps(asdict(config)))
    changed = [k for k in FIXED if old.get(k) != now.get(k)]
    moved = [n for n, h in data.get("tasks", {}).items() if n in tasks and tasks[n].hash != h]
    if data.get("endpoint") != endpoint:
        changed.append(f"the model: {data.get('endpoint')} there, {endpoint} now")
    if changed or moved:
        raise HarnessError(f"{path} was written with other settings ({', '.join(changed + moved)}); "
                           "pass another --out, or delete it to start over")
    data["config"] = now  # methods, budgets and seeds may grow between runs
    data["tasks"] = {**data.get("tasks", {}), **hashes}
    return data


def save_results(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def with_templates(space: StrategySpace, templates: list[dict[str, str]]) -> StrategySpace:
    """The strategy space plus runtime named templates (DSPy's final prompts). The committed
    space, and so its fingerprint, is untouched: only this copy knows them."""
    if not templates:
        return space
    extra = tuple(Template(t["id"], None, t.get("description", ""), system=t["system"], user=t["user"])
                  for t in templates)
    known = {t.id for t in space.templates.named}
    named = space.templates.named + tuple(t for t in extra if t.id not in known)
    return replace(space, templates=replace(space.templates, named=named))


@dataclass
class Comparison:
    """One comparison with its endpoint, grader and results file open."""

    config: CompareConfig
    endpoint: Endpoint
    store: Store
    grader: Grader
    tune: list[Task]
    test: list[Task]
    out: Path
    hooks: Hooks
    data: dict[str, Any]

    def save(self) -> None:
        save_results(self.out, self.data)

    def llm(self, counter: CallCounter, role: Role, seed: int, temperature: float,
            max_tokens: int) -> CountingLLM:
        params = GenerationParams(temperature=temperature, max_tokens=max_tokens, seed=seed)
        return CountingLLM(self.endpoint, self.store, params, counter, role,
                           concurrency=self.config.parallel)

    def space(self) -> StrategySpace:
        return strategy_space(self.config.preset, self.config.temperature)

    # -- tuning

    def tune_run(self, method: str, budget: int, seed: int) -> dict[str, Any]:
        key = run_key(method, budget, seed)
        counter = CallCounter(budget=budget, on_call=lambda role: self.hooks.advance(key))
        self.hooks.start(key, f"tune {key}", budget)
        cfg = self.config
        task_llm = self.llm(counter, "task", seed_base(seed), cfg.temperature, cfg.max_tokens)
        started = time.perf_counter()
        if method.startswith("harness:"):
            space = self.space()
            executor = Executor(task_llm, self.grader.grade, space.templates)
            outcome = tune_harness(method.split(":", 1)[1], self.tune, self.test, space, executor,
                                   budget, seed, cfg.call_price, cfg.parallel)
            outcome["templates"] = []
        else:
            faults: list[HarnessError] = []  # endpoint and sandbox failures seen inside DSPy
            try:
                outcome = self._tune_dspy(method, budget, seed, counter, task_llm, faults)
            except HarnessError:
                raise  # the endpoint or sandbox failed: the same command retries
            except Exception as exc:  # noqa: BLE001 - the optimiser gave up (or ran past its budget)
                # DSPy may wrap an endpoint failure in its own error: a recorded fault wins
                if faults:
                    raise faults[0] from exc
                self.hooks.log(f"[red]{key} failed[/]: {type(exc).__name__}: {exc}")
                outcome = {"failed": f"{type(exc).__name__}: {str(exc)[:500]}", "templates": [],
                           "strategies": {}}
        self.hooks.finish(key)
        return {"method": method, "budget": budget, "seed": seed,
                "tuning": {**outcome, "calls": counter.to_dict(),
                           "wall_s": time.perf_counter() - started}}

    def _tune_dspy(self, method: str, budget: int, seed: int, counter: CallCounter,
                   task_llm: CountingLLM, faults: list[HarnessError]) -> dict[str, Any]:
        from harness.compare import dspy_program as dp

        cfg = self.config
        dp.configure()
        optimiser_llm = self.llm(counter, "optimiser", seed_base(seed), 1.0, cfg.reflection_max_tokens)
        task_lm = dp.make_lm(task_llm, cfg.temperature, cfg.max_tokens, faults)
        optimiser_lm = dp.make_lm(optimiser_llm, 1.0, cfg.reflection_max_tokens, faults)
        metric = dp.Metric({t.name: t for t in self.tune}, self.grader.grade, faults,
                           leaky=method == "gepa_leaky")
        trainset = [dp.example(t) for t in self.tune]
        if method in ("gepa", "gepa_leaky"):
            outcome = dp.run_gepa(dp.make_program(), trainset, metric, task_lm, optimiser_lm, budget,
                                  seed, cfg.parallel, cfg.gepa_minibatch)
        elif method == "mipro":
            outcome = dp.run_mipro(dp.make_program(), trainset, metric, task_lm, optimiser_lm, budget,
                                   seed, cfg.parallel, cfg.mipro_minibatch, cfg.mipro_candidates,
                                   cfg.mipro_full_eval_steps, lambda: counter.task.calls)
        else:
            raise HarnessError(f"unknown method '{method}'")
        template = dp.template_for(outcome["instruction"], dp.template_id(method, outcome["instruction"]))
        strategy = Strategy(template.id, cfg.temperature, "single").id
        outcome["templates"] = [{"id": template.id, "description": template.description,
                                 "system": template.system, "user": template.user}]
        outcome["strategies"] = {t.name: strategy for t in self.test}
        outcome["metric_scores"] = len(metric.scores)
        return outcome

    # -- the final evaluation

    def evaluate_run(self, key: str) -> None:
        run = self.data["runs"][key]
        tuning = run["tuning"]
        if tuning.get("failed"):
            return  # nothing to evaluate; the report lists the failure
        space = with_templates(self.space(), tuning.get("templates", []))
        counter = CallCounter(on_call=lambda _role: None)
        cfg = self.config
        llm = self.llm(counter, "task", EVAL_SEED, cfg.temperature, cfg.max_tokens)
        executor = Executor(llm, self.grader.grade, space.templates)
        results = run.setdefault("eval", {})
        parses = None
        if tuning.get("instruction"):
            from harness.compare.dspy_program import adapter_parses

            parses = adapter_parses(tuning["instruction"])
        todo = [t for t in self.test if t.name not in results]
        self.hooks.start(f"eval {key}", f"evaluate {key}", len(todo) * cfg.eval_answers)
        for task in todo:
            started = time.perf_counter()
            results[task.name] = evaluate_task(
                task, tuning["strategies"][task.name], space, executor, cfg.eval_answers,
                run["seed"], cfg.parallel, on_answer=lambda: self.hooks.advance(f"eval {key}"),
                adapter_parses=parses)
            run["eval_calls"] = run.get("eval_calls", 0) + sum(results[task.name]["calls"])
            run["eval_cached"] = run.get("eval_cached", 0) + counter.task.cached
            run["eval_wall_s"] = run.get("eval_wall_s", 0.0) + time.perf_counter() - started
            counter.task.cached = 0
            self.save()
        self.hooks.finish(f"eval {key}")

    def run(self) -> dict[str, Any]:
        """Everything not yet in the results file; the results."""
        runs = self.data["runs"]
        for method, budget, seed in self.config.runs:
            if "default" in self.config.method_ids:
                self._default(seed)  # each seed's methods are paired with its own default answers
            key = run_key(method, budget, seed)
            if key not in runs or runs[key]["tuning"].get("failed"):  # a failed run is tried again
                self.hooks.log(f"tuning {key}")
                failed = runs.get(key, {}).get("tuning", {})
                runs[key] = self.tune_run(method, budget, seed)
                # the retry replays the failed attempt's calls from the cache in seconds: its
                # wall time is what tuning took
                runs[key]["tuning"]["failed_wall_s"] = failed.get("wall_s", 0.0) + failed.get("failed_wall_s", 0.0)
                self.save()
            self.evaluate_run(key)
            self._derive(key)
        if "default" in self.config.method_ids:
            for seed in self.config.seeds:
                self._default(seed)
        return self.data

    def _default(self, seed: int) -> None:
        """The default template, untuned, evaluated on the seed's fresh answers."""
        key = run_key("default", 0, seed)
        if key not in self.data["runs"]:
            default = Strategy(DEFAULT_TEMPLATE, self.config.temperature, "single").id
            self.data["runs"][key] = {"method": "default", "budget": 0, "seed": seed, "tuning": {
                "strategies": {t.name: default for t in self.test}, "templates": [],
                "calls": CallCounter(budget=0).to_dict(), "wall_s": 0.0}}
            self.save()
        self.evaluate_run(key)
        self._derive(key)

    def _derive(self, base_key: str) -> None:
        """The base run's final prompt with each of `config.selections`: no tuning of its own
        (its cost is the base run's), evaluated on the seed's fresh answers like every method.
        Remade when the base run was tuned again; dropped when its new tuning failed."""
        base = self.data["runs"][base_key]
        tuning = base["tuning"]
        if base["method"].startswith("harness:"):
            return  # the harness chose its own selection rules
        if tuning.get("failed"):  # an arm of the prompt it had before would outlive it
            for key in [k for k, r in self.data["runs"].items() if r["tuning"].get("base") == base_key]:
                del self.data["runs"][key]
            self.save()
            return
        if not self.config.selections:
            return
        space = with_templates(self.space(), tuning.get("templates", []))
        kept = {k: tuning[k] for k in DERIVED_FROM if k in tuning}
        for rule in self.config.selections:
            method = derived(base["method"], rule)
            key = run_key(method, base["budget"], base["seed"])
            run = self.data["runs"].get(key)
            if run is None or run["tuning"].get("base_tuning") != kept:
                chosen = {task: replace(space.get(sid), selection=rule).id
                          for task, sid in tuning["strategies"].items()}
                self.data["runs"][key] = {
                    "method": method, "budget": base["budget"], "seed": base["seed"],
                    "tuning": {**kept, "strategies": chosen, "base": base_key,
                               "base_tuning": kept}}
                self.save()
            self.evaluate_run(key)


def open_comparison(config: CompareConfig, endpoint: Endpoint, store: Store, grader: Grader,
                    tasks: dict[str, Task], out: Path, hooks: Hooks | None = None) -> Comparison:
    overlap = set(config.tune_tasks) & set(config.test_tasks)
    if overlap:
        raise HarnessError(f"tasks both tuned on and tested on: {', '.join(sorted(overlap))}")
    data = load_results(out, config, tasks, endpoint.cache_id or endpoint.base_url)
    return Comparison(config, endpoint, store, grader, [tasks[n] for n in config.tune_tasks],
                      [tasks[n] for n in config.test_tasks], out, hooks or Hooks(), data)

