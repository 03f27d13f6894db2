"""Name checks of loop variables: bound inside their comprehension only, never hiding a name."""

from __future__ import annotations

import pytest

from llm_pytest.dsl.compiler import compile_text
from llm_pytest.errors import ExpressionError, SpecErrors, UndefinedNameError

HEAD = "test: {name: t}\nsteps:\n  - tool: list_users\n    save_as: users\n"


def _errors(text: str) -> list[ExpressionError]:
    with pytest.raises(SpecErrors) as info:
        compile_text(text, "n.yaml")
    errors = info.value.errors
    assert all(isinstance(e, ExpressionError) for e in errors)
    return errors  # type: ignore[return-value]


def test_loop_variables_are_bound_inside_checks_templates_and_conditions() -> None:
    text = HEAD + (
        "    check:\n"
        '      - all(u.email matches "@" for u in result.users)\n'
        "      - '[u.id for u in result.users if u.active] == result.users[*].id'\n"
        "  - tool: notify\n"
        "    when: any(u.admin for u in users.users)\n"
        "    args: {ids: '${[u.id for u in users.users]}'}\n"
    )
    (plan,) = compile_text(text, "n.yaml")
    assert len(plan.steps) == 2


def test_a_misspelt_loop_variable_is_a_compile_error_that_suggests_it() -> None:
    text = HEAD + "    check: all(usr.id > 0 for user in result.users)\n"
    (error,) = _errors(text)
    assert isinstance(error, UndefinedNameError)
    assert str(error).startswith("n.yaml:5:16: `usr` is read in `all(usr.id > 0 for user in")
    assert "user" in error.message.split("available: ")[1]
    assert error.hint == "did you mean `user`?"


def test_a_loop_variable_read_outside_its_comprehension_is_undefined() -> None:
    text = HEAD + "    check: '[u for u in result.users] == [u]'\n"
    (error,) = _errors(text)
    assert str(error).startswith("n.yaml:5:43: `u` is read in")


def test_another_undefined_name_inside_a_loop_suggests_the_closest_run_name() -> None:
    text = HEAD + "    check: all(u.id in user.ids for u in result.users)\n"
    (error,) = _errors(text)
    assert "`user` is read in" in error.message
    assert error.hint == "did you mean `users`?"


@pytest.mark.parametrize(
    ("check", "name"),
    [
        ("all(result.ok for result in result.items)", "result"),
        ("all(users > 0 for users in result.items)", "users"),
        ("all(vars > 0 for vars in result.items)", "vars"),
    ],
)
def test_a_loop_variable_may_not_hide_a_name_bound_around_it(check: str, name: str) -> None:
    (error,) = _errors(HEAD + f"    check: {check}\n")
    assert error.message.startswith(f"the loop variable `{name}` in `{check}` hides the name")
    assert error.location is not None
    assert (error.location.line, error.location.col) == (5, 12 + check.index(f"for {name}") + 4)
    assert error.hint == "give the loop variable a name of its own, e.g. `item`"


def test_a_loop_variable_may_not_hide_a_repeat_variable() -> None:
    text = (
        "test: {name: t}\nsteps:\n  - repeat: 2\n    as: i\n    steps:\n"
        "      - tool: a\n        check: all(i > 0 for i in result)\n"
    )
    (error,) = _errors(text)
    assert "the loop variable `i`" in error.message
