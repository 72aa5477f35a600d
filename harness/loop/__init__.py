"""The learning loop behind `harness run` and `harness.run()`.

`options` (what a run is asked to do, every default in one place), `strategies` (the arms:
template x temperature x selection, and the one sample pipeline generate -> extract ->
visible checks -> select -> grade), `learning` (the Runner: agent picks, answers are graded,
the agent learns), `evaluation` (fresh answers of the learned strategy vs the default),
`report` (what a run found, as data), `wiring` (endpoint, sandbox, store and agent put
together; prints nothing).
"""
