"""``--llm-parallel N``: spec items run ahead of their turn, concurrently, and pytest still
reports them in collection order with their own outcomes."""

from __future__ import annotations

import pytest

from tests.pytest_plugin.plugin_support import NO_NOISE, run, write

MEET_PLUGIN = '''\
import threading
import time

import anyio

from llm_pytest import LLMPlugin

_lock = threading.Lock()
_present: dict[str, int] = {}
_met: set[str] = set()


class Meet(LLMPlugin):
    name = "meet"

    async def wait(self, group: str, count: int, within: float) -> dict:
        """Wait until `count` callers are waiting at `group` together (or `within` passed)."""
        with _lock:
            _present[group] = _present.get(group, 0) + 1
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with _lock:
                if _present[group] >= count:
                    _met.add(group)
                if group in _met:
                    return {"met": True}
            await anyio.sleep(0.01)
        with _lock:
            _present[group] -= 1
            return {"met": False, "present": _present[group] + 1}

    async def mark(self, path: str, text: str) -> dict:
        """Append a line to a file."""
        with open(path, "a", encoding="utf-8") as out:
            out.write(text + "\\n")
        return {"written": text}

    async def nap(self, seconds: float) -> dict:
        """Sleep."""
        await anyio.sleep(seconds)
        return {"slept": seconds}
'''


def _meeting(name: str, count: int, within: float, tags: str = "[]") -> str:
    return f"""\
    test:
      name: "{name}"
      tags: {tags}
    steps:
      - name: "Meet the others"
        tool: meet_wait
        args: {{group: g, count: {count}, within: {within}}}
        check: result.met
    """


@pytest.fixture
def meet(pytester: pytest.Pytester) -> pytest.Pytester:
    write(pytester, "tests/llm/plugins/meet.py", MEET_PLUGIN)
    return pytester


def test_items_run_at_the_same_time_with_llm_parallel(meet: pytest.Pytester) -> None:
    for i in range(4):
        write(meet, f"tests/llm/test_meet_{i}.yaml", _meeting(f"Meet {i}", 4, 20))
    result = run(meet, "--llm", "--llm-parallel", "4", "-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "llm-pytest parallel: up to 4 spec items in flight, at most 16 judge calls at once*",
            "*test_meet_0.yaml::Meet 0 PASSED*",
            "*test_meet_1.yaml::Meet 1 PASSED*",
            "*test_meet_2.yaml::Meet 2 PASSED*",
            "*test_meet_3.yaml::Meet 3 PASSED*",
        ]
    )


def test_without_llm_parallel_items_run_one_after_another(meet: pytest.Pytester) -> None:
    for i in range(2):
        write(meet, f"tests/llm/test_meet_{i}.yaml", _meeting(f"Meet {i}", 2, 0.3))
    result = run(meet, "--llm")
    result.assert_outcomes(failed=2)


def test_an_item_marked_llm_serial_waits_for_its_turn(meet: pytest.Pytester) -> None:
    write(meet, "tests/llm/test_meet_0.yaml", _meeting("Meet 0", 2, 0.5))
    write(meet, "tests/llm/test_meet_1.yaml", _meeting("Meet 1", 2, 0.5, tags="[llm_serial]"))
    result = run(meet, "--llm", "--llm-parallel", "2", "-m", "llm_serial or not llm_serial")
    result.assert_outcomes(failed=2)


SHARED_CONFTEST = """\
import pytest


@pytest.fixture(scope="session", autouse=True)
def everywhere():
    yield


@pytest.fixture(scope="session")
def shared():
    return {"group": "s"}


@pytest.fixture(scope="module")
def per_file(request):
    return request.path.stem


@pytest.fixture
def fresh():
    return "f"
"""


def _meeting_with(name: str, fixtures: str, group: str, count: int, within: float) -> str:
    return f"""\
    test:
      name: "{name}"
      fixtures: {fixtures}
    steps:
      - tool: meet_wait
        args: {{group: "{group}", count: {count}, within: {within}}}
        check: result.met
    """


def test_items_whose_fixtures_are_session_scoped_run_ahead(meet: pytest.Pytester) -> None:
    write(meet, "tests/llm/conftest.py", SHARED_CONFTEST)
    for i in range(3):
        write(
            meet,
            f"tests/llm/test_meet_{i}.yaml",
            _meeting_with(f"Meet {i}", "[shared]", "${fixtures.shared.group}", 3, 20),
        )
    result = run(meet, "--llm", "--llm-parallel", "3")
    result.assert_outcomes(passed=3)


def test_items_with_a_module_scoped_fixture_run_ahead_within_their_spec_file(
    meet: pytest.Pytester,
) -> None:
    write(meet, "tests/llm/conftest.py", SHARED_CONFTEST)
    first = [
        _meeting_with("Meet 0", "[per_file]", "${fixtures.per_file}", 2, 20),
        _meeting_with("Meet 1", "[per_file]", "${fixtures.per_file}", 2, 20),
        _meeting_with("Wait for later", "[per_file]", "later", 2, 0.5),
    ]
    write(meet, "tests/llm/test_a.yaml", "---\n".join(first))
    write(meet, "tests/llm/test_b.yaml", _meeting_with("Later", "[per_file]", "later", 2, 0.5))
    result = run(meet, "--llm", "--llm-parallel", "3", "-v")
    result.stdout.fnmatch_lines(
        [
            "*test_a.yaml::Meet 0 PASSED*",
            "*test_a.yaml::Meet 1 PASSED*",
            "*test_a.yaml::Wait for later FAILED*",
            "*test_b.yaml::Later FAILED*",
        ]
    )


def test_an_item_with_a_function_scoped_fixture_waits_for_its_turn(
    meet: pytest.Pytester,
) -> None:
    write(meet, "tests/llm/conftest.py", SHARED_CONFTEST)
    write(meet, "tests/llm/test_meet_0.yaml", _meeting_with("Meet 0", "[]", "g", 2, 0.5))
    write(meet, "tests/llm/test_meet_1.yaml", _meeting_with("Meet 1", "[fresh]", "g", 2, 0.5))
    result = run(meet, "--llm", "--llm-parallel", "2")
    result.assert_outcomes(failed=2)


def test_outcomes_stay_with_their_items_in_collection_order(meet: pytest.Pytester) -> None:
    write(
        meet,
        "tests/llm/test_mixed.yaml",
        """\
        test:
          name: "Slow pass"
        steps:
          - tool: meet_nap
            args: {seconds: 0.3}
        ---
        test:
          name: "Quick fail"
        steps:
          - tool: store_value
            args: {name: a, value: 1}
            check: result.value == 2
        ---
        test:
          name: "Expected failure"
          xfail: "known bug"
        steps:
          - tool: store_value
            args: {name: a, value: 1}
            check: result.value == 2
        ---
        test:
          name: "Skipped"
          skip: "not today"
        steps:
          - tool: store_value
            args: {name: a, value: 1}
        ---
        test:
          name: "Quick pass"
        steps:
          - tool: store_value
            args: {name: a, value: 1}
        """,
    )
    result = run(meet, "--llm", "--llm-parallel", "8", "-v", "-rA")
    result.assert_outcomes(passed=2, failed=1, xfailed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*::Slow pass PASSED*",
            "*::Quick fail FAILED*",
            "*::Expected failure XFAIL*",
            "*::Skipped SKIPPED*",
            "*::Quick pass PASSED*",
        ]
    )
    result.stdout.fnmatch_lines(["*result.value == 2*"])


def test_stopping_at_the_first_failure_cancels_the_items_running_ahead(
    meet: pytest.Pytester,
) -> None:
    marks = meet.path / "marks.txt"
    write(
        meet,
        "tests/llm/test_a_fail.yaml",
        """\
        test:
          name: "Fails"
        steps:
          - tool: meet_nap
            args: {seconds: 0.2}
            check: result.slept == 0
        """,
    )
    for i in range(3):
        write(
            meet,
            f"tests/llm/test_b_{i}.yaml",
            f"""\
            test:
              name: "Long {i}"
            steps:
              - tool: meet_mark
                args: {{path: "{marks}", text: "started {i}"}}
              - tool: meet_nap
                args: {{seconds: 120}}
              - tool: meet_mark
                args: {{path: "{marks}", text: "finished {i}"}}
            """,
        )
    result = meet.runpytest_subprocess(*NO_NOISE, "--llm", "--llm-parallel", "4", "-x", timeout=60)
    result.assert_outcomes(failed=1)
    lines = marks.read_text(encoding="utf-8").split() if marks.exists() else []
    assert "finished" not in lines
    assert lines.count("started") == 3


def test_llm_parallel_under_xdist_runs_every_item_once_with_its_outcome(
    meet: pytest.Pytester,
) -> None:
    for i in range(6):
        check = "result.value == 1" if i != 3 else "result.value == 2"
        write(
            meet,
            f"tests/llm/test_x_{i}.yaml",
            f"""\
            test:
              name: "X {i}"
            steps:
              - tool: meet_nap
                args: {{seconds: 0.1}}
              - tool: store_value
                args: {{name: a, value: 1}}
                check: {check}
            """,
        )
    result = meet.runpytest_subprocess(
        *NO_NOISE, "--llm", "-n", "2", "--llm-parallel", "4", timeout=120
    )
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(["*FAILED tests/llm/test_x_3.yaml::X 3*"])


def test_a_bad_llm_parallel_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--llm", "--llm-parallel", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--llm-parallel*"])
