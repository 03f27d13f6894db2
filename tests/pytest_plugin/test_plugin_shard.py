"""`--llm-shard I/N`: shards that together run every item exactly once."""

from __future__ import annotations

import pytest

from tests.pytest_plugin.plugin_support import run, write


def test_three_shards_run_every_item_exactly_once_balanced_by_count(
    project: pytest.Pytester,
) -> None:
    tests = "".join(f"def test_{n}():\n    pass\n" for n in range(10))
    write(project, "tests/test_many.py", tests)
    ran: list[str] = []
    for index in (1, 2, 3):
        result = run(project, "-v", f"--llm-shard={index}/3", "tests/test_many.py")
        result.stdout.fnmatch_lines([f"llm-pytest shard {index}/3 (--llm-shard): *"])
        passed = [line.split()[0] for line in result.stdout.lines if " PASSED " in line]
        passed = [p for p in passed if "::" in p]
        assert len(passed) in (3, 4)
        ran += passed
    assert sorted(ran) == sorted(f"tests/test_many.py::test_{n}" for n in range(10))


def test_a_bad_shard_is_a_usage_error_naming_the_option(project: pytest.Pytester) -> None:
    result = run(project, "--llm-shard=4/3")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--llm-shard: expected I/N with 1 <= I <= N*got '4/3'"])
