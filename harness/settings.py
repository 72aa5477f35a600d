"""Where defaults come from: flags, then HARNESS_* variables, then harness.toml, then built-ins.

Click already orders flags before environment variables before its
`default_map`; this module turns `harness.toml` into that default map. Top-level
keys (such as `tasks_dir` or `home`) apply to every command that has the option;
tables apply to one command: `[run]`, `[tasks.check]`.
"""

from __future__ import annotations

import difflib
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
    """Build click's default_map for `command` and its subcommands from the config; a key no
    command has, a table no command is named, or a value of the wrong kind is an error."""
    check_config(command, config)
    shared = {k: v for k, v in config.items() if not isinstance(v, dict)}
    return _map_for(command, config, shared)


def _options(command: click.Command) -> dict[str, list[click.Parameter]]:
    """Every option name of `command` and its subcommands, with the parameters that have it."""
    found: dict[str, list[click.Parameter]] = {}
    for param in command.params:
        if param.name:
            found.setdefault(param.name, []).append(param)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            for name, params in _options(sub).items():
                found.setdefault(name, []).extend(params)
    return found


def _unknown(key: str, valid: list[str], what: str) -> HarnessError:
    close = difflib.get_close_matches(key.rsplit(".", 1)[-1], valid, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return HarnessError(f"{CONFIG_FILE}: unknown key '{key}'{hint}; expected {what}")


def _check_value(key: str, value: Any, params: list[click.Parameter]) -> None:  # noqa: ANN401 - any TOML value
    """A string, number or boolean (a list of them for a repeatable option); a path a string."""
    if isinstance(value, list) and not any(p.multiple for p in params):
        raise HarnessError(f"{CONFIG_FILE}: key '{key}' takes one value, got a list {value!r}")
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, str | int | float | bool):
            raise HarnessError(f"{CONFIG_FILE}: key '{key}' must be a string, number or "
                               f"true/false, got {item!r}")
        if not isinstance(item, str) and any(isinstance(p.type, click.Path) for p in params):
            raise HarnessError(f"{CONFIG_FILE}: key '{key}' is a path and must be a string in "
                               f"quotes, got {item!r}")


def check_config(command: click.Command, config: dict[str, Any], prefix: str = "") -> None:
    """Top-level keys must be an option some command has; a table (`[run]`, `[tasks.check]`)
    must name a command and hold that command's options. Keys are the options' parameter names
    (`tasks_dir` for --tasks-dir; the errors list a command's names)."""
    subcommands = command.commands if isinstance(command, click.Group) else {}
    options = _options(command) if not prefix else {
        p.name: [p] for p in command.params if p.name}
    for key, value in config.items():
        where = f"{prefix}{key}"
        if isinstance(value, dict):
            if key not in subcommands:
                raise _unknown(where, sorted(subcommands), "a command table: "
                               + ", ".join(f"[{prefix}{name}]" for name in sorted(subcommands)))
            check_config(subcommands[key], value, f"{where}.")
        elif key in options:
            _check_value(where, value, options[key])
        elif not prefix:
            raise _unknown(where, sorted(options), "an option name some command has (such as "
                           "tasks_dir, home, model) or a command table such as [run]")
        else:
            name = prefix.rstrip(".")
            expected = ([f"an option of `harness {name.replace('.', ' ')}`: "
                         + ", ".join(sorted(options))] if options else [])
            expected += (["a table of one of its commands: "
                          + ", ".join(f"[{name}.{sub}]" for sub in sorted(subcommands))]
                         if subcommands else [])
            raise _unknown(where, sorted(options), "; or ".join(expected)
                           or f"none: `harness {name.replace('.', ' ')}` has no options")


def _map_for(command: click.Command, table: dict[str, Any], shared: dict[str, Any]) -> dict[str, Any]:
    params = {p.name: p for p in command.params if p.name}
    # a top-level list goes to the commands where the option is repeatable (`base_url`: run,
    # bench record), not to one that takes a single value (models check)
    out: dict[str, Any] = {k: _shaped(params[k], v) for k, v in shared.items()
                           if k in params and (params[k].multiple or not isinstance(v, list))}
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
