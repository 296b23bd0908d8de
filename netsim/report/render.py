"""From figures and tables to files: PNG/SVG bytes, and the one self-contained HTML page.

The page embeds every figure as a base64 PNG ``data:`` URI and inlines its stylesheet, so it
needs no network and no other file. The Jinja2 template only loops and prints
(``StrictUndefined``, no ``default()`` chains): everything it shows is computed in Python.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import markupsafe

from netsim.trace.files import atomic_write

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from matplotlib.figure import Figure

HERE = Path(__file__).resolve().parent
PNG_DPI = 110


@dataclass(frozen=True)
class Rendered:
    """One figure, rendered."""

    slug: str
    title: str
    caption: str
    png: bytes
    svg: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    def for_template(self) -> dict[str, str]:
        return {
            "slug": self.slug,
            "title": self.title,
            "caption": self.caption,
            "src": self.data_uri,
        }


def render_figure(
    fig: Figure, slug: str, title: str, caption: str = "", svg: bool = True
) -> Rendered:
    """PNG (and SVG) bytes of ``fig``; the figure is cleared afterwards to free memory."""
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=PNG_DPI)
    vector = io.BytesIO()
    if svg:
        # The PNG's save laid the figure out (constrained layout, in figure fractions and
        # points, so the same at any dpi): keep that layout rather than solve it again,
        # which was a third of the SVG's time.
        fig.set_layout_engine("none")
        fig.savefig(vector, format="svg")
    fig.clear()
    return Rendered(slug, title, caption, png.getvalue(), vector.getvalue())


@dataclass(frozen=True)
class FigureJob:
    """A figure to draw: the function that returns it, its arguments, and its names."""

    plot: Callable[..., Figure]
    args: tuple[object, ...]
    slug: str
    title: str
    caption: str = ""
    kwargs: dict[str, object] = field(default_factory=dict)

    def render(self) -> Rendered:
        return render_figure(
            self.plot(*self.args, **self.kwargs), self.slug, self.title, self.caption
        )


_JOBS: list[FigureJob] = []  # the jobs a forked pool renders (inherited, never pickled)


def _render_at(index: int) -> Rendered:
    return _JOBS[index].render()


def render_jobs(jobs: Sequence[FigureJob], workers: int | None = None) -> list[Rendered]:
    """Every figure drawn and rendered, in order; in ``workers`` forked processes when
    the platform forks (the figures' data, traces included, is inherited, not copied),
    else here. Drawing and writing PNG and SVG is most of a report's time."""
    import multiprocessing
    import os

    count = min(workers or os.cpu_count() or 1, len(jobs))
    if count <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [job.render() for job in jobs]
    from concurrent.futures import ProcessPoolExecutor

    _JOBS[:] = list(jobs)
    try:
        with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_render_at, range(len(jobs))))
    finally:
        _JOBS.clear()


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(doc: dict[str, object]) -> str:
    """The report page from the document built by :func:`netsim.report.build.report_doc`."""
    # The stylesheet is ours, not data: mark it safe so autoescaping leaves its quotes alone.
    css = markupsafe.Markup((HERE / "report.css").read_text())
    return environment().get_template("report.html.j2").render(css=css, **doc)


def write_figures(figures: list[Rendered], directory: Path) -> list[Path]:
    """Every figure as ``<slug>.png`` and ``<slug>.svg`` (atomic writes)."""
    out = []
    for fig in figures:
        for ext, data in (("png", fig.png), ("svg", fig.svg)):
            if data:
                path = directory / f"{fig.slug}.{ext}"
                publish(path, data)
                out.append(path)
    return out


def publish(path: Path, data: bytes) -> Path:
    """:func:`~netsim.trace.files.atomic_write`, then readable by all: a report is for sharing
    (the temporary file it renames is private, 0600)."""
    atomic_write(path, data)
    path.chmod(0o644)
    return path


def write_html(path: Path, html: str) -> Path:
    return publish(path, html.encode("utf-8"))


__all__ = [
    "FigureJob",
    "Rendered",
    "publish",
    "render_figure",
    "render_html",
    "render_jobs",
    "write_figures",
    "write_html",
]
