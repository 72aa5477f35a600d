"""The run store: one SQLite file under the harness home (`.harness/` by default).

It holds runs and their graded samples, the LLM response cache and call log,
the execution cache and saved agent policies. Writes are small transactions,
so a killed run loses at most the sample that was in flight.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.sample import Sample

SCHEMA = """
CREATE TABLE IF NOT EXISTS exec_cache (
    key TEXT PRIMARY KEY, result TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS llm_cache (
    key TEXT PRIMARY KEY, model TEXT NOT NULL, response TEXT NOT NULL,
    finish_reason TEXT, prompt_tokens INTEGER, completion_tokens INTEGER,
    latency_s REAL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS llm_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, model TEXT NOT NULL,
    started REAL NOT NULL, latency_s REAL, prompt_tokens INTEGER, completion_tokens INTEGER,
    attempts INTEGER, error TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, created REAL NOT NULL, status TEXT NOT NULL,
    config TEXT NOT NULL, provenance TEXT NOT NULL, summary TEXT, finished REAL
);
CREATE TABLE IF NOT EXISTS samples (
    run_id TEXT NOT NULL, episode INTEGER NOT NULL, task TEXT NOT NULL, sample INTEGER NOT NULL,
    task_hash TEXT NOT NULL, template TEXT NOT NULL,
    llm_key TEXT NOT NULL, response TEXT NOT NULL, code TEXT NOT NULL,
    finish_reason TEXT, completion_tokens INTEGER, cached INTEGER NOT NULL DEFAULT 0,
    result TEXT NOT NULL, reward REAL NOT NULL, status TEXT NOT NULL,
    passed INTEGER NOT NULL, total INTEGER NOT NULL, created REAL NOT NULL,
    calls INTEGER NOT NULL DEFAULT 1, visible TEXT NOT NULL DEFAULT '',
    phase TEXT NOT NULL DEFAULT 'learn',
    PRIMARY KEY (run_id, episode, task, sample)
);
CREATE TABLE IF NOT EXISTS infra_failures (
    run_id TEXT NOT NULL, task TEXT NOT NULL, template TEXT NOT NULL, message TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS policies (
    key TEXT PRIMARY KEY, agent TEXT NOT NULL, state TEXT NOT NULL, updated REAL NOT NULL
);
"""


SAMPLE_COLUMNS = ("run_id", "episode", "task", "sample", "task_hash", "template", "llm_key",
                  "response", "code", "finish_reason", "completion_tokens", "cached", "result",
                  "reward", "status", "passed", "total", "created", "calls", "visible", "phase")
SAMPLE_COLUMNS_ADDED = {
    "calls": "INTEGER NOT NULL DEFAULT 1",
    "visible": "TEXT NOT NULL DEFAULT ''",
    "phase": "TEXT NOT NULL DEFAULT 'learn'",
}
"""Sample columns added after the first release: strategies' cost, visible checks, and
whether a sample was learned from or is a fresh evaluation answer."""


@dataclass(frozen=True)
class CachedResponse:
    """One stored LLM answer."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float


class Store:
    """Thread-safe access to the SQLite run store."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.path = self.home / "harness.sqlite"
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a file on the way, or no permission: the user picked the folder
            raise HarnessError(f"run store folder {self.home}: cannot be created "
                               f"({exc.strerror or exc}); pass another --home or set "
                               "HARNESS_HOME") from None
        try:
            self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        except sqlite3.Error as exc:  # a folder of that name, or no permission
            raise HarnessError(f"{self.path}: cannot open the run store ({exc}); pass another "
                               "--home or set HARNESS_HOME") from None
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(SCHEMA)
            self._migrate()
        except sqlite3.DatabaseError as exc:  # not a SQLite file, or one it cannot write
            self._conn.close()
            raise HarnessError(f"{self.path}: not a usable run store ({exc}); pass another "
                               "--home or set HARNESS_HOME") from None
        self._lock = threading.Lock()

    def _migrate(self) -> None:
        """Add the columns a store made by an older harness lacks (its rows keep defaults)."""
        have = {row[1] for row in self._conn.execute("PRAGMA table_info(samples)")}
        for column, ddl in SAMPLE_COLUMNS_ADDED.items():
            if column not in have:
                self._conn.execute(f"ALTER TABLE samples ADD COLUMN {column} {ddl}")
        self._conn.commit()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._conn:
            yield self._conn

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._conn.execute(sql, args).fetchone()
            return row

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # execution cache
    def get_exec(self, key: str) -> dict[str, Any] | None:
        row = self._one("SELECT result FROM exec_cache WHERE key=?", (key,))
        return json.loads(row[0]) if row else None

    def put_exec(self, key: str, result: dict[str, Any]) -> None:
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO exec_cache VALUES (?,?,?)",
                      (key, json.dumps(result), time.time()))

    # LLM cache and call log
    def get_response(self, key: str) -> CachedResponse | None:
        row = self._one("SELECT response, finish_reason, prompt_tokens, completion_tokens, "
                        "latency_s FROM llm_cache WHERE key=?", (key,))
        return CachedResponse(row[0], row[1] or "", row[2] or 0, row[3] or 0, row[4] or 0.0) if row else None

    def record_answer(self, key: str, model: str, response: CachedResponse, attempts: int) -> None:
        """Cache a fresh answer and log its call in one transaction: never one without the other."""
        now = time.time()
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO llm_cache VALUES (?,?,?,?,?,?,?,?)",
                      (key, model, response.text, response.finish_reason, response.prompt_tokens,
                       response.completion_tokens, response.latency_s, now))
            c.execute("INSERT INTO llm_calls (key, model, started, latency_s, prompt_tokens, "
                      "completion_tokens, attempts, error) VALUES (?,?,?,?,?,?,?,NULL)",
                      (key, model, now - response.latency_s, response.latency_s,
                       response.prompt_tokens, response.completion_tokens, attempts))

    def call_count(self, model: str | None = None) -> int:
        if model is None:
            row = self._one("SELECT COUNT(*) FROM llm_calls WHERE error IS NULL")
        else:
            row = self._one("SELECT COUNT(*) FROM llm_calls WHERE error IS NULL AND model=?", (model,))
        return int(row[0]) if row else 0

    # runs and samples
    def create_run(self, run_id: str, config: dict[str, Any], provenance: dict[str, Any]) -> None:
        with self._tx() as c:
            c.execute("INSERT INTO runs (id, created, status, config, provenance) VALUES (?,?,?,?,?)",
                      (run_id, time.time(), "running", json.dumps(config), json.dumps(provenance)))

    def require_run(self, run_id: str) -> dict[str, Any]:
        """The run, or an error that lists the store's recent runs."""
        run = self.get_run(run_id)
        if run is None:
            known = ", ".join(r["id"] for r in self.list_runs()[-10:]) or "none"
            raise HarnessError(f"no run '{run_id}' in {self.path}; recent runs: {known}")
        return run

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT id, created, status, config, provenance, summary, finished "
                        "FROM runs WHERE id=?", (run_id,))
        if row is None:
            return None
        return {"id": row[0], "created": row[1], "status": row[2], "config": json.loads(row[3]),
                "provenance": json.loads(row[4]), "summary": json.loads(row[5] or "null"),
                "finished": row[6]}

    def list_runs(self) -> list[dict[str, Any]]:
        rows = self._all("SELECT id FROM runs ORDER BY created")
        return [run for (run_id,) in rows if (run := self.get_run(run_id))]

    def finish_run(self, run_id: str, status: str, summary: dict[str, Any]) -> None:
        with self._tx() as c:
            c.execute("UPDATE runs SET status=?, summary=?, finished=? WHERE id=?",
                      (status, json.dumps(summary), time.time(), run_id))

    def add_sample(self, run_id: str, sample: Sample) -> bool:
        """Record one graded sample; False if that (episode, task, sample) was already recorded."""
        row = sample.to_row()
        with self._tx() as c:
            cur = c.execute(
                f"INSERT OR IGNORE INTO samples ({', '.join(SAMPLE_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(SAMPLE_COLUMNS))})",
                (run_id, row["episode"], row["task"], row["sample"], row["task_hash"],
                 row["template"], row["llm_key"], row["response"], row["code"],
                 row["finish_reason"], row["completion_tokens"], int(row["cached"]),
                 json.dumps(row["result"]), row["reward"], row["status"], row["passed"],
                 row["total"], time.time(), row["calls"], row["visible"], row["phase"]))
            return cur.rowcount == 1

    def samples(self, run_id: str, phase: str | None = "learn") -> list[Sample]:
        """A run's samples in arrival order: the learning ones by default, every phase with None."""
        where, args = ("run_id=?", (run_id,)) if phase is None else ("run_id=? AND phase=?", (run_id, phase))
        rows = self._all(f"SELECT {', '.join(SAMPLE_COLUMNS)} FROM samples WHERE {where} "
                         "ORDER BY created, episode, task, sample", args)
        out = []
        for row in rows:
            record = dict(zip(SAMPLE_COLUMNS, row, strict=True))
            record["result"] = json.loads(record["result"])
            out.append(Sample.from_row(record))
        return out

    def add_infra_failure(self, run_id: str, task: str, template: str, message: str) -> None:
        """Count a sandbox failure: shown in reports, never a sample or a reward."""
        with self._tx() as c:
            c.execute("INSERT INTO infra_failures VALUES (?,?,?,?,?)",
                      (run_id, task, template, message[:500], time.time()))

    def infra_failures(self, run_id: str) -> int:
        row = self._one("SELECT COUNT(*) FROM infra_failures WHERE run_id=?", (run_id,))
        return int(row[0]) if row else 0

    # policies
    def get_policy(self, key: str) -> dict[str, Any] | None:
        row = self._one("SELECT agent, state FROM policies WHERE key=?", (key,))
        return {"agent": row[0], "state": json.loads(row[1])} if row else None

    def put_policy(self, key: str, agent: str, state: dict[str, Any]) -> None:
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO policies VALUES (?,?,?,?)",
                      (key, agent, json.dumps(state), time.time()))
