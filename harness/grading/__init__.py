"""Grading: a program and a task in, a verdict out.

`grader` (the Grader over a sandbox pool, with the execution cache), `results` (the result
record and the statuses), `extract` (code out of a model's answer; `blocks` finds candidate
code blocks, `demo` strips demo code, `names` reads which names code defines and uses),
`rewards` (reward schemes over a result), `evaluate` (`harness eval` on files), `samples`
(`harness eval --samples`: another tool's samples file, pass@k), `ast_guard` (one lock
around `ast.parse`).
"""
