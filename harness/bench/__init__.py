"""The offline benchmarks behind `harness bench agents`: replay recorded answers to agents.

The recorded table: `table` (graded answers and the table of them), `table_io` (reading and
writing table files, keeping the complete part of one still recording), `synthetic`
(made-up v1 and v2 tables with known pass probabilities); `record` writes real ones.

The classic replay (template arms, counted in pulls, scored in sample): `replay` (the
table as a bandit and the episode loop), `classic_benchmark` (config, run, figures) and
`classic_output` (rich tables, plots). The strategy replay (template x temperature x
selection arms, counted in calls, scored on held-out answers): `strategies` (arms and the
selection rule), `split` (each seed's dealing / held-out split), `strategy_replay` (the
bandit and its episode loop), `strategy_results` (config and figures),
`strategy_benchmark` (the run and its aggregation) and `strategy_output`.

Shared by both: `run_setup` (options and tasks checked before any work), `jobs` (one
(agent, seed) and the worker processes), `aggregate` (runs to estimates over seeds, and
their JSON), `sensitivity` (does the arm matter per task), `render` (table cells, the
shared plots and tables, agents.json); `agents` picks the replay a table supports.
"""
