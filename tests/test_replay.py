"""The replay environment and the agent benchmark, on synthetic tables with known arms."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from harness.agents import make_agent
from harness.agents.features import FEATURE_DIM, TaskHistory, make_context
from harness.bench.aggregate import Estimate
from harness.bench.aggregate import bootstrap_interval as _bootstrap_interval
from harness.bench.aggregate import first_reach as _first_reach
from harness.bench.classic_benchmark import BenchmarkConfig, _aggregate, _Shared, run_benchmark
from harness.bench.jobs import SeedRun as _SeedRun
from harness.bench.replay import Decks, ReplayEnv, TaskContexts, play
from harness.bench.run_setup import arm_space_for
from harness.bench.sensitivity import sensitivity
from harness.bench.synthetic import synthetic_table, synthetic_tasks
from harness.bench.table import AnswerTable, GradedAnswer
from harness.bench.table_io import load_table, meta_path, save_table
from harness.cli import cli
from harness.errors import HarnessError
from harness.grading.rewards import REWARDS, compute_reward
from harness.prompts.space import default_space

TEMPLATES = default_space("content").ids
TASKS = synthetic_tasks(4)
LEARNERS = ("epsilon_greedy", "ucb1", "thompson", "successive_halving", "linucb")


def clear_probabilities() -> np.ndarray:
    """One clearly best template per task (pass probability 0.9), the rest 0.1-0.3."""
    rng = np.random.default_rng(5)
    probs = rng.uniform(0.1, 0.3, size=(len(TASKS), len(TEMPLATES)))
    for i in range(len(TASKS)):
        probs[i, (5 * i + 3) % len(TEMPLATES)] = 0.9
    return probs


@pytest.fixture(scope="module")
def table() -> AnswerTable:
    return synthetic_table(TASKS, TEMPLATES, samples=10, seed=1, pass_prob=clear_probabilities())


@pytest.fixture(scope="module")
def gaps(table: AnswerTable) -> np.ndarray:
    means = table.means("partial")
    return means.max(axis=1, keepdims=True) - means


def test_save_and_load_round_trip(tmp_path: Path, table: AnswerTable) -> None:
    for name in ("responses.jsonl.gz", "plain.jsonl"):
        path = save_table(table.rows(), tmp_path / name, {"model": "synthetic-test"})
        loaded = load_table(path)
        assert loaded.tasks == table.tasks and loaded.templates == table.templates
        assert loaded.cells == table.cells
        assert loaded.meta["model"] == "synthetic-test" and loaded.meta["rows"] == len(table.rows())
    assert meta_path(tmp_path / "responses.jsonl.gz") == tmp_path / "responses.meta.json"
    with gzip.open(tmp_path / "responses.jsonl.gz", "rt") as fh:
        assert set(json.loads(fh.readline())) == {
            "task", "task_hash", "template", "sample", "syntax_ok", "status", "finish_reason",
            "passed", "total", "completion_tokens",
        }


def test_load_errors_say_what_to_do(tmp_path: Path, table: AnswerTable) -> None:
    with pytest.raises(HarnessError, match="harness bench record"):
        load_table(tmp_path / "missing.jsonl.gz")
    rows = [r.to_dict() for r in table.rows()]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(json.dumps(r) for r in rows[:3]) + '\n{"task": "x"}\n')
    with pytest.raises(HarnessError, match=r"bad.jsonl:4: missing field 'task_hash'"):
        load_table(bad)
    holes = tmp_path / "holes.jsonl"
    holes.write_text("\n".join(json.dumps(r) for r in rows if r["template"] != TEMPLATES[3]))
    holes.write_text(holes.read_text() + "\n" + json.dumps(rows[0] | {"template": TEMPLATES[3]}))
    with pytest.raises(HarnessError, match="cells have no answers"):
        load_table(holes)


def test_a_table_that_is_not_utf8_is_one_clear_line(tmp_path: Path) -> None:
    """`bench agents --table` on a binary file was a UnicodeDecodeError traceback."""
    binary = tmp_path / "table.jsonl"
    binary.write_bytes(b"\xff\xfe\x00not text\n")
    result = CliRunner().invoke(cli, ["bench", "agents", "--table", str(binary),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert f"{binary}: not UTF-8 text" in result.output and "Traceback" not in result.output


def test_pulls_draw_without_replacement_then_count_reuse(table: AnswerTable) -> None:
    env = ReplayEnv(table, "partial", seed=3)
    cell = table.cell(TASKS[0].name, TEMPLATES[2])
    drawn = [env.pull(TASKS[0].name, TEMPLATES[2]) for _ in cell]
    assert sorted(p.sample for p in drawn) == list(range(len(cell)))
    assert not any(p.reused for p in drawn) and env.reused == 0
    extra = env.pull(0, 2)
    assert extra.reused and env.reused == 1 and env.pulls == len(cell) + 1
    # The dealing order depends on the seed only: every agent meets the same answers.
    again = ReplayEnv(table, "partial", seed=3)
    assert [again.pull(0, 2).sample for _ in cell] == [p.sample for p in drawn]
    other = ReplayEnv(table, "partial", seed=4)
    assert [other.pull(0, 2).sample for _ in cell] != [p.sample for p in drawn]


@pytest.mark.parametrize("scheme", sorted(REWARDS))
def test_rewards_match_compute_reward(table: AnswerTable, scheme: str) -> None:
    env = ReplayEnv(table, scheme, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(200):
        t, a = int(rng.integers(len(TASKS))), int(rng.integers(len(TEMPLATES)))
        pull = env.pull(t, a)
        row = table.cell(TASKS[t].name, TEMPLATES[a])[pull.sample]
        assert pull.result == row.result()
        assert pull.reward == compute_reward(scheme, row.result())


def test_fast_contexts_equal_make_context() -> None:
    contexts = TaskContexts(TASKS)
    assert contexts.fast
    for history in (TaskHistory(), TaskHistory(1, 0.0), TaskHistory(40, 0.61), TaskHistory(500, 2.0)):
        for i, task in enumerate(TASKS):
            assert np.array_equal(contexts(i, history).features, make_context(task, history).features)


def test_the_oracle_has_zero_regret(table: AnswerTable, gaps: np.ndarray) -> None:
    contexts, space = TaskContexts(TASKS), arm_space_for(TEMPLATES)
    for t in range(len(TASKS)):
        oracle = int(np.argmax(table.means("partial")[t]))
        agent = make_agent("fixed", space, FEATURE_DIM, 0, arm=oracle)
        trace = play(agent, ReplayEnv(table), contexts, [t], 40, gaps, checkpoints=[16, 40])
        assert not trace.regret.any() and (trace.best == oracle).all()
        assert trace.reused == 40 - 10  # one cell of 10 answers, pulled 40 times


def test_uniform_regret_grows_linearly(table: AnswerTable, gaps: np.ndarray) -> None:
    contexts, space = TaskContexts(TASKS), arm_space_for(TEMPLATES)
    tasks = range(len(TASKS))
    curves = [
        play(make_agent("uniform", space, FEATURE_DIM, seed), ReplayEnv(table, seed=seed),
             contexts, tasks, 80, gaps).regret.mean(axis=0)
        for seed in range(40)
    ]
    mean = np.mean(curves, axis=0)
    pulls = np.arange(1, 81)
    slope = gaps.mean()  # expected regret per uniform pull
    assert np.allclose(mean, slope * pulls, rtol=0.1)
    fit = np.polyfit(pulls, mean, 1)
    residual = mean - np.polyval(fit, pulls)
    assert 1 - residual.var() / mean.var() > 0.999


def test_learning_agents_beat_uniform(table: AnswerTable) -> None:
    result = run_benchmark(table, LEARNERS, seeds=8, budgets=(1, 2, 5), workers=1,
                           tasks={t.name: t for t in TASKS}, transfer_split=(TASKS[0].name,),
                           permutations=200)
    uniform = result.agent("uniform")
    assert result.agent("oracle").cum_regret.mean == 0.0
    assert result.agent("best_single").cum_regret.mean > 0.0  # arms differ per task
    for name in LEARNERS:
        agent = result.agent(name)
        assert agent.cum_regret.hi < uniform.cum_regret.lo, name
        assert agent.steps_per_s > 0
        # LinUCB shares one linear model across tasks: it cannot tell apart two tasks whose
        # features barely differ but whose best templates do, so its recommendations lag.
        if not agent.contextual:
            assert agent.simple_regret[5].mean <= uniform.simple_regret[5].mean + 0.02, name
    assert result.agent("thompson").pulls_to_settle.mean < uniform.pulls_to_settle.mean
    (transfer,) = result.transfer
    assert transfer.agent == "linucb" and transfer.baseline in LEARNERS + ("uniform",)
    assert all(np.isfinite(r.mean) for r in transfer.ratio.values())
    assert transfer.budgets == (1, 2, 5) and len(transfer.curves[0]) == 5 * len(TEMPLATES)
    assert all(s.p_value < 0.01 for s in result.sensitivity)
    assert result.oracle[TASKS[1].name] == TEMPLATES[8]
    json.dumps(result.to_dict())


def test_results_do_not_depend_on_processes_or_checkpoints(table: AnswerTable, gaps: np.ndarray) -> None:
    kwargs = dict(seeds=3, budgets=(1, 2), permutations=50, tasks={t.name: t for t in TASKS})
    one = run_benchmark(table, ("thompson", "linucb"), workers=1, **kwargs)
    two = run_benchmark(table, ("thompson", "linucb"), workers=2, **kwargs)
    for a, b in zip(one.agents, two.agents, strict=True):
        assert a.name == b.name and a.cum_regret == b.cum_regret and a.found == b.found
        assert np.array_equal(a.curve[0], b.curve[0])
    contexts, space = TaskContexts(TASKS), arm_space_for(TEMPLATES)
    for name in ("ucb1", "linucb"):
        plain, marked = (
            play(make_agent(name, space, FEATURE_DIM, 7), ReplayEnv(table, seed=7), contexts,
                 range(len(TASKS)), 32, gaps, checkpoints=marks)
            for marks in ((), (8, 16, 24, 32))
        )
        assert np.array_equal(plain.regret, marked.regret), name  # best() must not perturb


def test_sensitivity_finds_no_effect_when_templates_are_identical(table: AnswerTable) -> None:
    same = [
        r.__class__(**(r.to_dict() | {"template": template}))
        for template in TEMPLATES
        for r in table.cell(TASKS[0].name, TEMPLATES[0])
    ]
    (result,) = sensitivity(AnswerTable.from_rows(same), permutations=500)
    assert result.p_value == 1.0 and result.f_stat == 0.0 and result.headroom == 0.0


def test_decks_score_each_answer_once(table: AnswerTable) -> None:
    decks = Decks.build(table, "binary")
    assert decks.sizes.shape == (len(TASKS), len(TEMPLATES)) and (decks.sizes == 10).all()
    assert np.allclose(decks.means(), table.means("binary"))


def test_cli_bench_agents_end_to_end(tmp_path: Path, table: AnswerTable) -> None:
    path = save_table(table.rows(), tmp_path / "tables" / "responses.jsonl.gz", {"model": "test"})
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, [
        "bench", "agents", "--table", str(path), "--seeds", "3", "--budget", "2",
        "--out", str(out), "--tasks-dir", str(tmp_path), "--agent", "thompson",
        "--agent", "linucb", "--workers", "1",
    ])
    assert result.exit_code == 0, result.output
    for text in ("Agents on 4 tasks x 16 templates, 3 seeds", "thompson", "Transfer",
                 "Does the template matter?", "placeholder features"):
        assert text in result.output
    figures = json.loads((out / "agents.json").read_text())
    assert [a["name"] for a in figures["agents"]] == [
        "oracle", "best_single", "uniform", "thompson", "linucb"
    ]
    assert set(figures["agents"][3]["simple_regret"]) == {"1", "2"}
    for png in ("regret_curves.png", "simple_regret.png", "transfer.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"


def test_cli_bench_agents_without_a_table_says_how_to_record(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["bench", "agents", "--table", str(tmp_path / "none.jsonl.gz")])
    assert result.exit_code != 0
    assert "harness bench record" in result.output


def test_ppo_beats_uniform_too(table: AnswerTable) -> None:
    result = run_benchmark(table, ("ppo",), seeds=3, budgets=(1, 2, 5), workers=1,
                           tasks={t.name: t for t in TASKS}, transfer_split=(TASKS[0].name,),
                           permutations=50)
    assert result.agent("ppo").cum_regret.hi < result.agent("uniform").cum_regret.lo
    assert result.transfer[0].agent == "ppo"


def test_settle_reads_each_task_along_its_checkpoints() -> None:
    from harness.bench.classic_benchmark import _settle

    marks = np.array([8, 16, 24])
    within = np.array([[False, True, True], [True, False, True], [True, True, False]])
    assert _settle(within, marks, 99).tolist() == [16.0, 24.0, 99.0]


# ------------------------------------------- the agent table's headline columns, by hand
# README's "found B=..", "to 90%" and "x uniform" columns are AgentResult.found,
# .pulls_to_find and .vs_uniform, computed in replay._aggregate from each seed's
# recommendations. A 2-task x 3-template table with 2 answers per cell (10 tests
# each, reward = fraction passed) has these means and gaps to the per-task oracle:
#
#            A                B                  C
#   alpha    10,10 -> 1.0     10,0 -> 0.5        0,0 -> 0.0      oracle A
#   beta     0,0   -> 0.0     10,5 -> 0.75       8,6 -> 0.70     oracle B
#
#   gaps     alpha: A 0, B 0.5, C 1.0      beta: A 0.75, B 0, C 0.05
#
# "Found" means within 0.05 of the oracle: alpha {A}, beta {B, C} (C at exactly 0.05).

A, B, C = 0, 1, 2


def tiny_table() -> AnswerTable:
    passed = {("alpha", "A"): (10, 10), ("alpha", "B"): (10, 0), ("alpha", "C"): (0, 0),
              ("beta", "A"): (0, 0), ("beta", "B"): (10, 5), ("beta", "C"): (8, 6)}
    rows = [
        GradedAnswer(task=task, task_hash=f"hash-{task}", template=template, sample=i, syntax_ok=True,
                 status="passed" if n == 10 else "failed", finish_reason="stop", passed=n, total=10)
        for (task, template), counts in passed.items()
        for i, n in enumerate(counts)
    ]
    return AnswerTable.from_rows(rows, {"tasks": ["alpha", "beta"], "templates": ["A", "B", "C"]})


def test_tiny_table_means_are_the_hand_values() -> None:
    table = tiny_table()
    assert np.allclose(table.means("partial"), [[1.0, 0.5, 0.0], [0.0, 0.75, 0.7]])


def test_found_pulls_to_find_and_vs_uniform_by_hand() -> None:
    table = tiny_table()
    means = table.means("partial")
    gaps = means.max(axis=1, keepdims=True) - means
    # budgets 1 and 2 = 3 and 6 pulls per task; checkpoints every 2 pulls plus the budgets
    marks = (2, 3, 4, 6)
    config = BenchmarkConfig(agents=("uniform", "successive_halving"), seeds=(0, 1), budgets=(1, 2),
                             checkpoint_every=2, permutations=20, workers=1)

    def run(agent: str, seed: int, best: list[list[int]], budget_best: dict[int, list[int]]) -> _SeedRun:
        return _SeedRun(agent=agent, seed=seed, regret=np.zeros((2, 6), np.float32), checkpoints=marks,
                        best=np.array(best), budget_best={b: np.array(v) for b, v in budget_best.items()},
                        heldout=(1,), transfer=None, steps=12, agent_s=1.0, reused=0, cpu_s=0.0)

    # Recommendations [alpha, beta] at pulls 2, 3, 4, 6, and the share of the 2 tasks found:
    #   uniform seed 0:  [B,A] 0    [A,A] .5   [A,C] 1    [A,B] 1
    #   uniform seed 1:  [C,B] .5   [B,B] .5   [B,B] .5   [A,C] 1
    #   mean over seeds:  .25        .5         .75        1.0   -> first >= 0.9 at 6 pulls
    #   sh seed 0:       [A,A] .5   [A,B] 1    [A,B] 1    [A,B] 1
    #   sh seed 1:       [A,C] 1    [A,C] 1    [A,C] 1    [A,C] 1
    #   mean over seeds:  .75        1.0  -> first >= 0.9 at 3 pulls; vs uniform 3 / 6 = 0.5
    # Uniform's budget-B recommendation is its main run's at B x 3 pulls. Successive halving
    # plans from the budget, so it has a run per budget: B=1 seed 0 [B,B] .5, seed 1 [A,C] 1;
    # B=2 [A,B] 1 and [A,B] 1. So found B=1: uniform (.5 + .5)/2 = .5, sh (.5 + 1)/2 = .75;
    # found B=2: uniform (1 + 1)/2 = 1, sh 1. (sh's main run at 3 pulls is 1.0: found B=1
    # must come from the budget run.)
    runs = [
        run("uniform", 0, [[B, A], [A, A], [A, C], [A, B]], {1: [A, A], 2: [A, B]}),
        run("uniform", 1, [[C, B], [B, B], [B, B], [A, C]], {1: [B, B], 2: [A, C]}),
        run("successive_halving", 0, [[A, A], [A, B], [A, B], [A, B]], {1: [B, B], 2: [A, B]}),
        run("successive_halving", 1, [[A, C], [A, C], [A, C], [A, C]], {1: [A, C], 2: [A, B]}),
    ]
    shared = _Shared(Decks.build(table), table, tuple(synthetic_tasks(2)), gaps,
                     arm_space_for(table.templates), config, (1,))
    result = _aggregate(table, shared, runs, means, gaps, [])
    uniform, sh = result.agent("uniform"), result.agent("successive_halving")

    assert uniform.found[1].mean == pytest.approx(0.5) and uniform.found[2].mean == pytest.approx(1.0)
    assert sh.found[2].mean == pytest.approx(1.0)
    # sh found B=1 over seeds [.5, 1]: mean .75, sd sqrt(.125) = .353553, 95% half-width
    # 1.96 * .353553 / sqrt(2) = 1.96 * .25 = .49 -> [.26, 1.24]
    assert (sh.found[1].mean, sh.found[1].lo, sh.found[1].hi) == pytest.approx((0.75, 0.26, 1.24))

    # "to 90%", with a bootstrap over the 2 seeds: a resample is seeds (0,0), (1,1) or mixed.
    #   uniform: (0,0) -> seed 0's curve 0, .5, 1 -> 4 pulls; (1,1) -> 6; mixed -> 6
    #   sh:      (0,0) -> .5, 1 -> 3;                 (1,1) -> 1 at once -> 2; mixed -> 3
    # so the 95% intervals are the smallest and largest resample: uniform [4, 6], sh [2, 3]
    assert (uniform.pulls_to_find.mean, uniform.pulls_to_find.lo, uniform.pulls_to_find.hi) == (6, 4, 6)
    assert (sh.pulls_to_find.mean, sh.pulls_to_find.lo, sh.pulls_to_find.hi) == (3, 2, 3)
    # "x uniform": 3 / 6 = 0.5; per resample (0,0) 3/4, (1,1) 2/6, mixed 3/6 -> [1/3, 3/4]
    assert (sh.vs_uniform.mean, sh.vs_uniform.lo, sh.vs_uniform.hi) == pytest.approx((0.5, 1 / 3, 0.75))
    assert (uniform.vs_uniform.mean, uniform.vs_uniform.lo, uniform.vs_uniform.hi) == (1, 1, 1)
    # the JSON written next to the plots carries the same figures
    row = result.to_dict()["agents"][3]
    assert row["name"] == "successive_halving" and row["found"]["1"]["mean"] == pytest.approx(0.75)
    assert row["pulls_to_find"]["mean"] == 3 and row["vs_uniform"]["mean"] == pytest.approx(0.5)


def test_never_reaching_90_percent_has_no_pulls_to_find() -> None:
    """An agent stuck on template A finds only alpha (1 of 2 tasks, .5 < .9) at every budget."""
    table = tiny_table()
    result = run_benchmark(table, ("fixed",), seeds=2, budgets=(1, 2), workers=1, permutations=20)
    fixed = result.agent("fixed")  # `fixed` plays arm 0 = A
    assert [(e.mean, e.lo, e.hi) for e in fixed.found.values()] == [(0.5, 0.5, 0.5)] * 2
    assert fixed.pulls_to_find is None and fixed.vs_uniform is None
    # its regret per pull is the mean gap of A over tasks: (0 + 0.75) / 2 = 0.375, x 6 pulls
    assert fixed.cum_regret.mean == pytest.approx(2.25)
    # the best single template over both tasks: means A .5, B .625, C .35 -> B; B is within
    # 0.05 only on beta -> found .5 at every budget; regret (0.5 + 0) / 2 = .25 per pull
    single = result.agent("best_single")
    assert result.best_single == "B" and result.oracle == {"alpha": "A", "beta": "B"}
    assert [e.mean for e in single.found.values()] == [0.5, 0.5]
    assert single.cum_regret.mean == pytest.approx(1.5)
    assert [e.mean for e in result.agent("oracle").found.values()] == [1.0, 1.0]


def test_to_90_percent_counts_a_rate_of_exactly_the_target() -> None:
    # 9 of 10 (task, seed) pairs found is a rate of 0.9: reached at that checkpoint (16 pulls)
    rates = np.array([0.5, np.mean([True] * 9 + [False]), 1.0])
    assert _first_reach(rates, np.array([8, 16, 24]), 0.9) == 16
    assert _first_reach(np.array([0.5, 0.8]), np.array([8, 16]), 0.9) == math.inf  # never


def test_bootstrap_interval_is_the_central_95_percent() -> None:
    # replicates 0..999: the inverted-cdf 2.5% and 97.5% quantiles are the 25th and the
    # 975th smallest, 24 and 974
    assert _bootstrap_interval(np.arange(1000.0), 5.0) == Estimate(5.0, 24.0, 974.0)
    # a replicate that never reached the target (inf / inf = nan) counts as never (inf):
    # with 3% of them, the upper end is inf
    values = np.arange(1000.0)
    values[970:] = np.nan
    assert _bootstrap_interval(values, 5.0).hi == math.inf
