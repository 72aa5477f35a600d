"""Host side of the Docker sandbox: `image` (build and tag), `pool` (warm workers, reaping),
`doctor` (every flag and limit checked from inside), `bench` (throughput). The worker that
runs inside the container is sandbox/worker.py at the top of the repository.
"""
