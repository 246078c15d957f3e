"""`python -m dfd`: the same as the `dfd` command."""

from dfd.cli import run

run()
