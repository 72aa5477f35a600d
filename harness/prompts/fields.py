"""The prompt fields a template's format strings use, computed from a task.

Derived once per task: the request clause from the description's first sentence,
the signature (task.toml's, else the reference solution's def line), the reflowed
description, examples, hints, edge cases read off the text, and a solved example.
"""

from __future__ import annotations

import ast
import copy
import re

from harness.prompts.examples import render_solved, solved_example_for
from harness.tasks.load import Task

_NON_VERB_OPENERS = frozenset(
    {"a", "an", "the", "given", "this", "that", "these", "for", "in", "on", "each", "if"}
    | {"when", "you", "we", "your", "our", "there", "it", "let", "consider", "suppose", "assume"}
)

EDGE_CASE_RULES: tuple[tuple[str, str], ...] = (
    (r"\bempty\b|\[\]|\"\"|''|\{\}|\(\)", "empty input"),
    (r"(?<![\w)\]])-\d|\bnegative", "negative numbers"),
    (r"\bzero\b|(?<![\w.])0(?![\w.])", "zero"),
    (r"\bsingle\b|\bone (?:element|item|character)\b|\[-?\w+\](?!\w)", "a single element"),
    (r"\bduplicat|\brepeat", "duplicates"),
    (r"\bties?\b|\btied\b|\bequal\b", "ties (apply the stated tie rule)"),
    (r"[^\x00-\x7f]|\bunicode\b|\baccent", "non-ASCII (unicode) characters"),
    (r"whitespace|\bspaces?\b|\\t|\\n", "extra or missing whitespace"),
    (r"\bupper|\blower|case-insensitive|\bcapital", "upper and lower case"),
    (r"\bleading zeros?\b", "leading zeros"),
    (r"\bNone\b", "None values"),
    (r"\bfloat|\bdecimal|\d\.\d", "floating-point values"),
    (r"\boverflow|\blarge\b|\bhuge\b|10\*\*\d|\d+e\d", "large inputs (stay efficient)"),
    (
        r"\binvalid\b|\bmalformed\b|\braises?\b|Error\b",
        "invalid input (follow the stated error rule)",
    ),
    (r"\bnot be modified\b|\bunchanged\b|\bin place\b|\bmutat", "not modifying the input"),
)
"""(regex over description + examples, reminder). Order is the order of the reminder."""


def first_sentence(text: str) -> str:
    """The description's first sentence, on one line, without its final period."""
    flat = " ".join(text.split())
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z`\"'(])", flat, maxsplit=1)[0]
    return sentence.rstrip(".").strip()


def request_clause(task: Task) -> str:
    """The first sentence as an infinitive clause: "Return a list..." -> "return a list...".

    Descriptions that do not open with an imperative verb ("Given a list ...") are
    kept whole behind "solve this:", so the sentence still reads correctly.
    """
    sentence = first_sentence(task.description)
    first_word = re.split(r"\W+", sentence, maxsplit=1)[0]
    if not first_word or first_word.lower() in _NON_VERB_OPENERS or not first_word[0].isalpha():
        return f"solve this: {sentence}"
    if first_word[0].isupper() and not first_word.isupper():
        sentence = sentence[0].lower() + sentence[1:]
    return sentence


def signature_of(task: Task) -> str:
    """task.toml's signature, else the reference solution's def line (never its body)."""
    if task.signature.strip():
        return task.signature.strip().rstrip(":")
    try:
        module = ast.parse(task.solution_source)
    except SyntaxError:
        return ""
    for node in module.body:
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == task.entry_point
        ):
            stub = copy.copy(node)
            stub.body = [ast.Expr(ast.Constant(...))]
            stub.decorator_list = []
            return ast.unparse(ast.fix_missing_locations(stub)).splitlines()[0].rstrip(":")
    return ""


def reflow(text: str) -> str:
    """Join hard-wrapped lines (TOML strings often are) but keep code, lists and paragraphs."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    out: list[str] = []
    for para in paragraphs:
        lines = para.splitlines()
        structured = "```" in para or any(
            line[:1].isspace() or re.match(r"\s*([-*]|\d+[.)])\s", line) or ">>>" in line
            for line in lines
        )
        out.append(para if structured else " ".join(line.strip() for line in lines))
    return "\n\n".join(out)


def _repeated_list_values(text: str) -> bool:
    for body in re.findall(r"\[([^\[\]]*)\]", text):
        items = [item.strip() for item in body.split(",") if item.strip()]
        if len(items) != len(set(items)):
            return True
    return False


def edge_cases(task: Task) -> list[str]:
    """Edge cases the description and examples mention or show, as short reminders."""
    text = task.description + "\n" + "\n".join(task.examples)
    repeated = _repeated_list_values("\n".join(task.examples))
    found = [
        reminder
        for pattern, reminder in EDGE_CASE_RULES
        if re.search(pattern, text) or (reminder == "duplicates" and repeated)
    ]
    return found or ["the smallest possible input and the boundary values the description states"]


def native_prompt(task: Task) -> str:
    """The task as its source benchmark asks it: the recorded prompt (HumanEval's stub and
    docstring), else a stub built the same way from the preamble, signature, description and
    examples, so `native` renders every task."""
    if task.prompt.strip():
        return task.prompt.rstrip() + "\n"
    doc = reflow(task.description)
    if task.examples:
        doc += "\n\nExamples:\n" + "\n".join(ex.strip() for ex in task.examples)
    body = "\n".join(f"    {line}" if line else "" for line in doc.splitlines())
    head = f"{task.preamble}\n" if task.preamble else ""
    return f'{head}{signature_of(task)}:\n    """\n{body}\n    """\n'


def prompt_fields(task: Task) -> dict[str, str]:
    """Every field a format string may use, derived from the task once."""
    hints = [" ".join(h.split()) for h in task.hints]
    return {
        "entry_point": task.entry_point,
        "description": reflow(task.description),
        "request": request_clause(task),
        "signature": signature_of(task),
        "examples": "\n".join(f"- `{ex.strip()}`" for ex in task.examples),
        "hints": "\n".join(f"- {h}" for h in hints),
        "hints_inline": " ".join(hints),
        "edge_cases": "; ".join(edge_cases(task)),
        "solved_example": render_solved(solved_example_for(task)),
        "preamble": task.preamble.strip(),
        "native": native_prompt(task),
    }
