"""What UNCLEAR runs do to their item (``--llm-unclear``): no judge skips it, a judge that fails
fails it, and the summary says how many runs were UNCLEAR and why, without ``-rs``."""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path

import pytest

from llm_pytest._defaults import UnclearPolicy
from llm_pytest.api import run_spec
from llm_pytest.judging.judge import make_judge
from llm_pytest.runtime.tools import build_registry
from tests.judging.fakes.llm_server import Answer, serving
from tests.pytest_plugin.plugin_support import run, write

SPEC = """\
    test:
      name: "Stored"
    steps:
      - tool: store_value
        args: {name: a, value: 1}
        expect: "The value is stored"
    """

NO_JUDGE_SKIP = (
    "SKIPPED tests/llm/test_stored.yaml::Stored: all 2 runs UNCLEAR: no judge configured*"
)


@pytest.fixture
def spec(pytester: pytest.Pytester) -> pytest.Pytester:
    write(pytester, "tests/llm/test_stored.yaml", SPEC)
    return pytester


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _openai_ini(pytester: pytest.Pytester, base_url: str, timeout: float = 30) -> None:
    pytester.makeini(
        "[pytest]\n"
        "llm_provider = openai\n"
        f"llm_judge_base_url = {base_url}\n"
        f"llm_judge_timeout = {timeout}\n"
        "llm_judge_max_retries = 0\n"
    )


def test_an_item_no_judge_could_judge_is_skipped_with_the_reason_shown_without_rs(
    spec: pytest.Pytester,
) -> None:
    result = run(spec, "--llm", "--llm-provider", "offline", "--llm-iterations", "2")
    result.assert_outcomes(skipped=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*llm-pytest summary*",
            "*",
            "UNCLEAR runs: 2 of 2 (no judge configured: 2)",
            NO_JUDGE_SKIP,
        ]
    )
    assert "short test summary info" not in result.stdout.str()


def test_the_session_header_says_what_unclear_runs_do(spec: pytest.Pytester) -> None:
    result = run(spec, "--llm", "--llm-provider", "offline")
    result.stdout.fnmatch_lines(
        [
            "llm-pytest UNCLEAR runs: an item no judge could judge is skipped, one whose judge "
            "failed fails (--llm-unclear=skip)"
        ]
    )
    failing = run(spec, "--llm", "--llm-provider", "offline", "--llm-unclear", "fail")
    failing.stdout.fnmatch_lines(
        ["llm-pytest UNCLEAR runs: any UNCLEAR run fails its item (--llm-unclear=fail)"]
    )


def test_a_judge_that_cannot_be_reached_fails_the_item_with_its_error(
    spec: pytest.Pytester,
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    _openai_ini(spec, url)
    result = run(spec, "--llm")
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "Stored: the judge failed on 1 of 1 runs, which fails the item",
            "run 1 of 1: UNCLEAR, the judge failed (openai *)",
            f"  the judge could not answer: openai-compatible API at {url}: *",
            "UNCLEAR runs: 1 of 1 (the judge failed: 1)",
            "UNCLEAR tests/llm/test_stored.yaml::Stored: 1 of 1 runs: the judge could not answer*",
        ]
    )


def test_a_judge_slower_than_its_timeout_fails_the_item(spec: pytest.Pytester) -> None:
    with serving() as server:
        server.script(Answer(hold=True))
        _openai_ini(spec, f"{server.url}/v1", timeout=0.2)
        result = run(spec, "--llm")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  the judge could not answer: *"])


def test_a_judge_answering_unclear_on_every_run_fails_the_item(spec: pytest.Pytester) -> None:
    spec.makeini("[pytest]\nllm_provider = scripted\nllm_judge_script = verdicts.yaml\n")
    write(spec, "verdicts.yaml", "Stored: {verdict: UNCLEAR, reason: the trace shows no store}\n")
    result = run(spec, "--llm", "--llm-iterations", "2")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "Stored: the judge could not decide any of the 2 runs",
            "run 1 of 2: UNCLEAR, the judge could not decide (scripted)",
            "  the trace shows no store",
            "UNCLEAR runs: 2 of 2 (the judge could not decide: 2)",
        ]
    )


def test_llm_unclear_fail_fails_an_item_no_judge_could_judge(spec: pytest.Pytester) -> None:
    result = run(spec, "--llm", "--llm-provider", "offline", "--llm-unclear=fail")
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "Stored: 1 of 1 runs UNCLEAR, and --llm-unclear=fail fails them",
            "run 1 of 1: UNCLEAR, no judge configured (offline)",
            "  no judge configured: *",
        ]
    )


def test_ini_llm_unclear_fail_fails_an_item_no_judge_could_judge(spec: pytest.Pytester) -> None:
    spec.makeini("[pytest]\nllm_provider = offline\nllm_unclear = fail\n")
    run(spec, "--llm").assert_outcomes(failed=1)
    run(spec, "--llm", "--llm-unclear", "skip").assert_outcomes(skipped=1)


def test_a_bad_llm_unclear_value_is_a_usage_error_naming_the_option(
    spec: pytest.Pytester,
) -> None:
    result = run(spec, "--llm", "--llm-unclear", "ignore")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*argument --llm-unclear: expected one of skip, fail, got 'ignore'"]
    )
    spec.makeini("[pytest]\nllm_unclear = ignore\n")
    result = run(spec, "--llm")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini option llm_unclear: expected one of skip, fail*"])


@pytest.mark.parametrize("policy", ["skip", "fail"])
@pytest.mark.parametrize("verdicts", [None, "Stored: [{raw: prose}, {raw: more prose}]"])
def test_run_spec_gives_the_outcome_pytest_gives_under_the_same_policy(
    spec: pytest.Pytester, policy: UnclearPolicy, verdicts: str | None
) -> None:
    path = spec.path / "tests" / "llm" / "test_stored.yaml"
    if verdicts is None:
        judge, _ = make_judge("offline")
        args = ["--llm-provider", "offline"]
    else:
        write(spec, "verdicts.yaml", verdicts + "\n")
        script = str(spec.path / "verdicts.yaml")
        judge, _ = make_judge("scripted", settings={"script": script})
        spec.makeini(f"[pytest]\nllm_provider = scripted\nllm_judge_script = {script}\n")
        args = []
    result = run_spec(path, judge=judge, registry=build_registry(), unclear=policy)
    outcome = result.items[0].outcome
    run(spec, "--llm", f"--llm-unclear={policy}", *args).assert_outcomes(**{outcome: 1})
    assert outcome == ("skipped" if verdicts is None and policy == "skip" else "failed")


def test_run_spec_refuses_an_unknown_unclear_policy(tmp_path: Path) -> None:
    path = tmp_path / "test_stored.yaml"
    path.write_text(textwrap.dedent(SPEC), encoding="utf-8")
    with pytest.raises(ValueError, match="unclear must be one of skip, fail, got 'ignore'"):
        run_spec(path, unclear="ignore")  # type: ignore[arg-type]


def test_a_spec_items_own_skip_reason_is_in_the_summary_too(spec: pytest.Pytester) -> None:
    write(
        spec,
        "tests/llm/test_later.yaml",
        """\
        test: {name: Later, skip: the service is not deployed yet}
        steps: [{tool: store_value, args: {name: a, value: 1}}]
        """,
    )
    result = run(spec, "--llm", "--llm-provider", "offline", "-p", "xdist", "-n", "2")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines_random(
        [
            "SKIPPED tests/llm/test_later.yaml::Later: the service is not deployed yet",
            "SKIPPED tests/llm/test_stored.yaml::Stored: no judge configured: *",
        ]
    )
