"""The guide's picture of the HTML report is taken by headless Chromium from a real report.

The report is that of a ``pytest --llm --llm-html`` session over the example project of
``docs/reports.md`` (its plugin and specs) and one more spec, judged by the scripted judge.

``LLM_PYTEST_UPDATE_SCREENSHOT=1 python -m pytest tests/docs/test_docs_screenshot.py`` writes
``docs/images/report.png`` anew; without it the test takes a screenshot into a temporary folder
and checks that it shows something, so a report that renders blank fails here too.
"""

from __future__ import annotations

import collections
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from tests.docs.test_docs_examples import _blocks

PICTURE = Path(__file__).parents[2] / "docs" / "images" / "report.png"
SIZE = (1280, 900)
CHECKOUT = """\
test:
  name: "Checkout"
  iterations: 4
  min_pass_rate: 0.75
steps:
  - name: "Pay for the cart"
    tool: shop_add_to_cart
    args: {sku: "W-${iteration}", quantity: "${iteration}"}
    check: result.total < 10
    expect: "The cart's total is the unit price times the quantity"
"""
VERDICTS = """\
"Cart reads well":
  verdict: PASS
  reason: "the cart lists W-1 at 3.50 EUR with a total of 3.50 EUR"
"Checkout":
  - {verdict: PASS, reason: "3.50 EUR for one widget is right"}
  - verdict: FAIL
    reason: "7.00 EUR is right, but the cart does not say whether VAT is included"
    issues: ["the cart should state whether its total includes VAT"]
"""
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)


def _png(data: bytes) -> tuple[tuple[int, int], bytes]:
    """The width and height of a PNG, and its decompressed (still filtered) image data."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    size, idat, pos = (0, 0), b"", 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return size, zlib.decompress(idat)


def _assert_shows_something(picture: Path) -> None:
    size, pixels = _png(picture.read_bytes())
    assert size == SIZE
    # A blank page compresses to one byte value repeated (0 after a Sub/Up filter, or the
    # background colour unfiltered); text, tables and colours give many.
    counts = collections.Counter(pixels)
    assert len(counts) > 32, f"{picture} looks blank: {len(counts)} distinct byte values"
    assert counts.most_common(1)[0][1] < 0.97 * len(pixels), f"{picture} is nearly one colour"


def _screenshot(page: Path, picture: Path, profile: Path) -> None:
    assert CHROMIUM is not None
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={picture}",
            f"--window-size={SIZE[0]},{SIZE[1]}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )


def _report(pytester: pytest.Pytester) -> Path:
    """The HTML report of the guide's example project."""
    for block in _blocks((PICTURE.parents[1] / "reports.md").read_text(encoding="utf-8")):
        if block.file is not None:
            target = pytester.path / block.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body, encoding="utf-8")
    (pytester.path / "tests/llm/test_basket_checkout.yaml").write_text(CHECKOUT, encoding="utf-8")
    (pytester.path / "verdicts.yaml").write_text(VERDICTS, encoding="utf-8")
    # a process of its own, so the report's header shows the command as a user types it
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "tests/llm", "--llm", "--llm-provider", "scripted"),
            *("-o", "llm_judge_script=verdicts.yaml", "--llm-html", "report.html"),
        ],
        cwd=pytester.path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "1 failed, 2 passed" in done.stdout, done.stdout + done.stderr
    return pytester.path / "report.html"


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium on PATH: apt-get install chromium")
def test_the_html_report_screenshot_of_the_guide_shows_a_rendered_report(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    page = _report(pytester)
    update = os.environ.get("LLM_PYTEST_UPDATE_SCREENSHOT") == "1"
    picture = PICTURE if update else tmp_path / "report.png"
    picture.parent.mkdir(parents=True, exist_ok=True)
    _screenshot(page, picture, tmp_path / "profile")
    _assert_shows_something(picture)


def test_the_guide_shows_the_committed_screenshot_of_the_html_report() -> None:
    _assert_shows_something(PICTURE)
    reports = (PICTURE.parents[1] / "reports.md").read_text(encoding="utf-8")
    assert "](images/report.png)" in reports
