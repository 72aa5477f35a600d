"""What a comparison is asked to do: the fixed task split, the budgets, seeds and methods."""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import HarnessError
from harness.loop.strategies import SELECTIONS

TUNE_TASKS = (
    "digit_sum", "caesar_cipher", "roman_to_int", "merge_intervals", "is_valid_ipv4",
    "parse_csv_line", "top_k_words", "fizzbuzz", "reverse_words", "second_largest",
)
"""Tasks every method may spend its budget on: mid-band built-ins for the 1.5B model (table v1's
tasks and screened ones) that are not in the test set. Fixed before any comparison ran."""

TEST_TASKS = (
    "balanced_brackets", "coin_change_min", "edit_distance", "flatten_list", "format_duration",
    "knapsack_01", "letter_counts", "pascal_row", "run_length_encode", "transpose",
)
"""Held-out tasks: no method sees them before its final evaluation (10 of table v2's 12
mid-band tasks; the other two are tuning tasks above)."""

METHODS = ("default", "harness", "gepa", "mipro", "gepa_leaky")
"""`default`: the reference template, no tuning. `harness`: the harness's agents over the
strategy space. `gepa`, `mipro`: DSPy's optimisers. `gepa_leaky`: GEPA with hidden-test
feedback (labelled as leaking; not run unless asked)."""

DEFAULT_METHODS = ("default", "harness", "gepa", "mipro")
"""What runs unless told otherwise."""


@dataclass(frozen=True)
class CompareConfig:
    """One comparison; its fields are written to the results file, and a rerun with a
    different configuration refuses to mix results."""

    tune_tasks: tuple[str, ...] = TUNE_TASKS
    """Tasks the optimisers may spend task-model calls on."""
    test_tasks: tuple[str, ...] = TEST_TASKS
    """Tasks every method's final prompt is evaluated on, with fresh answers."""
    budgets: tuple[int, ...] = (300,)
    """Task-model calls each optimiser may make while tuning (one run per budget)."""
    seeds: tuple[int, ...] = (0, 1, 2)
    """Independent runs per method and budget (sampling seeds and optimiser seeds)."""
    methods: tuple[str, ...] = DEFAULT_METHODS
    """Which of METHODS to run."""
    selections: tuple[str, ...] = ()
    """Selection rules (e.g. best_of_3) also applied, untuned, to the final prompt of the default
    template and of each DSPy method: arms `<method>+<rule>` that cost the base run's tuning and
    nothing more (what a DSPy user gets by wrapping the prompt in a best of k)."""
    agents: tuple[str, ...] = ("factored",)
    """The harness's agents (each a method `harness:<agent>`): contextual ones transfer what
    they learned on the tuning tasks to unseen ones."""
    preset: str = "default"
    """The harness's strategy space (`harness templates list`)."""
    eval_answers: int = 20
    """Fresh answers per test task and method in the final evaluation."""
    temperature: float = 0.8
    """Sampling temperature of the default template and of DSPy's task model."""
    max_tokens: int = 512
    """Answer cap of every task-model call."""
    reflection_max_tokens: int = 1024
    """Answer cap of the optimisers' own calls (proposals, reflections)."""
    call_price: float = 0.02
    """What the harness's agents pay per call beyond the first, as in `harness run`."""
    parallel: int = 4
    """Requests in flight (DSPy's num_threads, the harness's concurrency)."""
    mipro_minibatch: int = 5
    """MIPROv2's minibatch size (capped at the number of tuning tasks)."""
    mipro_candidates: int = 6
    """MIPROv2's instruction candidates (proposed by the optimiser model)."""
    mipro_full_eval_steps: int = 5
    """MIPROv2 evaluates its best candidate on every tuning task after this many minibatches."""
    gepa_minibatch: int = 3
    """GEPA's reflection minibatch size."""

    def __post_init__(self) -> None:
        wrong = [r for r in self.selections if r not in SELECTIONS or not r.startswith("best_of_")]
        if wrong:  # an arm with `single` would be its base again, counted twice
            raise HarnessError(f"selections {', '.join(wrong)}: expected best_of_k rules "
                               f"({', '.join(r for r in SELECTIONS if r.startswith('best_of_'))})")

    @property
    def runs(self) -> tuple[tuple[str, int, int], ...]:
        """(method, budget, seed) of every tuned run, in the order they are run."""
        methods = [m for m in self.method_ids if m != "default" and "+" not in m]
        return tuple((m, b, s) for b in self.budgets for s in self.seeds for m in methods)

    @property
    def method_ids(self) -> tuple[str, ...]:
        """Methods with the harness expanded per agent (`harness:factored`)."""
        out: list[str] = []
        for method in self.methods:
            if method == "harness":
                out += [f"harness:{a}" for a in self.agents]
            else:
                out += [method, *(derived(method, rule) for rule in self.selections)]
        return tuple(out)


def derived(method: str, rule: str) -> str:
    """The arm that uses `method`'s final prompt with selection rule `rule`."""
    return f"{method}+{rule}"


def base_method(method: str) -> str:
    """The method whose tuning an arm uses (itself, unless it is derived)."""
    return method.partition("+")[0]


def run_key(method: str, budget: int, seed: int) -> str:
    """A run's key in the results file (the default template's, untuned, is one per seed)."""
    return f"{method}/s{seed}" if base_method(method) == "default" else f"{method}/b{budget}/s{seed}"
