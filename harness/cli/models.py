"""`harness models ...`: the embedded models, and a quick check of any endpoint."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli import HarnessGroup
from harness.cli.options import home_option


@click.group(cls=HarnessGroup)
def models() -> None:
    """Embedded models and endpoint checks."""


@models.command("list")
def models_list() -> None:
    """Embedded models: size, whether installed, and how to install."""
    from rich.table import Table

    from harness.console import console
    from harness.llm.endpoints import model_cache_dir
    from harness.llm.models import DEFAULT_MODEL, MODELS, install_command, is_installed

    table = Table(title=f"embedded models (assembled under {model_cache_dir() / 'models'})")
    for col in ("id", "size", "installed", "assembled", "about"):
        table.add_column(col)
    for spec in MODELS.values():
        installed = is_installed(spec)
        assembled = (model_cache_dir() / "models" / f"{spec.id}.gguf").is_file()
        name = f"{spec.id} [dim](default)[/]" if spec.id == DEFAULT_MODEL else spec.id
        about = (spec.description if installed
                 else f"{spec.description}\n[dim]{install_command(spec)}[/]")
        table.add_row(name, f"{spec.size_mb} MB", "[green]yes[/]" if installed else "[red]no[/]",
                      "yes" if assembled else "no", about)
    console().print(table)


@models.command("check")
@click.argument("model", required=False)
@click.option("--base-url", "base_url", envvar="OPENAI_BASE_URL", multiple=True,
              help="OpenAI-compatible endpoint URL (env OPENAI_BASE_URL); repeat it to check "
                   "every server of a spread run, one by one. None: the embedded model.")
@click.option("--api-key", envvar="OPENAI_API_KEY", default=None)
@home_option
def models_check(model: str | None, base_url: tuple[str, ...], api_key: str | None,
                 home: Path) -> None:
    """One tiny uncached call per endpoint: prints latency, tokens and tokens/s."""
    from rich.text import Text

    from harness.console import console, plain
    from harness.errors import LLMError
    from harness.llm.check import check_model

    out = console()
    urls: tuple[str | None, ...] = base_url or (None,)
    failed: list[str] = []
    for url in urls:
        try:
            check = check_model(model, url, api_key, home, log=out.print)
        except LLMError as exc:
            if len(urls) == 1:
                raise
            failed.append(str(url))  # several servers (never the embedded one): check the rest
            out.print(Text.assemble(("failed ", "red"), plain(failed[-1]), ": ", plain(exc)))
            continue
        out.print(Text.assemble(("ok ", "green"), plain(f"{check.model} at {check.base_url}"),
                                f": ready in {check.ready_s:.1f} s, answered "
                                f"{check.completion_tokens} tokens in {check.latency_s:.2f} s "
                                f"({check.rate:.1f} tokens/s, finish: ", plain(check.finish_reason), ")"))
    if failed:
        raise LLMError(f"{len(failed)} of {len(urls)} endpoints failed the check: {', '.join(failed)}")
