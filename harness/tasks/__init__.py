"""Task folders: `load` (read, validate, hash), `sources` (where tasks are looked up),
`view` (list, show, scaffold), `check` (reference solutions pass, tests have teeth),
`importers` (other benchmarks converted into task folders).
"""
