"""The offline benchmarks behind `harness bench ...`, beyond the classic replay in harness/replay.py.

`table` reads v1 and v2 response tables (keeping the complete part of one still being
recorded), `strategies` turns a table's cells into strategy arms (template x temperature
x selection) with the live selection rule and its exact expectation, `split` draws the
per-seed dealing / held-out split of every cell, `honest` replays agents over strategies
and scores them out of sample, and `output` prints and plots what it measured.

What both replays share lives here too, and harness/replay.py imports it: `jobs` (what one
(agent, seed) plays and returns, and running the jobs in worker processes), `aggregate`
(from runs to estimates, bootstrap intervals, transfer comparisons and their JSON) and
`render` (table cells, the shared plots, agents.json). These three import nothing from
harness/replay.py at run time, so either side can be imported first.
"""
