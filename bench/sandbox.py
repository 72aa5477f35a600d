"""Warm pool vs `docker run` per program vs bare host subprocess (same batch, one run).

    python bench/sandbox.py [--programs 400] [--docker-programs 24] [--workers 2]
"""

from harness.cli import cli

if __name__ == "__main__":
    cli.main(["sandbox", "bench", *__import__("sys").argv[1:]], prog_name="bench/sandbox.py")
