"""Without --llm the plugin costs next to nothing: only its own small modules are imported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

LIGHT = {
    "llm_pytest",
    "llm_pytest._defaults",
    "llm_pytest._version",
    "llm_pytest.errors",
    "llm_pytest.judging",
    "llm_pytest.judging.pricing",
    "llm_pytest.judging.registry",
    "llm_pytest.judging.settings",
    "llm_pytest.pytest_plugin",
    "llm_pytest.pytest_plugin.keys",
    "llm_pytest.pytest_plugin.options",
    "llm_pytest.pytest_plugin.plugin",
}
HEAVY = {"anyio", "httpx", "jinja2", "jsonschema", "lark", "mcp", "pydantic", "yaml"}


def test_importing_the_plugin_imports_no_heavy_dependency() -> None:
    code = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "import llm_pytest.pytest_plugin.plugin\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    # pytest's own modules come in first; everything else must be ours and light
    new = {
        m for m in json.loads(out) if not m.startswith(("_pytest", "pytest", "pluggy", "iniconfig"))
    }
    ours = {m for m in new if m.startswith("llm_pytest")}
    assert ours == LIGHT
    assert not {m.partition(".")[0] for m in new} & HEAVY


def test_a_session_without_llm_imports_only_the_light_modules(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml", test_spec="test: {name: t}\nsteps: [{tool: sleep, args: {seconds: 0}}]\n"
    )
    pytester.makeconftest(
        """
        import json, sys

        def pytest_sessionfinish(session):
            ours = sorted(m for m in sys.modules if m.startswith("llm_pytest"))
            with open("imported.json", "w") as f:
                json.dump(ours, f)
        """
    )
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:benchmark", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert set(json.loads((pytester.path / "imported.json").read_text())) == LIGHT
