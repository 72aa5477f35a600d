"""Side by side with DSPy: the same model, grader and call budget for every optimiser.

`bench/dspy_compare.py` drives it. A user choosing between the harness and DSPy's prompt
optimisers (GEPA, MIPROv2) asks which finds the better way of asking at the same number of
task-model calls; everything here exists so that the answer is measured on equal terms:
one client and cache (`harness.llm`), one code extraction, one sandbox grader, one
fresh-answer evaluation, and every call counted by role (`budget`). DSPy is an optional
extra (`pip install "harness[compare]"`), imported only by `dspy_program`.
"""
