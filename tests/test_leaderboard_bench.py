"""bench/leaderboard_build.py's synthetic results folder: `check` accepts it and the site builds."""

from __future__ import annotations

import json
from pathlib import Path


def test_synthetic_results_check_and_build(tmp_path: Path) -> None:
    from bench.leaderboard_build import generate, io_floor, run_id, task_hash, task_name
    from harness.leaderboard.build import build_site
    from harness.leaderboard.check import check_results

    results = tmp_path / "results"
    assert generate(results, runs=2, tasks=3, samples=4) == 2 * 3 * 4
    assert sorted(p.name for p in results.iterdir()) == sorted({run_id(0), run_id(1)})

    verified = check_results(results)  # raises on any claim the samples do not give
    assert [len(v.samples) for v in verified] == [12, 12]
    for v in verified:
        prov = v.run["provenance"]
        assert prov["tasks"] == [task_name(i) for i in range(3)] == ["task_000", "task_001", "task_002"]
        assert prov["task_hashes"] == {t: task_hash(t) for t in prov["tasks"]}
        assert all(s.task_hash == prov["task_hashes"][s.task] for s in v.samples)
    assert io_floor(results) == 2 + 2 * 12

    built = build_site(results, tmp_path / "site")
    assert (built.runs, built.samples) == (2, 24)
    assert built.index.is_file()
    assert {p.stem for p in (tmp_path / "site" / "runs").glob("*.html")} == {run_id(0), run_id(1)}
    rows = json.loads((tmp_path / "site" / "leaderboard.json").read_text())["rows"]
    assert len(rows) == 2 and len({r["suite_hash"] for r in rows}) == 1  # one board
