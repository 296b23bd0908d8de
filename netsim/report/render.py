"""From figures and tables to files: PNG/SVG bytes, and the one self-contained HTML page.

The page embeds every figure as a base64 PNG ``data:`` URI and inlines its stylesheet, so it
needs no network and no other file. The Jinja2 template only loops and prints
(``StrictUndefined``, no ``default()`` chains): everything it shows is computed in Python.
"""

from __future__ import annotations

import base64
import io
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import markupsafe

from netsim.trace.files import atomic_write

if TYPE_CHECKING:
    from matplotlib.figure import Figure

HERE = Path(__file__).resolve().parent
PNG_DPI = 110
PARALLEL_FROM = 3  # figures from which drawing them on other processes pays


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
        # The PNG's draw placed everything: keep that layout for the SVG instead of
        # solving the constrained layout again (half the cost of a second save).
        fig.set_layout_engine("none")
        fig.savefig(vector, format="svg")
    fig.clear()
    return Rendered(slug, title, caption, png.getvalue(), vector.getvalue())


def render_figures(
    figures: list[tuple[Figure, str, str, str]], workers: int | None = 1
) -> list[Rendered]:
    """:func:`render_figure` of each ``(figure, slug, title, caption)``, in order. Drawing
    is most of a report's time; with ``workers`` other than 1 the figures are pickled
    (milliseconds) and drawn on local processes (``netsim.sweep.map_tasks``)."""
    if workers == 1 or len(figures) < PARALLEL_FROM:
        return [render_figure(*f) for f in figures]
    from netsim.sweep import map_tasks

    jobs = [(pickle.dumps(fig), slug, title, caption) for fig, slug, title, caption in figures]
    for fig, *_ in figures:
        fig.clear()
    return map_tasks(_render_pickled, jobs, workers)


def _render_pickled(job: tuple[bytes, str, str, str]) -> Rendered:
    """Draw one pickled figure (executed on a worker)."""
    data, slug, title, caption = job
    fig: Figure = pickle.loads(data)  # a figure this process's parent pickled
    return render_figure(fig, slug, title, caption)


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
    "Rendered",
    "publish",
    "render_figure",
    "render_figures",
    "render_html",
    "write_figures",
    "write_html",
]
