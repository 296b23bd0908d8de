"""SLO verdicts: the point estimate against the target, and the three-way verdict.

Each SLO of a run is a :class:`SloVerdict`. Its ``passed`` is the contract's ``"pass"``:
the point estimate against the target, as netsim has always judged it. Its
:class:`Verdict` reads the confidence interval instead (:func:`judge`): the SLO
``holds`` when the whole interval is inside the target, ``does not hold`` when it is
wholly outside, and is ``inconclusive`` when the interval straddles the target; then
:func:`settle` says how much more data would settle it, from the interval's width
shrinking like one over the square root of the data.

Examples
--------
>>> judge(49.6, (48.1, 51.2), 50.0, Bound.MAX).value
'at risk'
>>> judge(49.6, (49.1, 49.9), 50.0, Bound.MAX).value, judge(0.9, (0.8, 0.95), 0.99, Bound.MIN).value
('holds', 'does not hold')
>>> s = settle(49.6, (48.1, 51.2), 50.0, duration_s=600.0, warmup_s=0.0)
>>> round(s.factor, 1), round(s.run_s), s.replications
(16.0, 9600, 19)
>>> s.text
'about 16x the data would settle it: a run of 2.7 h (now 10 min) or 19 replications'
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netsim.analysis.batching import t_quantile
from netsim.analysis.intervals import LEVEL, CiInfo
from netsim.analysis.judged import MonthFigure, WindowCounts, WorstWindow
from netsim.analysis.traffic import Interval, pair
from netsim.trace.fields import Fields

if TYPE_CHECKING:
    from collections.abc import Iterable


MAX_REPLICATIONS = 1_000_000  # beyond this a suggestion says "more than"


class Bound(enum.Enum):
    """Whether an SLO's target is an upper (latency, gap) or a lower (success) bound."""

    MAX = "max"
    MIN = "min"


class Verdict(enum.Enum):
    """What the confidence interval says about an SLO (or, the worst of them, a run).

    One vocabulary everywhere (console, JSON, report): ``holds``, ``does not hold``, and
    ``at risk`` when the interval straddles the target (statistically inconclusive: the
    data cannot tell, so the SLO is at risk; ``INCONCLUSIVE`` is the same member, and
    documents written with ``"inconclusive"`` read back as it). ``not judged``: nothing
    to judge in this run (a bulk SLO when no transfer was due); it counts for neither side.
    """

    HOLDS = "holds"
    FAILS = "does not hold"
    AT_RISK = "at risk"
    INCONCLUSIVE = "at risk"  # the statistical name of the same verdict
    NOT_JUDGED = "not judged"

    @classmethod
    def _missing_(cls, value: object) -> Verdict | None:
        return cls.AT_RISK if value == "inconclusive" else None


def judge(measured: float | None, ci: Interval, target: float | None, bound: Bound) -> Verdict:
    """The verdict of an estimate and its interval against a target (no interval: the
    estimate alone; no estimate: does not hold, as ``"pass"`` has always had it)."""
    if measured is None:
        return Verdict.FAILS
    if target is None:
        return Verdict.HOLDS
    lo, hi = ci
    lo = measured if lo is None else lo
    hi = measured if hi is None else hi
    if bound is Bound.MAX:
        inside, outside = hi <= target, lo > target
    else:
        inside, outside = lo >= target, hi < target
    return Verdict.HOLDS if inside else Verdict.FAILS if outside else Verdict.INCONCLUSIVE


def overall(verdicts: Iterable[Verdict]) -> Verdict:
    """A run's verdict: does not hold if one SLO does not, else at risk if one is (SLOs
    not judged count for neither)."""
    seen = set(verdicts)
    for v in (Verdict.FAILS, Verdict.AT_RISK):
        if v in seen:
            return v
    return Verdict.HOLDS


@dataclass(frozen=True, slots=True)
class Settle:
    """What would settle an inconclusive verdict, if the estimate stayed where it is.

    ``factor``: times the data the interval rests on; ``run_s``: the length of one run
    holding that much (None when the scenario has scripted failures: a longer run would
    dilute them and so judge another scenario); ``replications``: independent runs of
    this length whose between-run interval would be narrow enough.
    """

    factor: float | None
    run_s: float | None
    replications: int | None
    text: str

    def to_json(self) -> dict[str, object]:
        return {
            "factor": self.factor,
            "run_s": self.run_s,
            "replications": self.replications,
            "text": self.text,
        }

    @classmethod
    def from_json(cls, doc: object) -> Settle:
        f = Fields.of(doc)
        return cls(
            f.opt_number("factor"),
            f.opt_number("run_s"),
            f.opt_integer("replications"),
            f.text("text"),
        )


def duration_text(seconds: float) -> str:
    """A duration for people: ``"42 s"``, ``"12 min"``, ``"3.5 h"``, ``"2.1 d"``.

    >>> duration_text(42.0), duration_text(720.0), duration_text(12_600.0), duration_text(2e5)
    ('42 s', '12 min', '3.5 h', '2.3 d')
    """
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= 2 * size:
            value = seconds / size
            return f"{value:.2g} {unit}" if value < 10 else f"{value:.0f} {unit}"  # noqa: PLR2004
    return f"{seconds:.0f} s"


def window_text(seconds: float) -> str:
    """An SLO window as an adjective: ``"5-min"``, ``"30-s"``, ``"6-h"``.

    >>> window_text(300.0), window_text(5.0), window_text(90.0), window_text(21600.0)
    ('5-min', '5-s', '90-s', '6-h')
    """
    if seconds >= 60 and (seconds / 60).is_integer() and seconds < 7200:  # noqa: PLR2004
        return f"{seconds / 60:g}-min"
    return duration_text(seconds).replace(" ", "-")


def settle(
    measured: float,
    ci: tuple[float, float],
    target: float,
    *,
    duration_s: float,
    warmup_s: float,
    scripted: bool = False,
    window: bool = False,
    replications: int | None = None,
    level: float = LEVEL,
) -> Settle:
    """How much more data would make ``ci`` clear ``target`` (module docstring).

    ``replications``: the interval is already a between-run one over that many runs.
    ``scripted`` (the run has scripted failures) or ``window`` (the estimate is one SLO
    window's): a longer run would not settle it, only replications; the text says why.
    """
    lo, hi = ci
    side, gap = (
        (hi - measured, target - measured)
        if target > measured
        else (
            measured - lo,
            measured - target,
        )
    )
    if gap <= 0 or side <= 0:
        return Settle(
            None, None, None, "the estimate is on the target: no amount of data settles it"
        )
    factor = (side / gap) ** 2
    runs = replications or 1
    # The standard error of one run's estimate, from the interval it came with.
    se_run = side / t_quantile(math.inf if runs == 1 else runs - 1, level) * math.sqrt(runs)
    n = max(2, math.ceil((se_run * t_quantile(math.inf, level) / gap) ** 2))
    while n < MAX_REPLICATIONS and t_quantile(n - 1, level) * se_run / math.sqrt(n) > gap:
        n += 1
    run_s = None if scripted or window else warmup_s + (duration_s - warmup_s) * runs * factor
    reps = f"{n} replications" if n < MAX_REPLICATIONS else "more than a million replications"
    if run_s is None:
        why = (
            "a longer run would dilute the scripted failures"
            if scripted
            else "a longer run adds windows, not data to the worst one"
        )
        text = (
            f"about {factor:.2g}x the data would settle it: {reps} of "
            f"{duration_text(duration_s)} ({why})"
        )
    else:
        text = (
            f"about {factor:.2g}x the data would settle it: a run of {duration_text(run_s)} "
            f"(now {duration_text(duration_s)}) or {reps}"
        )
    return Settle(round(factor, 3), None if run_s is None else round(run_s, 1), n, text)


@dataclass(frozen=True, slots=True)
class SloVerdict:
    """One SLO judged on a run: target, measured value with its CI, verdicts, a sentence.

    ``target`` and ``measured`` are in ``unit`` (ms, s, Mbps, or none for ratios).
    ``measured`` and ``ci`` are over the whole run (after the warmup), and ``passed`` is
    that estimate against the target (``"pass"``); ``verdict`` reads intervals (None only
    in documents written before verdicts), with ``ci_method`` (None: a metric without an
    interval) and, when at risk, ``settle``. A latency or success SLO is judged per window
    (``window_s``, :mod:`netsim.analysis.windows`): its verdict holds only if every
    window holds, ``worst_window`` and ``windows`` say where and how often it did not; a
    ``window: month`` SLO is judged on its composed monthly figure (``month``,
    :mod:`netsim.analysis.monthly`).
    """

    name: str
    metric: str  # latency | success_ratio | failover_gap | throughput
    traffic_class: str | None
    quantile: float | None
    target: float | None
    bound: Bound
    measured: float | None  # None: no data to judge
    ci: Interval
    unit: str
    passed: bool
    text: str
    verdict: Verdict | None = None
    ci_method: CiInfo | None = None
    settle: Settle | None = None
    window_s: float | None = None
    worst_window: WorstWindow | None = None
    windows: WindowCounts | None = None
    month: MonthFigure | None = None

    def to_json(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "name": self.name,
            "metric": self.metric,
            "class": self.traffic_class,
            "quantile": self.quantile,
            "target": self.target,
            "bound": self.bound.value,
            "measured": self.measured,
            "ci": pair(self.ci),
            "unit": self.unit,
            "pass": self.passed,
            "text": self.text,
        }
        if self.verdict is not None:
            doc.update(
                verdict=self.verdict.value,
                # issue 15's statistical word for "at risk": the interval straddles the target
                inconclusive=self.verdict is Verdict.AT_RISK,
                ci_method=None if self.ci_method is None else self.ci_method.to_json(),
                settle=None if self.settle is None else self.settle.to_json(),
            )
        if self.window_s is not None:
            doc["window_s"] = self.window_s
            doc["worst_window"] = None if self.worst_window is None else self.worst_window.to_json()
            doc["windows"] = None if self.windows is None else self.windows.to_json()
        if self.month is not None:
            doc["window"] = "month"
            doc["month"] = self.month.to_json()
        return doc

    @classmethod
    def from_json(cls, doc: object) -> SloVerdict:
        f = Fields.of(doc)
        method, how = f.opt_obj("ci_method"), f.opt_obj("settle")
        worst, counts, month = f.opt_obj("worst_window"), f.opt_obj("windows"), f.opt_obj("month")
        return cls(
            f.text("name"),
            f.text("metric"),
            f.opt_text("class"),
            f.opt_number("quantile"),
            f.opt_number("target"),
            f.member("bound", Bound),
            f.opt_number("measured"),
            f.interval("ci"),
            f.opt_text("unit") or "",
            f.flag("pass"),
            f.opt_text("text") or "",
            f.opt_member("verdict", Verdict),
            None if method is None else CiInfo.from_json(method),
            None if how is None else Settle.from_json(how),
            f.opt_number("window_s"),
            None if worst is None else WorstWindow.from_json(worst),
            None if counts is None else WindowCounts.from_json(counts),
            None if month is None else MonthFigure.from_json(month),
        )

    @property
    def judged_value(self) -> float | None:
        """The figure the verdict rests on: the worst window's, the month's, or the run's."""
        if self.month is not None:
            return self.month.measured
        if self.worst_window is not None:
            return self.worst_window.measured
        return self.measured


__all__ = [
    "Bound",
    "Settle",
    "SloVerdict",
    "Verdict",
    "duration_text",
    "judge",
    "overall",
    "settle",
    "window_text",
]
