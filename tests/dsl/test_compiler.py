"""The compiler: spec → frozen plans, with overrides, experiments, fragments and name checks."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from llm_pytest.dsl.compiler import DEFAULT_TIMEOUT, compile_file, compile_text
from llm_pytest.dsl.overrides import Override, parse_override
from llm_pytest.errors import OverrideError, SpecErrors, UndefinedNameError
from llm_pytest.expr.parse import Expression, Template
from llm_pytest.model.plan import RepeatPlan, ScopePlan, ToolCallPlan

SPEC = """\
test:
  name: "Users"
vars:
  limit: 3
steps:
  - name: "Create"
    tool: api_create_user
    args: {name: "Alice", email: "a@example.com", n: "${vars.limit}"}
    save_as: user
    check: result.id > 0
  - tool: api_get_user
    args: {user_id: "${user.id}", label: "id=${user.id}"}
"""


def _messages(text: str, path: str = "c.yaml") -> list[str]:
    with pytest.raises(SpecErrors) as info:
        compile_text(text, path)
    return [str(e) for e in info.value.errors]


def test_a_spec_compiles_to_a_frozen_plan_with_parsed_expressions() -> None:
    (plan,) = compile_text(SPEC, "c.yaml")
    first, second = plan.steps
    assert isinstance(first, ToolCallPlan) and isinstance(second, ToolCallPlan)
    assert isinstance(first.args["n"], Template) and first.args["name"] == "Alice"
    assert isinstance(first.checks[0], Expression)
    assert str(first.location) == "c.yaml:6:5"
    assert plan.timeout == DEFAULT_TIMEOUT
    with pytest.raises(FrozenInstanceError):
        first.tool = "other"  # type: ignore[misc]


def test_a_step_timeout_and_retry_delay_default_sensibly() -> None:
    (plan,) = compile_text("test: {name: t, timeout: 30}\nsteps: [{tool: a, retry: 2}]\n")
    (step,) = plan.steps
    assert isinstance(step, ToolCallPlan)
    assert (plan.timeout, step.timeout, step.retry, step.retry_delay) == (30.0, None, 2, 1.0)


def test_each_experiment_becomes_its_own_plan_with_its_overrides() -> None:
    text = SPEC + "experiments:\n  - name: small\n    overrides: {vars.limit: 1}\n  - name: big\n"
    small, big = compile_text(text)
    assert (small.item_name, big.item_name) == ("Users[small]", "Users[big]")
    assert small.vars["limit"] == 1 and big.vars["limit"] == 3
    assert small.overrides == (("vars.limit", 1, "experiment `small`"),)


def test_later_override_sources_win() -> None:
    text = SPEC + "experiments:\n  - name: e\n    overrides: {vars.limit: 1}\n"
    overrides = [
        parse_override("vars.limit=7", "--llm-override"),
        Override("vars.limit", 9, "the overrides= argument"),
    ]
    (plan,) = compile_text(text, overrides=overrides)
    assert plan.vars["limit"] == 9


def test_an_override_value_is_read_as_a_yaml_scalar() -> None:
    assert parse_override("test.timeout=60").value == 60
    assert parse_override("vars.flag=true").value is True
    assert parse_override("vars.name=alice").value == "alice"
    assert parse_override("vars.items=[1, 2]").value == [1, 2]


def test_an_override_that_breaks_the_spec_names_itself_and_its_source() -> None:
    with pytest.raises(SpecErrors) as info:
        compile_text(SPEC, "c.yaml", overrides=[parse_override("test.timeout=soon")])
    (err,) = info.value.errors
    assert isinstance(err, OverrideError)
    assert err.message.startswith(
        "override `test.timeout` from --llm-override makes the spec invalid: "
        "`test.timeout` must be a number"
    )


def test_an_override_path_that_does_not_exist_is_an_error() -> None:
    (message,) = _messages(SPEC + "experiments:\n  - name: e\n    overrides: {steps.9.retry: 1}\n")
    assert "`steps.9` does not exist (`steps` has 2 items)" in message
    assert message.startswith("c.yaml:15:17: override `steps.9.retry` from experiment `e`")


def test_a_name_read_before_any_step_binds_it_is_rejected_with_a_suggestion() -> None:
    text = SPEC.replace('${user.id}", label', '${usr.id}", label')
    (message,) = _messages(text)
    assert message.startswith("c.yaml:12:24: `usr` is read in `${usr.id}` before any step binds")


def test_an_unknown_var_suggests_the_closest_one() -> None:
    with pytest.raises(SpecErrors) as info:
        compile_text(SPEC.replace("vars.limit", "vars.limt"), "c.yaml")
    (err,) = info.value.errors
    assert isinstance(err, UndefinedNameError)
    assert err.hint == "did you mean `vars.limit`?"


def test_result_is_only_readable_in_check_and_until() -> None:
    (message,) = _messages("test: {name: t}\nsteps:\n  - tool: a\n    args: {x: '${result}'}\n")
    assert "`result` can only be read in `check` and `until`" in message


def test_loop_variables_and_saved_names_are_visible_where_they_should_be() -> None:
    text = """\
test: {name: t}
steps:
  - repeat: 2
    as: i
    steps:
      - tool: a
        args: {n: "${i}"}
        save_as: last
  - tool: b
    args: {v: "${last}"}
  - tool: c
    args: {v: "${i}"}
"""
    (message,) = _messages(text)
    assert message.startswith("c.yaml:12:18: `i` is read in `${i}` before any step binds it")


def test_every_expression_is_parsed_at_compile_time() -> None:
    messages = _messages(
        "test: {name: t}\nsteps:\n  - tool: a\n    check: [result.x ==, 'lenn(result) > 0']\n"
        "    until: ')'\n"
    )
    assert len(messages) == 3


def test_a_repeat_count_may_be_an_expression() -> None:
    (plan,) = compile_text(
        "test: {name: t}\nvars: {n: 2}\nsteps:\n  - repeat: vars.n\n    steps: [{tool: a}]\n"
    )
    (block,) = plan.steps
    assert isinstance(block, RepeatPlan) and isinstance(block.count, Expression)


def test_a_when_written_as_interpolation_is_read_as_an_expression() -> None:
    (plan,) = compile_text(
        "test: {name: t}\nvars: {on: true}\nsteps:\n  - tool: a\n    when: ${vars.on}\n"
    )
    (step,) = plan.steps
    assert isinstance(step, ToolCallPlan) and isinstance(step.when, Expression)
    assert step.when.evaluate({"vars": {"on": True}}) is True


def test_test_names_must_be_unique_within_a_file() -> None:
    (message,) = _messages(
        "test: {name: a}\nsteps: [{tool: x}]\n---\ntest: {name: a}\nsteps: [{tool: x}]\n"
    )
    assert message == "c.yaml:4:14: test name `a` is already used in this file (at line 1)"


def test_fragments_expand_in_place_with_their_params(tmp_path: Path) -> None:
    (tmp_path / "lib.yaml").write_text(
        "fragments:\n  login:\n    params: [user]\n    steps:\n"
        "      - tool: login\n        args: {u: '${user}'}\n        save_as: session\n"
    )
    spec = tmp_path / "test_s.yaml"
    spec.write_text(
        "test: {name: t}\nimports: [lib.yaml]\nsteps:\n  - use: login\n    with: {user: alice}\n"
        "  - tool: next\n    args: {s: '${session.token}'}\n"
    )
    (plan,) = compile_file(spec)
    scope, _ = plan.steps
    assert isinstance(scope, ScopePlan) and scope.bindings == {"user": "alice"}
    (inner,) = scope.steps
    assert isinstance(inner, ToolCallPlan)
    assert inner.id == "steps[0].steps[0]"
    assert inner.location.path.endswith("lib.yaml") and inner.location.line == 5


def test_import_cycles_are_reported_with_the_chain(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("imports: [b.yaml]\n")
    (tmp_path / "b.yaml").write_text("imports: [a.yaml]\n")
    spec = tmp_path / "s.yaml"
    spec.write_text("test: {name: t}\nimports: [a.yaml]\nsteps: [{tool: x}]\n")
    with pytest.raises(SpecErrors, match=r"import cycle: a.yaml → b.yaml → a.yaml"):
        compile_file(spec)


def test_a_missing_import_is_located_at_the_import(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("test: {name: t}\nimports: [nope.yaml]\nsteps: [{tool: x}]\n")
    with pytest.raises(SpecErrors) as info:
        compile_file(spec)
    (err,) = info.value.errors
    assert err.location is not None and err.location.line == 2
    assert "imported file `nope.yaml` does not exist" in err.message


def test_fragment_params_must_match_the_use() -> None:
    text = """\
test: {name: t}
fragments:
  f:
    params: [a, b]
    steps: [{tool: x, args: {v: "${a}${b}"}}]
steps:
  - use: f
    with: {a: 1, c: 2}
"""
    messages = _messages(text)
    assert any("fragment `f` has no param `c`" in m for m in messages)
    assert any("fragment `f` needs `b` under `with:`" in m for m in messages)


def test_a_fragment_that_uses_itself_is_an_error() -> None:
    text = "test: {name: t}\nfragments:\n  f:\n    steps: [{use: f}]\nsteps: [{use: f}]\n"
    (message,) = _messages(text)
    assert "fragment `f` uses itself: f → f" in message


def test_mcp_server_strings_may_use_vars_and_env() -> None:
    text = (
        "test: {name: t}\nvars: {tz: UTC}\nmcp_servers:\n  time:\n    command: python\n"
        "    args: [-m, mcp_server_time, '--local-timezone', '${vars.tz}']\n"
        "    env: {HOME: '${env.HOME}'}\nsteps: [{tool: time_get_current_time}]\n"
    )
    (plan,) = compile_text(text)
    (server,) = plan.mcp_servers
    assert server.transport == "stdio" and isinstance(server.args[3], Template)


def test_a_plan_is_printable_as_json() -> None:
    (plan,) = compile_text(SPEC, "c.yaml")
    data = plan.to_json()
    assert data["steps"][1]["args"] == {"user_id": "${user.id}", "label": "id=${user.id}"}
    assert data["steps"][0]["check"] == ["result.id > 0"]


def test_a_command_line_override_that_breaks_every_experiment_is_reported_once() -> None:
    text = SPEC + "experiments:\n  - name: a\n  - name: b\n    overrides: {vars.limit: 5}\n"
    with pytest.raises(SpecErrors) as info:
        compile_text(text, "c.yaml", overrides=[parse_override("test.timeout=soon")])
    (err,) = info.value.errors
    assert "override `test.timeout` from --llm-override" in err.message


def test_an_experiment_without_overrides_compiles_the_spec_as_written() -> None:
    text = (
        SPEC + "experiments:\n  - name: baseline\n  - name: big\n    overrides: {vars.limit: 9}\n"
    )
    baseline, big = compile_text(text, "c.yaml")
    assert (baseline.experiment, baseline.vars["limit"], baseline.overrides) == ("baseline", 3, ())
    assert big.vars["limit"] == 9


def test_an_override_may_replace_one_item_of_a_list() -> None:
    text = SPEC.replace("  limit: 3\n", "  limit: 3\n  sizes: [1, 2, 3]\n")
    (plan,) = compile_text(text, "c.yaml", overrides=[parse_override("vars.sizes.1=20")])
    assert plan.vars["sizes"] == [1, 20, 3]


def test_a_check_may_read_its_own_steps_save_as_but_until_may_not() -> None:
    ok = (
        "test: {name: t}\nsteps:\n  - tool: a\n    save_as: user\n    check: user.id == result.id\n"
    )
    assert compile_text(ok)
    (message,) = _messages(
        "test: {name: t}\nsteps:\n  - tool: a\n    save_as: user\n    retry: 2\n"
        "    until: user.ready\n"
    )
    assert "`user` is read in `user.ready` before any step binds it" in message


def test_call_is_only_readable_in_check_and_until_with_a_hint_to_save_it() -> None:
    with pytest.raises(SpecErrors) as info:
        compile_text(
            "test: {name: t}\nsteps:\n  - tool: a\n    expect: '${call.error}'\n", "c.yaml"
        )
    (err,) = info.value.errors
    assert str(err) == "c.yaml:4:16: `call` can only be read in `check` and `until`"
    assert err.hint is not None and "`save_as: NAME` binds it" in err.hint


def test_check_and_until_may_read_call() -> None:
    (plan,) = compile_text(
        "test: {name: t}\nsteps:\n  - tool: a\n    retry: 2\n"
        "    until: call.attempts > 1\n    check: call.text == 'x'\n",
        "c.yaml",
    )
    assert isinstance(plan.steps[0], ToolCallPlan)


def test_an_expected_error_compiles_to_a_pattern_and_a_type() -> None:
    (plan,) = compile_text(
        "test: {name: t}\nsteps:\n  - tool: a\n    expect_error: 'no (such )?user'\n"
        "  - tool: b\n    expect_error: {matches: gone, type: KeyError}\n",
        "c.yaml",
    )
    first, second = plan.steps
    assert isinstance(first, ToolCallPlan) and isinstance(second, ToolCallPlan)
    assert first.expect_error is not None and second.expect_error is not None
    assert first.expect_error.accepts("no such user: 7", ("ToolError",))
    assert not first.expect_error.accepts("forbidden", ("ToolError",))
    assert second.expect_error.accepts("gone", ("KeyError", "LookupError"))
    assert not second.expect_error.accepts("gone", ("ToolError",))


def test_an_expected_error_that_is_not_a_regex_is_located_at_the_bad_character() -> None:
    (message,) = _messages(
        "test: {name: t}\nsteps:\n  - tool: a\n    expect_error: {matches: 'a(b'}\n"
    )
    assert message.startswith(
        "c.yaml:4:31: `expect_error` is not a regular expression: missing ), unterminated"
    )


def test_an_expected_error_needs_a_pattern_or_a_type() -> None:
    messages = _messages("test: {name: t}\nsteps:\n  - tool: a\n    expect_error: {}\n")
    assert (
        "c.yaml:4:19: `steps[0].expect_error`: `expect_error` needs `matches`, `type` or both"
        in messages
    )
