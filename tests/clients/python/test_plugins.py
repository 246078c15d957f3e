"""Other packages add commands to `dfd` through the `dfd.commands` entry points; the
client never imports them unless they are run, and a broken one costs one warning line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PLUGIN = """
import click

print("PLUGIN IMPORTED", flush=True)

@click.command(help="Says hello.")
@click.argument("name")
def hello(name):
    click.echo(f"hello {name}")

not_a_command = 42
"""


def _install_fake_plugins(site: Path) -> None:
    """A module and a dist-info declaring three entry points, as pip would install them."""
    (site / "dd_fake_plugin.py").write_text(PLUGIN)
    dist = site / "dd_fake_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: dd-fake-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[dfd.commands]\n"
        "hello = dd_fake_plugin:hello\n"
        "broken = dd_missing_package.cli:evaluate\n"
        "notcmd = dd_fake_plugin:not_a_command\n"
    )


def _dfd(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "dfd", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_plugin_commands_attach_lazily_and_broken_ones_only_warn(tmp_path: Path) -> None:
    _install_fake_plugins(tmp_path)
    ran = _dfd(tmp_path, "hello", "world")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == ["PLUGIN IMPORTED", "hello world"]
    assert ran.stderr == ""  # the broken plugins were never touched
    # A built-in command never imports a plugin.
    builtin = _dfd(tmp_path, "history", "--help")
    assert builtin.returncode == 0 and "PLUGIN IMPORTED" not in builtin.stdout
    assert builtin.stderr == ""
    # The listing loads each plugin; the broken ones are one warning line each.
    listing = _dfd(tmp_path, "--help")
    assert listing.returncode == 0
    assert "hello" in listing.stdout and "analyze" in listing.stdout
    # (Only ours: other installed packages may add their own commands.)
    warnings = [
        w for w in listing.stderr.splitlines() if "dd_fake_plugin" in w or "dd_missing" in w
    ]
    assert len(warnings) == 2, listing.stderr
    assert all(w.startswith("dfd: warning: ") for w in warnings)
    assert any("'broken'" in w and "ModuleNotFoundError" in w for w in warnings)
    assert any("'notcmd'" in w and "not a click command" in w for w in warnings)
    missing = _dfd(tmp_path, "broken")
    assert "Traceback" not in missing.stderr and "could not be loaded" in missing.stderr
