"""`python -m insights rebuild`: see `insights.entrypoints.cli`."""

from insights.entrypoints.cli import app

app(prog_name="python -m insights")
