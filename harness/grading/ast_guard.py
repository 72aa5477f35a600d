"""One lock around every use of Python's `ast` module by threads of the harness.

CPython 3.11 keeps the AST converter's recursion depth per interpreter, not per thread:
two threads inside `ast.parse` at once can fail with "SystemError: AST constructor
recursion depth mismatch". A run's sample threads extract code and build visible checks
concurrently while the main thread computes task features, so all of them parse under
this lock. Each parse is small and bounded: one at a time costs nothing noticeable.
"""

from __future__ import annotations

import ast
import threading

AST_LOCK = threading.RLock()


def parse(source: str, mode: str = "exec") -> ast.AST:
    with AST_LOCK:
        return ast.parse(source, mode=mode)
