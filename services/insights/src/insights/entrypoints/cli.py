"""`python -m insights`: operator commands of the insights service.

`rebuild` drops the projection (facts and latest states), replays every projected topic
from offset 0 with a progress bar and its rate, and compares the rebuilt KPIs with those
of the projection it replaced (the network and every site). Exit code 0 when they are
equal, 1 when they differ, 2 for bad usage.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from insights.service_layer.rebuilt import RebuildReport, rebuild_and_compare
from insights.settings import InsightsSettings

app = typer.Typer(help="ParkGrid insights: operator commands.", no_args_is_help=True, add_completion=False)
console = Console()


class RateColumn(ProgressColumn):
    """Events per second since the replay started."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        return Text(f"{task.completed / elapsed:,.0f} events/s" if elapsed > 0 else "- events/s")


@app.callback()
def main() -> None:
    """Insights is built only from published events; these commands act on its own projection."""


@app.command("rebuild")
def rebuild_command(
    show: Annotated[bool, typer.Option("--show/--quiet", help="Print every KPI that differs.")] = True,
) -> None:
    """Drop the insights projection, rebuild it from offset 0, and compare its KPIs with the live ones."""
    settings = InsightsSettings()

    async def run() -> RebuildReport:
        with Progress(
            TextColumn("rebuilding insights"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            # The clock starts with the replay (not while the live KPIs are computed) and stops with it.
            task = bar.add_task("rebuild", total=None, start=False)

            def progress(done: int, total: int) -> None:
                if done == 0:
                    bar.start_task(task)
                bar.update(task, completed=done, total=total)
                if done >= total:
                    bar.stop_task(task)

            return await rebuild_and_compare(settings, on_progress=progress)

    report = asyncio.run(run())
    console.print(
        f"{report.events} events replayed ({report.skipped} unreadable skipped) in {report.seconds:.2f} s: "
        f"[bold]{report.rate:,.0f} events/s[/bold]; "
        f"facts {report.live_fingerprint[0]} → {report.rebuilt_fingerprint[0]}, "
        f"aggregates {report.live_fingerprint[1]} → {report.rebuilt_fingerprint[1]}"
    )
    if report.equal:
        console.print(f"[green]rebuilt KPIs equal the live ones[/green] ({len(report.live)} scopes compared)")
        return
    console.print(f"[red]{len(report.differences)} KPI(s) differ from the live projection[/red]")
    if show:
        table = Table("scope.kpi", "live", "rebuilt")
        for name in report.differences:
            scope, _, kpi = name.partition(".")
            table.add_row(name, str(report.live.get(scope, {}).get(kpi)), str(report.rebuilt.get(scope, {}).get(kpi)))
        console.print(table)
    raise typer.Exit(1)
