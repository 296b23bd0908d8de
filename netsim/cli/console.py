"""Readable terminal output: summaries as rich tables, and progress bars for long runs."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from netsim.analysis.results import Bound, BulkStats, Verdict
from netsim.analysis.verdicts import duration_text

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from rich.console import Console

    from netsim.analysis.results import SloVerdict, Summary

MAX_FAILOVER_ROWS = 30  # failovers listed in the terminal; the rest are in summary.json


def stderr_console() -> Console:
    from netsim.cli.common import console

    return console(stderr=True)


@contextlib.contextmanager
def progress_bar(label: str, total: float, enabled: bool = True) -> Iterator[Any]:
    """Yield ``update(done, total)``; a no-op when disabled."""
    if not enabled:
        yield lambda done, total: None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr_console(), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done, total_: bar.update(task, completed=done, total=total_)


class RichReviewProgress:
    """A review's progress as two bars: the whole review, and the batch of runs being
    simulated (implements :class:`netsim.report.review.ReviewProgress`)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.overall = progress.add_task("review", total=1)
        self.current = progress.add_task("", total=1.0, visible=False)

    def start(self, total: int) -> None:
        self.progress.update(self.overall, total=total)

    def step(self, label: str) -> None:
        self.progress.update(self.overall, advance=1, description=label)

    def runs(self, label: str) -> Callable[[int, int], None]:
        progress, task = self.progress, self.current
        progress.update(task, description=f"  {label}", completed=0, visible=True)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)
            progress.update(self.overall, advance=1)

        return update


@contextlib.contextmanager
def review_progress(enabled: bool = True) -> Iterator[RichReviewProgress | None]:
    """Bars on stderr for ``netsim review`` (None when disabled)."""
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=stderr_console(), transient=True) as bar:
        yield RichReviewProgress(bar)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _after(at: float, t: float | None) -> str:
    """A time as seconds after the failure at ``at`` ("-": it did not happen)."""
    return "-" if t is None else f"+{t - at:.2f}"


VERDICT_STYLE = {
    Verdict.HOLDS: "[green]holds[/]",
    Verdict.FAILS: "[red]does not hold[/]",
    Verdict.AT_RISK: "[yellow]at risk[/]",
    Verdict.NOT_JUDGED: "[dim]not judged[/]",
}


def _header(summary: Summary) -> str:
    reps = summary.replications
    runs = (
        f"seed {summary.seed}"
        if reps is None
        else f"{reps.count} replications from seed {summary.seed}, pooled"
    )
    return (
        f"[bold]{summary.scenario}[/] on {summary.topology or '?'} "
        f"({summary.engine}, {runs}, {summary.duration_s:g} s simulated"
        f"{'' if reps is None else ' each'} in {summary.wall_s:.1f} s)"
    )


def print_summary(
    summary: Summary, console: Console | None = None, *, strict: bool = False
) -> None:
    """The summary of one run as tables: traffic classes, SLO verdicts, failovers."""
    from netsim.cli.common import console as make_console

    console = console or make_console()
    console.print(_header(summary))
    t = Table(title="Traffic (latency in ms)")
    for col in ("class", "sent", "success", "p50", "p95", "p95 95% CI", "p99", "max"):
        t.add_column(col, justify="left" if col == "class" else "right", no_wrap=True)
    for name, s in summary.traffic.items():
        if isinstance(s, BulkStats):
            active = s.active_s or 0.0
            t.add_row(
                name,
                f"{s.transfers} xfer",
                f"{s.completed} done",
                f"{s.throughput_mbps or 0:.0f}",
                "Mbit/s",
                f"over {active:.0f} s",
                "",
                "",
            )
            continue
        lat = s.latency_ms
        p50, p95, p99, top = (lat.p50, lat.p95, lat.p99, lat.max) if lat else (None,) * 4
        lo, hi = lat.p95_ci if lat else (None, None)
        t.add_row(
            name,
            str(s.sent),
            f"{s.success_ratio:.5f}" if s.success_ratio is not None else "-",
            _num(p50),
            _num(p95),
            "-" if lo is None or hi is None else f"{lo:.1f}-{hi:.1f}",
            _num(p99),
            _num(top),
        )
    console.print(t)
    if summary.slos:
        print_slos(summary, console)
    if summary.failovers:
        t = Table(title="Failovers (seconds from the failure)")
        for col in ("subject", "mode", "at", "detected", "switched", "restored", "gap", "lost"):
            t.add_column(col, no_wrap=col != "subject")
        for f in summary.failovers[:MAX_FAILOVER_ROWS]:
            rec = f.record
            at = rec.failed_at_s
            t.add_row(
                rec.subject,
                rec.mode,
                f"{at:.1f}",
                _after(at, rec.detected_at_s),
                _after(at, rec.switched_at_s),
                _after(at, rec.restored_at_s),
                f"{f.gap_s:.2f}",
                str(f.lost),
            )
        if len(summary.failovers) > MAX_FAILOVER_ROWS:
            more = len(summary.failovers) - MAX_FAILOVER_ROWS
            t.caption = f"... and {more} more in summary.json"
        console.print(t)
    print_outcome(summary, console, strict=strict)


def _judged_on(v: SloVerdict) -> str:
    """What an SLO's verdict rests on: its worst window, its month, or the whole run."""
    unit = f" {v.unit}" if v.unit else ""
    if v.month is not None:
        m = v.month
        if m.measured is None:
            return f"month: {m.note}"
        lo, hi = m.ci
        ci = "" if lo is None or hi is None else f" [{lo:.6g}, {hi:.6g}]"
        return f"{m.measured:.6g}{unit}{ci} over a month ({m.failure_min:.3g} min failed)"
    w, n = v.worst_window, v.windows
    if w is not None and n is not None and v.window_s:
        lo, hi = w.ci
        ci = "" if lo is None or hi is None else f" [{lo:.6g}, {hi:.6g}]"
        return (
            f"{w.measured:.6g}{unit}{ci} worst of {n.count} windows of {duration_text(v.window_s)} "
            f"({w.start_s:.0f}-{w.end_s:.0f} s)"
        )
    return "-" if v.measured is None else f"{v.measured:.6g}{unit} (run)"


def _apart(v: SloVerdict) -> str:
    """Why a windowed SLO is at risk while its whole-run interval clears the target: the
    two are different statistics (the verdict is the worst window's)."""
    lo, hi = v.ci
    if v.worst_window is None or v.target is None or lo is None or hi is None:
        return ""
    clears = lo > v.target if v.bound is Bound.MIN else hi < v.target
    if not clears:
        return ""
    return (
        "; the whole run's interval clears the target, but the verdict is the worst "
        "window's, and its interval does not"
    )


def print_slos(summary: Summary, console: Console) -> None:
    """The SLO table: target, the figure the verdict rests on (the worst window, the
    month), the whole run with its interval, and the verdict; then what would settle each
    SLO at risk."""
    t = Table(title="SLOs (latency and success: every window must hold)")
    for col in ("SLO", "target", "judged on (95% CI)", "whole run", "whole-run 95% CI", "verdict"):
        t.add_column(col, no_wrap=col in ("target", "whole run", "whole-run 95% CI", "verdict"))
    for v in summary.slos:
        bound = "<=" if v.bound is Bound.MAX else ">="
        lo, hi = v.ci
        t.add_row(
            v.name,
            "-" if v.target is None else f"{bound} {v.target:g} {v.unit}".strip(),
            _judged_on(v),
            "-" if v.measured is None else f"{v.measured:.6g} {v.unit}".strip(),
            "-" if lo is None or hi is None else f"[{lo:.6g}, {hi:.6g}]",
            VERDICT_STYLE[v.verdict] if v.verdict else ("holds" if v.passed else "does not hold"),
        )
    console.print(t)
    for v in summary.slos:
        if v.verdict is Verdict.AT_RISK and v.settle is not None:
            console.print(f"  {v.name} is at risk (inconclusive): {v.settle.text}{_apart(v)}")
        if v.verdict is Verdict.NOT_JUDGED:
            console.print(f"  {v.text}")


def print_outcome(summary: Summary, console: Console, *, strict: bool = False) -> None:
    """What ``--until-conclusive`` did, and the run's verdict with its exit status."""
    if summary.until_conclusive is not None:
        for step in summary.until_conclusive.steps:
            console.print(f"  until conclusive: {step}")
    names = ", ".join(v.name for v in summary.slos if v.verdict is summary.judged)
    if summary.judged is Verdict.HOLDS:
        console.print("[green]every SLO holds[/]")
    elif summary.judged is Verdict.FAILS:
        console.print(f"[red]SLO does not hold[/]: {names}")
    else:
        status = "exit 1 (--strict)" if strict else "exit 0; --strict makes it 1"
        console.print(f"[yellow]at risk[/] (inconclusive): {names} ({status})")
