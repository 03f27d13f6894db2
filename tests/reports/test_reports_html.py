"""The HTML report: one self-contained file, checked as text and in a real headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from llm_pytest.api import run_spec
from llm_pytest.reports.html import render_html, write_html
from llm_pytest.reports.records import record_of
from llm_pytest.runtime.tools import build_registry
from tests.reports.reports_support import NO_JUDGE, run_records

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)


class _Elements(HTMLParser):
    """Every start tag with its attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.elements


def test_report_is_one_file_with_no_external_assets(tmp_path: Path) -> None:
    html = render_html(run_records(tmp_path))
    for tag, attrs in _elements(html):
        assert tag not in ("link", "img", "iframe", "object", "embed")
        assert "src" not in attrs, tag
        href = attrs.get("href")
        assert href is None or href.startswith("#"), href
    assert not re.search(r"@import|url\(", html)


def test_data_from_specs_and_tools_is_escaped(tmp_path: Path) -> None:
    html = render_html(run_records(tmp_path))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html
    assert html.count("<script>") == 1  # ours


def test_report_has_summary_iterations_reasons_and_expandable_steps(tmp_path: Path) -> None:
    html = render_html(run_records(tmp_path), command="pytest --llm")
    elements = _elements(html)
    sections = [a for t, a in elements if t == "section"]
    assert [(s["data-outcome"], s["data-flaky"]) for s in sections] == [
        ("passed", "true"),
        ("failed", "false"),
        ("skipped", "false"),
    ]
    runs = [a for t, a in elements if t == "details" and a.get("class") == "run"]
    assert [r["data-outcome"] for r in runs] == ["PASS", "FAIL", "PASS", "FAIL", "FAIL", "UNCLEAR"]
    assert ["open" in r for r in runs] == [False, True, False, True, True, False]
    steps = [a for t, a in elements if t == "details" and a.get("class") == "step"]
    assert len(steps) == 6
    for text in (
        "the stored value is markup: &lt;script&gt;",
        "values should be plain text",
        "it is &lt;script&gt;",
        NO_JUDGE,
        "result.value % 2 == 1",
        "pass^k",
        "pass@k",
        "<code>pytest --llm</code>",
    ):
        assert text in html


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium on PATH: apt-get install chromium")
def test_report_filters_and_expands_in_a_headless_browser(tmp_path: Path) -> None:
    page = write_html(tmp_path / "report.html", run_records(tmp_path))

    def dom(fragment: str) -> list[tuple[str, dict[str, str | None]]]:
        assert CHROMIUM is not None
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--dump-dom",
                f"{page.as_uri()}#{fragment}",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return _elements(done.stdout)

    failed = dom("filter=failed")
    body = next(a for t, a in failed if t == "body")
    assert (body["data-filter"], body["data-shown"]) == ("failed", "1")
    shown = {a["data-outcome"]: "hidden" not in a for t, a in failed if t == "section"}
    assert shown == {"passed": False, "failed": True, "skipped": False}
    rows = {a["data-outcome"]: "hidden" not in a for t, a in failed if a.get("class") == "row"}
    assert rows == {"passed": False, "failed": True, "skipped": False}
    pressed = [a["data-filter"] for t, a in failed if a.get("aria-pressed") == "true"]
    assert pressed == ["failed"]

    # A fragment that is not a filter's name leaves the page working, showing everything.
    odd = dom("filter=%22%5D")
    body = next(a for t, a in odd if t == "body")
    assert (body["data-filter"], body["data-shown"]) == ("all", "3")

    searched = dom("q=UNJUDGED&expand=all")
    body = next(a for t, a in searched if t == "body")
    assert (body["data-filter"], body["data-shown"]) == ("all", "1")
    assert all("open" in a for t, a in searched if t == "details")


def test_a_step_that_failed_as_expected_shows_the_expectation_and_the_error(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "test_missing.yaml"
    spec.write_text(
        "test: {name: Missing}\nsteps:\n  - tool: read_file\n    args: {path: absent.txt}\n"
        "    expect_error: file not found\n",
        encoding="utf-8",
    )
    (item,) = run_spec(spec, registry=build_registry()).items
    html = render_html([record_of(item, nodeid="m::Missing", group="m", label="Missing")])
    assert (
        "expect_error: an error matching `file not found`; got <code>file not found: "
        f"{tmp_path}/absent.txt" in html
    )


def test_runs_card_counts_every_run_state_and_items_say_runs_passed_of_their_runs(
    tmp_path: Path,
) -> None:
    html = render_html(run_records(tmp_path))
    assert "6</b>2 PASS · 3 FAIL · 1 UNCLEAR</div>" in html
    assert "runs passed: 2 of 6 (1 UNCLEAR left out)" in html
    assert "runs passed: 2 of 4 (pass rate 50%)" in html
    assert "judged runs" not in html
