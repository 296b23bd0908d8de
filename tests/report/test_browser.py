"""The report in a real headless browser (Debian's chromium).

A copy of the page gets a probe script appended that, on load, records every image's
natural size and position and every resource the page fetched. ``--dump-dom`` reads the
probe back; a full-page ``--screenshot`` at the same width then shows whether each figure
is really visible (its region of the screenshot is not blank). Skipped, with the reason,
where chromium is not installed.
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
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="needs Debian's chromium (apt-get install -y chromium)"
    ),
    pytest.mark.slow,
]
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
    assert probe["sections"][:2] == ["summary", "topology"]
    assert "alternatives" in probe["sections"]


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


def test_the_page_prints(review_dir: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    run = chromium(
        tmp_path / "profile",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf}",
        (review_dir / "report.html").as_uri(),
    )
    assert pdf.is_file(), run.stderr[-2000:]
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-"
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages >= 5
