"""Commands other packages add to `dfd`, through the entry-point group `dfd.commands`.

A package declares, in its pyproject.toml:

    [project.entry-points."dfd.commands"]
    evaluate = "dd_eval.cli:evaluate"

Each entry point is a click.Command. It is imported only when that command is run (or
`dfd --help` lists it), so the client itself never imports an extra's packages. A plugin
that is missing or broken costs one warning line, never the built-in commands.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

import click

GROUP = "dfd.commands"


def discovered() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for entry in entry_points(group=GROUP):
        found.setdefault(entry.name, entry)  # the first one installed wins
    return found


def load(entry: EntryPoint) -> click.Command | None:
    try:
        command = entry.load()
    except Exception as exc:  # any import error of a plugin must not break dfd
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
        click.echo(
            f"dfd: warning: command '{entry.name}' ({entry.value}) could not be loaded: {reason}",
            err=True,
        )
        return None
    if not isinstance(command, click.Command):
        click.echo(
            f"dfd: warning: command '{entry.name}' ({entry.value}) is not a click command",
            err=True,
        )
        return None
    return command


class PluginGroup(click.Group):
    """A click group whose extra commands come from installed entry points, lazily."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._plugins: dict[str, click.Command | None] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx)) | set(discovered())
        return sorted(names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        builtin = super().get_command(ctx, cmd_name)
        if builtin is not None:
            return builtin
        if cmd_name not in self._plugins:
            entry = discovered().get(cmd_name)
            self._plugins[cmd_name] = load(entry) if entry else None
        return self._plugins[cmd_name]
