"""Timelines around one failure, computed from the Trace.

Four panels share the time axis (seconds from the failure): the P95 latency of the affected
flows per bin (with the SLO line), the delivered throughput of those flows and the bytes on
the links involved (from ``Trace.link_series``, which includes bulk flows), the fraction of
attempts lost, and the path the affected flows used. Vertical lines mark the failure, each
link's detection (with its method), the switch to the new path (detection + convergence),
the repair and the restoration of the preferred path.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from netsim.analysis.failover import affected_flows
from netsim.report.style import MARK_STYLES, new_figure, path_label, plain_log_ticks
from netsim.trace.core import LOST, OK, Trace

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from netsim.trace.records import FailoverRecord

MAX_SPAN_S = 1800.0
MAX_LINKS = 6
SPLIT_S = 150.0  # longer failures are drawn as two zooms: the failure, the return
ZOOM_S = 45.0


@dataclass(frozen=True)
class Timeline:
    """Per-bin series around one failure; times are seconds relative to the failure."""

    subject: str
    mode: str
    t: np.ndarray  # bin starts
    bin_s: float
    p95_ms: np.ndarray  # NaN where nothing was delivered
    delivered_mbps: np.ndarray
    loss_ratio: np.ndarray  # NaN where nothing was sent
    path: np.ndarray  # index into path_labels; -1 nothing sent
    path_labels: list[str]
    link_mbps: dict[str, np.ndarray] = field(default_factory=dict)
    marks: list[tuple[float, str]] = field(default_factory=list)  # (t, label)
    path_flow: str = ""  # the flow whose path is shown (the busiest affected)


def _window(trace: Trace, rec: FailoverRecord, before: float, after: float) -> tuple[float, float]:
    at = float(rec.failed_at_s)
    end = next(
        (t for t in (rec.restored_at_s, rec.repaired_at_s, rec.switched_at_s) if t is not None),
        at + 60.0,
    )
    return max(0.0, at - before), min(trace.duration, float(end) + after, at + MAX_SPAN_S)


def _marks(trace: Trace, rec: FailoverRecord, t0: float, t1: float) -> list[tuple[float, str]]:
    at = float(rec.failed_at_s)
    marks = [(0.0, f"failure ({rec.mode})")]
    for event in trace.events:
        if (
            event.kind == "detected"
            and rec.id in event.attrs.get("failures", ())
            and t0 <= event.time <= t1
        ):
            marks.append(
                (event.time - at, f"detected: {event.subject} ({event.attrs.get('method')})")
            )
    for t, label in (
        (rec.switched_at_s, "switched"),
        (rec.repaired_at_s, "repaired"),
        (rec.restored_at_s, "restored"),
    ):
        if t is not None and t0 <= t <= t1:
            marks.append((t - at, label))
    return marks


def failure_timeline(
    trace: Trace, rec: FailoverRecord, before: float = 15.0, after: float = 15.0
) -> Timeline:
    """The series of :class:`Timeline` for the failover record ``rec`` (one of
    ``trace.failovers``)."""
    at = float(rec.failed_at_s)
    t0, t1 = _window(trace, rec, before, after)
    span = max(t1 - t0, 1.0)
    bin_s = max(trace.bin_s, float(np.ceil(span / 1200.0)))
    edges = np.arange(t0, t1 + bin_s, bin_s)
    n = len(edges) - 1
    a = trace.attempts
    flows = affected_flows(trace, set(rec.links), at)
    t_send = a["t_send"]
    sel = (t_send >= t0) & (t_send < t1)
    if flows:
        key = a["cls"].astype(np.int64) * 65536 + a["dst"].astype(np.int64)
        sel &= np.isin(key, [c * 65536 + d for c, d in flows])
    b = np.clip(((t_send[sel] - t0) // bin_s).astype(np.int64), 0, max(n - 1, 0))
    status = a["status"][sel]
    ok = status == OK
    lat = (a["t_done"][sel] - t_send[sel]) * 1e3
    p95 = np.full(n, np.nan)
    for i in np.unique(b[ok]):
        p95[i] = np.quantile(lat[ok & (b == i)], 0.95)
    sent = np.bincount(b, minlength=n)[:n].astype(float)
    lost = np.bincount(b[status == LOST], minlength=n)[:n].astype(float)
    loss = np.divide(lost, sent, out=np.full(n, np.nan), where=sent > 0)
    done = a["t_done"][sel][ok]
    bd = np.clip(((done - t0) // bin_s).astype(np.int64), 0, max(n - 1, 0))
    delivered = np.bincount(bd, weights=a["bytes"][sel][ok], minlength=n)[:n] * 8 / bin_s / 1e6
    flow, labels, path = _busiest_path(trace, sel, b, n)
    links = _links_involved(trace, rec, a["path"][sel])
    return Timeline(
        rec.subject,
        rec.mode,
        edges[:n] - at,
        bin_s,
        p95,
        delivered,
        loss,
        path,
        labels,
        _link_mbps(trace, links[:MAX_LINKS], (t0, t1), bin_s, n),
        _marks(trace, rec, t0, t1),
        flow,
    )


def _busiest_path(
    trace: Trace, sel: np.ndarray, b: np.ndarray, n: int
) -> tuple[str, list[str], np.ndarray]:
    """The busiest of the selected attempts' flows, the labels of the paths it used and, for
    each of the ``n`` bins (``b`` per attempt), the index of the label it used most (-1:
    nothing sent)."""
    a = trace.attempts
    path_ids = a["path"][sel]
    flow_key = a["cls"][sel].astype(np.int64) * 65536 + a["dst"][sel].astype(np.int64)
    busiest = Counter(flow_key.tolist()).most_common(1)
    mine = flow_key == busiest[0][0] if busiest else np.zeros(len(flow_key), dtype=bool)
    flow = (
        f"{trace.classes[busiest[0][0] // 65536]} → {trace.nodes[busiest[0][0] % 65536]}"
        if busiest
        else ""
    )
    used = sorted({int(p) for p in path_ids[mine] if p >= 0})
    labels = [path_label(trace.paths[p]) for p in used]
    index = {p: i for i, p in enumerate(used)}
    path = np.full(n, -1)
    for i in range(n):
        here = path_ids[mine & (b == i)]
        here = here[here >= 0]
        if len(here):
            path[i] = index[Counter(here.tolist()).most_common(1)[0][0]]
    return flow, labels, path


def _links_involved(trace: Trace, rec: FailoverRecord, path_ids: np.ndarray) -> list[str]:
    """The failed links, then the other links of the paths ``path_ids`` (by path id)."""
    links: list[str] = list(rec.links)
    for p in sorted({int(p) for p in path_ids if p >= 0}):
        links += [x for x in trace.paths[p] if x not in links]
    return links


def _link_mbps(
    trace: Trace, links: list[str], window: tuple[float, float], bin_s: float, n: int
) -> dict[str, np.ndarray]:
    """Both directions' bytes of each of ``links`` over ``window`` in ``n`` bins of ``bin_s``,
    as Mbit/s (the trace's bins summed in groups); links without a series are left out."""
    t0, t1 = window
    link_mbps = {}
    for name in links:
        parts = [
            np.asarray(trace.link_series[f"{name}:{d}"], dtype=float)
            for d in (0, 1)
            if f"{name}:{d}" in trace.link_series
        ]
        if not parts:
            continue
        series = np.sum(parts, axis=0)
        lo, hi = int(t0 // trace.bin_s), int(np.ceil(t1 / trace.bin_s))
        chunk = np.asarray(series[lo:hi], dtype=float)
        per_bin = round(bin_s / trace.bin_s)
        k = len(chunk) // per_bin * per_bin
        link_mbps[name] = chunk[:k].reshape(-1, per_bin).sum(axis=1)[:n] * 8 / bin_s / 1e6
    return link_mbps


def _merge_labels(labels: list[str]) -> str:
    """ "detected: a (bfd)" + "detected: b (bfd)" -> "detected: a, b (bfd)"."""
    detected = [x.split(": ", 1)[1] for x in labels if x.startswith("detected: ")]
    others = [x for x in labels if not x.startswith("detected: ")]
    if detected:
        by_method: dict[str, list[str]] = {}
        for d in detected:
            name, _, method = d.partition(" (")
            by_method.setdefault(method.rstrip(")"), []).append(name)
        others += [f"detected: {', '.join(v)} ({k})" for k, v in by_method.items()]
    return "; ".join(others)


def _zooms(tl: Timeline) -> list[tuple[float, float]]:
    """One x-range, or two (around the failure, around the return) for long failures."""
    lo, hi = float(tl.t[0]), float(tl.t[-1] + tl.bin_s) if len(tl.t) else 1.0
    if hi - lo <= SPLIT_S:
        return [(lo, hi)]
    back = max((x for x, label in tl.marks if label in ("repaired", "restored")), default=hi)
    return [(lo, min(ZOOM_S, hi)), (max(back - 30.0, ZOOM_S), hi)]


def plot_timeline(tl: Timeline, slo_ms: float | None = None, title: str | None = None) -> Figure:
    """Draw a :class:`Timeline` (see the module docstring)."""
    zooms = _zooms(tl)
    fig = new_figure(9.5, 7.8)
    grid = fig.subplots(
        4, len(zooms), sharey="row", squeeze=False, gridspec_kw={"height_ratios": [3, 3, 2, 1.6]}
    )
    t = tl.t + tl.bin_s / 2
    keys: dict[float, tuple[int, str, str]] = {}  # mark time -> (number, text, colour)
    groups: dict[float, list[str]] = {}
    for x, label in tl.marks:
        groups.setdefault(round(x, 2), []).append(label)
    for col, (x0, x1) in enumerate(zooms):
        ax_lat, ax_tp, ax_loss, ax_path = grid[:, col]
        ax_lat.plot(
            t, tl.p95_ms, color="#1f5fa8", lw=1.2, gid="timeline:p95", drawstyle="steps-mid"
        )
        if slo_ms is not None:
            ax_lat.axhline(slo_ms, color="#2e7d32", ls="--", lw=1, label=f"SLO {slo_ms:g} ms")
        if np.isfinite(tl.p95_ms).any():
            ax_lat.set_yscale("log")
            plain_log_ticks(ax_lat.yaxis)
        ax_tp.plot(
            t,
            tl.delivered_mbps,
            color="black",
            lw=1.2,
            label="delivered (affected flows)",
            gid="timeline:delivered",
        )
        for name, series in tl.link_mbps.items():
            ax_tp.plot(
                t[: len(series)],
                series,
                lw=1,
                ls="--",
                alpha=0.9,
                label=f"link {name}",
                gid=f"timeline:link:{name}",
            )
        if (tl.delivered_mbps > 0).any() or any((v > 0).any() for v in tl.link_mbps.values()):
            ax_tp.set_yscale("symlog", linthresh=1.0)
        ax_loss.fill_between(
            t,
            np.nan_to_num(tl.loss_ratio),
            step="mid",
            color="#c62828",
            alpha=0.6,
            gid="timeline:loss",
        )
        ax_loss.set_ylim(0, 1.05)
        ax_path.step(
            t,
            np.where(tl.path >= 0, tl.path, np.nan),
            where="mid",
            color="#6a4c93",
            lw=2,
            gid="timeline:path",
        )
        ax_path.set_yticks(range(len(tl.path_labels)), tl.path_labels, fontsize=6.5)
        ax_path.set_ylim(-0.5, max(len(tl.path_labels) - 0.5, 0.5))
        for ax in grid[:, col]:
            ax.set_xlim(x0, x1)
            ax.tick_params(labelsize=7)
            ax.grid(True, alpha=0.25)
            for x, label in tl.marks:
                colour, style = MARK_STYLES.get(label.split(":")[0].split(" ")[0], ("#555", ":"))
                ax.axvline(x, color=colour, ls=style, lw=0.9)
        visible = [(x, labels) for x, labels in sorted(groups.items()) if x0 <= x <= x1]
        last = -np.inf
        level = 0
        for x, labels in visible:
            colour, _ = MARK_STYLES.get(labels[0].split(":")[0].split(" ")[0], ("#555", ":"))
            number = keys.setdefault(round(x, 2), (len(keys) + 1, _merge_labels(labels), colour))[0]
            # Numbers of marks close together are staggered upwards, never on the data.
            level = level + 1 if (x - last) < 0.04 * (x1 - x0) else 0
            last = x
            ax_lat.annotate(
                str(number),
                (x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, 2 + 9 * level),
                textcoords="offset points",
                fontsize=7,
                color=colour,
                ha="center",
                va="bottom",
                weight="bold",
                annotation_clip=False,
            )
    grid[0, 0].set_ylabel(f"P95 per {tl.bin_s:g} s\n(ms)", fontsize=8)
    grid[1, 0].set_ylabel("Mbit/s", fontsize=8)
    grid[2, 0].set_ylabel("attempts\nlost", fontsize=8)
    grid[3, 0].set_ylabel(f"path of\n{tl.path_flow}", fontsize=7)
    if slo_ms is not None:
        grid[0, -1].legend(fontsize=7, loc="lower right")

    fig.suptitle(title or f"{tl.subject}: {tl.mode}", fontsize=10)
    key = "   ".join(
        f"{n} {text}" + (f" (+{x:.1f} s)" if x else "")
        for x, (n, text, _) in sorted(keys.items(), key=lambda kv: kv[1][0])
    )
    zoom = " (two zooms: the failure, the return)" if len(zooms) > 1 else ""
    for ax in grid[-1, :]:
        ax.set_xlabel(f"seconds from the failure{zoom}", fontsize=8)
    # Outside the axes, at the bottom, with the key of the numbered marks as its title: a
    # legend or labels inside would cover the series.
    handles, labels = grid[1, 0].get_legend_handles_labels()
    legend = fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=4,
        fontsize=7,
        frameon=False,
        title=key,
        title_fontsize=7,
    )
    legend.get_title().set_horizontalalignment("center")
    return fig


def plot_failure_timeline(
    trace: Trace, rec: FailoverRecord, slo_ms: float | None = None, title: str | None = None
) -> Figure:
    """:func:`failure_timeline` then :func:`plot_timeline`, for notebooks."""
    return plot_timeline(failure_timeline(trace, rec), slo_ms, title)


__all__ = ["Timeline", "failure_timeline", "plot_failure_timeline", "plot_timeline"]
