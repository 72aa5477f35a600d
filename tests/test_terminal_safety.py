"""Model- and candidate-derived text reaches the terminal literally.

A candidate's exception text used to be rendered as rich markup: `[/oops]` crashed
`harness eval`, `[link=...]` became a hyperlink, and escape sequences passed through
to the user's terminal. `harness.console.plain` is the one way such text is shown.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from harness.cli import cli
from harness.cli.run_view import pass_at_k_table
from harness.console import grade_table, plain
from harness.grading.results import GradeResult
from harness.grading.results import TestResult as Outcome  # not collected as a test class
from harness.sample import Sample
from tests.conftest import TASKS_DIR

HOSTILE = "[/oops] [link=http://x]x[/link] \x1b[31mred"
LITERAL = "[/oops] [link=http://x]x[/link] red"


def render(renderable: object, terminal: bool = True) -> str:
    """What a user's terminal would receive (colours on, so hyperlinks would be emitted)."""
    out = io.StringIO()
    Console(file=out, force_terminal=terminal, color_system="truecolor", width=300,
            highlight=False).print(renderable)
    return out.getvalue()


def assert_literal(output: str) -> None:
    assert LITERAL in output, output
    # rich colours the status column itself; the candidate's own sequence must be gone
    assert "\x1b[31mred" not in output and "\x1b]8;" not in output, repr(output)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (HOSTILE, LITERAL),
        ("\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "click"),  # OSC 8 hyperlink
        ("\x1b]0;new title\x07after", "after"),  # window title
        ("a\x9b31mb", "a31mb"),  # 8-bit CSI
        ("keep\ttab\nand newline\r\x00\x07\x08", "keep\ttab\nand newline"),
        ("\u202eevil\u202c", "evil"),  # bidi override shows text reversed
        ("\x1bc reset", " reset"),
        ("dangling \x1b", "dangling "),
        (":smile: [bold]x[/]", ":smile: [bold]x[/]"),  # no emoji codes, no markup either
    ],
)
def test_plain_removes_escapes_and_controls_and_keeps_markup_literal(text: str, shown: str) -> None:
    assert plain(text).plain == shown
    assert shown.expandtabs(8) in render(plain(text), terminal=False)


def test_plain_is_linear_on_unterminated_sequences() -> None:
    for text in ("\x1b[" + "0" * 100_000, "\x1b]" * 50_000, "\x1bP" + "\x1b" * 100_000):
        assert "\x1b" not in plain(text).plain


def test_grade_table_shows_a_candidate_message_literally() -> None:
    failed = GradeResult(
        syntax_ok=True, status="failed", passed=0, total=1,
        tests=(Outcome("test_basic", "failed", 0.01, f"ValueError: {HOSTILE}"),),
    )
    crashed = GradeResult(syntax_ok=False, status="syntax_error", message=HOSTILE)
    output = render(grade_table([("[/f].py", failed), ("b.py", crashed)], title="[/t]"))
    assert_literal(output)
    assert "[/f].py" in output and "[/t]" in output


def test_report_tables_show_task_names_literally() -> None:
    sample = Sample.from_row({
        "episode": 0, "task": HOSTILE, "sample": 0, "task_hash": "h", "template": HOSTILE,
        "llm_key": "k", "response": "", "code": "", "reward": 0.0,
        "result": {"syntax_ok": True, "status": "failed"}})
    output = render(pass_at_k_table([sample]))
    assert_literal(output)


@pytest.mark.docker
def test_eval_table_survives_a_hostile_exception_message(tmp_path: Path) -> None:
    code = tmp_path / "hostile.py"
    code.write_text(f"def sort_ints(xs):\n    raise ValueError({HOSTILE!r})\n")
    args = ["eval", "--task", "sort_ints", str(code), "--tasks-dir", str(TASKS_DIR),
            "--home", str(tmp_path / "h")]
    result = CliRunner().invoke(cli, args, env={"COLUMNS": "400"})
    assert result.exception is None, result.output  # MarkupError before
    assert result.exit_code == 0, result.output  # graded as failed: not an error of eval
    assert_literal(result.output)
    assert "\x1b" not in result.output  # not a terminal: no escape of any kind
    as_json = CliRunner().invoke(cli, [*args, "--json"])
    assert as_json.exit_code == 0 and "\x1b" not in as_json.output
    (record,) = [json.loads(line) for line in as_json.output.splitlines() if line.startswith("{")]
    assert record["status"] == "error"  # the candidate raised
    assert any(HOSTILE in t["message"] for t in record["tests"])  # the record keeps the raw text


def test_tasks_show_and_list_print_a_hostile_task_literally(tmp_path: Path) -> None:
    """A user's (or an imported) task folder is text the terminal must not interpret."""
    import shutil

    from tests.conftest import TASKS_DIR

    folder = tmp_path / "sort_ints"
    shutil.copytree(TASKS_DIR / "sort_ints", folder)
    toml = (folder / "task.toml").read_text()
    (folder / "task.toml").write_text(toml.replace('description = """', 'description = """[/oops] \\u001b[31mred ', 1))
    for args in (["tasks", "show", "sort_ints"], ["tasks", "list"]):
        result = CliRunner().invoke(cli, [*args, "--tasks-dir", str(tmp_path)])
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output
    show = CliRunner().invoke(cli, ["tasks", "show", "sort_ints", "--tasks-dir", str(tmp_path)])
    assert "[/oops]" in show.output
