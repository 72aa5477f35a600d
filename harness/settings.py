"""Where defaults come from: flags, then HARNESS_* variables, then harness.toml, then built-ins.

Click already orders flags before environment variables before its
`default_map`; this module turns `harness.toml` into that default map. Top-level
keys (such as `tasks_dir` or `home`) apply to every command that has the option;
tables apply to one command: `[run]`, `[tasks.check]`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import click

from harness.errors import HarnessError

CONFIG_FILE = "harness.toml"


def load_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise HarnessError(f"{path}: invalid TOML ({exc})") from None


def default_map(command: click.Command, config: dict[str, Any]) -> dict[str, Any]:
    """Build click's default_map for `command` and its subcommands from the config."""
    shared = {k: v for k, v in config.items() if not isinstance(v, dict)}
    return _map_for(command, config, shared)


def _map_for(command: click.Command, table: dict[str, Any], shared: dict[str, Any]) -> dict[str, Any]:
    params = {p.name: p for p in command.params if p.name}
    out: dict[str, Any] = {k: _shaped(params[k], v) for k, v in shared.items() if k in params}
    for key, value in table.items():
        if not isinstance(value, dict) and key in params:
            out[key] = _shaped(params[key], value)
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            sub_table = table.get(name, {})
            out[name] = _map_for(sub, sub_table if isinstance(sub_table, dict) else {}, shared)
    return out


def _shaped(param: click.Parameter, value: Any) -> Any:  # noqa: ANN401 - any TOML value
    """A single value for a repeatable option (`base_url = "..."`) is a list of one."""
    if param.multiple and not isinstance(value, list):
        return [value]
    return value
