"""pytest fixtures in specs: `fixtures:` and `test.fixtures` request conftest fixtures, autouse
fixtures apply, scopes and teardown order are pytest's, values are read as `fixtures.NAME`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.pytest_plugin.plugin_support import run, write

SERVICE_CONFTEST = '''\
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

EVENTS = Path(__file__).parent / "events.txt"


def note(text):
    with EVENTS.open("a", encoding="utf-8") as out:
        out.write(text + "\\n")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        note(f"GET {self.path}")
        body = json.dumps({"path": self.path, "greeting": "hello"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@dataclass
class LiveServer:
    url: str
    port: int


@pytest.fixture(scope="session")
def live_server():
    """The service under test, on a free port of 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    note("server up")
    yield LiveServer(f"http://127.0.0.1:{port}", port)
    server.shutdown()
    server.server_close()
    note("server down")


@pytest.fixture
def base_url(live_server):
    note("base_url up")
    yield live_server.url
    note("base_url down")


@pytest.fixture
def service(live_server):
    return {"host": "127.0.0.1", "port": live_server.port}
'''


def _get(name: str, url: str, check: str, fixtures: str = "[base_url]") -> str:
    return f"""\
    test:
      name: "{name}"
      fixtures: {fixtures}
    steps:
      - name: "Ask the service"
        tool: http_request
        args: {{method: GET, url: "{url}"}}
        check: {check}
    """


@pytest.fixture
def service(pytester: pytest.Pytester) -> pytest.Pytester:
    write(pytester, "tests/llm/conftest.py", SERVICE_CONFTEST)
    return pytester


def _events(pytester: pytest.Pytester) -> list[str]:
    return (pytester.path / "tests/llm/events.txt").read_text(encoding="utf-8").splitlines()


def test_a_conftest_fixture_running_a_real_http_server_gives_the_spec_its_url(
    service: pytest.Pytester,
) -> None:
    write(
        service,
        "tests/llm/test_service.yaml",
        _get("Greets", "${fixtures.base_url}/hello", 'result.json.greeting == "hello"'),
    )
    result = run(service, "--llm", "-v")
    result.assert_outcomes(passed=1)
    assert _events(service) == [
        "server up",
        "base_url up",
        "GET /hello",
        "base_url down",
        "server down",
    ]


def test_attributes_and_keys_of_fixture_values_are_readable(service: pytest.Pytester) -> None:
    write(
        service,
        "tests/llm/test_service.yaml",
        """\
        fixtures: [live_server]
        test:
          name: "Reads fields"
          fixtures: [service]
        steps:
          - name: "By attribute"
            tool: http_request
            args: {method: GET, url: "${fixtures.live_server.url}/by-attribute"}
            check: result.json.path == "/by-attribute"
          - name: "By key"
            tool: http_request
            args:
              method: GET
              url: "http://${fixtures.service.host}:${fixtures.service.port}/by-key"
            check: result.status == 200
        """,
    )
    result = run(service, "--llm")
    result.assert_outcomes(passed=1)
    assert "GET /by-attribute" in _events(service)
    assert "GET /by-key" in _events(service)


def test_an_autouse_fixture_sets_an_env_var_the_spec_reads(service: pytest.Pytester) -> None:
    write(
        service,
        "tests/llm/conftest.py",
        SERVICE_CONFTEST
        + """

@pytest.fixture(autouse=True)
def svc_url(monkeypatch, live_server):
    monkeypatch.setenv("SVC_URL", live_server.url)
""",
    )
    write(
        service,
        "tests/llm/test_env.yaml",
        _get("From env", "${env.SVC_URL}/from-env", "result.status == 200", fixtures="[]"),
    )
    result = run(service, "--llm")
    result.assert_outcomes(passed=1)
    assert "GET /from-env" in _events(service)


def test_a_session_fixture_is_set_up_once_for_two_spec_files_and_torn_down_after_both(
    service: pytest.Pytester,
) -> None:
    for name in ("one", "two"):
        write(
            service,
            f"tests/llm/test_{name}.yaml",
            _get(name, "${fixtures.base_url}/" + name, "result.status == 200"),
        )
    result = run(service, "--llm")
    result.assert_outcomes(passed=2)
    assert _events(service) == [
        "server up",
        "base_url up",
        "GET /one",
        "base_url down",
        "base_url up",
        "GET /two",
        "base_url down",
        "server down",
    ]


def test_a_module_scoped_fixture_lives_as_long_as_one_spec_file(
    service: pytest.Pytester,
) -> None:
    write(
        service,
        "tests/llm/conftest.py",
        SERVICE_CONFTEST
        + """

@pytest.fixture(scope="module")
def per_file(request):
    note(f"file up {request.path.name}")
    yield request.path.stem
    note(f"file down {request.path.name}")
""",
    )
    step = (
        "steps:\n"
        "  - tool: http_request\n"
        '    args: {method: GET, url: "${fixtures.base_url}/${fixtures.per_file}/%s"}\n'
        "    check: result.status == 200\n"
    )
    head = 'test: {name: "%s", fixtures: [base_url, per_file]}\n'
    two = head % "A" + step % "A" + "---\n" + head % "B" + step % "B"
    write(service, "tests/llm/test_one.yaml", two)
    write(service, "tests/llm/test_two.yaml", head % "C" + step % "C")
    run(service, "--llm").assert_outcomes(passed=3)
    events = [e for e in _events(service) if not e.startswith(("base_url", "server"))]
    assert events == [
        "file up test_one.yaml",
        "GET /test_one/A",
        "GET /test_one/B",
        "file down test_one.yaml",
        "file up test_two.yaml",
        "GET /test_two/C",
        "file down test_two.yaml",
    ]


def test_a_fixture_that_raises_in_setup_makes_the_item_an_error(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        "tests/llm/conftest.py",
        """\
        import pytest

        @pytest.fixture
        def database():
            raise ConnectionError("the database at 127.0.0.1:5432 refused the connection")
        """,
    )
    write(
        pytester,
        "tests/llm/test_db.yaml",
        """\
        test:
          name: "Needs the database"
          fixtures: [database]
        steps:
          - tool: store_value
            args: {name: a, value: 1}
        """,
    )
    result = run(pytester, "--llm")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of Needs the database*",
            "*ConnectionError: the database at 127.0.0.1:5432 refused the connection*",
        ]
    )
    result.stdout.no_fnmatch_line("*internal error*")


def test_a_fixture_that_raises_in_teardown_is_an_error_after_the_item_passed(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        "tests/llm/conftest.py",
        """\
        import pytest

        @pytest.fixture
        def scratch():
            yield "scratch"
            raise PermissionError("could not remove the scratch folder")
        """,
    )
    write(
        pytester,
        "tests/llm/test_scratch.yaml",
        """\
        test: {name: "Uses scratch", fixtures: [scratch]}
        steps:
          - tool: store_value
            args: {name: a, value: "${fixtures.scratch}"}
            check: result.value == "scratch"
        """,
    )
    result = run(pytester, "--llm")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of Uses scratch*",
            "*PermissionError: could not remove the scratch folder*",
        ]
    )
    result.stdout.no_fnmatch_line("*internal error*")


def test_setup_show_names_the_fixtures_of_a_spec_item(service: pytest.Pytester) -> None:
    write(
        service,
        "tests/llm/test_service.yaml",
        _get("Greets", "${fixtures.base_url}/", "result.status == 200"),
    )
    result = run(service, "--llm", "--setup-show")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "SETUP    S live_server",
            "*SETUP    F base_url (fixtures used: live_server)",
            "*tests/llm/test_service.yaml::Greets (fixtures used: base_url, live_server)*",
            "*TEARDOWN F base_url",
            "TEARDOWN S live_server",
        ]
    )


def test_fixtures_per_test_lists_the_fixtures_of_a_spec_item_at_its_spec_line(
    service: pytest.Pytester,
) -> None:
    write(
        service,
        "tests/llm/test_service.yaml",
        _get("Greets", "${fixtures.base_url}/", "result.status == 200"),
    )
    result = run(service, "--llm", "--fixtures-per-test")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*fixtures used by Greets*",
            "*(tests/llm/test_service.yaml:2)*",
            "base_url -- tests/llm/conftest.py:*",
            "live_server -- tests/llm/conftest.py:*",
            "    The service under test, on a free port of 127.0.0.1.",
        ]
    )


def test_k_and_m_select_spec_items_and_only_their_fixtures_are_set_up(
    service: pytest.Pytester,
) -> None:
    write(
        service,
        "tests/llm/test_service.yaml",
        """\
        test: {name: "Tagged", tags: [smoke], fixtures: [base_url]}
        steps:
          - tool: http_request
            args: {method: GET, url: "${fixtures.base_url}/tagged"}
            check: result.status == 200
        ---
        test: {name: "Plain", fixtures: [base_url]}
        steps:
          - tool: http_request
            args: {method: GET, url: "${fixtures.base_url}/plain"}
            check: result.status == 200
        """,
    )
    run(service, "--llm", "-m", "smoke").assert_outcomes(passed=1, deselected=1)
    run(service, "--llm", "-k", "Plain").assert_outcomes(passed=1, deselected=1)
    gets = [e for e in _events(service) if e.startswith("GET")]
    assert gets == ["GET /tagged", "GET /plain"]


UNKNOWN = """\
fixtures: [live_server]
test:
  name: "Misspelt"
  fixtures: [base_ulr]
steps:
  - tool: store_value
    args: {name: a, value: 1}
"""


def test_an_unknown_fixture_is_a_collection_error_at_its_spec_line_with_a_suggestion(
    service: pytest.Pytester,
) -> None:
    write(service, "tests/llm/test_misspelt.yaml", UNKNOWN)
    result = run(service, "--llm")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting tests/llm/test_misspelt.yaml*",
            "tests/llm/test_misspelt.yaml:4:14: the pytest fixture `base_ulr` is not defined",
            "*fixtures: [[]base_ulr[]]",
            "*hint: did you mean `base_url`?",
        ]
    )
    result.stdout.no_fnmatch_line("*fixture 'base_ulr' not found*")
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_fixture_defined_in_another_folder_is_unknown_to_the_spec(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        "tests/other/conftest.py",
        "import pytest\n\n@pytest.fixture\ndef token():\n    return 't'\n",
    )
    write(
        pytester,
        "tests/llm/test_token.yaml",
        """\
        test: {name: "Token", fixtures: [token]}
        steps:
          - tool: store_value
            args: {name: a, value: "${fixtures.token}"}
        """,
    )
    result = run(pytester, "--llm", "tests/llm", "tests/other")
    result.stdout.fnmatch_lines(
        [
            "tests/llm/test_token.yaml:1:34: the pytest fixture `token` is not defined",
            "*hint: define `@pytest.fixture def token(...)` in a conftest.py *; "
            "`pytest --fixtures tests/llm` lists the fixtures a spec there can use",
        ]
    )


def test_fixtures_work_under_xdist(service: pytest.Pytester) -> None:
    for name in ("one", "two", "three"):
        write(
            service,
            f"tests/llm/test_{name}.yaml",
            _get(name, "${fixtures.base_url}/" + name, "result.status == 200"),
        )
    result = run(service, "--llm", "-p", "xdist", "-n", "2")
    result.assert_outcomes(passed=3)
    events = _events(service)
    gets = sorted(e for e in events if e.startswith("GET"))
    assert gets == ["GET /one", "GET /three", "GET /two"]
    assert events.count("server up") == events.count("server down") >= 1


def test_an_unknown_fixture_is_a_collection_error_under_xdist(service: pytest.Pytester) -> None:
    write(service, "tests/llm/test_misspelt.yaml", UNKNOWN)
    result = run(service, "--llm", "-p", "xdist", "-n", "2")
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        [
            "*tests/llm/test_misspelt.yaml:4:14: the pytest fixture `base_ulr` is not defined*",
            "*did you mean `base_url`?*",
        ]
    )


def test_items_with_fixtures_get_their_values_under_llm_parallel(
    service: pytest.Pytester,
) -> None:
    write(
        service,
        "tests/llm/test_mixed.yaml",
        """\
        test: {name: "Plain"}
        steps:
          - tool: store_value
            args: {name: a, value: 1}
            check: result.value == 1
        ---
        test: {name: "Served", fixtures: [base_url]}
        steps:
          - tool: http_request
            args: {method: GET, url: "${fixtures.base_url}/served"}
            check: result.status == 200
        ---
        test: {name: "Plain again"}
        steps:
          - tool: store_value
            args: {name: a, value: 2}
            check: result.value == 2
        """,
    )
    result = run(service, "--llm", "--llm-parallel", "3")
    result.assert_outcomes(passed=3)
    assert "GET /served" in _events(service)


def test_a_parametrized_fixture_is_a_collection_error_at_the_spec_line(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        "tests/llm/conftest.py",
        """\
        import pytest

        @pytest.fixture(params=["mysql", "postgres"])
        def database(request):
            return request.param
        """,
    )
    write(
        pytester,
        "tests/llm/test_db.yaml",
        """\
        test:
          name: "Each database"
          fixtures: [database]
        steps:
          - tool: store_value
            args: {name: db, value: "${fixtures.database}"}
        """,
    )
    result = run(pytester, "--llm")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "tests/llm/test_db.yaml:3:14: the pytest fixture `database` is parametrized, and a "
            "spec item takes one value of each fixture",
            "*hint: give the variants as `experiments:` of the spec*",
        ]
    )


def test_a_spec_run_by_llm_runner_gets_the_fixtures_of_the_calling_test(
    service: pytest.Pytester,
) -> None:
    write(
        service,
        "tests/llm/service.yaml",
        _get("Greets", "${fixtures.base_url}/from-python", 'result.json.greeting == "hello"'),
    )
    write(service, "tests/llm/misspelt.yaml", UNKNOWN)
    write(
        service,
        "tests/llm/test_from_python.py",
        """\
        def test_the_service_greets(llm_runner):
            llm_runner("service.yaml").require_success()


        def test_a_misspelt_fixture_is_told_at_the_spec_line(llm_runner):
            llm_runner("misspelt.yaml")
        """,
    )
    result = run(service, "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*tests/llm/misspelt.yaml:4:14: the pytest fixture `base_ulr` is not defined",
            "*hint: did you mean `base_url`?",
        ]
    )
    assert "GET /from-python" in _events(service)


def test_an_unknown_fixture_of_a_test_with_experiments_is_told_once(
    service: pytest.Pytester,
) -> None:
    write(
        service,
        "tests/llm/test_variants.yaml",
        """\
        fixtures: [live_servr]
        test: {name: "Variants"}
        experiments:
          - {name: small, overrides: {vars.n: 1}}
          - {name: large, overrides: {vars.n: 9}}
        vars: {n: 0}
        steps:
          - tool: store_value
            args: {name: n, value: "${vars.n}"}
        """,
    )
    result = run(service, "--llm")
    told = [line for line in result.outlines if "is not defined" in line]
    assert told == [
        "tests/llm/test_variants.yaml:1:12: the pytest fixture `live_servr` is not defined"
    ]
    result.stdout.fnmatch_lines(["*hint: did you mean `live_server`?"])


def test_an_mcp_server_of_the_spec_is_configured_with_fixture_values(
    pytester: pytest.Pytester,
) -> None:
    server = Path(__file__).parents[1] / "tools" / "mcp" / "servers" / "scripted_server.py"
    (pytester.path / "tests" / "llm").mkdir(parents=True)
    (pytester.path / "tests" / "llm" / "server.py").write_text(server.read_text())
    write(
        pytester,
        "tests/llm/conftest.py",
        """\
        from pathlib import Path

        import pytest

        @pytest.fixture
        def pid_file():
            return Path(__file__).parent / "server.pid"
        """,
    )
    write(
        pytester,
        "tests/llm/test_served.yaml",
        f"""\
        test: {{name: "Served", fixtures: [pid_file]}}
        mcp_servers:
          probe:
            command: {json.dumps(sys.executable)}
            args: [server.py, serve]
            env: {{PID_FILE: "${{fixtures.pid_file}}"}}
        steps:
          - tool: probe_echo
            args: {{text: hello}}
        """,
    )
    result = run(pytester, "--llm")
    result.assert_outcomes(passed=1)
    pid = (pytester.path / "tests" / "llm" / "server.pid").read_text(encoding="utf-8")
    assert pid.strip().isdigit()
