"""The report in a real headless browser (Debian's chromium), on screen and on paper.

A copy of the page gets a probe script appended that, on load, records every image's
natural size and position, every section and every resource the page fetched.
``--dump-dom`` reads the probe back; a full-page ``--screenshot`` at the same width then
shows whether each figure is really visible (its region of the screenshot is not blank).
On paper, ``--print-to-pdf`` prints it and poppler's tools read the PDF: ``pdfinfo`` the
page count (the standard review fits 30 A4 pages), ``pdfimages -list`` which page each
figure is drawn on (a figure cut across pages would be drawn on two), ``pdftotext`` the
last line of each page (never a heading left alone). Skipped, with the reason, where
chromium or poppler-utils is missing (``scripts/setup.sh --lab`` installs both).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from PIL import Image

if TYPE_CHECKING:
    from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
POPPLER = all(shutil.which(t) for t in ("pdfinfo", "pdfimages", "pdftotext"))
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="needs Debian's chromium (apt-get install -y chromium)"
    ),
    pytest.mark.slow,
]
MAX_PAGES = 30
WIDTH = 1280
PROBE = """<script>
window.addEventListener('load', () => {
  const imgs = [...document.querySelectorAll('img')].map((img) => {
    const r = img.getBoundingClientRect();
    return {alt: img.alt, w: img.naturalWidth, h: img.naturalHeight, complete: img.complete,
            x: r.left + window.scrollX, y: r.top + window.scrollY, cw: r.width, ch: r.height};
  });
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify({
    imgs, height: document.documentElement.scrollHeight,
    resources: performance.getEntriesByType('resource').map((e) => e.name),
    sections: [...document.querySelectorAll('section')].map((s) => s.id)});
  document.body.appendChild(pre);
});
</script>"""


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def browsed(
    review_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], np.ndarray]:
    work = tmp_path_factory.mktemp("browser")
    page = work / "report.html"
    page.write_text((review_dir / "report.html").read_text().replace("</body>", PROBE + "</body>"))
    dom = chromium(work / "profile", f"--window-size={WIDTH},900", "--dump-dom", page.as_uri())
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom.stdout, re.S)
    assert found, f"no probe output; chromium said: {dom.stderr[-2000:]}"
    probe: dict[str, Any] = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    shot = work / "page.png"
    height = int(probe["height"]) + 50
    run = chromium(
        work / "profile", f"--window-size={WIDTH},{height}", f"--screenshot={shot}", page.as_uri()
    )
    assert shot.is_file(), run.stderr[-2000:]
    return probe, np.asarray(Image.open(shot).convert("L"), dtype=float)


def test_the_page_loads_every_image_and_fetches_nothing(
    browsed: tuple[dict[str, Any], np.ndarray], review_dir: Path
) -> None:
    probe, _ = browsed
    html = (review_dir / "report.html").read_text()
    assert len(probe["imgs"]) == html.count("<img ")
    for img in probe["imgs"]:
        assert img["complete"], img["alt"]
        assert min(img["w"], img["h"]) > 100, img["alt"]  # decoded
        assert min(img["cw"], img["ch"]) > 100, img["alt"]  # laid out, not hidden
    assert [r for r in probe["resources"] if not r.startswith("data:")] == []
    assert probe["sections"][:2] == ["verdict", "recommendations"]
    for section in (
        "summary",
        "assumptions",
        "topology",
        "slos",
        "availability",
        "cost",
        "alternatives",
    ):
        assert section in probe["sections"], section


def test_every_figure_is_visible_in_the_screenshot(
    browsed: tuple[dict[str, Any], np.ndarray],
) -> None:
    probe, pixels = browsed
    assert pixels.shape[1] == WIDTH
    blank = []
    for img in probe["imgs"]:
        x0, y0 = int(img["x"]), int(img["y"])
        region = pixels[y0 : y0 + int(img["ch"]), x0 : x0 + int(img["cw"])]
        assert region.shape[0] > 100, f"{img['alt']} is outside the screenshot"
        inked = float((region < 200).mean())  # drawn (non-white) pixels
        if region.std() < 10 or inked < 0.01:
            blank.append(img["alt"])
    assert blank == []
    # And the page is not one big figure: the space between figures is white.
    assert float((pixels > 250).mean()) > 0.5


@pytest.fixture(scope="module")
def printed(review_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("print")
    pdf = work / "report.pdf"
    run = chromium(
        work / "profile",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf}",
        (review_dir / "report.html").as_uri(),
    )
    assert pdf.is_file(), run.stderr[-2000:]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    return pdf


def _tool(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.mark.skipif(not POPPLER, reason="needs poppler-utils (pdfinfo, pdfimages, pdftotext)")
def test_the_page_prints_on_at_most_30_pages(printed: Path) -> None:
    pages = int(re.search(r"Pages:\s+(\d+)", _tool("pdfinfo", str(printed))).group(1))  # type: ignore[union-attr]
    assert 5 <= pages <= MAX_PAGES


@pytest.mark.skipif(not POPPLER, reason="needs poppler-utils (pdfinfo, pdfimages, pdftotext)")
def test_no_figure_is_cut_across_pages(printed: Path, review_dir: Path) -> None:
    rows = [x.split() for x in _tool("pdfimages", "-list", str(printed)).splitlines()[2:]]
    images = [(int(r[0]), int(r[10])) for r in rows if len(r) > 10 and r[2] == "image"]
    pages_of: dict[int, set[int]] = {}
    for page, obj in images:
        pages_of.setdefault(obj, set()).add(page)
    assert all(len(p) == 1 for p in pages_of.values()), pages_of
    assert len(pages_of) == (review_dir / "report.html").read_text().count("<img ")


@pytest.mark.skipif(not POPPLER, reason="needs poppler-utils (pdfinfo, pdfimages, pdftotext)")
def test_no_heading_is_left_alone_at_a_page_end(printed: Path, review_dir: Path) -> None:
    html = (review_dir / "report.html").read_text()
    headings = {h.strip() for h in re.findall(r"<h[23]>([^<]+)</h[23]>", html)}
    pages = _tool("pdftotext", "-layout", str(printed), "-").split("\f")
    for number, text in enumerate(pages[:-1], start=1):
        lines = [x.strip() for x in text.splitlines() if x.strip()]
        assert lines, f"page {number} is empty"
        assert lines[-1] not in headings, f"page {number} ends with the heading {lines[-1]!r}"
