"""`harness leaderboard build`: verified results -> leaderboard.json, leaderboard.csv and a static site.

Runs are ranked only against runs on the same suite (the same tasks at the same
task hashes, see `suites`): one board per suite, ranks restarting at 1 on each.

Only runs that pass `check` are rendered, and every number on the site is the
recomputed one. The site is plain files: data is embedded in each page as JSON
(so it works from file:// without fetching anything), scripts and styles are
vendored under static/, charts are inline SVG. Builds are deterministic (no
timestamps), so a results repository can commit the site and diff it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.grading.rewards import REWARD_RANGES
from harness.leaderboard import SCHEMA
from harness.leaderboard.check import VerifiedRun, check_results
from harness.leaderboard.publish import write_if_changed
from harness.leaderboard.records import RUN_FILE, SAMPLES_FILE, SampleRecord
from harness.leaderboard.scores import grouped, learning_curves, mean_calls, score
from harness.leaderboard.suites import Suite, suite_of
from harness.leaderboard.svg import ScatterPoint, learning_curve_svg, score_tokens_svg

if TYPE_CHECKING:
    import jinja2

CSV_COLUMNS = (
    "suite", "suite_hash", "rank", "run_id", "name", "model", "agent", "template", "reward", "tasks", "samples", "passed",
    "pass_rate", "ci_low", "ci_high", "syntax_valid_rate", "mean_partial_credit", "timeout_rate",
    "mean_reward", "mean_completion_tokens", "completion_tokens", "prompt_tokens",
    "calls_per_answer", "uplift", "uplift_low", "uplift_high", "basis", "date",
    "harness_version", "git_commit",
)
STATIC_FILES = ("leaderboard.css", "leaderboard.js", "compare.js")
MATRIX_OPEN_TASKS = 30
"""A board's per-task matrix is shown open up to this many tasks, collapsed in a <details> beyond."""
MATRIX_LEVELS = 10
"""Colour steps of a matrix cell: pass@1 rounded to tenths picks CSS class pr-0 .. pr-10."""


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote."""

    out: Path
    runs: int
    samples: int

    @property
    def index(self) -> Path:
        return self.out / "index.html"


def score_fields(scores: dict[str, Any]) -> dict[str, Any]:
    """A Scores dict flattened for tables (the interval as ci_low / ci_high)."""
    lo, hi = scores["pass_rate_ci95"]
    keys = ("samples", "passed", "pass_rate", "syntax_valid_rate", "mean_partial_credit",
            "timeout_rate", "mean_reward", "mean_completion_tokens", "completion_tokens", "prompt_tokens")
    return {**{k: scores[k] for k in keys}, "ci_low": lo, "ci_high": hi}


def leaderboard_rows(runs: list[VerifiedRun]) -> list[dict[str, Any]]:
    """One row per run, ranked within its suite by pass@1, then its interval's lower bound, then partial credit.

    Rows come board by board (in `board_order`), each board's ranks starting at 1:
    scores on different task sets do not compare, so they never share a ranking.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    suites: dict[str, Suite] = {}
    for v in runs:
        suite = suite_of(v)
        suites[suite.hash] = suite
        groups.setdefault(suite.hash, []).append(run_row(v, suite))
    # boards with the most runs first, then by name (and hash, so the order is total)
    order = sorted(suites.values(), key=lambda s: (-len(groups[s.hash]), s.name, s.hash))
    out: list[dict[str, Any]] = []
    for suite in order:
        rows = groups[suite.hash]
        rows.sort(key=lambda r: (-r["pass_rate"], -r["ci_low"], -r["mean_partial_credit"], r["run_id"]))
        out.extend({"rank": i, **row} for i, row in enumerate(rows, 1))
    return out


def boards(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ranked rows split into one board per suite (name, hash, task names, rows), in row order."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        board = out.setdefault(row["suite_hash"], {
            "name": row["suite"], "hash": row["suite_hash"],
            "tasks": sorted(row["provenance"]["task_hashes"]), "rows": []})
        board["rows"].append(row)
    return list(out.values())


def task_matrix(board: dict[str, Any]) -> dict[str, Any]:
    """A board's tasks x runs pass@1 matrix: rows are its tasks, columns its runs in rank order.

    A cell is the run's per-task figures plus `level` (the colour step), or None if the run has
    no figures for that task. Only for the index page: leaderboard.json does not carry it.
    """
    runs = [{k: row[k] for k in ("run_id", "name", "rank", "page")} for row in board["rows"]]
    by_run = [{t["task"]: t for t in row["per_task"]} for row in board["rows"]]
    cells = []
    for task in board["tasks"]:
        line = []
        for per_task in by_run:
            t = per_task.get(task)
            line.append(None if t is None else {
                **{k: t[k] for k in ("pass_rate", "ci_low", "ci_high", "samples")},
                "level": round(t["pass_rate"] * MATRIX_LEVELS)})
        cells.append({"task": task, "cells": line})
    return {"runs": runs, "rows": cells, "collapsed": len(board["tasks"]) > MATRIX_OPEN_TASKS,
            "levels": [i / MATRIX_LEVELS for i in range(MATRIX_LEVELS + 1)]}


FRESH = "fresh answers of the learned strategy"
EVERY = "every answer"
"""What a row's scores are computed over (its `basis`)."""


def row_basis(v: VerifiedRun) -> tuple[str, list[SampleRecord]]:
    """A learned run is scored on its fresh evaluation answers, never on the answers it learned
    from (exploration drags those down and the winner's curse pushes the chosen arm up); a run
    without evaluation answers (one fixed template) on every answer it made."""
    fresh = [r for r in v.samples if r.phase == "eval_learned"]
    if fresh:
        return FRESH, fresh
    return EVERY, [r for r in v.samples if r.phase == "learn"]


def uplift_fields(evaluation: dict[str, Any] | None) -> dict[str, Any]:
    """The paired uplift over the default template on fresh answers; None for other rows."""
    if not evaluation:
        return {"uplift": None, "uplift_low": None, "uplift_high": None}
    up = evaluation["pass_uplift"]
    return {"uplift": up["diff"], "uplift_low": up["low"], "uplift_high": up["high"]}


def run_row(v: VerifiedRun, suite: Suite) -> dict[str, Any]:
    """The unranked row of one run."""
    prov = v.run["provenance"]
    best = v.scores["best"]
    basis, records = row_basis(v)
    per_task = [{"task": task, **score_fields(score(items).to_dict()),
                 "best_template": best[task]["template"] if task in best else items[0].template}
                for task, items in grouped(records, lambda r: r.task).items()]
    return {
        "suite": suite.name, "suite_hash": suite.hash,
        "run_id": v.run_id, "name": str(v.run["name"]), "model": prov["model"],
        "agent": prov["agent"],
        "template": prov["templates"][0] if len(prov["templates"]) == 1 else "",
        "reward": prov["reward"], "tasks": list(prov["tasks"]),
        **score_fields(score(records).to_dict()), "basis": basis,
        "calls_per_answer": mean_calls(records), **uplift_fields(v.scores["evaluation"]),
        "date": prov.get("date", ""), "harness_version": prov.get("harness_version", ""),
        "git_commit": prov.get("git_commit", ""), "page": f"runs/{v.run_id}.html",
        "provenance": prov, "per_task": per_task,
    }


def leaderboard_document(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """leaderboard.json (also embedded in the index): `boards` per suite; `rows` keeps every row for older readers."""
    return {"schema": SCHEMA, "boards": boards(rows), "rows": rows}


def csv_text(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        values = {**row, "tasks": " ".join(row["tasks"])}
        writer.writerow([_csv_cell(values[c]) for c in CSV_COLUMNS])
    return buffer.getvalue()


def _csv_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def embed_json(data: object) -> str:
    """JSON safe inside <script type="application/json">: no '<', '>' or '&' can end the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("harness.leaderboard", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )


def provenance_items(prov: dict[str, Any]) -> list[tuple[str, str]]:
    """Provenance as (key, text) pairs for a definition list; nested values as compact JSON."""
    items = []
    for key, value in prov.items():
        if isinstance(value, str):
            text = value
        else:  # numbers, booleans, null and nested values read the same as in run.json
            text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        items.append((key, text))
    return items


def run_page_context(v: VerifiedRun, row: dict[str, Any]) -> dict[str, Any]:
    prov = v.run["provenance"]
    curve = learning_curve_svg(learning_curves([r for r in v.samples if r.phase == "learn"]), f"{v.run_id}: mean reward per episode",
                               REWARD_RANGES.get(prov["reward"], (0.0, 1.0)))
    per_template = [{"template": k, **score_fields(s)} for k, s in v.scores["per_template"].items()]
    per_template.sort(key=lambda r: (-r["mean_reward"], -r["samples"], r["template"]))
    best = [{"task": task, **{k: b[k] for k in ("template", "mean_reward", "pulls", "pass_rate")},
             "prompt": v.run["best"][task]["prompt"]} for task, b in v.scores["best"].items()]
    return {"row": row, "run": v.run, "provenance": provenance_items(prov), "curve": curve,
            "per_task": row["per_task"], "per_template": per_template, "best": best,
            "raw": {"run": f"../raw/{v.run_id}/{RUN_FILE}",
                    "samples": f"../raw/{v.run_id}/{SAMPLES_FILE}"},
            "static": "../static", "home": "../index.html"}


def board_scatter(board: dict[str, Any]) -> str:
    """One board's runs: pass@1 against tokens per answer (scores compare only within a suite)."""
    points = [ScatterPoint(r["name"], r["mean_completion_tokens"], r["pass_rate"], r["ci_low"],
                           r["ci_high"], r["page"]) for r in board["rows"]]
    return score_tokens_svg(points, f"{board['name']}: pass@1 against completion tokens per answer")


def render_site(out: Path, runs: list[VerifiedRun], rows: list[dict[str, Any]]) -> None:
    """Every page; folders come from write_if_changed, readable by a web server's user."""
    from markupsafe import Markup

    env = environment()
    static = resources.files("harness.leaderboard") / "static"
    for name in STATIC_FILES:
        write_if_changed(out / "static" / name, (static / name).read_text(encoding="utf-8"))
    document = leaderboard_document(rows)
    index = env.get_template("index.html.j2").render(
        rows=rows, boards=[{**b, "matrix": task_matrix(b), "scatter": Markup(board_scatter(b))}
                           for b in document["boards"]],
        data_json=Markup(embed_json(document)), static="static", home="index.html")
    write_if_changed(out / "index.html", index)
    compare = env.get_template("compare.html.j2").render(
        data_json=Markup(embed_json(document)), static="static", home="index.html")
    write_if_changed(out / "compare.html", compare)
    by_id = {r["run_id"]: r for r in rows}
    keep = set()
    for v in runs:
        context = run_page_context(v, by_id[v.run_id])
        context["curve"] = Markup(context["curve"])
        page = out / "runs" / f"{v.run_id}.html"
        write_if_changed(page, env.get_template("run.html.j2").render(**context))
        keep.add(page.name)
        raw = out / "raw" / v.run_id
        for name in (RUN_FILE, SAMPLES_FILE):
            write_if_changed(raw / name, (v.published.folder / name).read_text(encoding="utf-8"))
    remove_stale(out, keep)


def remove_stale(out: Path, keep: set[str]) -> None:
    """Pages and raw copies of runs no longer published; only files this module writes."""
    for page in (out / "runs").glob("*.html"):
        if page.name not in keep:
            page.unlink()
    for folder in (out / "raw").glob("*/"):
        if f"{folder.name}.html" not in keep:
            for name in (RUN_FILE, SAMPLES_FILE):
                (folder / name).unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                folder.rmdir()


def build_site(results: Path, out: Path) -> BuildResult:
    """Verify every published run, then write the site, leaderboard.json and leaderboard.csv."""
    runs = check_results(results)
    rows = leaderboard_rows(runs)
    write_if_changed(out / "leaderboard.json",
                     json.dumps(leaderboard_document(rows), indent=1, ensure_ascii=False) + "\n")
    write_if_changed(out / "leaderboard.csv", csv_text(rows))
    render_site(out, runs, rows)
    return BuildResult(out=out, runs=len(runs), samples=sum(len(v.samples) for v in runs))
