"""The template space: ids, presets, arm spaces, and what rendered prompts contain."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.prompts.components import ALIASES, PRESETS
from harness.prompts.examples import solved_example_for
from harness.prompts.fields import edge_cases, request_clause, signature_of
from harness.prompts.space import default_space, render, template_text
from harness.tasks.load import Task, load_task

TASKS = Path(__file__).resolve().parent.parent / "tasks"


@pytest.fixture(scope="module")
def task() -> Task:
    return load_task(TASKS / "sort_ints")


@pytest.fixture(scope="module")
def bare_task(task: Task) -> Task:
    """A task with only the required keys."""
    return dataclasses.replace(
        task,
        name="plain",
        description="Given a list of integers, return them sorted.\nKeep duplicates.",
        signature="",
        examples=(),
        hints=(),
        tags=(),
    )


def user(messages: list[dict[str, str]]) -> str:
    assert [m["role"] for m in messages] == ["system", "user"]
    assert all(m["content"].strip() for m in messages)
    return messages[1]["content"]


def test_space_size_and_ids() -> None:
    space = default_space()
    assert len(space.components) >= 6
    assert len(space.templates) >= 64
    assert len(set(space.ids)) == len(space.ids)
    for template in space.templates[:: max(1, len(space.templates) // 40)]:
        assert space.get(template.id) == template
    assert {"bare", "specific"} <= {t.id for t in space.named}


def test_unknown_template_lists_valid_ids() -> None:
    with pytest.raises(HarnessError, match="bare.*specific"):
        default_space().get("nope")
    with pytest.raises(HarnessError):
        default_space().get("p9-o0-d0-s0-e0-c0-h0-f0")


def test_aliases_resolve_to_factored_ids() -> None:
    space = default_space()
    for alias, template_id in ALIASES.items():
        assert space.get(alias).id == template_id


def test_arm_space_maps_factors_back_to_arms() -> None:
    space = default_space()
    arms = space.arm_space()
    assert arms.n_arms == len(space.templates)
    assert arms.labels == space.ids
    assert arms.factor_sizes == tuple(len(c.options) for c in space.components)
    for i in (0, 7, arms.n_arms - 1):
        assert arms.arm_of(space.templates[i].factors) == i  # type: ignore[arg-type]


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_restrict_the_arms(preset: str) -> None:
    space = default_space(preset)
    assert space.preset == preset
    assert 1 <= len(space.templates) <= len(default_space().templates)
    arms = space.arm_space()
    assert arms.factor_sizes == default_space().arm_space().factor_sizes  # PPO heads unchanged
    assert len(default_space("content").templates) == 16


def test_unknown_preset() -> None:
    with pytest.raises(HarnessError, match="content"):
        default_space("nope")


def test_subset_with_named_templates_is_flat() -> None:
    space = default_space().subset(["bare", "specific", "reference"])
    assert space.ids == ("bare", "specific", ALIASES["reference"])
    arms = space.arm_space()
    assert arms.factor_sizes == (3,) and arms.arm_of((2,)) == 2
    assert space.index("specific") == 1
    with pytest.raises(HarnessError, match="not an arm"):
        space.index("minimal")
    task = load_task(TASKS / "sort_ints")
    assert space.messages(0, task) == render(space.get("bare"), task)


def test_every_template_names_the_function(task: Task, bare_task: Task) -> None:
    space = default_space()
    for template in space.templates + space.named:
        for t in (task, bare_task):
            text = user(render(template, t))
            named = f"def {t.entry_point}(" if template.id == "native" else f"`{t.entry_point}`"
            assert named in text
            assert not re.search(r"\{[a-z_]+\}", text), "an unfilled field"


def test_components_change_the_prompt(task: Task) -> None:
    space = default_space()
    off = user(render(space.get("p0-o0-d0-s0-e0-c0-h0-f0"), task))
    assert off == (
        "Write a Python function `sort_ints` to return a new list with the integers of `xs` "
        "in ascending order."
    )
    on = render(space.get("full"), task)
    assert "expert Python engineer" in on[0]["content"]
    text = user(on)
    assert "sort_ints([5, -1, 5, 0]) == [-1, 0, 5, 5]" in text  # examples
    assert "def sort_ints(xs: list[int]) -> list[int]" in text  # signature
    assert "The input list must not be modified." in text  # detailed (and reflowed)
    assert task.hints[1] in text  # hints
    assert "edge cases: empty input; negative numbers" in text
    assert "Here is a solved example" in text and "def dedupe_keep_order" in text
    assert "only one ```python code block" in text


def test_plan_always_asks_for_a_single_code_block(task: Task) -> None:
    text = user(render(default_space().get("p0-o0-d0-s0-e0-c0-h0-f2"), task))
    assert "2-3 short bullet lines" in text and "one ```python code block" in text
    assert "no tests" in text


def test_named_templates_generalise_the_motivating_prompts(task: Task) -> None:
    space = default_space()
    assert user(render(space.get("bare"), task)) == (
        "Write Python code to return a new list with the integers of `xs` in ascending order. "
        "Name the function `sort_ints`."
    )
    specific = user(render(space.get("specific"), task))
    assert specific.startswith("Write efficient Python code for a function `sort_ints`.")
    assert "sorted() does this" in specific  # the hint that names the approach
    assert "ascending order" in specific


def test_missing_optional_fields_drop_their_text(bare_task: Task) -> None:
    text = user(render(default_space().get("p0-o0-d1-s1-e1-c0-h1-f1"), bare_task))
    assert "Examples" not in text and "Hints" not in text
    # No signature in task.toml: the reference solution's def line (never its body).
    assert signature_of(bare_task) == "def sort_ints(xs: list[int]) -> list[int]"
    assert "return sorted" not in text
    assert "Given a list of integers, return them sorted. Keep duplicates." in text


def test_request_clause_keeps_non_imperative_sentences(task: Task, bare_task: Task) -> None:
    assert request_clause(task).startswith("return a new list with the integers of `xs`")
    assert request_clause(bare_task) == "solve this: Given a list of integers, return them sorted"


def test_edge_cases_come_from_the_task(task: Task, bare_task: Task) -> None:
    found = edge_cases(task)
    assert {"empty input", "negative numbers", "duplicates", "not modifying the input"} <= set(
        found
    )
    unicode = dataclasses.replace(bare_task, examples=("f('héllo') == 'HÉLLO'",))
    assert "non-ASCII (unicode) characters" in edge_cases(unicode)
    assert edge_cases(dataclasses.replace(bare_task, description="Add two numbers.")) == [
        "the smallest possible input and the boundary values the description states"
    ]


def test_solved_example_is_related_and_never_the_task_itself(task: Task) -> None:
    assert solved_example_for(task).entry_point == "dedupe_keep_order"  # shares "lists"
    strings = dataclasses.replace(task, tags=("strings",))
    assert solved_example_for(strings).entry_point == "count_vowels"
    clash = dataclasses.replace(strings, entry_point="count_vowels")
    assert solved_example_for(clash).entry_point != "count_vowels"


def test_template_text_for_the_cli(task: Task) -> None:
    text = template_text(default_space().get("reference"), task)
    assert text.startswith("[system]\n") and "\n\n[user]\n" in text


def test_fingerprint_is_stable() -> None:
    assert default_space().fingerprint() == default_space("content").fingerprint()
    assert len(default_space().fingerprint()) == 12
