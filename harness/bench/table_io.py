"""Answer tables on disk: (gzip) JSONL rows with a meta file beside them, and the complete
part of a table still being recorded.

`harness bench record` rewrites its table every 25 rows while it runs, and records
every cell's first chunk of samples before any cell's second, so a partial table is
balanced but some (task, template, temperature) cells are still empty. The replay needs
every arm on every task, so it keeps the largest complete block: the temperatures and
tasks for which every template has answers, and says what it dropped.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

from harness.bench.table import V1_TEMPERATURE, AnswerTable, GradedAnswer, column_parts
from harness.errors import HarnessError

DEFAULT_TABLE = Path("bench/tables/responses.jsonl.gz")
"""The recorded table `harness bench agents` replays unless told otherwise."""


def meta_path(path: Path) -> Path:
    """`responses.jsonl.gz` -> `responses.meta.json` (beside the table)."""
    name = path.name
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return path.with_name(f"{name}.meta.json")


def _open_text(path: Path, mode: str) -> io.TextIOBase:
    if path.suffix == ".gz":
        # a TextIOWrapper either way: mypy knows that only for a literal mode, not for `mode`
        return cast(io.TextIOBase, gzip.open(path, mode + "t", encoding="utf-8"))
    return cast(io.TextIOBase, open(path, mode, encoding="utf-8"))  # noqa: SIM115


def load_table(path: Path | str) -> AnswerTable:
    """Read a (gzip) JSONL response table and its optional meta file; every cell must be there
    (`load_complete` keeps the complete part of a table still recording)."""
    rows, meta = read_rows(path)
    return AnswerTable.from_rows(rows, meta, where=str(path))


def read_rows(path: Path | str) -> tuple[list[GradedAnswer], dict[str, Any]]:
    """The validated rows of a (gzip) JSONL response table, and its meta file (or {})."""
    path = Path(path)
    if not path.is_file():
        raise HarnessError(
            f"{path}: no response table; record one with `harness bench record` "
            "(or pass --table FILE)"
        )
    meta: dict[str, Any] = {}
    if (mp := meta_path(path)).is_file():
        try:
            meta = json.loads(mp.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise HarnessError(f"{mp}: invalid JSON ({exc})") from None
    rows: list[GradedAnswer] = []
    try:
        with _open_text(path, "r") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise HarnessError(f"{path}:{number}: invalid JSON ({exc})") from None
                if not isinstance(data, dict):
                    raise HarnessError(f"{path}:{number}: expected a JSON object per line")
                rows.append(GradedAnswer.from_dict(data, f"{path}:{number}"))
    except (OSError, EOFError) as exc:  # a truncated or non-gzip file
        raise HarnessError(f"{path}: cannot be read ({exc})") from None
    except UnicodeDecodeError as exc:  # json.JSONDecodeError is caught above, per line
        raise HarnessError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); expected "
                           "JSON lines of a response table") from None
    return rows, meta


def save_table(
    rows: Iterable[GradedAnswer | Mapping[str, Any]], path: Path | str,
    meta: Mapping[str, Any] | None = None,
) -> Path:
    """Write rows as (gzip) JSONL and `meta` beside it; atomic, so a killed write leaves no half
    file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    items = [r if isinstance(r, GradedAnswer) else GradedAnswer.from_dict(r) for r in rows]
    table = AnswerTable.from_rows(items, meta, where=str(path))  # validate before writing
    tmp = path.with_name(path.name + ".tmp" + (".gz" if path.suffix == ".gz" else ""))
    with _open_text(tmp, "w") as fh:
        for row in items:
            fh.write(json.dumps(row.to_dict(), sort_keys=True) + "\n")
    tmp.replace(path)
    full_meta = {
        "tasks": list(table.tasks),
        "templates": list(table.templates),
        "rows": len(items),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),  # noqa: UP017
        **dict(meta or {}),
    }
    mp = meta_path(path)
    mp.with_suffix(".tmp").write_text(json.dumps(full_meta, indent=2, sort_keys=True))
    mp.with_suffix(".tmp").replace(mp)
    return path


def complete_block(
    rows: Sequence[GradedAnswer], temperatures: Sequence[float] | None = None, min_answers: int = 1
) -> tuple[list[GradedAnswer], list[str]]:
    """The rows of the largest complete (tasks x templates x temperatures) block, and notes.

    Among the subsets of the temperatures present (or asked for), the one that keeps the
    most tasks with every template at >= `min_answers` answers (and at least 2 tasks) wins;
    ties keep more temperatures. Tasks first: the figures are averages over tasks, and a
    temperature still recording on some tasks must not narrow a replay to those tasks (and
    change what a committed command prints as rows arrive). Templates are all the table has.
    """
    notes: list[str] = []

    def temp(row: GradedAnswer) -> float:
        return V1_TEMPERATURE if row.temperature is None else row.temperature

    present = sorted({temp(r) for r in rows})
    if temperatures:
        missing = [t for t in temperatures if t not in present]
        if missing:
            raise HarnessError(
                f"temperature(s) {', '.join(f'{t:g}' for t in missing)} not in the table "
                f"(it has {', '.join(f'{t:g}' for t in present) or 'none'})"
            )
        rows = [r for r in rows if temp(r) in temperatures]
        present = sorted(set(temperatures))
    counts: dict[tuple[str, str, float], int] = {}
    tasks: dict[str, None] = {}
    templates: dict[str, None] = {}
    for r in rows:
        key = (r.task, r.template, temp(r))
        counts[key] = counts.get(key, 0) + 1
        tasks.setdefault(r.task, None)
        templates.setdefault(r.template, None)
    best: tuple[tuple[int, int], tuple[float, ...], tuple[str, ...]] | None = None
    for size in range(len(present), 0, -1):
        for temps in itertools.combinations(present, size):
            kept = tuple(
                t for t in tasks
                if all(counts.get((t, a, x), 0) >= min_answers for a in templates for x in temps)
            )
            score = (len(kept), len(temps))
            if len(kept) >= 2 and (best is None or score > best[0]):
                best = (score, temps, kept)
    if best is None:
        raise HarnessError(
            f"the table has fewer than 2 tasks with every template at >= {min_answers} answer(s) "
            "per temperature; let the recording run longer"
        )
    _, temps, kept = best
    dropped = [t for t in tasks if t not in kept]
    if dropped:
        notes.append(f"{len(dropped)} task(s) with missing cells left out (still recording?): "
                     f"{', '.join(dropped)}")
    if len(temps) < len(present):
        notes.append(f"temperature(s) {', '.join(f'{t:g}' for t in present if t not in temps)} "
                     "left out: too few complete tasks there yet")
    keep_tasks, keep_temps = set(kept), set(temps)
    block = [r for r in rows if r.task in keep_tasks and temp(r) in keep_temps]
    # Every cell at the block's fewest answers (the first ones recorded): cells weigh the same,
    # and a replay of a table still recording prints the same until a whole round completes.
    fewest = min(counts[(t, a, x)] for t in kept for a in templates for x in temps)
    block.sort(key=lambda r: (r.task, r.template, temp(r), r.sample))
    seen: dict[tuple[str, str, float], int] = {}
    trimmed = []
    for r in block:
        key = (r.task, r.template, temp(r))
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= fewest:
            trimmed.append(r)
    if len(trimmed) < len(block):
        notes.append(f"every cell cut to the block's fewest answers ({fewest}): "
                     f"{len(block) - len(trimmed)} later answer(s) left out until their round "
                     "completes")
    return trimmed, notes


def repair_path(table: Path) -> Path:
    """`responses_v2.jsonl.gz` -> `responses_v2.repair.jsonl.gz`: the table's repair rounds
    (`harness bench record --repair`)."""
    return table.with_name(table.name.removesuffix(".jsonl.gz") + ".repair.jsonl.gz")


def with_repairs(table: AnswerTable, path: Path | str) -> tuple[AnswerTable, list[str]]:
    """The table with the repair rounds recorded beside `path` for its answers, and a note when
    some that `repair` needs are missing (it is then not played)."""
    from harness.bench.strategies import missing_repairs

    source = repair_path(Path(path))
    if not source.is_file():
        return table, []
    rows, meta = read_rows(source)
    from harness.loop.strategies import REPAIR_TURN_VERSION

    def params(of: Mapping[str, Any]) -> Any:  # noqa: ANN401 - the plan's params, as recorded
        plan = of.get("plan")
        return plan.get("params") if isinstance(plan, dict) else None

    differ = [k for k in ("model", "endpoint", "prompts") if meta.get(k) != table.meta.get(k)]
    differ += ["sampling parameters"] * (params(meta) != params(table.meta))
    differ += ["repair prompt"] * (meta.get("repair_turn") != REPAIR_TURN_VERSION)
    if differ:
        return table, [f"{source}: recorded with another {', '.join(differ)} than the table's: not "
                       "used (`harness bench record --repair` records them again)"]
    answers = {(t, c, r.sample) for (t, c), cell in table.cells.items() for r in cell}
    repairs = {(r.task, r.column, r.sample): r for r in rows
               if (r.task, r.column, r.sample) in answers
               and r.task_hash == table.cells[(r.task, r.column)][0].task_hash}
    table = replace(table, repairs=repairs)
    missing = missing_repairs(table)
    if not missing:
        return table, []
    return table, [f"{source}: {missing} of {missing + len(repairs)} repair rounds still to record "
                   "(`harness bench record --repair`): no 'repair' strategies"]


def load_complete(
    path: Path | str, temperatures: Sequence[float] | None = None, min_answers: int = 1
) -> tuple[AnswerTable, list[str]]:
    """A v1 or v2 table as an AnswerTable of its complete block (see `complete_block`)."""
    rows, meta = read_rows(path)
    if not rows:
        raise HarnessError(f"{path}: the table has no rows")
    kept, notes = complete_block(rows, temperatures, min_answers)
    table, repair_notes = with_repairs(AnswerTable.from_rows(kept, ordering(meta, kept), where=str(path)),
                                       path)
    return table, notes + repair_notes


def ordering(meta: Mapping[str, Any], rows: Sequence[GradedAnswer]) -> dict[str, Any]:
    """The meta with task and column orders for exactly the kept rows: the plan's order
    (templates, then temperatures) where it has one, else first appearance."""
    found = meta.get("plan")
    plan: dict[str, Any] = found if isinstance(found, dict) else {}
    tasks = list(dict.fromkeys(r.task for r in rows))
    columns = list(dict.fromkeys(r.column for r in rows))
    planned_tasks = plan.get("tasks") or meta.get("tasks") or []
    planned_templates = plan.get("templates") or meta.get("templates") or []
    if isinstance(planned_tasks, list | dict):
        rank = {name: i for i, name in enumerate(planned_tasks)}
        tasks.sort(key=lambda t: rank.get(t, len(rank)))
    if isinstance(planned_templates, list):
        rank = {name: i for i, name in enumerate(planned_templates)}
        columns.sort(key=lambda c: (rank.get(column_parts(c)[0], len(rank)), column_parts(c)[1]))
    return {**meta, "tasks": tasks, "templates": columns}
