"""`schema:` on a step (docs/language.md §12): the result checked against a JSON Schema, inline
or in files that `$ref` each other; a bad schema or a missing file is a located spec error."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from llm_pytest.api import arun_spec
from llm_pytest.dsl.compiler import compile_file
from llm_pytest.errors import SpecErrors
from llm_pytest.lint.classify import finding_from_error
from llm_pytest.model.trace import RunTrace
from tests.pytest_plugin.plugin_support import run, write
from tests.spec_support import WriteSpec

USERS = '{users: [{id: 1, email: "ann@example.com"}, {id: 2, email: "bob@example.com"}]}'
BAD_USERS = (
    '{users: [{id: 1, email: "ann@example.com"}, {id: 2, email: "bob@example.com"}, '
    '{id: 3, email: "not-an-email"}]}'
)


def spec_storing(value: str, schema: str) -> str:
    """A spec whose one step stores ``value`` (so its result's `value` is it) under ``schema``."""
    return (
        textwrap.dedent(
            f"""
            test: {{name: users}}
            steps:
              - name: list users
                tool: store_value
                args: {{name: users, value: {value}}}
                schema:
            """
        ).lstrip()
        + textwrap.indent(textwrap.dedent(schema).strip(), "      ")
        + "\n"
    )


INLINE = """
    type: object
    required: [stored, value]
    properties:
      value:
        type: object
        properties:
          users:
            type: array
            items:
              type: object
              required: [id, email]
              properties:
                id: {type: integer}
                email: {type: string, format: email}
    """


async def only_run(path: Path) -> RunTrace:
    (trace,) = (await arun_spec(path)).runs
    return trace


@pytest.mark.anyio
async def test_a_result_that_matches_its_inline_schema_passes(write_spec: WriteSpec) -> None:
    trace = await only_run(write_spec(spec_storing(USERS, INLINE)))
    assert trace.outcome == "PASS", trace.reason
    (record,) = trace.steps[0].checks
    assert (record.kind, record.expression, record.passed) == ("schema", "schema", True)


@pytest.mark.anyio
async def test_a_mismatch_names_the_json_path_the_value_and_the_rule(
    write_spec: WriteSpec,
) -> None:
    trace = await only_run(write_spec(spec_storing(BAD_USERS, INLINE)))
    assert trace.outcome == "FAIL"
    assert "the result does not match its schema (" in trace.reason
    assert "test_spec.yaml:7:7), 1 mismatch:" in trace.reason
    assert (
        "$.value.users[2].email = \"not-an-email\": 'not-an-email' is not a 'email' "
        "(rule 'format')" in trace.reason
    )
    (record,) = trace.steps[0].checks
    assert not record.passed
    assert record.values[0][0] == "$.value.users[2].email"


@pytest.mark.anyio
async def test_many_mismatches_show_a_few_lines_then_how_many_more(write_spec: WriteSpec) -> None:
    users = "[" + ", ".join(f'{{id: "{i}"}}' for i in range(12)) + "]"
    schema = """
        properties:
          value:
            type: array
            items: {type: object, properties: {id: {type: integer}}}
        """
    trace = await only_run(write_spec(spec_storing(users, schema)))
    assert "12 mismatches:" in trace.reason
    lines = [line.strip() for line in trace.reason.splitlines()[1:]]
    assert lines[0] == "$.value[0].id = \"0\": '0' is not of type 'integer' (rule 'type')"
    # the paths sort as the data does: element 10 comes after element 2
    assert [line.split(" ")[0] for line in lines[:5]] == [f"$.value[{i}].id" for i in range(5)]
    assert lines[5] == "and 7 more"
    assert len(lines) == 6


@pytest.mark.anyio
async def test_a_required_field_missing_names_the_object_and_the_field(
    write_spec: WriteSpec,
) -> None:
    schema = """
        properties:
          value: {type: object, required: [id, email]}
        """
    trace = await only_run(write_spec(spec_storing('{id: 7, name: "x"}', schema)))
    assert (
        '$.value = {"id": 7, "name": "x"}: \'email\' is a required property (rule \'required\')'
        in trace.reason
    )


@pytest.mark.anyio
async def test_a_schema_file_refers_to_other_files_relative_to_itself(
    write_spec: WriteSpec, tmp_path: Path
) -> None:
    schemas = tmp_path / "schemas"
    (schemas / "parts").mkdir(parents=True)
    (schemas / "users.schema.json").write_text(
        json.dumps(
            {
                "type": "object",
                "properties": {
                    "value": {
                        "type": "object",
                        "properties": {"users": {"type": "array", "items": {"$ref": "user.yaml"}}},
                    }
                },
            }
        )
    )
    (schemas / "user.yaml").write_text(
        "type: object\nrequired: [id, email]\nproperties:\n"
        "  id: {type: integer}\n  email: {$ref: 'parts/common.json#/$defs/email'}\n"
    )
    (schemas / "parts" / "common.json").write_text(
        json.dumps({"$defs": {"email": {"type": "string", "format": "email"}}})
    )
    good = await only_run(write_spec(spec_storing(USERS, "{file: schemas/users.schema.json}")))
    assert good.outcome == "PASS", good.reason
    assert good.steps[0].checks[0].expression == "schema schemas/users.schema.json"
    bad = await only_run(write_spec(spec_storing(BAD_USERS, "{file: schemas/users.schema.json}")))
    assert "its schema schemas/users.schema.json" in bad.reason
    assert '$.value.users[2].email = "not-an-email"' in bad.reason
    assert "(rule 'format')" in bad.reason


@pytest.mark.anyio
async def test_an_inline_schema_may_refer_to_a_file_beside_the_spec(
    write_spec: WriteSpec, tmp_path: Path
) -> None:
    (tmp_path / "id.json").write_text('{"type": "integer", "minimum": 1}')
    schema = "properties: {value: {properties: {id: {$ref: id.json}}}}"
    trace = await only_run(write_spec(spec_storing("{id: 0}", schema)))
    assert "$.value.id = 0: 0 is less than the minimum of 1 (rule 'minimum')" in trace.reason


@pytest.mark.anyio
async def test_a_schema_fails_a_step_after_its_retries_like_a_check(write_spec: WriteSpec) -> None:
    path = write_spec(
        """
        test: {name: polled}
        steps:
          - tool: store_value
            args: {name: n, value: "${iteration}"}
            retry: 2
            retry_delay: 0
            until: result.value > 5
            schema: {properties: {value: {type: string}}}
        """
    )
    trace = await only_run(path)
    step = trace.steps[0]
    assert len(step.attempts) == 3  # `until` polled; the schema is checked once, after
    assert step.error is not None
    assert "`until: result.value > 5` was still false after 3 attempts" in step.error
    assert not step.checks


@pytest.mark.anyio
async def test_a_polled_step_checks_its_schema_once_on_the_last_result(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: polled until ready}
        steps:
          - tool: store_value
            args: {name: n, value: "${uuid()}"}
            retry: 5
            retry_delay: 0
            until: call.attempts >= 3
            schema: {properties: {value: {type: integer}}}
        """
    )
    step = (await only_run(path)).steps[0]
    assert len(step.attempts) == 3
    (record,) = step.checks
    assert (record.kind, record.passed) == ("schema", False)
    assert step.error is not None
    assert "is not of type 'integer'" in step.error


@pytest.mark.anyio
async def test_after_an_expected_error_the_schema_applies_to_the_call(
    write_spec: WriteSpec,
) -> None:
    path = write_spec(
        """
        test: {name: refused}
        steps:
          - tool: read_file
            args: {path: absent.txt}
            expect_error: "file not found"
            schema:
              required: [error, error_type, attempts]
              properties: {error_type: {const: KeyError}}
        """
    )
    trace = await only_run(path)
    assert "$.error_type = \"ToolError\": 'KeyError' was expected (rule 'const')" in trace.reason


def compile_errors(path: Path) -> list[str]:
    with pytest.raises(SpecErrors) as caught:
        compile_file(path)
    return [e.render() for e in caught.value.errors]


def test_an_invalid_inline_schema_is_a_spec_error_at_its_line(write_spec: WriteSpec) -> None:
    path = write_spec(spec_storing(USERS, "properties: {value: {type: strng}}"))
    (error,) = compile_errors(path)
    assert error.startswith(f"{path}:7:34: the schema is not a valid JSON Schema at ")
    assert "`properties.value.type`: 'strng' is not valid under any of the given schemas" in error
    assert "hint: write a JSON Schema of draft 2020-12" in error


def test_a_missing_schema_file_is_a_spec_error_saying_where_it_was_looked_for(
    write_spec: WriteSpec, tmp_path: Path
) -> None:
    path = write_spec(spec_storing(USERS, "{file: schemas/nope.json}"))
    (error,) = compile_errors(path)
    assert error.startswith(f"{path}:7:14: the schema file `schemas/nope.json` does not exist")
    assert str(tmp_path / "schemas" / "nope.json") in error


def test_a_ref_to_a_missing_file_is_located_at_the_ref(write_spec: WriteSpec) -> None:
    path = write_spec(spec_storing(USERS, "properties: {value: {$ref: parts/value.json}}"))
    (error,) = compile_errors(path)
    assert error.startswith(f"{path}:7:34: `value.json` (named by `$ref: parts/value.json`) ")
    assert "does not exist" in error


def test_a_ref_to_a_remote_schema_is_refused_at_compile_time(write_spec: WriteSpec) -> None:
    path = write_spec(spec_storing(USERS, '{$ref: "https://example.com/user.json"}'))
    (error,) = compile_errors(path)
    assert "neither a local file nor the `$id` of a schema loaded here" in error
    assert "files are not fetched over the network" in error


def test_schema_errors_map_to_their_lint_codes(write_spec: WriteSpec) -> None:
    bad = write_spec(spec_storing(USERS, "{type: 5}"))
    with pytest.raises(SpecErrors) as caught:
        compile_file(bad)
    assert finding_from_error(caught.value.errors[0], str(bad)).code == "E205"
    missing = write_spec(spec_storing(USERS, "{file: missing.json}"))
    with pytest.raises(SpecErrors) as caught:
        compile_file(missing)
    assert finding_from_error(caught.value.errors[0], str(missing)).code == "E206"


def test_a_pytest_session_fails_the_item_naming_path_value_and_rule(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, "schemas/user.json", '{"required": ["id", "email"]}')
    write(
        pytester,
        "test_users.yaml",
        """\
        test: {name: users}
        steps:
          - name: fetch users
            tool: store_value
            args: {name: u, value: [{id: 1, email: a@example.com}, {id: 2}]}
            schema:
              properties:
                value: {type: array, items: {$ref: schemas/user.json}}
        """,
    )
    result = run(pytester, "--llm")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*schema failed at *test_users.yaml:7:7: schema",
            "*$.value[[]1[]] = {\"id\": 2}: 'email' is a required property (rule 'required')",
        ]
    )


def test_a_ref_to_a_part_that_is_not_there_is_located_at_the_ref(
    write_spec: WriteSpec, tmp_path: Path
) -> None:
    (tmp_path / "common.json").write_text('{"$defs": {"email": {"format": "email"}}}')
    path = write_spec(
        spec_storing(USERS, "properties: {value: {$ref: 'common.json#/$defs/emial'}}")
    )
    (error,) = compile_errors(path)
    assert error.startswith(f"{path}:7:34: `$ref: common.json#/$defs/emial` points at nothing")
    assert "check its spelling" in error


@pytest.mark.anyio
async def test_refs_to_ids_and_anchors_inside_the_schema_resolve(write_spec: WriteSpec) -> None:
    schema = """
        $defs:
          user:
            $id: "https://example.com/user"
            $defs: {id: {$anchor: userid, type: integer}}
            properties: {id: {$ref: "#userid"}}
        properties:
          value: {properties: {users: {items: {$ref: "https://example.com/user"}}}}
        """
    assert (await only_run(write_spec(spec_storing(USERS, schema)))).outcome == "PASS"
    bad = await only_run(write_spec(spec_storing('{users: [{id: "7"}]}', schema)))
    assert "$.value.users[0].id = \"7\": '7' is not of type 'integer' (rule 'type')" in bad.reason


def test_a_schema_file_outside_the_project_is_refused_unread(
    write_spec: WriteSpec, tmp_path: Path
) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.json"
    outside.write_text('{"type": "object"}')
    try:
        path = write_spec(spec_storing(USERS, f"{{file: ../{outside.name}}}"))
        (error,) = compile_errors(path)
    finally:
        outside.unlink()
    assert f"the schema file `../{outside.name}` is outside the project ({tmp_path})" in error
    assert "add its folder to LLM_PYTEST_IMPORT_ROOTS" in error
