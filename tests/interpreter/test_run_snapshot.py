"""`snapshot:` on a step (docs/language.md §12): the result kept in `__snapshots__/<spec>.yaml`,
compared on later runs, rewritten with `--llm-snapshot-update`, written only outside CI."""

from __future__ import annotations

import textwrap
from pathlib import Path

import anyio
import pytest
import yaml

from llm_pytest.api import arun_spec
from llm_pytest.errors import SourceLocation
from llm_pytest.interpreter.snapshots import IGNORED, Snapshots, ci_is_set
from llm_pytest.model.plan import SnapshotPlan
from llm_pytest.model.trace import RunTrace
from tests.pytest_plugin.plugin_support import MY_API_PLUGIN, run, write
from tests.spec_support import WriteSpec


@pytest.fixture(autouse=True)
def not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests decide themselves whether they run "in CI"."""
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A fresh project with the README's ``my_api`` plugin."""
    write(pytester, "tests/llm/plugins/my_api.py", MY_API_PLUGIN)
    return pytester


def users_spec(users: str) -> str:
    return textwrap.dedent(
        f"""
        test: {{name: Users}}
        steps:
          - name: list users
            tool: store_value
            args:
              name: users
              value: {{count: 2, users: {users}}}
            snapshot: true
        """
    ).lstrip()


TWO = '[{id: 1, email: "ann@example.com"}, {id: 2, email: "bob@example.com"}]'
CHANGED = '[{id: 1, email: "ann@example.com"}, {id: 2, email: "bob@example.org"}]'


async def only_run(path: Path, **options: object) -> RunTrace:
    (trace,) = (await arun_spec(path, **options)).runs  # type: ignore[arg-type]
    return trace


def snapshot_file(spec: Path) -> Path:
    return spec.parent / "__snapshots__" / f"{spec.stem}.yaml"


@pytest.mark.anyio
async def test_the_first_run_writes_the_snapshot_and_the_second_compares_with_it(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(users_spec(TWO))
    first = await only_run(path)
    assert first.outcome == "PASS", first.reason
    step = first.steps[0]
    assert step.note is not None
    assert step.note.startswith("snapshot written: `list users` in ")
    assert (step.checks[0].kind, step.checks[0].values[0][0]) == ("snapshot", "written")
    text = snapshot_file(path).read_text(encoding="utf-8")
    assert text.startswith("# Snapshots of step results, checked by llm-pytest.")
    stored = yaml.safe_load(text)
    assert stored == {
        "Users": {
            "list users": {
                "stored": "users",
                "value": {
                    "count": 2,
                    "users": [
                        {"email": "ann@example.com", "id": 1},
                        {"email": "bob@example.com", "id": 2},
                    ],
                },
            }
        }
    }
    assert text.index("count: 2") < text.index("      users:")  # keys sorted, block style
    assert "{" not in text
    second = await only_run(path)
    assert second.outcome == "PASS", second.reason
    assert second.steps[0].note is None
    assert second.steps[0].checks[0].values == [("matches", second.steps[0].checks[0].values[0][1])]
    assert snapshot_file(path).read_text(encoding="utf-8") == text


@pytest.mark.anyio
async def test_a_changed_result_fails_with_a_unified_diff_of_the_yaml(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(users_spec(TWO))
    await only_run(path)
    before = snapshot_file(path).read_text(encoding="utf-8")
    path.write_text(users_spec(CHANGED), encoding="utf-8")
    trace = await only_run(path)
    assert trace.outcome == "FAIL"
    assert "the result differs from the snapshot `list users` of `Users` in " in trace.reason
    assert "(run with --llm-snapshot-update to accept it):" in trace.reason
    assert "--- snapshot\n+++ result\n" in trace.reason
    assert "-  - email: bob@example.com\n+  - email: bob@example.org" in trace.reason
    record = trace.steps[0].checks[0]
    assert not record.passed
    assert record.error is not None
    assert record.error.startswith("--- snapshot")
    assert snapshot_file(path).read_text(encoding="utf-8") == before  # nothing rewritten


@pytest.mark.anyio
async def test_snapshot_update_rewrites_a_changed_snapshot(write_spec: WriteSpec) -> None:
    path = write_spec(users_spec(TWO))
    await only_run(path)
    path.write_text(users_spec(CHANGED), encoding="utf-8")
    trace = await only_run(path, snapshot_update=True)
    assert trace.outcome == "PASS", trace.reason
    assert trace.steps[0].note is not None
    assert trace.steps[0].note.startswith("snapshot updated: `list users`")
    assert "bob@example.org" in snapshot_file(path).read_text(encoding="utf-8")
    assert (await only_run(path)).outcome == "PASS"


@pytest.mark.anyio
async def test_in_ci_a_missing_snapshot_fails_saying_how_to_write_it(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(users_spec(TWO))
    trace = await only_run(path, env={"CI": "true"})
    assert trace.outcome == "FAIL"
    assert "there is no snapshot `list users` of `Users` in " in trace.reason
    assert "run `pytest --llm --llm-snapshot-update` locally and commit the file" in trace.reason
    assert not snapshot_file(path).parent.exists()
    assert (await only_run(path, env={"CI": "1"}, snapshot_update=True)).outcome == "PASS"
    assert (await only_run(path, env={"CI": "1"})).outcome == "PASS"


def test_ci_counts_as_set_unless_empty_zero_or_false() -> None:
    assert [ci_is_set({"CI": v}) for v in ("1", "true", "yes", "", "0", "false")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert not ci_is_set({})


@pytest.mark.anyio
async def test_ignored_paths_are_replaced_before_storing_and_comparing(
    write_spec: WriteSpec,
) -> None:
    spec = textwrap.dedent(
        """
        test: {name: Created}
        steps:
          - tool: store_value
            args:
              name: u
              value:
                id: "${uuid()}"
                users:
                  - {name: ann, created_at: "${now()}"}
                  - {name: bob, created_at: "${now()}"}
            snapshot: created
            snapshot_ignore: [value.id, "result.value.users[*].created_at", value.absent]
        """
    ).lstrip()
    path = write_spec(spec)
    assert (await only_run(path)).outcome == "PASS"
    stored = yaml.safe_load(snapshot_file(path).read_text(encoding="utf-8"))
    assert stored["Created"]["created"]["value"] == {
        "id": IGNORED,
        "users": [
            {"name": "ann", "created_at": IGNORED},
            {"name": "bob", "created_at": IGNORED},
        ],
    }
    second = await only_run(path)
    assert second.outcome == "PASS", second.reason


@pytest.mark.anyio
async def test_after_an_expected_error_the_snapshot_keeps_the_call(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: Refused}
        steps:
          - tool: read_file
            args: {path: absent.txt}
            expect_error: "file not found"
            snapshot: refusal
            snapshot_ignore: [duration_ms]
        """
    )
    assert (await only_run(path)).outcome == "PASS"
    assert (await only_run(path)).outcome == "PASS"
    stored = yaml.safe_load(snapshot_file(path).read_text(encoding="utf-8"))["Refused"]["refusal"]
    assert stored["duration_ms"] == IGNORED
    assert stored["error_type"] == "ToolError"
    assert stored["error"].startswith("file not found")


@pytest.mark.anyio
async def test_every_iteration_compares_against_the_same_snapshot(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: Counting, iterations: 3}
        steps:
          - tool: store_value
            args: {name: n, value: "${iteration}"}
            snapshot: true
        """
    )
    runs = (await arun_spec(path)).runs
    assert sorted(r.outcome for r in runs) == ["FAIL", "FAIL", "PASS"]
    (written,) = [r for r in runs if r.outcome == "PASS"]
    stored = yaml.safe_load(snapshot_file(path).read_text(encoding="utf-8"))
    assert stored["Counting"]["steps[0]"]["value"] == written.iteration
    same = (await arun_spec(path, overrides={"steps.0.args.value": written.iteration})).runs
    assert [r.outcome for r in same] == ["PASS", "PASS", "PASS"]


@pytest.mark.anyio
async def test_each_experiment_keeps_its_own_snapshot_in_the_same_file(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: Limits}
        experiments:
          - {name: small, overrides: {vars.limit: 2}}
          - {name: large, overrides: {vars.limit: 20}}
        vars: {limit: 5}
        steps:
          - name: limit
            tool: store_value
            args: {name: limit, value: "${vars.limit}"}
            snapshot: true
        """
    )
    assert [i.outcome for i in (await arun_spec(path)).items] == ["passed", "passed"]
    stored = yaml.safe_load(snapshot_file(path).read_text(encoding="utf-8"))
    assert {k: v["limit"]["value"] for k, v in stored.items()} == {
        "Limits[small]": 2,
        "Limits[large]": 20,
    }


@pytest.mark.anyio
async def test_concurrent_writers_of_one_file_lose_no_snapshot(tmp_path: Path) -> None:
    file = tmp_path / "__snapshots__" / "test_many.yaml"
    location = SourceLocation(str(tmp_path / "test_many.yaml"), 1, 1)
    snapshots = Snapshots()
    outcomes: list[str | None] = []

    async def one(i: int) -> None:
        plan = SnapshotPlan(str(file), f"item {i % 4}", f"snap {i}", (), (), location)
        _, error, note = await snapshots.check(plan, {"n": i}, lambda v: v)
        outcomes.append(error or note)

    async with anyio.create_task_group() as tg:
        for i in range(24):
            tg.start_soon(one, i)
    assert all(o is not None and o.startswith("snapshot written") for o in outcomes)
    stored = yaml.safe_load(file.read_text(encoding="utf-8"))
    assert sum(len(v) for v in stored.values()) == 24
    assert stored["item 1"]["snap 5"] == {"n": 5}
    assert [p.name for p in file.parent.iterdir()] == ["test_many.yaml"]  # no temporary left


SESSION_SPEC = """\
    test: {name: Users}
    steps:
      - name: list users
        tool: my_api_fetch_users
        args: {base_url: "http://127.0.0.1:9", limit: LIMIT}
        snapshot: users
        snapshot_ignore: [base_url]
    ---
    test: {name: Other}
    steps:
      - tool: store_value
        args: {name: k, value: LIMIT}
        snapshot: true
    """


def test_a_pytest_session_writes_compares_diffs_and_updates_snapshots(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = "tests/llm/test_users.yaml"
    write(project, spec, SESSION_SPEC.replace("LIMIT", "2"))
    stored = project.path / "tests/llm/__snapshots__/test_users.yaml"

    first = run(project, "--llm", "--llm-verbose")
    first.assert_outcomes(passed=2)
    first.stdout.fnmatch_lines(
        [
            "*[[]snapshot written: `users` in *test_users.yaml[]]*",
            "snapshots: 2 written (under __snapshots__/ beside their specs: commit them)",
        ]
    )
    assert set(yaml.safe_load(stored.read_text(encoding="utf-8"))) == {"Users", "Other"}

    again = run(project, "--llm")
    again.assert_outcomes(passed=2)
    assert "snapshots:" not in again.stdout.str()

    write(project, spec, SESSION_SPEC.replace("LIMIT", "3"))
    changed = run(project, "--llm", "--llm-html", "report.html")
    changed.assert_outcomes(failed=2)
    html = (project.path / "report.html").read_text(encoding="utf-8")
    assert '<pre class="error">--- snapshot\n+++ result\n' in html
    changed.stdout.fnmatch_lines(
        [
            "*snapshot failed at tests/llm/test_users.yaml:6:15: snapshot users",
            "*--- snapshot",
            "*+++ result",
            "*-count: 2",
            "*+count: 3",
        ]
    )
    updated = run(project, "--llm", "--llm-snapshot-update")
    updated.assert_outcomes(passed=2)
    updated.stdout.fnmatch_lines(["snapshots: 2 updated *"])
    assert yaml.safe_load(stored.read_text(encoding="utf-8"))["Users"]["users"]["count"] == 3
    run(project, "--llm").assert_outcomes(passed=2)

    monkeypatch.setenv("CI", "true")
    stored.unlink()
    in_ci = run(project, "--llm")
    in_ci.assert_outcomes(failed=2)
    in_ci.stdout.fnmatch_lines(["*run `pytest --llm --llm-snapshot-update` locally*"])


def test_xdist_workers_writing_one_snapshot_file_keep_every_snapshot(
    project: pytest.Pytester,
) -> None:
    tests = "---\n".join(
        f"""\
        test: {{name: "T{i}"}}
        steps:
          - tool: store_value
            args: {{name: k, value: {i}}}
            snapshot: true
        """
        for i in range(8)
    )
    write(project, "tests/llm/test_many.yaml", tests)
    run(project, "--llm", "-n", "2").assert_outcomes(passed=8)
    stored = yaml.safe_load(
        (project.path / "tests/llm/__snapshots__/test_many.yaml").read_text(encoding="utf-8")
    )
    assert {k: v["steps[0]"]["value"] for k, v in stored.items()} == {f"T{i}": i for i in range(8)}
