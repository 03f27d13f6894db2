"""Secrets from the environment, and credential headers written in a spec, reach no output of
``pytest --llm``: terminal, JSONL, HTML, JUnit XML, the judge's prompt or its command line."""

from __future__ import annotations

import base64
import os
from urllib.parse import quote, quote_plus

import pytest

from tests.judging.support import fake_claude
from tests.pytest_plugin.plugin_support import run, write

SECRETS = {
    "DB_PASSWD": "db passwd/1+x?",
    "MYSQL_PWD": "mysql pwd@2>>",
    "GITHUB_PAT": "ghp_pat 3/four",
    "SESSION_COOKIE": "sess cookie=4;five",
    "AUTH_BEARER": "bearer token 5/six",
}
DB_PASSWORD = "url pass@6/seven"
LITERAL = "literal-key-written-in-the-spec"

CODEC_PLUGIN = '''\
import base64
from urllib.parse import quote, quote_plus

from llm_pytest import LLMPlugin


class Codec(LLMPlugin):
    name = "codec"

    async def encode(self, text: str) -> dict:
        """The text URL-encoded and base64-encoded, as a Basic credential too."""
        return {
            "quoted": quote(text, safe=""),
            "plus": quote_plus(text),
            "b64": base64.b64encode(text.encode()).decode(),
            "basic": "Basic " + base64.b64encode(("user:" + text).encode()).decode(),
        }
'''

SPEC = """\
test:
  name: "Secrets stay out"
steps:
  - name: "Send every secret"
    tool: http_request
    args:
      method: POST
      url: "{server}/echo/${{env.GITHUB_PAT}}"
      params: {{pwd: "${{env.MYSQL_PWD}}", dsn: "${{env.DATABASE_URL}}"}}
      headers:
        Authorization: "Bearer ${{env.AUTH_BEARER}}"
        Cookie: "session=${{env.SESSION_COOKIE}}"
        X-Api-Key: "{literal}"
        X-Db: "${{env.DB_PASSWD}}"
      json: {{passwd: "${{env.DB_PASSWD}}", url: "${{env.DATABASE_URL}}"}}
    expect: "The server saw ${{env.DB_PASSWD}} and ${{env.DATABASE_URL}}"
  - name: "Encode a secret"
    tool: codec_encode
    args: {{text: "${{env.AUTH_BEARER}}"}}
    expect: "The encodings of ${{env.AUTH_BEARER}}"
---
test:
  name: "Secrets stay out of failures"
steps:
  - name: "Fail with every secret"
    tool: store_value
    args:
      name: all
      value: "${{env.DB_PASSWD}} ${{env.MYSQL_PWD}} ${{env.GITHUB_PAT}} ${{env.SESSION_COOKIE}}"
    check: result.value == env.AUTH_BEARER + " " + env.DATABASE_URL
"""


def forms(secret: str) -> set[str]:
    b64 = base64.b64encode(secret.encode()).decode()
    return {secret, quote(secret), quote(secret, safe=""), quote_plus(secret), b64.rstrip("=")}


def test_no_output_holds_a_secret_or_its_encodings(
    project: pytest.Pytester, http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = project.path / "bin"
    bin_dir.mkdir()
    fake_claude(bin_dir)
    prompt_file, argv_file = project.path / "prompt.txt", project.path / "argv.json"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_CLAUDE_PROMPT", str(prompt_file))
    monkeypatch.setenv("FAKE_CLAUDE_ARGV", str(argv_file))
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", f"postgres://app:{quote(DB_PASSWORD, safe='')}@db/app")
    write(project, "tests/llm/plugins/codec.py", CODEC_PLUGIN)
    write(project, "tests/llm/test_secrets.yaml", SPEC.format(server=http_server, literal=LITERAL))

    result = run(
        project,
        "--llm",
        "--llm-verbose",
        "--llm-provider",
        "claude-code",
        "--llm-cache",
        "off",
        "--llm-report-dir",
        "out",
        "--llm-html",
        "report.html",
        "--junitxml",
        "junit.xml",
        "-rA",
    )

    result.assert_outcomes(passed=1, failed=1)
    outputs = {
        "terminal": "\n".join(result.outlines + result.errlines),
        "judge prompt": prompt_file.read_text(),
        "judge argv": argv_file.read_text(),
        "html": (project.path / "report.html").read_text(),
        "junit": (project.path / "junit.xml").read_text(),
        **{p.name: p.read_text() for p in (project.path / "out").glob("*.jsonl")},
    }
    assert set(outputs) >= {"per_trace.jsonl", "trace_summary.jsonl"}
    assert "[tool] http_request" in outputs["terminal"]  # the live lines are there
    assert "The server saw [REDACTED]" in outputs["judge prompt"]
    secrets = [*SECRETS.values(), DB_PASSWORD, LITERAL]
    leaks = [
        (where, form)
        for where, text in outputs.items()
        for secret in secrets
        for form in forms(secret)
        if form in text
    ]
    assert leaks == []


SEED = """\
    test:
      name: "Seed"
    steps:
      - tool: store_value
        args: {name: seed, value: "${env.ACME_SIGNING_SEED}"}
    """


def _recorded(project: pytest.Pytester, *args: str) -> str:
    run(project, "--llm", "--llm-report-dir", "out", *args).assert_outcomes(passed=1)
    return (project.path / "out" / "per_trace.jsonl").read_text()


def test_llm_redact_adds_secret_names_from_the_command_line_and_the_ini(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_SIGNING_SEED", "seed-value-1234")
    write(project, "tests/llm/test_seed.yaml", SEED)
    assert "seed-value-1234" in _recorded(project)
    assert "seed-value-1234" not in _recorded(project, "--llm-redact", "_SEED$")
    project.makeini("[pytest]\nllm_redact =\n    signing\n")
    assert "seed-value-1234" not in _recorded(project)


def test_a_bad_redact_pattern_is_a_usage_error_naming_the_option(
    project: pytest.Pytester,
) -> None:
    result = run(project, "--llm", "--llm-redact", "(unclosed")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "argument --llm-redact: '(unclosed' is not a regular expression" in result.stderr.str()
    project.makeini("[pytest]\nllm_redact = [a-\n")
    result = run(project, "--llm")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ini option llm_redact: '[a-' is not a regular expression" in result.stderr.str()


def test_a_secret_on_the_command_line_is_redacted_in_the_reports(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_SIGNING_SEED", "seed-value-1234")
    write(project, "tests/llm/test_seed.yaml", SEED)
    args = ("--llm-redact", "_SEED$", "--llm-override", "+vars.seed=seed-value-1234")
    run(project, "--llm", "--llm-report-dir", "out", "--llm-html", "report.html", *args)
    written = [project.path / "report.html", *(project.path / "out").glob("*.jsonl")]
    assert [p.name for p in written if "seed-value-1234" in p.read_text()] == []
    assert "vars.seed=[REDACTED]" in (project.path / "report.html").read_text()
