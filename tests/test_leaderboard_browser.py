"""The built leaderboard in headless chromium: one table per suite, sorting, filters, search, row details,
run pages, no errors.

Drives Debian's /usr/bin/chromium through playwright (never `playwright install`).
The site is served on 127.0.0.1 and also opened from file://; any request that
leaves the local server fails the test. HARNESS_SCREENSHOTS=1 rewrites the two
screenshots in leaderboard/screenshots/ used by the README.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, require_file, require_module
from tests.test_leaderboard import Lab, Mixed, make_lab, make_mixed

pytestmark = [pytest.mark.browser, pytest.mark.docker]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
SCREENSHOTS = ROOT / "leaderboard" / "screenshots"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return make_lab(tmp_path_factory.getbasetemp() / "leaderboard-lab")


@pytest.fixture(scope="module")
def mixed(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Mixed:
    return make_mixed(lab, tmp_path_factory.getbasetemp() / "leaderboard-mixed")


def serve(site: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def server(lab: Lab) -> Iterator[str]:
    yield from serve(lab.site)


@pytest.fixture(scope="module")
def mixed_server(mixed: Mixed) -> Iterator[str]:
    yield from serve(mixed.site)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless chromium; without playwright or Debian's chromium: skip locally, fail in CI."""
    sync_api = require_module("playwright.sync_api", 'pip install -e ".[dev]"')
    require_file(CHROMIUM, "apt-get install chromium")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Page:
    """A page that records console errors, page errors and requests leaving `allowed`."""

    def __init__(self, browser: Any, allowed: str) -> None:  # noqa: ANN401
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: None if r.url.startswith(allowed) or r.url.startswith("data:")
                     else self.foreign.append(r.url))

    def close(self) -> None:
        assert self.errors == [], self.errors
        assert self.foreign == [], f"requests outside the site: {self.foreign}"
        self.context.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:  # noqa: ANN401
    wrapper = Page(browser, server)
    yield wrapper.page
    wrapper.close()


def shown_ids(page: Any, table: str = "table.board") -> list[str]:  # noqa: ANN401
    return page.locator(f"{table} tbody tr.run-row").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-run-id'))")


def board(lab: Lab) -> list[dict[str, Any]]:
    return json.loads((lab.site / "leaderboard.json").read_text())["rows"]


def test_table_sorts_filters_searches_and_expands(page: Any, server: str, lab: Lab) -> None:  # noqa: ANN401
    rows = board(lab)
    page.goto(f"{server}/index.html")
    assert shown_ids(page) == [r["run_id"] for r in rows]  # ranked
    assert page.locator("#count").inner_text() == "showing 3 of 3 runs"

    header = page.locator('table.board th[data-key="mean_completion_tokens"]')
    header.click()
    by_tokens = sorted(rows, key=lambda r: (-r["mean_completion_tokens"], -r["rank"]))
    assert shown_ids(page) == [r["run_id"] for r in by_tokens]
    assert header.get_attribute("aria-sort") == "descending"
    header.click()
    assert shown_ids(page) == [r["run_id"] for r in reversed(by_tokens)]
    assert shown_ids(page) != [r["run_id"] for r in by_tokens]
    page.locator('table.board th[data-key="name"]').click()
    assert shown_ids(page) == [r["run_id"] for r in sorted(rows, key=lambda r: r["name"])]

    page.select_option("#filter-model", "fake-large")
    assert shown_ids(page) == [lab.runs["large / bare prompt"]]
    page.select_option("#filter-model", "")
    page.select_option("#filter-agent", "ucb1")
    assert shown_ids(page) == [lab.runs["small / ucb1"]]
    page.select_option("#filter-agent", "")
    assert len(shown_ids(page)) == 3

    page.fill("#search", "thompson")
    assert shown_ids(page) == [lab.runs["small / thompson"]]
    page.fill("#search", "no such run anywhere")
    assert shown_ids(page) == []
    assert page.locator("#empty").is_visible()
    page.fill("#search", "")
    assert len(shown_ids(page)) == 3

    page.locator('table.board th[data-key="rank"]').click()
    target = rows[0]
    assert page.locator("tr.detail-row").count() == 0
    page.locator(f'tr.run-row[data-run-id="{target["run_id"]}"] td.col-model').click()
    details = page.locator(f"#details-{target['run_id']}")
    assert details.is_visible()
    text = details.text_content()
    for needle in ("git_commit", target["provenance"]["git_commit"], "sandbox_image", "task_hashes",
                   "sort_ints", "is_palindrome", "best template"):
        assert needle in text
    assert page.locator(".expander[aria-expanded='true']").count() == 1
    if os.environ.get("HARNESS_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "index.png"), full_page=True)
    page.locator(f'tr.run-row[data-run-id="{target["run_id"]}"] .expander').click()
    assert page.locator("tr.detail-row").count() == 0


def test_index_plots_score_against_tokens(page: Any, server: str, lab: Lab) -> None:  # noqa: ANN401
    page.goto(f"{server}/index.html")
    plot = page.locator("svg.score-tokens")
    assert plot.locator("circle").count() == 3
    assert plot.bounding_box()["width"] > 300
    page.locator("svg.score-tokens a.run-point circle").first.click()
    page.wait_for_url("**/runs/*.html")
    assert page.locator("figure#learning-curve svg").count() == 1


def test_run_page_shows_curve_tables_and_prompt(page: Any, server: str, lab: Lab) -> None:  # noqa: ANN401
    run_id = lab.runs["small / thompson"]
    page.goto(f"{server}/runs/{run_id}.html")
    curve = page.locator("figure#learning-curve svg")
    assert curve.is_visible()
    assert curve.locator("circle").count() >= 3
    assert curve.locator("polyline").count() >= 1
    assert curve.bounding_box()["height"] > 200
    assert page.locator("#per-task tbody tr").count() == 2
    header = page.locator("#per-template th").nth(2)
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    rewards = page.locator("#per-template tbody tr td:nth-child(3)").all_inner_texts()
    assert [float(x) for x in rewards] == sorted((float(x) for x in rewards), reverse=True)
    prompt = page.locator("details.prompt[open]").first
    assert "sort" in prompt.inner_text() or "palindrome" in prompt.inner_text()
    assert "git_commit" in page.locator("dl.provenance").inner_text()
    if os.environ.get("HARNESS_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "run.png"), full_page=True)
    with page.expect_response("**/raw/**/samples.jsonl") as response:
        page.locator("a", has_text="samples.jsonl").click()
    assert response.value.ok


def test_site_works_from_file_urls(browser: Any, lab: Lab) -> None:  # noqa: ANN401
    wrapper = Page(browser, "file://")
    page = wrapper.page
    page.goto((lab.site / "index.html").as_uri())
    assert len(shown_ids(page)) == 3
    matrix = page.locator("table.matrix")
    assert matrix.count() == 1 and matrix.is_visible()  # plain HTML and CSS: no server, no script needed
    assert matrix.locator("tbody td").count() == 2 * 3
    page.locator("table.board tbody a").first.click()
    page.wait_for_url("**/runs/*.html")
    assert page.locator("figure#learning-curve svg circle").count() >= 1
    wrapper.close()


def test_index_shows_one_table_per_suite(browser: Any, mixed_server: str, mixed: Mixed) -> None:  # noqa: ANN401
    wrapper = Page(browser, mixed_server)
    page = wrapper.page
    boards = json.loads((mixed.site / "leaderboard.json").read_text())["boards"]
    page.goto(f"{mixed_server}/index.html")
    tables = page.locator("table.board")
    assert tables.count() == len(boards) == 2
    for i, b in enumerate(boards):
        table = f'table.board[data-suite-hash="{b["hash"]}"]'
        assert page.locator(table).evaluate("t => t.closest('section').querySelector('h2').textContent") == b["name"]
        assert shown_ids(page, table) == [r["run_id"] for r in b["rows"]]  # only its own runs, ranked
        ranks = page.locator(f"{table} tbody td.col-rank").all_inner_texts()
        assert ranks == [str(n) for n in range(1, len(b["rows"]) + 1)]  # ranks restart per suite
        assert b["hash"] in page.locator(".suite-meta").nth(i).inner_text()
    assert page.locator("#count").inner_text() == "showing 5 of 5 runs"

    first, second = (f'table.board[data-suite-hash="{b["hash"]}"]' for b in boards)
    page.locator(f'{first} th[data-key="name"]').click()  # sorting one table leaves the other alone
    assert shown_ids(page, first) == [r["run_id"] for r in sorted(boards[0]["rows"], key=lambda r: r["name"])]
    assert shown_ids(page, second) == [r["run_id"] for r in boards[1]["rows"]]
    assert page.locator(f'{second} th[data-key="rank"]').get_attribute("aria-sort") == "ascending"

    page.fill("#search", "solo")  # a filter that leaves one suite empty hides that suite's section
    assert not page.locator(first).is_visible() and page.locator(second).is_visible()
    assert shown_ids(page, second) == [r["run_id"] for r in boards[1]["rows"]]
    assert page.locator("#count").inner_text() == "showing 2 of 5 runs"
    page.fill("#search", "")
    assert page.locator(first).is_visible() and len(shown_ids(page)) == 5
    wrapper.close()


def test_index_shows_a_task_matrix_per_board(browser: Any, mixed_server: str, mixed: Mixed) -> None:  # noqa: ANN401
    wrapper = Page(browser, mixed_server)
    page = wrapper.page
    boards = json.loads((mixed.site / "leaderboard.json").read_text())["boards"]
    page.goto(f"{mixed_server}/index.html")
    assert page.locator("table.matrix").count() == len(boards) == 2
    for b in boards:
        matrix = page.locator(f'table.matrix[data-suite-hash="{b["hash"]}"]')
        matrix.scroll_into_view_if_needed()
        assert matrix.is_visible()
        assert matrix.locator("tbody td").count() == len(b["tasks"]) * len(b["rows"])
        assert matrix.locator("tbody th").all_inner_texts() == b["tasks"]
        assert matrix.locator("thead th.matrix-run").evaluate_all(
            "hs => hs.map(h => h.getAttribute('data-run-id'))") == [r["run_id"] for r in b["rows"]]
        # the matrix sits in its board's section, under that board's table
        assert matrix.evaluate("m => m.closest('section').querySelector('table.board').dataset.suiteHash") == b["hash"]
        for row in b["rows"]:
            for t in row["per_task"]:
                task = t["task"]
                cell = matrix.locator(f'tr[data-task="{task}"] td[data-run-id="{row["run_id"]}"]')
                assert float(cell.inner_text()) == pytest.approx(t["pass_rate"], abs=0.005)
                assert f"pass@1 {t['pass_rate']:.3f}" in cell.get_attribute("title")
                assert f"{t['samples']} samples" in cell.get_attribute("title")
                colour = cell.evaluate("c => getComputedStyle(c).backgroundColor")
                assert colour not in ("rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)")
    legend = page.locator(".matrix-legend .swatch")
    assert legend.count() == 2 * 11 and legend.first.inner_text() == "0" and legend.nth(10).inner_text() == "1"
    red, green = (legend.nth(i).evaluate("s => getComputedStyle(s).backgroundColor") for i in (0, 10))
    assert red != green
    page.fill("#search", "solo")  # a board hidden by the filters hides its matrix with it
    assert not page.locator(f'table.matrix[data-suite-hash="{boards[0]["hash"]}"]').is_visible()
    assert page.locator(f'table.matrix[data-suite-hash="{boards[1]["hash"]}"]').is_visible()
    wrapper.close()


def test_compare_page_pairs_two_runs_task_by_task(page: Any, server: str, lab: Lab) -> None:  # noqa: ANN401
    rows = board(lab)
    page.goto(f"{server}/index.html")
    learned = next(r for r in rows if r["agent"] == "thompson")
    cell = page.locator(f'tr.run-row[data-run-id="{learned["run_id"]}"] td.col-uplift')
    assert cell.inner_text().startswith(f"{learned['uplift']:+.3f}")  # fresh answers vs the default
    page.locator("a.compare-link").first.click()
    page.wait_for_url("**/compare.html?*")
    assert page.locator("#compare-a").input_value() == rows[1]["run_id"]
    assert page.locator("#compare-b").input_value() == rows[0]["run_id"]
    page.select_option("#compare-a", lab.runs["large / bare prompt"])
    page.select_option("#compare-b", lab.runs["small / ucb1"])
    a = next(r for r in rows if r["run_id"] == lab.runs["large / bare prompt"])
    b = next(r for r in rows if r["run_id"] == lab.runs["small / ucb1"])
    pa = {t["task"]: t["pass_rate"] for t in a["per_task"]}
    pb = {t["task"]: t["pass_rate"] for t in b["per_task"]}
    lines = page.locator("#compare-body tr")
    assert lines.count() == 2
    for i, task in enumerate(sorted(pa)):
        cells = lines.nth(i).locator("td").all_inner_texts()
        assert cells[0] == task and float(cells[3]) == pytest.approx(pb[task] - pa[task], abs=1e-3)
    diff = sum(pb[t] - pa[t] for t in pa) / len(pa)
    text = page.locator("#compare-diff").inner_text()
    point, interval = text.split(" [")
    low, high = (float(x) for x in interval.rstrip("]").split(", "))
    assert float(point) == pytest.approx(diff, abs=1e-3) and low <= float(point) <= high
    assert page.locator("#compare-verdict").inner_text().startswith(("B beats A", "B is worse", "no evidence"))
    assert f"a={a['run_id']}" in page.url and f"b={b['run_id']}" in page.url


def test_compare_page_switches_suites(browser: Any, mixed_server: str, mixed: Mixed) -> None:  # noqa: ANN401
    wrapper = Page(browser, mixed_server)
    page = wrapper.page
    page.goto(f"{mixed_server}/compare.html")
    boards = json.loads((mixed.site / "leaderboard.json").read_text())["boards"]
    assert page.locator("#compare-suite option").count() == len(boards) == 2
    page.select_option("#compare-suite", "1")
    ids = page.locator("#compare-a option").evaluate_all("o => o.map(x => x.value)")
    assert ids == [r["run_id"] for r in boards[1]["rows"]]
    assert page.locator("#compare-body tr").count() == len(boards[1]["tasks"])
    wrapper.close()
