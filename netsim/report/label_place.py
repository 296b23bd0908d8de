"""Labels that do not overlap: a greedy placer in a figure's display coordinates.

A drawing asks :class:`Placer` to put each label at the first of its candidate spots whose
rendered box is inside the figure and clear of everything placed so far (and of the
obstacles it was given: node markers, the title, the legend). A label that fits nowhere is
left off, or, when it must be drawn (a node's name), put at its first spot anyway. Labels
are tried in the caller's order, so what matters most goes first and keeps its best spot.

Boxes are measured with the figure's own renderer once the layout is fixed, so what is
checked is what is drawn; the same inputs always give the same placement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox, BboxBase


@dataclass(frozen=True, slots=True)
class Spot:
    """One place to try a label: its text, the data point, an offset in points, alignment."""

    text: str
    xy: tuple[float, float]
    offset: tuple[float, float] = (0.0, 0.0)
    ha: str = "center"
    va: str = "center"


@dataclass
class Placer:
    """Boxes taken so far, in pixels, and the renderer that measures new ones.

    ``pad`` pixels are kept between any two boxes, so two labels never touch even where a
    label's rounded background reaches past its text.
    """

    renderer: RendererBase
    bounds: BboxBase
    pad: float = 2.0
    _boxes: list[tuple[float, float, float, float]] = field(default_factory=list)

    def mark(self) -> int:
        """A point to go back to with :meth:`release`."""
        return len(self._boxes)

    def release(self, mark: int) -> None:
        """Free every box blocked since ``mark`` (their labels are the caller's to remove)."""
        del self._boxes[mark:]

    def block(self, box: Bbox) -> None:
        """Keep ``box`` clear of every label placed from now on."""
        self._boxes.append((box.x0, box.y0, box.x1, box.y1))

    def is_clear(self, box: Bbox) -> bool:
        """Whether ``box`` is inside the bounds and, with the padding, clear of all taken."""
        b = self.bounds
        if box.x0 < b.x0 or box.y0 < b.y0 or box.x1 > b.x1 or box.y1 > b.y1:
            return False
        if not self._boxes:
            return True
        taken = np.asarray(self._boxes)
        p = self.pad
        hit = (
            (taken[:, 0] < box.x1 + p)
            & (taken[:, 2] > box.x0 - p)
            & (taken[:, 1] < box.y1 + p)
            & (taken[:, 3] > box.y0 - p)
        )
        return not bool(hit.any())

    def place(
        self, ax: Axes, spots: Sequence[Spot], *, force: bool = False, **style: Any
    ) -> Text | None:
        """Draw the first of ``spots`` that is clear and block its box; else None.

        With ``force`` a label that fits nowhere is drawn at its first spot all the same.
        """
        for spot in spots:
            text = _annotate(ax, spot, style)
            box = text.get_window_extent(self.renderer)
            if self.is_clear(box):
                self.block(box)
                return text
            text.remove()
        if force and spots:
            text = _annotate(ax, spots[0], style)
            self.block(text.get_window_extent(self.renderer))
            return text
        return None


def _annotate(ax: Axes, spot: Spot, style: dict[str, Any]) -> Text:
    return ax.annotate(
        spot.text,
        spot.xy,
        xytext=spot.offset,
        textcoords="offset points",
        ha=spot.ha,
        va=spot.va,
        annotation_clip=False,
        **style,
    )


def overlapping(boxes: Sequence[tuple[str, Bbox]]) -> list[tuple[str, str]]:
    """Names of every pair of boxes that intersect (what the tests assert is empty).

    >>> from matplotlib.transforms import Bbox
    >>> a, b, c = Bbox([[0, 0], [2, 1]]), Bbox([[1, 0], [3, 1]]), Bbox([[5, 5], [6, 6]])
    >>> overlapping([("a", a), ("b", b), ("c", c)])
    [('a', 'b')]
    """
    out = []
    for i, (name_a, a) in enumerate(boxes):
        for name_b, b in boxes[i + 1 :]:
            if a.overlaps(b):
                out.append((name_a, name_b))
    return out


__all__ = ["Placer", "Spot", "overlapping"]
