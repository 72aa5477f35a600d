"""Other benchmarks converted into task folders (`harness tasks import SOURCE`)."""
