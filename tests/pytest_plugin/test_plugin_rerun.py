"""pytest's own run selection with spec items: `--lf`, `--sw`, `-x` and `--maxfail`."""

from __future__ import annotations

from collections.abc import Collection

import pytest

from tests.pytest_plugin.plugin_support import write

WITH_CACHE = ("-p", "no:benchmark", "-p", "no:hypothesispytest")
"""Inner sessions keep pytest's cache: `--lf` and `--sw` read it."""


def _test(name: str, value: int, expected: int) -> str:
    return f"""\
test:
  name: "{name}"
steps:
  - name: "Store"
    tool: store_value
    args: {{name: v, value: {value}}}
    check: result.value == {expected}
"""


def _suite(pytester: pytest.Pytester, fixed: Collection[str] = ()) -> None:
    """Two spec files: `first` passes, fails, passes; `second` fails, passes. Names in
    ``fixed`` pass."""
    outcomes = {"A": True, "B": False, "C": True, "D": False, "E": True}

    def doc(name: str) -> str:
        ok = outcomes[name] or name in fixed
        return _test(name, 1, 1 if ok else 2)

    write(pytester, "tests/llm/test_first.yaml", "---\n".join(doc(n) for n in "ABC"))
    write(pytester, "tests/llm/test_second.yaml", "---\n".join(doc(n) for n in "DE"))


def _ran(result: pytest.RunResult) -> list[str]:
    """The items that ran, as `file::name OUTCOME`, in order (from `-v` output)."""
    out = []
    for line in result.outlines:
        if line.startswith("tests/llm/") and any(w in line for w in ("PASSED", "FAILED")):
            nodeid, _, rest = line.partition(" ")
            out.append(f"{nodeid.removeprefix('tests/llm/test_')} {rest.split()[0]}")
    return out


def _pytest(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*WITH_CACHE, "--llm", "-v", "-p", "no:randomly", *args)


def test_last_failed_reruns_only_the_spec_items_that_failed(pytester: pytest.Pytester) -> None:
    _suite(pytester)
    _pytest(pytester).assert_outcomes(passed=3, failed=2)
    again = _pytest(pytester, "--lf")
    again.assert_outcomes(failed=2)
    again.stdout.fnmatch_lines(["run-last-failure: rerun previous 2 failures*"])
    assert _ran(again) == ["first.yaml::B FAILED", "second.yaml::D FAILED"]
    _suite(pytester, fixed={"B"})
    fixed = _pytest(pytester, "--lf")
    assert _ran(fixed) == ["first.yaml::B PASSED", "second.yaml::D FAILED"]
    assert _ran(_pytest(pytester, "--lf")) == ["second.yaml::D FAILED"]


def test_failed_first_runs_the_failed_spec_items_before_the_others(
    pytester: pytest.Pytester,
) -> None:
    _suite(pytester)
    _pytest(pytester)
    result = _pytest(pytester, "--ff")
    assert _ran(result)[:2] == ["first.yaml::B FAILED", "second.yaml::D FAILED"]
    assert len(_ran(result)) == 5


def test_stepwise_stops_at_the_first_failure_and_resumes_there(pytester: pytest.Pytester) -> None:
    _suite(pytester)
    first = _pytest(pytester, "--sw")
    assert _ran(first) == ["first.yaml::A PASSED", "first.yaml::B FAILED"]
    _suite(pytester, fixed={"B"})
    second = _pytest(pytester, "--sw")
    assert _ran(second) == [
        "first.yaml::B PASSED",
        "first.yaml::C PASSED",
        "second.yaml::D FAILED",
    ]


def test_exitfirst_stops_after_the_first_failing_spec_item(pytester: pytest.Pytester) -> None:
    _suite(pytester)
    result = _pytest(pytester, "-x")
    assert _ran(result) == ["first.yaml::A PASSED", "first.yaml::B FAILED"]
    result.stdout.fnmatch_lines(["*stopping after 1 failures*", "*1 failed, 1 passed*"])


def test_maxfail_stops_after_that_many_failing_spec_items(pytester: pytest.Pytester) -> None:
    _suite(pytester)
    one = _pytest(pytester, "--maxfail=1")
    assert _ran(one) == ["first.yaml::A PASSED", "first.yaml::B FAILED"]
    two = _pytest(pytester, "--maxfail=2")
    assert _ran(two) == [
        "first.yaml::A PASSED",
        "first.yaml::B FAILED",
        "first.yaml::C PASSED",
        "second.yaml::D FAILED",
    ]
    two.stdout.fnmatch_lines(["*stopping after 2 failures*"])
