"""task.toml for a HumanEval problem: the entry function's docstring as description and examples.

The description is the docstring without its `>>>` examples; the examples become
`call == output` expressions; difficulty comes from the canonical solution's length. The
writer is hand-rolled (tomllib only reads), so every file is checked to round-trip.
"""

from __future__ import annotations

import ast
import copy
import io
import json
import re
import tokenize
import tomllib

from harness.tasks.importers.humaneval_problem import ConversionError

TAGS = ("humaneval",)
TIMEOUT_S = 3
EASY_MAX_LINES = 3
MEDIUM_MAX_LINES = 10
_EXAMPLE_HEADER = re.compile(
    r"^(for\s+)?(examples?|e\.g\.|example\s+usage|sample)(\s+\d+)?\s*:?\s*$", re.IGNORECASE
)


def function_docstring(func: ast.FunctionDef) -> str | None:
    """The entry function's docstring, found even after a statement (unlike ast's)."""
    doc = ast.get_docstring(func, clean=True)
    if doc is not None:
        return doc
    for node in func.body:  # HumanEval/115 puts `import math` before its docstring
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            import inspect

            return inspect.cleandoc(node.value.value)
    return None


def _strip_comment(code: str) -> str:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return code.strip()
    comments = [t for t in tokens if t.type == tokenize.COMMENT]
    if not comments:
        return code.strip()
    lines = code.splitlines()
    for tok in reversed(comments):
        row, col = tok.start
        lines[row - 1] = lines[row - 1][:col]
    return "\n".join(line.rstrip() for line in lines).strip()


def _is_expression(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return True


def _example(code: str, output: str) -> str:
    """A doctest as an expression that is True: `call == output`, or '' if it is not one."""
    call = _strip_comment(code)
    try:
        tree = ast.parse(call, mode="eval").body
    except SyntaxError:
        return ""
    if output:
        return f"{call} == {output}" if _is_expression(output) else ""
    if isinstance(tree, ast.Compare):  # `>>> f(x) == y` with no output line
        return call
    if isinstance(tree, ast.Call):  # doctest prints nothing for None
        return f"{call} is None"
    return ""  # e.g. HumanEval/116's `f([1, 0]) [0, 1]`, a typo that parses as a subscript


def split_docstring(doc: str) -> tuple[str, list[str]]:
    """(description without doctest blocks, `call == output` examples)."""
    kept: list[str] = []
    examples: list[str] = []
    lines = doc.splitlines()
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped.startswith(">>>"):
            kept.append(lines[i].rstrip())
            i += 1
            continue
        while kept and not kept[-1].strip():
            kept.pop()
        if kept and (_EXAMPLE_HEADER.match(kept[-1].strip()) or kept[-1].rstrip().endswith(":")):
            kept.pop()  # "For example:" or "It must be implemented like this:" introduced it
        code = [stripped[3:].strip()]
        i += 1
        while i < len(lines) and lines[i].strip().startswith("..."):
            code.append(lines[i].strip()[3:].lstrip())
            i += 1
        output = []
        while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith(">>>"):
            output.append(lines[i].strip())
            i += 1
        if example := _example("\n".join(code), " ".join(output)):
            examples.append(example)
        if i < len(lines) and not lines[i].strip():
            kept.append("")
    text = "\n".join(kept)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text, examples


def difficulty(canonical_solution: str) -> str:
    lines = [line for line in canonical_solution.splitlines()
             if line.strip() and not line.strip().startswith("#")]
    if len(lines) <= EASY_MAX_LINES:
        return "easy"
    return "medium" if len(lines) <= MEDIUM_MAX_LINES else "hard"


def signature(func: ast.FunctionDef) -> str:
    stub = copy.copy(func)
    stub.body, stub.decorator_list = [ast.Pass()], []
    return ast.unparse(stub).splitlines()[0].rstrip(":")


def _toml_string(text: str) -> str:
    if "\n" in text and "'''" not in text and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text):
        return "'''\n" + text + ("'''" if text.endswith("\n") else "\n'''")
    return json.dumps(text, ensure_ascii=False)


def task_toml(entry: str, description: str, sig: str, examples: list[str], level: str,
              preamble: str = "", prompt: str = "") -> str:
    lines = [f"entry_point = {_toml_string(entry)}",
             f"description = {_toml_string(description)}",
             f"signature = {_toml_string(sig)}"]
    if preamble:
        lines.append(f"preamble = {_toml_string(preamble)}")
    if prompt:
        lines.append(f"prompt = {_toml_string(prompt)}")
    if examples:
        lines.append("examples = [")
        lines += [f"    {_toml_string(e)}," for e in examples]
        lines.append("]")
    else:
        lines.append("examples = []")
    lines += [f"tags = [{', '.join(_toml_string(t) for t in TAGS)}]",
              f"difficulty = {_toml_string(level)}",
              f"timeout_s = {TIMEOUT_S}"]
    text = "\n".join(lines) + "\n"
    data = tomllib.loads(text)  # the writer is hand-rolled: prove it round-trips
    if data["description"].strip() != description or data["examples"] != examples or \
            data.get("preamble", "") != preamble or data.get("prompt", "") != prompt:
        raise ConversionError("task.toml does not round-trip")
    return text

